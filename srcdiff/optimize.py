"""Optimize pass: make the emitted code read like a careful person wrote it, and run like
code written for speed.

The rewrites, each small and safe:

* **simplify**: fold constant arithmetic and drop identities (``a * 1``, ``a + 0``, ``a ** 1``,
  ``a * (1 / b)`` -> ``a / b``, ``a * -1`` -> ``-a``), so templates can be written as the
  plain math and still inline cleanly (the user's own statements are left as written);
* **products**: in derivative code, small integer powers as products (``x ** 3`` ->
  ``x * x * x``) and number factors moved left (``a * (2 * b)`` -> ``a * 2 * b``);
* **trim calls**: drop keyword arguments of runtime helpers that equal the helper's default;
* **adjoint copies**: ``dx = dy`` as the first value of ``dx`` and last use of ``dy`` is
  folded into the statements computing ``dy``; else, when neither is bound again, what
  follows reads ``dy``;
* **forward values reused**: derivative code reads a value the forward sweep computed
  (``cos_x``) rather than computing it again (``np.cos(x)``);
* **dead code**: remove assignments whose value is never read (pure operations only; a call
  without a derivative rule may have effects and is kept), and comments left with no code;
* **accumulation in place**: ``dx = dx + v`` is ``dx += v`` (and ``dx[i] += g`` for the
  adjoint of ``x[i]``) where the array is the derivative's own (see :class:`_InPlace`).
"""
from __future__ import annotations

import ast
import inspect
import operator
from collections import Counter
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


class _Products(ast.NodeTransformer):
    """Arithmetic written for speed, in derivative code (the user's statements stay as
    written): a small integer power as products, ``x ** 3`` as ``x * x * x`` (NumPy's
    general power is many times slower than a product), and a number factor moved left,
    ``a * (2 * b)`` as ``a * 2 * b`` (when ``a`` is one number, an adjoint left lazy,
    ``a * 2`` is one number too, and the arrays are multiplied once)."""

    def visit_Assign(self, node: ast.Assign) -> ast.stmt:
        if getattr(node, "srcdiff_primal", False):
            return node
        self.generic_visit(node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        left, right, op = node.left, node.right, node.op
        if isinstance(op, ast.Pow) and isinstance(left, ast.Name) \
                and isinstance(right, ast.Constant) and type(right.value) is int \
                and right.value in (2, 3):
            product: ast.expr = ast.BinOp(left, ast.Mult(), ast.Name(left.id, ast.Load()))
            if right.value == 3:
                product = ast.BinOp(product, ast.Mult(), ast.Name(left.id, ast.Load()))
            return product
        if isinstance(op, ast.Mult) and isinstance(right, ast.BinOp) \
                and isinstance(right.op, ast.Mult) and _number(right.left) is not None:
            return ast.BinOp(ast.BinOp(left, ast.Mult(), right.left), ast.Mult(), right.right)
        return node


def products(node: ast.AST) -> ast.AST:
    """Small powers as products and number factors moved left in ``node`` (in place; see
    :class:`_Products`)."""
    return _Products().visit(node)


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


def _seeds(body: list[ast.stmt]) -> set[str]:
    """The names ``body`` binds to the seed of the backward sweep (``1.0`` or
    ``scalar_seed(...)``), which keeps its name (``dresult``)."""
    found = set()
    for stmt in body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            value = stmt.value
            if isinstance(value, ast.Constant) or (
                    isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                    and value.func.id.startswith("scalar_seed")):
                found.add(stmt.targets[0].id)
    return found


def propagate_adjoint_copies(body: list[ast.stmt], params: set[str]) -> list[ast.stmt]:
    """Remove ``dx = dy`` when it is the first value of ``dx`` and the last use of ``dy``:
    the statements computing ``dy`` compute ``dx`` directly (the adjoint of ``y = x + c``
    is the adjoint of ``x``; naming it twice is a dead temporary).

    One pass: the names of each statement are collected once, and counts of the statements
    before and after the one at hand that use a name stand for rescanning them (a function
    of a few hundred lines has hundreds of copies)."""
    names = [_names(stmt) for stmt in body]
    after: Counter[str] = Counter()
    for found in names:
        after.update(found)
    # the seed and an adjoint copied to several names keep their own name (see
    # substitute_adjoint_copies)
    copied = Counter(stmt.value.id for stmt in body  # type: ignore[attr-defined]
                     if _is_adjoint_copy(stmt))
    seeds = _seeds(body)
    before: Counter[str] = Counter()  # statements kept so far that use a name
    in_loops: Counter[str] = Counter()  # ... and those of them that are loops
    kept: list[ast.stmt] = []
    kept_names: list[set[str]] = []
    for stmt, found in zip(body, names, strict=True):
        after.subtract(found)
        if _is_adjoint_copy(stmt):
            assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name)
            target, source = stmt.targets[0].id, stmt.value.id  # type: ignore[attr-defined]
            # (a loop's adjoint keeps its own name: 'dh_2 = dx' in a loop would mislead)
            if not (source in params or before[target] or after[source] or in_loops[source]
                    or copied[source] > 1 or source in seeds):
                for earlier, earlier_names in zip(kept, kept_names, strict=True):
                    if source not in earlier_names:
                        continue
                    _Rename(source, target).visit(earlier)
                    loop = isinstance(earlier, (ast.For, ast.While))
                    for counts in (before, in_loops) if loop else (before,):
                        counts[source] -= 1
                        if target not in earlier_names:
                            counts[target] += 1
                    earlier_names.discard(source)
                    earlier_names.add(target)
                continue  # the copy itself goes
        kept.append(stmt)
        kept_names.append(found)
        before.update(found)
        if isinstance(stmt, (ast.For, ast.While)):
            in_loops.update(found)
    return kept


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _integer_names(func: ast.FunctionDef) -> set[str]:
    """Names that hold an integer wherever they are bound: counters of ``for`` loops over
    ``range``, integer literals, and sums, differences and products of those (the greatest
    fixed point, so a counter a loop increments is one)."""
    bindings: list[tuple[str, ast.expr | None]] = []
    for node in _statements(func.body):
        if isinstance(node, ast.For):
            counted = isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name) \
                and node.iter.func.id == "range" and isinstance(node.target, ast.Name)
            for name in ast.walk(node.target):
                if isinstance(name, ast.Name):
                    bindings.append((name.id, ast.Constant(0) if counted else None))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                        bindings.append((name.id, node.value if target is name else None))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            bindings.append((node.target.id, ast.BinOp(ast.Name(node.target.id, ast.Load()),
                                                       node.op, node.value)))
    params = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
    names = {name for name, _ in bindings} - params

    def integer(node: ast.expr) -> bool:
        if isinstance(node, ast.Constant):
            return type(node.value) is int
        if isinstance(node, ast.Name):
            return node.id in names
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return integer(node.operand)
        return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)) \
            and integer(node.left) and integer(node.right)

    changed = True
    while changed:
        changed = False
        for name, value in bindings:
            if name in names and (value is None or not integer(value)):
                names.discard(name)
                changed = True
    return names


