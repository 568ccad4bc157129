"""Checkpointed loops: recompute instead of store (``srcdiff.grad(f, checkpoint=True)``).

Without checkpointing, the forward sweep of a loop pushes, every iteration, the values its
adjoint will read (see :mod:`srcdiff.saves`): memory grows with the number of iterations.
With it, each outermost loop whose adjoint needs saved values is cut into *segments* of
``segment`` consecutive iterations (about the square root of their number, or the number
the user gave):

* the forward sweep runs the loop as written and saves nothing per iteration; at the start of
  every segment it keeps a *checkpoint*: the state the loop carries from one iteration to the
  next (the variables it rebinds, a copy of each array it writes into, the length of each
  list it appends to);
* the backward sweep takes the segments newest first: it puts the state back from the
  segment's checkpoint, runs the segment's iterations again, pushing onto the loop's usual
  stack what their adjoints read, then runs the usual backward sweep of that stack.

A loop of ``n`` iterations then holds about ``2 sqrt(n)`` iterations' worth of values at once
(the checkpoints plus one segment's stack) instead of ``n``, for one more forward run of the
loop body. Inner loops run inside their segment as usual, with their own stacks. ``for``
loops know ``n`` before they start; a ``while`` loop (and a ``for`` loop with ``break``, which
the canonicalize pass makes a counted ``while``) does not, so it starts with segments of one
iteration and, whenever it holds more than twice as many checkpoints as a segment has
iterations, keeps every other checkpoint and doubles the segment (still O(sqrt(n)) of each).

The same gradient comes out: the recomputed iterations compute the same values, bit for bit,
as long as the loop body is deterministic (a random draw inside a checkpointed loop is
refused, since running the segment again would draw other numbers).

This module builds the emitted code; :mod:`srcdiff.reverse` decides which loops to
checkpoint and hands it the pieces (the loop body of the forward sweep, the stack's backward
sweep).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from srcdiff.errors import Problem
from srcdiff.ir import Loop, assignments, walk

#: What ``checkpoint=True`` means: segments of about the square root of the iterations.
SQRT = "sqrt"


@dataclass
class Plan:
    """How one loop is checkpointed: the names the emitted code uses and the state kept.

    ``segment`` is :data:`SQRT` or a fixed number of iterations per segment. ``carried`` are
    the variables the loop rebinds (kept by reference), ``arrays`` the arrays it writes into
    (kept as copies, put back in place), ``lists`` the lists it appends to (their length is
    kept; the backward sweep drops what came after it).
    """

    loop: Loop
    segment: int | str
    label: str
    stack: str
    checkpoints: str
    start: str
    size: str
    span: str | None = None       # ``t_range``: the range a ``for`` loop iterates
    count: str | None = None      # ``while_count``: iterations of a ``while`` loop so far
    end: str | None = None        # ``while_end``: where the segment being swept ends
    again: str | None = None      # the counter of a ``while`` loop's segment run again
    carried: list[str] = field(default_factory=list)
    arrays: dict[str, str] = field(default_factory=dict)   # array -> name of its copy
    lists: dict[str, str] = field(default_factory=dict)    # list -> name of its length
    # the emitted backward sweep: ``while t_checkpoints:``, its restore, its ``while t_stack:``
    backward: ast.While | None = None
    restore: ast.Assign | None = None
    sweep: ast.While | None = None


def _name(id_: str, store: bool = False) -> ast.Name:
    return ast.Name(id_, ast.Store() if store else ast.Load())


def _assign(target: str | ast.expr, value: ast.expr) -> ast.Assign:
    """An assignment the optimize pass keeps (``srcdiff_pure`` false: it is part of the
    checkpoint bookkeeping, whose reads the dead-code pass cannot see all of)."""
    node = _name(target, store=True) if isinstance(target, str) else target
    stmt = ast.Assign([node], value)
    stmt.srcdiff_pure = False  # type: ignore[attr-defined]
    stmt.srcdiff_primal = True  # type: ignore[attr-defined]
    return stmt


def _call(func: ast.expr, *args: ast.expr) -> ast.Call:
    return ast.Call(func, list(args), [])


def _method(obj: str, method: str, *args: ast.expr) -> ast.Call:
    return _call(ast.Attribute(_name(obj), method, ast.Load()), *args)


def _statement(call: ast.Call) -> ast.Expr:
    return ast.Expr(call)


def _tuple(names: list[ast.expr], store: bool = False) -> ast.expr:
    if len(names) == 1:
        return names[0]
    return ast.Tuple(names, ast.Store() if store else ast.Load())


# ------------------------------------------------------------------------------------------
# Which loops, which state


def loop_state(loop: Loop) -> tuple[list[str], list[str], list[str]]:
    """(carried variables, arrays written into, lists appended to) of ``loop``: the values
    bound before the loop that its iterations change. Carried variables are those a copy of
    the loop (or of a loop inside it) rebinds; the body's own intermediate values are not
    state, the next iteration computes them afresh. A variable may be in two of them (an
    array the loop writes into and then rebinds): its checkpoint keeps both the reference
    and a copy of the contents, restored in that order."""
    fresh: set[str] = set()
    copies: set[int] = set()
    rebound: list[str] = []
    for inner in [loop, *[s for s in walk(loop.body) if isinstance(s, Loop)]]:
        for c in inner.copies:
            copies.add(id(c))
            if c.target not in rebound:
                rebound.append(c.target)
        if inner is not loop and inner.target is not None:
            fresh.add(inner.target)
    in_place: dict[str, list[str]] = {"setitem": [], "append": []}
    for stmt in assignments(loop.body):
        if id(stmt) in copies:
            continue
        if stmt.op.kind in in_place:
            if stmt.target not in in_place[stmt.op.kind]:
                in_place[stmt.op.kind].append(stmt.target)
        else:
            fresh.add(stmt.target)
    skip = fresh | ({loop.target} if loop.target else set())
    carried = sorted(n for n in rebound if n not in skip)
    arrays = sorted(n for n in in_place["setitem"] if n not in fresh)
    lists = sorted(n for n in in_place["append"] if n not in fresh)
    return carried, arrays, lists


#: Methods of ``np.random.Generator`` (and the legacy module functions): random draws.
_RANDOM = ("random", "normal", "uniform", "standard_normal", "integers", "choice",
           "permutation", "shuffle", "rand", "randn", "randint", "binomial", "poisson",
           "exponential", "gamma", "beta")


def problems(loop: Loop) -> list[Problem]:
    """What stops ``loop`` from being checkpointed, each located in the user's source."""
    found: list[Problem] = []
    for stmt in assignments(loop.body):
        what = stmt.op.what
        if "random" in what.split("(")[0] or any(
                what == f"method .{m}()" for m in _RANDOM):
            o = stmt.op.origin or stmt.origin
            found.append(Problem(
                o.filename, o.line, o.column,
                f"a random draw ({what}) inside a checkpointed loop: running a segment "
                "again would draw other numbers",
                "draw the numbers before the loop (e.g. noise = rng.standard_normal((n, "
                "...))) and index them inside it, or differentiate without checkpoint=",
                o.source_line))
    return found


