"""Analyze pass: activity. Which values need an adjoint?

A value is *varied* when it depends on a differentiated parameter through operations that
carry a derivative, and *useful* when the output depends on it through such operations. Only
values that are both, the *active* ones, get adjoints; everything else is a constant to the
backward sweep, so no adjoint that is always zero is ever written.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from srcdiff.ir import Assign, Loop, NormalFunction, assignments, atom_names, walk


@dataclass(frozen=True)
class Activity:
    """The result of the analysis, as sets of (normal-form) names."""

    varied: frozenset[str]
    useful: frozenset[str]

    @property
    def active(self) -> frozenset[str]:
        return self.varied & self.useful


def flowing_args(stmt: Assign) -> dict[str, ast.expr]:
    """The arguments through which a derivative can flow into ``stmt``'s result.

    Zero-derivative operations (``stop_gradient``, ``np.sign``, comparisons, ``no_grad``
    bodies, statements the fence rejected) have none; a rule's parameters declared
    non-differentiable are left out; an operation *without* a rule keeps all its arguments,
    so activity reaching it is reported as an error by the reverse pass rather than silently
    dropped.
    """
    op = stmt.op
    if stmt.no_grad or op.zero or op.kind == "opaque":
        # An opaque statement was already reported; treating its results as constants keeps
        # one rejected line from cascading into errors on every line that uses them.
        return {}
    if op.kind == "setitem":  # the array and the value written into it; not the index
        return {k: v for k, v in op.args.items() if k != "index"}
    if op.kind == "item":  # an item of a tuple flows from the tuple
        return {"tuple": op.args["tuple"]}
    if op.rule is None:
        return dict(op.args)
    table = op.rule.vjp
    return {p: a for p, a in op.args.items() if p not in table or table[p] is not None}


def activity(fn: NormalFunction, wrt: list[str]) -> Activity:
    """Compute varied and useful names of ``fn`` for the parameters ``wrt``."""
    varied = set(wrt)
    statements = list(assignments(fn.body))  # source order: names are bound before use,
    # except around a loop's back edge, which the passes repeat until nothing changes.
    changed = True
    while changed:
        changed = False
        for stmt in statements:
            if stmt.target in varied:
                continue
            if any(atom_names(arg) & varied for arg in flowing_args(stmt).values()):
                varied.add(stmt.target)
                changed = True
    useful = atom_names(fn.result.value) - fn.globals
    changed = True
    while changed:
        changed = False
        for stmt in reversed(statements):
            if stmt.target in useful:
                for arg in flowing_args(stmt).values():
                    new = atom_names(arg) - fn.globals - useful
                    if new:
                        useful |= new
                        changed = True
    return Activity(frozenset(varied), frozenset(useful))


# ------------------------------------------------------------------------------------------
# Shapes: what the normal form tells about the shapes of values without running it.

#: Reductions whose result is one number when they reduce every axis (``axis=None``) and
#: keep none (``keepdims=False``), by rule name.
FULL_REDUCTIONS = frozenset({
    "np.sum", "np.mean", "np.max", "np.min", "np.prod", "np.nansum", "np.nanmean",
    "np.nanmax", "np.nanmin", "np.ptp", "np.std", "np.var",
})


@dataclass(frozen=True)
class Shapes:
    """Facts about shapes that hold on every run, read off the normal form.

    ``classes`` maps a name to the earliest-bound name that always has the same shape (its
    *witness*): an elementwise operation keeps the shape of its one array operand (the others
    being numbers or scalars), a copy keeps its source's. Only names bound once (parameters
    never rebound, single-assignment temporaries) are in classes, so a witness holds its
    value wherever the name it stands for does. ``scalars`` are names that hold one number
    (shape ``()``) on every binding: literals, full reductions, ``math`` functions, loop
    counters and arithmetic of those; ``integers`` those of them that are integers (indices).
    """

    classes: dict[str, str]
    scalars: frozenset[str]
    integers: frozenset[str]

    def witness(self, name: str) -> str:
        """The earliest-bound name with the shape of ``name`` (``name`` itself if none)."""
        return self.classes.get(name, name)

    def same(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` have the same shape on every run."""
        return a == b or (a in self.classes and self.classes.get(b) == self.classes[a]) \
            or (a in self.scalars and b in self.scalars)


def _shape_operands(stmt: Assign) -> list[ast.expr] | None:
    """The arguments that decide the shape of an elementwise statement's result (they
    broadcast together), or None when the statement is not an elementwise NumPy operation
    (``math`` functions and ``float`` return a number whatever array of one element they get;
    ``np.broadcast_to`` takes the shape as an argument)."""
    op = stmt.op
    if op.kind != "rule" or op.rule is None or not op.rule.pointwise or op.rule.zero:
        return None
    if op.rule.name in ("float", "np.broadcast_to") or op.rule.name.startswith("math.") \
            or op.what.startswith("math.") or op.what == "float":
        return None
    if any(isinstance(a, ast.Tuple) for a in op.args.values()):
        return None
    return [a for a in op.args.values() if not isinstance(a, ast.Constant)]