def _statements(body: list[ast.stmt]):
    """Every statement of ``body``, those of its loops and branches included."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.For, ast.While, ast.If)):
            yield from _statements(stmt.body)
            yield from _statements(stmt.orelse)


def _one_slot(index: ast.expr, integers: set[str]) -> bool:
    """Whether ``index`` selects each element at most once and is a plain value: integers
    and tuples of them (so ``array[index] += value`` adds every value)."""
    if isinstance(index, ast.Tuple):
        return bool(index.elts) and all(_one_slot(e, integers) for e in index.elts)
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
        return _one_slot(index.operand, integers)
    if isinstance(index, ast.BinOp) and isinstance(index.op, (ast.Add, ast.Sub, ast.Mult)):
        return _one_slot(index.left, integers) and _one_slot(index.right, integers)
    if isinstance(index, ast.Constant):
        return type(index.value) is int
    return isinstance(index, ast.Name) and index.id in integers


class _InPlace:
    """Accumulate adjoints in place where the array is the derivative's own.

    An adjoint is *owned* when its value is a fresh result no other name refers to: zeros
    made for an argument (``np.zeros_like(x)``), or an arithmetic result; it stays owned
    while it is only added to. ``dx = dx + v`` then becomes ``dx += v`` (one array fewer;
    on a number it rebinds, as before), and ``dx = dx + index_adjoint(g, x, i)`` with an
    integer ``i`` becomes ``dx[i] += g`` (no array of zeros per element). Any other read of
    an owned adjoint (which might keep it under a second name) ends its ownership, and in a
    loop a read anywhere in the body does, since the next iteration comes after it.
    """

    def __init__(self, func: ast.FunctionDef, runtime_names: Mapping[str, str]) -> None:
        self.params = {a.arg for a in func.args.posonlyargs + func.args.args
                       + func.args.kwonlyargs}
        self.numpy = runtime_names.get("np", "np")
        self.index_adjoint = runtime_names.get("index_adjoint")
        self.func = func
        self._integers: set[str] | None = None

    @property
    def integers(self) -> set[str]:
        """The names that hold integers (worked out when an index needs them)."""
        if self._integers is None:
            self._integers = _integer_names(self.func)
        return self._integers

    def accumulation(self, stmt: ast.stmt) -> tuple[str, ast.expr] | None:
        """(``d``, ``v``) for a derivative statement ``d = d + v`` (``v`` not reading ``d``)."""
        if not isinstance(stmt, ast.Assign) or getattr(stmt, "srcdiff_primal", False) \
                or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            return None
        target, value = stmt.targets[0].id, stmt.value
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) \
                and isinstance(value.left, ast.Name) and value.left.id == target \
                and target not in _reads(value.right):
            return target, value.right
        return None

    def zeros(self, value: ast.expr) -> bool:
        """``np.zeros_like(param)``: a fresh array of an argument's (floating) dtype."""
        return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and value.func.attr == "zeros_like" and isinstance(value.func.value, ast.Name)
                and value.func.value.id == self.numpy and len(value.args) == 1
                and not value.keywords and isinstance(value.args[0], ast.Name)
                and value.args[0].id in self.params)

    def plus_index(self, value: ast.expr) -> bool:
        """``a + index_adjoint(...)``: a fresh array of the indexed value's shape."""
        return isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and any(
            isinstance(side, ast.Call) and isinstance(side.func, ast.Name)
            and side.func.id == self.index_adjoint for side in (value.left, value.right))

    def block(self, body: list[ast.stmt], owned: set[str], arrays: set[str]
              ) -> tuple[list[ast.stmt], set[str], set[str]]:
        """``body`` rewritten, and the owned adjoints (the owned arrays of zeros) after it."""
        out: list[ast.stmt] = []
        for stmt in body:
            if isinstance(stmt, (ast.For, ast.While)):
                header = _reads(stmt.test if isinstance(stmt, ast.While) else stmt.iter)
                kept = owned - header - self.uses(stmt.body)
                stmt.body, _, _ = self.block(stmt.body, set(kept), arrays & kept)
                owned, arrays = kept, arrays & kept
                out.append(stmt)
                continue
            if isinstance(stmt, ast.If):
                owned -= _reads(stmt.test)
                stmt.body, owned_a, arrays_a = self.block(stmt.body, set(owned), set(arrays))
                stmt.orelse, owned_b, arrays_b = self.block(stmt.orelse, set(owned),
                                                            set(arrays))
                owned, arrays = owned_a & owned_b, arrays_a & arrays_b
                out.append(stmt)
                continue
            found = self.accumulation(stmt)
            if found is not None and found[0] in owned:
                target, value = found
                owned -= _reads(value)
                out.append(self.in_place(stmt, target, value, target in arrays))
                continue
            owned = owned - _reads(stmt)
            arrays &= owned
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name):
                target = stmt.targets[0].id
                owned.discard(target)
                arrays.discard(target)
                if not getattr(stmt, "srcdiff_primal", False):
                    if self.zeros(stmt.value) or self.plus_index(stmt.value):
                        owned.add(target)
                        arrays.add(target)
                    elif isinstance(stmt.value, (ast.BinOp, ast.UnaryOp)):
                        owned.add(target)
            else:
                stores = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                          and isinstance(n.ctx, ast.Store)}
                owned -= stores
                arrays -= stores
            out.append(stmt)
        return out, owned, arrays

    def uses(self, body: list[ast.stmt]) -> set[str]:
        """The names a loop body reads or binds other than by adding to them
        (``name = name + v``): those it may keep under another name or replace."""
        found: set[str] = set()
        for stmt in body:
            if isinstance(stmt, ast.For):
                found |= _names(stmt.iter) | _names(stmt.target)
            elif isinstance(stmt, (ast.While, ast.If)):
                found |= _names(stmt.test)
            if isinstance(stmt, (ast.For, ast.While, ast.If)):
                found |= self.uses(stmt.body) | self.uses(stmt.orelse)
                continue
            accumulation = self.accumulation(stmt)
            found |= _names(accumulation[1]) if accumulation is not None else _names(stmt)
        return found

    def in_place(self, stmt: ast.stmt, target: str, value: ast.expr, array: bool) -> ast.stmt:
        if array and self.index_adjoint is not None and isinstance(value, ast.Call) \
                and isinstance(value.func, ast.Name) and value.func.id == self.index_adjoint \
                and len(value.args) == 3 and not value.keywords \
                and _one_slot(value.args[2], self.integers):
            slot = ast.Subscript(ast.Name(target, ast.Load()), value.args[2], ast.Store())
            new: ast.stmt = ast.AugAssign(slot, ast.Add(), value.args[0])
        else:
            new = ast.AugAssign(ast.Name(target, ast.Store()), ast.Add(), value)
        new.srcdiff_adjoint = True  # type: ignore[attr-defined]
        return ast.copy_location(new, stmt)


