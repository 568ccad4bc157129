"""Copying syntax trees fast.

The passes copy small expression trees thousands of times (a rule's template for every
operation, the operands substituted into it). ``copy.deepcopy`` spends most of its time in
its generic machinery (memo, ``__reduce_ex__``); syntax trees are plain trees of nodes,
lists and immutable leaves, so :func:`clone` copies them directly, several times faster. The
node's attributes (positions, and srcdiff's own marks such as ``srcdiff_pure``) are copied
with it.
"""
from __future__ import annotations

import ast
from typing import TypeVar

T = TypeVar("T")


def clone(node: T) -> T:
    """A deep copy of ``node`` (a syntax tree, a list of them, or a leaf value)."""
    if isinstance(node, ast.AST):
        if isinstance(node, ast.expr_context):  # Load/Store/Del carry nothing: share them
            return node
        new = node.__class__.__new__(node.__class__)
        new.__dict__.update({key: clone(value) for key, value in node.__dict__.items()})
        return new  # type: ignore[return-value]
    if isinstance(node, list):
        return [clone(item) for item in node]  # type: ignore[return-value]
    return node


class _ExplicitSigns(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        value = node.value
        if isinstance(value, (int, float, complex)) and not isinstance(value, bool) \
                and (value.real < 0 if isinstance(value, complex) else value < 0):
            return ast.copy_location(ast.UnaryOp(ast.USub(), ast.Constant(-value)), node)
        return node


def explicit_signs(node: T) -> T:
    """``node`` (in place) with every negative number written as a negation of a positive one.

    A negative number can be a constant of a syntax tree (srcdiff folds ``-1.0`` into one),
    but the code printers then drop the parentheses it needs: ``Constant(-1.0) ** 2`` prints
    as ``-1.0 ** 2``, which Python reads as ``-(1.0 ** 2)``. As a negation the printers
    parenthesise it, ``(-1.0) ** 2``. Every tree is printed through this."""
    return _ExplicitSigns().visit(node)  # type: ignore[return-value]


def unparse(node: ast.AST) -> str:
    """``ast.unparse`` that keeps the meaning of negative numbers (see explicit_signs)."""
    return ast.unparse(explicit_signs(clone(node)))
