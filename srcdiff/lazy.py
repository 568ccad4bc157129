"""Shaped adjoints: which contributions of the backward sweep need their shapes spelled out.

The reverse pass builds each adjoint contribution from a rule's template; these rewrites use
what the normal form tells about shapes (:func:`srcdiff.analyze.shapes`) to leave shapes to
broadcasting wherever that is exact:

* **no sum back between equal shapes**: ``unbroadcast(g, x)`` is ``g`` when ``x`` has the
  shape of the statement's result (its other operands are numbers, scalars or values of
  ``x``'s shape);
* **lazy adjoints**: the adjoint of a full reduction, ``repeat_to_shape(g, a)``, is ``g``
  itself, one number standing for the whole adjoint of ``a`` (every element of which it
  is). Such a *lazy* adjoint flows on through elementwise statements, where broadcasting
  against the next operand spreads it; where a shape is needed (a matrix product, an index,
  a call, the gradient returned) it is materialized, ``repeat_to_shape(g, a)``; where the
  next statement broadcast two arrays, the sum back counts the copies,
  ``unbroadcast_uniform(g, x, other)``. An adjoint is lazy on every path or on none: one
  that a branch leaves lazy and the other whole is materialized at the end of the first;
  the adjoints a loop reads or adds to are materialized before it (none is lazy inside a
  loop: every iteration sees whole arrays, and so does the code after it);
* **shapes from witnesses**: a value read only for its shape (``like`` of ``unbroadcast``
  and ``repeat_to_shape``, ``np.size``) is replaced by the earliest value that always has
  the same shape, often a parameter, so that a forward value computed only for its shape
  becomes dead code and is dropped.

A contribution that may be lazy carries the attribute ``srcdiff_lazy``; the reverse pass
keeps the set of adjoints that may be lazy (:attr:`Shaping.lazy`).
"""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from srcdiff.analyze import Shapes, _shape_operands, shapes
from srcdiff.ir import Assign, Loop, assignments, atom_names, walk
from srcdiff.trees import clone

if TYPE_CHECKING:
    from srcdiff.reverse import _Reverse

#: NumPy functions that keep the shape of their argument (a lazy adjoint times one of them
#: has that argument's shape).
_ELEMENTWISE = frozenset({
    "cos", "sin", "tan", "exp", "log", "log1p", "expm1", "sqrt", "sign", "tanh", "cosh",
    "sinh", "abs", "absolute", "square", "reciprocal", "exp2", "log2", "log10",
})
#: Helpers whose result has (at least) the shape of their first argument.
_SHAPED_LIKE_FIRST = frozenset({"tie_weights", "nan_tie_weights", "xlogy"})
#: Helpers and NumPy functions that read an argument only for its shape, by position(s).
_SHAPE_READERS = {"unbroadcast": (1,), "unbroadcast_uniform": (1, 2), "repeat_to_shape": (1,),
                  "reduced_size": (0,), "sum_to": (1,)}
_NUMPY_SHAPE_READERS = {"size": (0,), "shape": (0,), "ndim": (0,)}


def _is_call(node: ast.AST, alias: str | None) -> bool:
    return alias is not None and isinstance(node, ast.Call) \
        and isinstance(node.func, ast.Name) and node.func.id == alias


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


class _Replace(ast.NodeTransformer):
    def __init__(self, name: str, value: ast.expr) -> None:
        self.name, self.value = name, value

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id == self.name and isinstance(node.ctx, ast.Load):
            return clone(self.value)
        return node


def replace(node: ast.AST, name: str, value: ast.expr) -> ast.AST:
    """``node`` with every read of ``name`` replaced by a copy of ``value``."""
    return _Replace(name, value).visit(node)


def is_lazy(value: ast.expr) -> bool:
    """Whether a contribution may hold less than its primal's shape (see the module doc)."""
    return getattr(value, "srcdiff_lazy", False)


