"""Optimize pass: make the emitted code read like a careful person wrote it.

Four rewrites, each small and safe:

* **simplify**: fold constant arithmetic and drop identities (``a * 1``, ``a + 0``, ``a ** 1``,
  ``a * (1 / b)`` -> ``a / b``, ``a * -1`` -> ``-a``), so templates can be written as the
  plain math and still inline cleanly (the user's own statements are left as written);
* **trim calls**: drop keyword arguments of runtime helpers that equal the helper's default;
* **adjoint copies**: ``dx = dy`` as the first value of ``dx`` and last use of ``dy`` is
  folded into the statements computing ``dy``;
* **dead code**: remove assignments whose value is never read (pure operations only; a call
  without a derivative rule may have effects and is kept), and comments left with no code.
"""
from __future__ import annotations

import ast
import inspect
import operator
from collections.abc import Mapping
from typing import Any

from srcdiff.reverse import COMMENT_MARKER, HELPERS, PUSH_MARKER

_FOLD = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
         ast.Pow: operator.pow}


def _number(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


def _is(node: ast.expr, value: float) -> bool:
    number = _number(node)
    return number is not None and number == value


def _neg(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return node.operand
    return ast.UnaryOp(ast.USub(), node)


def _is_plain_index(node: ast.expr) -> bool:
    """An index that needs no ``np.s_``: a name, a number, or a tuple of those."""
    if isinstance(node, ast.Tuple):
        return all(_is_plain_index(e) for e in node.elts)
    return isinstance(node, ast.Name) or (isinstance(node, ast.Constant)
                                          and isinstance(node.value, int))


class _Simplify(ast.NodeTransformer):
    def visit_Assign(self, node: ast.Assign) -> ast.stmt:
        # The user's own statements stay as written: dropping ``* 1.0`` or ``+ 0`` would
        # bind the operand itself (an array written into later, the caller's argument) or
        # keep its integer dtype.
        if getattr(node, "srcdiff_primal", False):
            return node
        self.generic_visit(node)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        self.generic_visit(node)
        # np.s_[i] is just i.
        if (isinstance(node.value, ast.Attribute) and node.value.attr == "s_"
                and isinstance(node.value.value, ast.Name) and _is_plain_index(node.slice)):
            return node.slice
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.USub):
            value = _number(node.operand)
            if value is not None and not isinstance(node.operand, ast.UnaryOp):
                return node
            if isinstance(node.operand, ast.UnaryOp) and isinstance(node.operand.op, ast.USub):
                return node.operand.operand
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        left, right, op = node.left, node.right, node.op
        a, b = _number(left), _number(right)
        if a is not None and b is not None and type(op) in _FOLD:
            try:
                value = _FOLD[type(op)](a, b)
            except (OverflowError, ZeroDivisionError):
                return node
            if isinstance(value, complex):
                return node
            # Python would compute the same value at run time; fold when it reads as well.
            if isinstance(value, int) or len(repr(value)) <= max(len(repr(a)), len(repr(b))) + 1:
                return ast.Constant(value) if value >= 0 else \
                    ast.UnaryOp(ast.USub(), ast.Constant(-value))
        if isinstance(op, ast.Mult):
            if _is(right, 1):
                return left
            if _is(left, 1):
                return right
            if _is(right, -1):
                return _neg(left)
            if _is(left, -1):
                return _neg(right)
            if isinstance(right, ast.BinOp) and isinstance(right.op, ast.Div) \
                    and _is(right.left, 1):
                return ast.BinOp(left, ast.Div(), right.right)
        if isinstance(op, ast.Div) and _is(right, 1):
            return left
        if isinstance(op, ast.Add):
            if _is(right, 0):
                return left
            if _is(left, 0):
                return right
            if isinstance(right, ast.UnaryOp) and isinstance(right.op, ast.USub):
                return ast.BinOp(left, ast.Sub(), right.operand)
        if isinstance(op, ast.Sub):
            if _is(right, 0):
                return left
            if _is(left, 0):
                return _neg(right)
        if isinstance(op, ast.Pow) and _is(right, 1):
            return left
        return node


class _TrimCalls(ast.NodeTransformer):
    def __init__(self, helpers: Mapping[str, Any]) -> None:
        self.helpers = helpers

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.helpers:
            parameters = inspect.signature(self.helpers[node.func.id]).parameters
            kept = []
            for keyword in node.keywords:
                param = parameters.get(keyword.arg or "")
                if param is not None and isinstance(keyword.value, ast.Constant) \
                        and type(keyword.value.value) is type(param.default) \
                        and keyword.value.value == param.default:
                    continue
                kept.append(keyword)
            node.keywords = kept
        return node


def simplify(node: ast.AST) -> ast.AST:
    """Fold constants and remove arithmetic identities in ``node`` (in place)."""
    return _Simplify().visit(node)


def _is_marker(stmt: ast.stmt, name: str) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == name)