def plan(loop: Loop, segment: int | str, stack: str, label: str, fresh) -> Plan:  # noqa: ANN001
    """The names and state of a checkpointed loop; ``fresh`` makes collision-free names."""
    carried, arrays, lists = loop_state(loop)
    p = Plan(loop, segment, label, stack, fresh(f"{label}_checkpoints"),
             fresh(f"{label}_start"), fresh(f"{label}_segment"))
    if loop.kind == "for":
        p.span = fresh(f"{label}_range")
    else:
        p.count = fresh(f"{label}_count")
        p.end = fresh(f"{label}_end")
        p.again = fresh(f"{label}_again")
    p.carried = carried
    p.arrays = {a: fresh(f"{a}_at_start") for a in arrays}
    p.lists = {name: fresh(f"{name}_length") for name in lists}
    return p


# ------------------------------------------------------------------------------------------
# The emitted code


def _describe(p: Plan) -> str:
    parts = []
    if p.carried:
        parts.append(", ".join(p.carried))
    if p.arrays:
        parts.append("a copy of " + ", ".join(p.arrays))
    if p.lists:
        parts.append("the length of " + ", ".join(p.lists))
    return "; ".join(parts) or "nothing: no iteration changes what the next one reads"


def _size_text(p: Plan) -> str:
    if p.segment != SQRT:
        return f"{p.segment}, as asked"
    if p.loop.kind == "for":
        return "about the square root of their number"
    return "1 at first, doubled as they grow: about the square root of their number"


def _iterations(header: ast.expr) -> ast.expr:
    """A header the segments can slice: ``reversed(range(...))`` becomes
    ``range(...)[::-1]`` (a range too)."""
    if isinstance(header, ast.Call) and isinstance(header.func, ast.Name) \
            and header.func.id == "reversed" and len(header.args) == 1:
        whole = ast.Slice(None, None, ast.UnaryOp(ast.USub(), ast.Constant(1)))
        return ast.Subscript(_iterations(header.args[0]), whole, ast.Load())
    return header