class Shaping:
    """The rewrites of this module for one reverse pass ``rev`` (its runtime names, its
    adjoints); ``lazy`` is the set of adjoints that may be lazy at the point being built."""

    def __init__(self, rev: _Reverse) -> None:
        self.rev = rev
        self.shapes: Shapes = shapes(rev.fn)
        self.enabled = not rev.request.batched
        self.lazy: set[str] = set()
        self.in_loops = {id(s) for loop in walk(rev.fn.body) if isinstance(loop, Loop)
                         for s in assignments(loop.body + list(loop.copies))}

    def alias(self, name: str) -> str | None:
        return self.rev.runtime_names.get(name)

    # ------------------------------------------------------------------------------------
    def rewrite(self, stmt: Assign, contributions: list[tuple[str, ast.expr]]
                ) -> list[tuple[str, ast.expr]]:
        """The contributions of ``stmt`` (and the statements pending before them), shaped."""
        if not self.enabled:
            return contributions
        dy = self.rev.adjoint(stmt.target)
        lazy_dy = dy in self.lazy
        operands = _shape_operands(stmt)
        reduced: list[tuple[ast.expr, bool] | None] = [None] * len(contributions)
        if stmt.op.kind == "rule" and operands is None and id(stmt) not in self.in_loops:
            reduced = [None if name in self.rev.tuple_names
                       else self._unreduced(stmt, value, name, dy, lazy_dy)
                       for name, value in contributions]
        if lazy_dy and stmt.op.kind != "copy" and operands is None \
                and not all(r is not None for r in reduced):
            contributions = self._materialize_dy(stmt, contributions, dy)
            reduced = [None] * len(contributions)
            lazy_dy = False
        out = []
        for (name, value), unreduced in zip(contributions, reduced, strict=True):
            lazy = False
            if stmt.op.kind == "copy":
                lazy = lazy_dy
            elif operands is not None:
                value, lazy = self._elementwise(stmt, name, value, operands, dy, lazy_dy)
            elif unreduced is not None:
                value, lazy = unreduced
            value = self.witnessed(value)
            if lazy and name not in self.shapes.scalars:
                value.srcdiff_lazy = True  # type: ignore[attr-defined]
            out.append((name, value))
        return out

    def _materialize_dy(self, stmt: Assign, contributions: list[tuple[str, ast.expr]],
                        dy: str) -> list[tuple[str, ast.expr]]:
        """Contributions reading ``dy`` as a whole array: inline when one reads it once, else
        once, before them (``dy = repeat_to_shape(dy, y)``)."""
        reads = sum(1 for node in [*self.rev.pending, *(v for _, v in contributions)]
                    for n in ast.walk(node) if _is_name(n, dy))
        full = self.materialized(dy, stmt.target)
        if reads > 1:
            from srcdiff.reverse import _assign

            first = _assign(dy, full)
            first.srcdiff_adjoint = True  # type: ignore[attr-defined]
            self.rev.pending.insert(0, first)
            self.lazy.discard(dy)
            return contributions
        self.rev.pending = [replace(s, dy, full) for s in self.rev.pending]
        return [(name, replace(value, dy, full)) for name, value in contributions]

    def materialized(self, adjoint: str, primal: str) -> ast.expr:
        """``repeat_to_shape(adjoint, primal)``: a lazy adjoint as a whole array."""
        return ast.Call(self.rev.runtime("repeat_to_shape"),
                        [ast.Name(adjoint, ast.Load()),
                         ast.Name(self.shapes.witness(primal), ast.Load())], [])

    def _elementwise(self, stmt: Assign, name: str, value: ast.expr,
                     operands: list[ast.expr], dy: str, lazy_dy: bool
                     ) -> tuple[ast.expr, bool]:
        """One contribution of an elementwise statement to its operand ``name``: (value,
        whether it is lazy)."""
        shapes = self.shapes
        others = [a.id for a in operands if isinstance(a, ast.Name) and a.id != name]
        arrays: list[str] = []
        for other in others:  # the operands that may make the result larger than `name`
            if other not in shapes.scalars and not shapes.same(other, name) \
                    and not any(shapes.same(other, a) for a in arrays):
                arrays.append(other)
        unbroadcast = self.alias("unbroadcast")
        call = value if _is_call(value, unbroadcast) and len(value.args) == 2 \
            and _is_name(value.args[1], name) else None
        if call is not None and not arrays:  # the result has the shape of `name`
            value, call = call.args[0], None
        result = stmt.target
        if lazy_dy:
            if call is None and not arrays:
                if self._covers(value, name) or self._covers(value, result):
                    return value, False
                if self._one_number(value, dy):
                    return value, True
                value = replace(value, dy, self.materialized(dy, result))  # shape unknown
            elif call is not None and not all(self._covers(call.args[0], a)
                                              or self._covers(call.args[0], result)
                                              for a in arrays):
                # (an operand that covers every other has the result's shape: the sum back
                # is exact) a number for every element of the result: count the copies
                if len(arrays) == 1 and self._one_number(call.args[0], dy):
                    if name in shapes.scalars:  # copies of one number: the other's size
                        return self._times_size(call.args[0], arrays[0]), False
                    return ast.Call(self.rev.runtime("unbroadcast_uniform"),
                                    [call.args[0], ast.Name(name, ast.Load()),
                                     ast.Name(arrays[0], ast.Load())], []), True
                value = replace(value, dy, self.materialized(dy, result))
                call = value if _is_call(value, unbroadcast) else None
            elif call is None:
                value = replace(value, dy, self.materialized(dy, result))
        if call is not None and name in shapes.scalars and len(call.args) == 2:
            # the sum back to one number is the sum (of the broadcast adjoint)
            value = ast.Call(self.rev.runtime("sum_to_number"), [call.args[0]], [])
        return value, False

    def _times_size(self, value: ast.expr, other: str) -> ast.expr:
        """``value * np.size(other)``."""
        numpy = self.rev.runtime("np")
        size = ast.Call(ast.Attribute(numpy, "size", ast.Load()), [ast.Name(other, ast.Load())],
                        [])
        return ast.BinOp(value, ast.Mult(), size)

    def _covers(self, value: ast.expr, name: str) -> bool:
        """Whether ``value`` certainly has at least the shape of ``name``: an elementwise
        operand of it has that shape."""
        shapes = self.shapes
        numpy = self.alias("np") or "np"
        shaped = {a for n in _SHAPED_LIKE_FIRST if (a := self.alias(n)) is not None}

        def full(node: ast.expr) -> bool:
            if isinstance(node, ast.Name):
                return node.id not in shapes.scalars and shapes.same(node.id, name)
            if isinstance(node, ast.BinOp):
                return full(node.left) or full(node.right)
            if isinstance(node, ast.UnaryOp):
                return full(node.operand)
            if isinstance(node, ast.Compare):
                return any(full(n) for n in [node.left, *node.comparators])
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and _is_name(node.func.value, numpy) \
                    and node.func.attr in _ELEMENTWISE and len(node.args) == 1:
                return full(node.args[0])
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in shaped and node.args:
                return full(node.args[0])
            return False

        return name not in shapes.scalars and full(value)

    def _one_number(self, value: ast.expr, dy: str) -> bool:
        """Whether ``value`` is one number: arithmetic of the lazy ``dy``, literals, scalars
        and sizes (``np.size(a)``)."""
        numpy = self.alias("np") or "np"
        sizes = self.alias("reduced_size")
        if isinstance(value, ast.Constant):
            return True
        if isinstance(value, ast.Name):
            return value.id == dy or value.id in self.shapes.scalars
        if isinstance(value, ast.BinOp):
            return self._one_number(value.left, dy) and self._one_number(value.right, dy)
        if isinstance(value, ast.UnaryOp):
            return self._one_number(value.operand, dy)
        if isinstance(value, ast.Call):
            func = value.func
            return (isinstance(func, ast.Attribute) and _is_name(func.value, numpy)
                    and func.attr in ("size", "ndim")) or _is_call(value, sizes)
        return False

    def _unreduced(self, stmt: Assign, value: ast.expr, name: str, dy: str, lazy_dy: bool
                   ) -> tuple[ast.expr, bool] | None:
        """The adjoint of a reduction: ``repeat_to_shape(dy, name, ...)`` (alone, or times or
        over something) is ``dy`` itself when ``dy`` is one number: the reduction's result is
        one number, or ``dy`` is lazy (the same number for every element of the result, so
        for every element of ``name``); or when what it multiplies has the whole shape
        anyway. Returns the value and whether it is lazy; None when it is not such a value."""
        repeat = self.alias("repeat_to_shape")
        number = stmt.target in self.shapes.scalars or lazy_dy

        def spread(node: ast.expr) -> ast.expr | None:
            if _is_call(node, repeat) and not node.keywords and _is_name(node.args[0], dy) \
                    and isinstance(node.args[1], ast.Name) \
                    and self.shapes.same(node.args[1].id, name) \
                    and (len(node.args) == 2 or number):
                return node.args[0]
            return None

        candidate = clone(value)
        if (inner := spread(candidate)) is not None:
            candidate = inner
        elif isinstance(candidate, ast.BinOp) and isinstance(candidate.op, (ast.Mult, ast.Div)) \
                and (inner := spread(candidate.left)) is not None:
            candidate.left = inner
        elif isinstance(candidate, ast.BinOp) and isinstance(candidate.op, ast.Mult) \
                and (inner := spread(candidate.right)) is not None:
            candidate.right = inner
        else:
            return None
        if self._covers(candidate, name):
            return candidate, False
        if number and self._one_number(candidate, dy):
            return candidate, True
        return None if lazy_dy else (value, False)

    def witnessed(self, value: ast.expr) -> ast.expr:
        """``value`` with every argument read only for its shape replaced by its witness."""
        readers = {alias: positions for name, positions in _SHAPE_READERS.items()
                   if (alias := self.alias(name)) is not None}
        numpy = self.alias("np")
        for call in ast.walk(value):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            positions: tuple[int, ...] = ()
            if isinstance(func, ast.Name) and func.id in readers:
                positions = readers[func.id]
            elif isinstance(func, ast.Attribute) and numpy is not None \
                    and _is_name(func.value, numpy) and func.attr in _NUMPY_SHAPE_READERS:
                positions = _NUMPY_SHAPE_READERS[func.attr]
            for position in positions:
                if position < len(call.args) and isinstance(call.args[position], ast.Name):
                    call.args[position] = ast.Name(
                        self.shapes.witness(call.args[position].id), ast.Load())
        return value

    # ------------------------------------------------------------------------------------
    def accumulated(self, adjoint: str, defined: bool, value: ast.expr) -> None:
        """Record that ``adjoint`` was given (``defined``: was added) ``value``."""
        lazy = is_lazy(value) and (not defined or adjoint in self.lazy)
        if lazy:
            self.lazy.add(adjoint)
        else:
            self.lazy.discard(adjoint)

    def full(self, adjoint: str, primal: str) -> ast.expr:
        """The adjoint as an expression of its primal's whole shape (where one is needed)."""
        if adjoint in self.lazy:
            return self.materialized(adjoint, primal)
        return ast.Name(adjoint, ast.Load())

    def materialize(self, names: list[str]) -> list[ast.stmt]:
        """``dv = repeat_to_shape(dv, v)`` for each of ``names`` whose adjoint may be lazy (a
        loop's carried variables, before the loop; an array before a write into it)."""
        from srcdiff.reverse import _assign

        code: list[ast.stmt] = []
        for name in names:
            adjoint = self.rev.adjoints.get(name)
            if adjoint is not None and adjoint in self.lazy and adjoint in self.rev.defined:
                stmt = _assign(adjoint, self.materialized(adjoint, name))
                stmt.srcdiff_adjoint = True  # type: ignore[attr-defined]
                code.append(stmt)
                self.lazy.discard(adjoint)
        return code

    def before_loop(self, loop: Loop) -> list[ast.stmt]:
        """The adjoints a loop reads or adds to, materialized: its iterations see whole
        arrays, and whether it runs or not, they are arrays after it."""
        read = {c.target for c in loop.copies}
        for stmt in assignments(loop.body + list(loop.copies)):
            for atom in stmt.op.args.values():
                read |= atom_names(atom)
        return self.materialize(sorted(read))

    def merge(self, body: list[ast.stmt], orelse: list[ast.stmt], lazy_body: set[str],
              defined_body: set[str]) -> None:
        """After the branches of an ``if`` (``self.lazy`` and the adjoints defined as
        ``orelse`` leaves them): an adjoint one branch leaves lazy and the other whole is
        materialized at the end of the first, so that after the ``if`` it is one or the
        other whichever branch ran."""
        from srcdiff.reverse import _assign

        lazy_else, defined_else = self.lazy, self.rev.defined
        for code, mine, other, defined in ((body, lazy_body, lazy_else, defined_body),
                                           (orelse, lazy_else, lazy_body, defined_else)):
            for adjoint in sorted((mine - other) & defined):
                stmt = _assign(adjoint, self.materialized(adjoint, self.rev.primal[adjoint]))
                stmt.srcdiff_adjoint = True  # type: ignore[attr-defined]
                code.append(stmt)
        self.lazy = lazy_body & lazy_else

    def seed(self, name: str) -> ast.expr:
        """The seed of ``grad``'s backward sweep, the adjoint of its output ``name``: ``1.0``
        when the output is known to be one number, else ``scalar_seed`` checks that it is,
        reading the shape of the earliest value of the output's shape."""
        if self.enabled and name in self.shapes.scalars:
            return ast.Constant(1.0)
        return ast.Call(self.rev.runtime("scalar_seed"),
                        [ast.Name(self.shapes.witness(name), ast.Load())], [])