def _is_comment(stmt: ast.stmt) -> bool:
    return _is_marker(stmt, COMMENT_MARKER)


def _reads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def eliminate_dead_code(body: list[ast.stmt]) -> list[ast.stmt]:
    """Remove pure assignments never read later, branches left empty, then comments with no
    code under them."""
    kept, _ = _live_code(body, set())
    return kept


def _live_code(body: list[ast.stmt], live_out: set[str]) -> tuple[list[ast.stmt], set[str]]:
    """(``body`` without dead statements, the names live before it) given those live after."""
    live = set(live_out)
    kept: list[ast.stmt] = []
    for stmt in reversed(body):
        if _is_marker(stmt, PUSH_MARKER):
            # What an iteration saves is decided after this pass: keep all it computes.
            live |= {n.id for s in body for n in ast.walk(s)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        elif isinstance(stmt, (ast.For, ast.While)):
            around = live | _reads(stmt)  # a loop body also runs after itself
            loop_body, _ = _live_code(stmt.body, around)
            stmt.body = loop_body or [ast.Pass()]
            live = around
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            target = stmt.targets[0].id
            if target not in live and getattr(stmt, "srcdiff_pure", False):
                continue
            live.discard(target)
            live |= _reads(stmt.value)
        elif isinstance(stmt, ast.If):
            then, live_then = _live_code(stmt.body, live)
            orelse, live_else = _live_code(stmt.orelse, live)
            if not any(not isinstance(s, ast.Pass) for s in then + orelse):
                continue
            stmt.body, stmt.orelse = then or [ast.Pass()], orelse
            live = live_then | live_else | _reads(stmt.test)
        elif not _is_comment(stmt):
            live |= _reads(stmt)
        kept.append(stmt)
    kept.reverse()
    result: list[ast.stmt] = []
    for index, stmt in enumerate(kept):
        if _is_comment(stmt):
            following = kept[index + 1] if index + 1 < len(kept) else None
            if following is None or _is_comment(following) or isinstance(following, ast.Return):
                continue
        result.append(stmt)
    return result, live


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id == self.old:
            node.id = self.new
        return node


def _is_adjoint_copy(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Assign) and getattr(stmt, "srcdiff_adjoint", False)
            and isinstance(stmt.value, ast.Name))


def propagate_adjoint_copies(body: list[ast.stmt], params: set[str]) -> list[ast.stmt]:
    """Remove ``dx = dy`` when it is the first value of ``dx`` and the last use of ``dy``:
    the statements computing ``dy`` compute ``dx`` directly (the adjoint of ``y = x + c``
    is the adjoint of ``x``; naming it twice is a dead temporary)."""
    body = list(body)
    index = 0
    while index < len(body):
        stmt = body[index]
        if not _is_adjoint_copy(stmt):
            index += 1
            continue
        assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
        target, source = stmt.targets[0].id, stmt.value.id  # type: ignore[attr-defined]
        before = {n.id for s in body[:index] for n in ast.walk(s) if isinstance(n, ast.Name)}
        after = {n.id for s in body[index + 1:] for n in ast.walk(s) if isinstance(n, ast.Name)}
        in_loop = any(isinstance(s, (ast.For, ast.While)) and source in {
            n.id for n in ast.walk(s) if isinstance(n, ast.Name)} for s in body[:index])
        if source in params or target in before or source in after or in_loop:
            # (a loop's adjoint keeps its own name: 'dh_2 = dx' in a loop would mislead)
            index += 1
            continue
        for earlier in body[:index]:
            _Rename(source, target).visit(earlier)
        del body[index]
    return body


def optimize(func: ast.FunctionDef, runtime_names: Mapping[str, str]) -> ast.FunctionDef:
    """Apply every rewrite of this pass to a derivative function (in place) and return it."""
    helpers = {alias: HELPERS[name] for name, alias in runtime_names.items() if name in HELPERS}
    for stmt in func.body:
        _TrimCalls(helpers).visit(simplify(stmt))
    params = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
    func.body = eliminate_dead_code(propagate_adjoint_copies(func.body, params))
    return func