def accumulate_in_place(func: ast.FunctionDef, runtime_names: Mapping[str, str]) -> None:
    """Turn ``d = d + v`` into ``d += v`` (and ``d[i] += g``) where ``d`` is owned (see
    :class:`_InPlace`)."""
    func.body, _, _ = _InPlace(func, runtime_names).block(func.body, set(), set())


class _Substitute(ast.NodeTransformer):
    """Reads of the names of ``mapping`` become reads of the names they map to."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if isinstance(node.ctx, ast.Load):
            node.id = self.mapping.get(node.id, node.id)
        return node


def substitute_adjoint_copies(body: list[ast.stmt]) -> list[ast.stmt]:
    """Remove ``dx = dy`` when neither name is bound again after it: what follows reads
    ``dy`` itself (the adjoints of ``a + b`` are both the adjoint of the sum; one name for
    it reads better than two). Statements of the function's body only, not of its loops.
    One pass, with counts of the names the statements after the one at hand bind. Then
    :func:`fold_copies_into_rebinding` everywhere."""
    stores = [{n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
               and not isinstance(n.ctx, ast.Load)} for stmt in body]
    after: Counter[str] = Counter()
    for found in stores:
        after.update(found)
    mapping: dict[str, str] = {}
    kept: list[ast.stmt] = []
    for stmt, found in zip(body, stores, strict=True):
        after.subtract(found)
        if mapping and not mapping.keys().isdisjoint(_names(stmt)):
            _Substitute(mapping).visit(stmt)
        if _is_adjoint_copy(stmt):
            target, source = stmt.targets[0].id, stmt.value.id  # type: ignore[attr-defined]
            if not after[target] and not after[source]:
                mapping[target] = source
                continue
        kept.append(stmt)
    return fold_copies_into_rebinding(kept)


def fold_copies_into_rebinding(body: list[ast.stmt]) -> list[ast.stmt]:
    """``dx = dy`` then, with neither read nor bound in between, ``dx = f(dx)``: the copy
    goes, ``dx = f(dy)`` (an adjoint made whole right after it is given its value). In
    loops and branches too."""
    names = [_names(stmt) for stmt in body]
    stores = [{n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
               and not isinstance(n.ctx, ast.Load)} for stmt in body]
    kept: list[ast.stmt] = []
    dropped: set[int] = set()
    for index, stmt in enumerate(body):
        if isinstance(stmt, (ast.For, ast.While, ast.If)):
            stmt.body = fold_copies_into_rebinding(stmt.body) or [ast.Pass()]
            if stmt.orelse:
                stmt.orelse = fold_copies_into_rebinding(stmt.orelse)
        if not _is_adjoint_copy(stmt):
            continue
        target, source = stmt.targets[0].id, stmt.value.id  # type: ignore[attr-defined]
        for later in range(index + 1, len(body)):
            following = body[later]
            if target not in names[later] and source not in stores[later]:
                continue  # neither reads dx nor binds dy: look further
            if isinstance(following, ast.Assign) and len(following.targets) == 1 \
                    and isinstance(following.targets[0], ast.Name) \
                    and following.targets[0].id == target \
                    and getattr(following, "srcdiff_adjoint", False):
                following.value = _Substitute({target: source}).visit(following.value)
                dropped.add(index)
            break
    for index, stmt in enumerate(body):
        if index not in dropped:
            kept.append(stmt)
    return kept


#: Methods that change their receiver (a list's, an array's).
_MUTATING_METHODS = frozenset({"append", "pop", "extend", "insert", "remove", "clear", "sort",
                               "reverse", "fill", "resize", "put", "itemset", "setfield"})


def _leaf_key(node: ast.expr) -> object:
    if isinstance(node, ast.Name):
        return ("name", node.id)
    if isinstance(node, ast.Constant):
        return ("constant", type(node.value), node.value)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return ("attribute", node.value.id, node.attr)
    return None


def _flat_key(node: ast.expr) -> object:
    """A key of an operation on names and constants (``x * x``, ``np.cos(x)``, ``-x``,
    ``x[i]``), equal for equal operations; None for anything else."""
    if isinstance(node, ast.BinOp):
        left, right = _leaf_key(node.left), _leaf_key(node.right)
        return None if left is None or right is None else (type(node.op), left, right)
    if isinstance(node, ast.UnaryOp):
        operand = _leaf_key(node.operand)
        return None if operand is None else (type(node.op), operand)
    if isinstance(node, ast.Call) and not node.keywords:
        keys = [_leaf_key(a) for a in [node.func, *node.args]]
        return None if None in keys else ("call", *keys)
    if isinstance(node, ast.Subscript):
        value, index = _leaf_key(node.value), _leaf_key(node.slice)
        return None if value is None or index is None else ("item", value, index)
    return None


class _Reuse(ast.NodeTransformer):
    """Operations equal to a value of the forward sweep become its name (``values`` maps
    their :func:`_flat_key` to the name)."""

    def __init__(self, values: dict[object, str]) -> None:
        self.values = values

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Subscript)):
            name = self.values.get(_flat_key(node))
            if name is not None:
                return ast.Name(name, ast.Load())
        return super().generic_visit(node)


def reuse_forward_values(func: ast.FunctionDef) -> None:
    """Read a value of the forward sweep where derivative code would compute it again
    (``np.cos(x)`` where ``cos_x = np.cos(x)`` was computed): for pure statements of the
    function's body (not of its loops or branches) binding a name once, from names no
    statement binds again or changes in place."""
    params = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
    bound: Counter[str] = Counter(params)
    changed: set[str] = set()
    for stmt in _statements(func.body):
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, (ast.AugAssign, ast.For)):
            targets = [stmt.target]
            if isinstance(stmt, ast.AugAssign):
                changed |= _names(stmt.target)
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    bound[node.id] += 1
                elif isinstance(node, (ast.Subscript, ast.Attribute)):
                    changed |= _names(node.value)
        value = getattr(stmt, "value", None)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr in _MUTATING_METHODS:  # items.append(v), items.pop()
            changed |= _names(value.func.value)
    values: dict[object, str] = {}
    known: set[str] = set()  # the names some value reads: a statement reading none of them
    for stmt in func.body:  # cannot compute one of them again
        if values and not known.isdisjoint(_names(stmt)):
            reused = _Reuse(values)
            for inner in _statements([stmt]):
                if isinstance(inner, (ast.Assign, ast.AugAssign, ast.Return)) \
                        and not getattr(inner, "srcdiff_primal", False) \
                        and inner.value is not None:
                    inner.value = reused.visit(inner.value)
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name) \
                and getattr(stmt, "srcdiff_pure", False) \
                and (key := _flat_key(stmt.value)) is not None:
            target = stmt.targets[0].id
            reads = _reads(stmt.value)
            if bound[target] == 1 and target not in changed and all(
                    bound[n] <= 1 and n not in changed for n in reads):
                values.setdefault(key, target)
                known |= reads


def optimize(func: ast.FunctionDef, runtime_names: Mapping[str, str]) -> ast.FunctionDef:
    """Apply every rewrite of this pass to a derivative function (in place) and return it."""
    helpers = {alias: HELPERS[name] for name, alias in runtime_names.items() if name in HELPERS}
    for stmt in func.body:
        _TrimCalls(helpers).visit(products(simplify(stmt)))
    params = {a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
    func.body = substitute_adjoint_copies(propagate_adjoint_copies(func.body, params))
    reuse_forward_values(func)
    func.body = eliminate_dead_code(func.body)
    accumulate_in_place(func, runtime_names)
    return func