def _is_full_reduction(stmt: Assign) -> bool:
    op = stmt.op
    if op.kind != "rule" or op.rule is None or op.rule.name not in FULL_REDUCTIONS:
        return False
    axis, keepdims = op.args.get("axis"), op.args.get("keepdims")
    return (isinstance(axis, ast.Constant) and axis.value is None
            and isinstance(keepdims, ast.Constant) and keepdims.value is False)


def _number(atom: ast.expr, ints: bool) -> bool:
    return isinstance(atom, ast.Constant) and not isinstance(atom.value, bool) and (
        isinstance(atom.value, int) if ints else isinstance(atom.value, (int, float)))


#: Operations whose result is an integer whatever their argument: sizes and ranks.
_SIZES = frozenset({"len", ".size", ".ndim", "np.size", "np.ndim"})
#: Operations whose result is a shape, a tuple of integers.
_SHAPE_TUPLES = frozenset({".shape", "np.shape"})


def _scalar_names(fn: NormalFunction, statements: list[Assign], ints: bool) -> set[str]:
    """The names every binding of which is a number (an integer with ``ints``): the greatest
    fixed point, so a loop-carried sum of numbers is a number (by induction on iterations)."""
    counters = {s.target for s in walk(fn.body) if isinstance(s, Loop) and s.kind == "for"
                and s.target is not None}
    candidates = {s.target for s in statements} | counters
    candidates -= set(fn.params)  # an argument may be anything
    tuples = {s.target for s in statements if s.op.what in _SHAPE_TUPLES}
    tuples -= {s.target for s in statements if s.op.what not in _SHAPE_TUPLES}
    changed = True
    while changed:
        changed = False
        for stmt in statements:
            if stmt.target not in candidates:
                continue
            if not _binds_number(stmt, candidates, ints, tuples):
                candidates.discard(stmt.target)
                changed = True
    return candidates


def _binds_number(stmt: Assign, known: set[str], ints: bool, tuples: set[str]) -> bool:
    def number(atom: ast.expr) -> bool:
        return _number(atom, ints) or (isinstance(atom, ast.Name) and atom.id in known)

    op = stmt.op
    if op.kind == "copy":
        return number(op.args["x"])
    if op.what in _SIZES:
        return True
    if op.what == "indexing x[...]" and op.kind == "rule":  # an entry of a shape
        whole, index = op.args.get("a"), op.args.get("index")
        return isinstance(whole, ast.Name) and whole.id in tuples \
            and isinstance(index, ast.Constant) and type(index.value) is int
    if op.kind != "rule" or op.rule is None:
        return False
    if ints:  # integer arithmetic on integers: + - *
        return op.rule.name in ("np.add", "np.subtract", "np.multiply") \
            and all(number(a) for a in op.args.values())
    if _is_full_reduction(stmt) or op.what.startswith("math.") or op.what == "float" \
            or op.rule.name == "sum_to_number":
        return True
    operands = _shape_operands(stmt)
    return operands is not None and all(number(a) for a in operands)


def shapes(fn: NormalFunction) -> Shapes:
    """The shape facts of ``fn`` (see :class:`Shapes`)."""
    statements = list(assignments(fn.body))
    bindings: dict[str, int] = {p: 1 for p in fn.params}
    for stmt in statements:
        bindings[stmt.target] = bindings.get(stmt.target, 0) + 1
    for stmt in walk(fn.body):
        if isinstance(stmt, Loop) and stmt.target is not None:
            bindings[stmt.target] = bindings.get(stmt.target, 0) + 2
    once = {name for name, count in bindings.items() if count == 1}
    order = {name: k for k, name in enumerate(fn.params)}
    for stmt in statements:
        order.setdefault(stmt.target, len(order))
    scalars = _scalar_names(fn, statements, ints=False)
    integers = _scalar_names(fn, statements, ints=True) & scalars
    parent: dict[str, str] = {}

    def find(name: str) -> str:
        while parent.get(name, name) != name:
            name = parent[name]
        return name

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:  # the earlier-bound name stands for the class
            first, second = sorted((ra, rb), key=lambda n: order.get(n, len(order)))
            parent[second] = first
            parent.setdefault(first, first)

    for stmt in statements:
        if stmt.target not in once:
            continue
        if stmt.op.kind == "copy":
            source = stmt.op.args["x"]
            if isinstance(source, ast.Name) and source.id in once:
                union(source.id, stmt.target)
            continue
        operands = _shape_operands(stmt)
        if operands is None:
            continue
        arrays = {a.id for a in operands if isinstance(a, ast.Name) and a.id not in scalars}
        roots = {find(a) for a in arrays}
        if len(roots) == 1 and arrays <= once:
            union(roots.pop(), stmt.target)
    classes = {name: find(name) for name in parent}
    return Shapes(classes, frozenset(scalars), frozenset(integers))