def _checkpoint_value(p: Plan, np_name: ast.expr, first: ast.expr) -> ast.expr:
    """``(t_start, h, np.copy(out), len(items))``: what a checkpoint keeps."""
    values: list[ast.expr] = [first]
    values += [_name(n) for n in p.carried]
    values += [_call(ast.Attribute(np_name, "copy", ast.Load()), _name(a)) for a in p.arrays]
    values += [_call(_name("len"), _name(n)) for n in p.lists]
    return _tuple(values)


def _restore(p: Plan) -> list[ast.stmt]:
    """``t_start, h, out_at_start, items_length = t_checkpoints.pop()``, then the arrays
    and lists put back as they were at the start of the segment."""
    targets = [_name(p.start, store=True)] + [_name(n, store=True) for n in p.carried]
    targets += [_name(c, store=True) for c in p.arrays.values()]
    targets += [_name(n, store=True) for n in p.lists.values()]
    code: list[ast.stmt] = [_assign(_tuple(targets, store=True),
                                    _method(p.checkpoints, "pop"))]
    for array, copy in p.arrays.items():
        everything = ast.Subscript(_name(array), ast.Constant(Ellipsis), ast.Store())
        code.append(_assign(everything, _name(copy)))
    for items, length in p.lists.items():
        tail = ast.Subscript(_name(items), ast.Slice(_name(length), None, None), ast.Del())
        code.append(ast.Delete([tail]))
    return code


def forward_sweep(p: Plan, body: list[ast.stmt], comment,  # noqa: ANN001
                  np_name: ast.expr) -> list[ast.stmt]:
    """The loop as written, saving only a checkpoint at the start of every segment.

    ``body`` is one iteration of the forward sweep (the copies of the carried variables at
    its end), without the per-iteration save; ``comment`` makes a comment statement.
    """
    loop = p.loop
    note = [comment(f"{loop.origin.comment().rstrip(':')}, checkpointed: nothing saved per "
                    f"iteration, only the state the loop carries ({_describe(p)}) at the start "
                    f"of every segment of {p.size} iterations ({_size_text(p)})")]
    if loop.kind == "for":
        assert loop.iter is not None and loop.target is not None and p.span is not None
        root = ast.BinOp(_call(_name("len"), _name(p.span)), ast.Pow(), ast.Constant(0.5))
        size: ast.expr = (_call(_name("max"), ast.Constant(1), _call(_name("int"), root))
                          if p.segment == SQRT else ast.Constant(p.segment))
        segment = ast.Subscript(_name(p.span), ast.Slice(
            _name(p.start), ast.BinOp(_name(p.start), ast.Add(), _name(p.size)), None),
            ast.Load())
        inner = ast.For(_name(loop.target, store=True), segment, body or [ast.Pass()], [])
        keep = _statement(_method(p.checkpoints, "append",
                                  _checkpoint_value(p, np_name, _name(p.start))))
        keep.srcdiff_checkpoint = p  # type: ignore[attr-defined]
        starts = _call(_name("range"), ast.Constant(0), _call(_name("len"), _name(p.span)),
                       _name(p.size))
        return note + [
            _assign(p.span, _iterations(loop.iter)),
            _assign(p.size, size),
            _assign(p.checkpoints, ast.List([], ast.Load())),
            _assign(p.stack, ast.List([], ast.Load())),
            ast.For(_name(p.start, store=True), starts, [keep, inner], []),
        ]
    assert loop.test is not None and p.count is not None
    keep = [_statement(_method(p.checkpoints, "append",
                               _checkpoint_value(p, np_name, _name(p.count))))]
    keep[0].srcdiff_checkpoint = p  # type: ignore[attr-defined]
    if p.segment == SQRT:  # the number of iterations is unknown: thin out as it grows
        crowded = ast.Compare(_call(_name("len"), _name(p.checkpoints)), [ast.Gt()],
                              [ast.BinOp(ast.Constant(2), ast.Mult(), _name(p.size))])
        every_other = ast.Subscript(_name(p.checkpoints), ast.Slice(
            None, None, ast.Constant(2)), ast.Load())
        keep.append(ast.If(crowded, [
            comment("too many checkpoints for segments this short: keep every other one, "
                    "segments twice as long"),
            _assign(p.checkpoints, every_other),
            _assign(p.size, ast.BinOp(ast.Constant(2), ast.Mult(), _name(p.size)))], []))
    at_start = ast.Compare(ast.BinOp(_name(p.count), ast.Mod(), _name(p.size)), [ast.Eq()],
                           [ast.Constant(0)])
    step = _assign(p.count, ast.BinOp(_name(p.count), ast.Add(), ast.Constant(1)))
    return note + [
        _assign(p.count, ast.Constant(0)),
        _assign(p.size, ast.Constant(1 if p.segment == SQRT else p.segment)),
        _assign(p.checkpoints, ast.List([], ast.Load())),
        _assign(p.stack, ast.List([], ast.Load())),
        ast.While(loop.test, [ast.If(at_start, keep, [])] + body + [step], []),
        _assign(p.end, _name(p.count)),
    ]


