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