def backward_sweep(p: Plan, recompute: list[ast.stmt], sweep: ast.While,
                   comment) -> list[ast.stmt]:  # noqa: ANN001
    """One segment at a time, newest first: the state back from its checkpoint, its
    iterations run again (``recompute``: one iteration of the forward sweep, with its save
    onto the stack), then ``sweep`` (the usual ``while stack:`` backward sweep)."""
    loop = p.loop
    restore = [comment(f"the last segment not yet swept: its state back from its checkpoint, "
                       f"its iterations run again (saving onto {p.stack}), then their "
                       "adjoints")] + _restore(p)
    p.restore = restore[1]  # type: ignore[assignment]
    p.sweep = sweep
    if loop.kind == "for":
        assert p.span is not None and loop.target is not None
        segment = ast.Subscript(_name(p.span), ast.Slice(
            _name(p.start), ast.BinOp(_name(p.start), ast.Add(), _name(p.size)), None),
            ast.Load())
        again = ast.For(_name(loop.target, store=True), segment, recompute or [ast.Pass()], [])
        p.backward = ast.While(_name(p.checkpoints), restore + [again, sweep], [])
        return [p.backward]
    assert p.count is not None and p.end is not None and p.again is not None
    iterations = _call(_name("range"), ast.BinOp(_name(p.end), ast.Sub(), _name(p.start)))
    again = ast.For(_name(p.again, store=True), iterations,
                    recompute or [ast.Pass()], [])
    body = restore + [again, sweep, _assign(p.end, _name(p.start))]
    p.backward = ast.While(_name(p.checkpoints), body, [])
    return [p.backward]


# ------------------------------------------------------------------------------------------
# After the saves pass


def _loads(nodes: list[ast.stmt]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stores(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Store)}


def _reads_after(body: list[ast.stmt], target: ast.stmt) -> set[str] | None:
    """The names read after ``target`` runs (None when ``body`` does not hold it): by the
    statements after it, and by the loops around it, which run again."""
    for index, stmt in enumerate(body):
        if stmt is target:
            return _loads(body[index + 1:])
        for block in (getattr(stmt, "body", None), getattr(stmt, "orelse", None)):
            if not isinstance(block, list):
                continue
            found = _reads_after(block, target)
            if found is not None:
                found |= _loads(body[index + 1:])
                if isinstance(stmt, (ast.For, ast.While)):
                    found |= _loads([stmt])
                return found
    return None


def finish(func: ast.FunctionDef, plans: list[Plan]) -> None:
    """After the saves pass (in place): a checkpointed loop whose stack does not put back a
    carried variable that code after its backward sweep reads (an earlier loop running its
    segments again, say) takes the checkpoint off at the end of each segment instead of at
    the start, restoring the state the segment started from."""
    for p in plans:
        if p.backward is None or p.restore is None or p.sweep is None:
            continue
        after = _reads_after(func.body, p.backward)
        if not after:
            continue
        restored: set[str] = set()
        for stmt in p.sweep.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) \
                    and isinstance(stmt.value.func, ast.Attribute) \
                    and stmt.value.func.attr == "pop":
                restored |= _stores(stmt)
                break
        missing = [n for n in p.carried if n in after and n not in restored]
        if not missing:
            continue
        p.restore.value = ast.Subscript(_name(p.checkpoints),
                                        ast.UnaryOp(ast.USub(), ast.Constant(1)), ast.Load())
        from srcdiff.reverse import comment

        again = _assign(p.restore.targets[0], _method(p.checkpoints, "pop"))
        p.backward.body += [
            comment(f"swept: its checkpoint off, {', '.join(missing)} put back as the segment "
                    f"found {'it' if len(missing) == 1 else 'them'}, for the code before the "
                    "loop"), again]
