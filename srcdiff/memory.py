"""``srcdiff.memory``: what the reverse pass saves, measured on given inputs.

Straight-line code saves nothing (every value keeps its own name); loops push, every
iteration, the values their adjoint reads onto a stack (see :mod:`srcdiff.saves`), and a
checkpointed loop keeps its state at the start of every segment instead (see
:mod:`srcdiff.checkpoint`). :func:`memory` runs the derivative once with every push
instrumented and reports, per loop and per source line, what was saved and how many bytes it
holds, then runs it once more, as is, under :mod:`tracemalloc` for the peak memory of one
gradient call.

Two byte counts are kept, because NumPy values share memory:

* **saved**: the bytes of the values as pushed (``value.nbytes`` of each array, 8 for a
  Python float or int), whatever they share; a ``shape_only`` stand-in counts 0;
* **new**: the bytes the stacks keep alive that nothing else would: each underlying buffer
  counted once (a view keeps its whole base alive, so it counts the base), the buffers of the
  arguments not at all (they are the caller's). ``h`` saved as an iteration starts is the
  ``h_2`` the iteration before saved: saved twice, new once.

``held_peak_bytes`` is the most *new* bytes the stacks and checkpoints hold at one time: for a
loop without checkpointing, all of them just before the backward sweep starts; with
checkpointing, the checkpoints plus one segment's stack. The derivatives of the user functions
the function calls save their own values only for the duration of the call: they are not
counted here (they are in the tracemalloc peak).
"""
from __future__ import annotations

import ast
import copy
import gc
import inspect
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

RECORD = "__srcdiff_saved__"


def _size_text(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


@dataclass
class SavedValue:
    """One name a loop saves: where it comes from, what it is, how often and how big."""

    name: str
    line: str                 # ``file.py:line`` of the user's line it belongs to ('' unknown)
    what: str                 # what it is in the user's terms (``the new h``, ``xs[t]``)
    source: str = ""          # the text of that line
    count: int = 0            # how many times it was pushed
    saved_bytes: int = 0      # the bytes pushed (see the module docstring)
    new_bytes: int = 0        # the bytes held that nothing else holds
    shape_only: bool = False  # saved as ``shape_only`` (its shape, no data)
    kinds: set[str] = field(default_factory=set)  # "float64 (32,)", "float", ...

    @property
    def kind(self) -> str:
        if self.shape_only:
            return "shape only"
        if len(self.kinds) == 1:
            return next(iter(self.kinds))
        return "mixed" if self.kinds else ""

    def label(self) -> str:
        return f"{self.name} ({self.what})" if self.what and self.what != self.name \
            else self.name


@dataclass
class LoopMemory:
    """A loop's stack (and, checkpointed, its checkpoints)."""

    line: str                  # ``file.py:line`` of the loop
    source: str                # the loop's line of source
    stack: str                 # the stack's name in the emitted code
    iterations: int = 0        # iterations pushed (a loop inside another: over all its runs)
    values: list[SavedValue] = field(default_factory=list)
    checkpoints: list[SavedValue] = field(default_factory=list)
    checkpoint_count: int = 0  # checkpoints taken
    most_checkpoints: int = 0  # checkpoints held at once, at most

    @property
    def saved_bytes(self) -> int:
        return sum(v.saved_bytes for v in self.values + self.checkpoints)

    @property
    def new_bytes(self) -> int:
        return sum(v.new_bytes for v in self.values + self.checkpoints)

    def by_line(self) -> dict[str, int]:
        """Saved bytes per user line (the checkpoints under the loop's own line)."""
        lines: dict[str, int] = {}
        for v in self.values:
            lines[v.line or self.line] = lines.get(v.line or self.line, 0) + v.saved_bytes
        if self.checkpoints:
            lines[self.line] = lines.get(self.line, 0) + sum(v.saved_bytes
                                                             for v in self.checkpoints)
        return lines


@dataclass
class MemoryReport:
    """What :func:`memory` measured; ``print()`` it for a table."""

    function: str
    wrt: tuple[str, ...]
    checkpoint: int | str | None
    loops: list[LoopMemory]
    saved_bytes: int        # the bytes pushed over the whole call
    held_peak_bytes: int    # the most new bytes the stacks and checkpoints held at once
    peak_bytes: int         # tracemalloc's peak over one gradient call
    baseline_bytes: int     # tracemalloc's peak over one call of the function itself

    @property
    def new_bytes(self) -> int:
        return sum(loop.new_bytes for loop in self.loops)

    def by_line(self) -> dict[str, int]:
        """Saved bytes per user line, over every loop."""
        lines: dict[str, int] = {}
        for loop in self.loops:
            for line, n in loop.by_line().items():
                lines[line] = lines.get(line, 0) + n
        return lines

    def __str__(self) -> str:
        how = {None: "", "sqrt": ", checkpointed"}.get(
            self.checkpoint, f", checkpointed every {self.checkpoint} iterations")
        out = [f"memory of the gradient of {self.function} w.r.t. {', '.join(self.wrt)}{how}, "
               "on the given inputs"]
        if not self.loops:
            out.append("  no loop saves anything: straight-line code keeps every value under "
                       "a name of its own")
        width = max([len(v.label()) for loop in self.loops
                     for v in loop.values + loop.checkpoints] + [20])
        for loop in self.loops:
            out.append(f"  loop {loop.line}: {loop.source.strip()}  ({loop.iterations} "
                       f"iteration{'s' if loop.iterations != 1 else ''} saved on "
                       f"{loop.stack})")
            groups: list[tuple[str, list[SavedValue]]] = []
            if loop.checkpoints:
                groups.append((f"checkpoints: {loop.checkpoint_count} taken, at most "
                               f"{loop.most_checkpoints} held at once", loop.checkpoints))
            for v in sorted(loop.values, key=lambda v: _line_key(v.line)):
                head = f"{v.line or loop.line}: {v.source}" if v.source else \
                    (v.line or loop.line)
                if not groups or groups[-1][0] != head:
                    groups.append((head, []))
                groups[-1][1].append(v)
            for head, rows in groups:
                out.append(f"    {head}  [{_size_text(sum(r.saved_bytes for r in rows))}]")
                for v in rows:
                    new = "" if v.new_bytes == v.saved_bytes else \
                        f"  ({_size_text(v.new_bytes)} new)"
                    out.append(f"      {v.label():<{width}}  {v.count:>6} x {v.kind:<18} "
                               f"{_size_text(v.saved_bytes):>10}{new}")
        out.append(f"  saved in total: {_size_text(self.saved_bytes)} "
                   f"({_size_text(self.new_bytes)} new); at most "
                   f"{_size_text(self.held_peak_bytes)} held at once")
        out.append(f"  peak memory of one gradient call (tracemalloc): "
                   f"{_size_text(self.peak_bytes)}; of one call of {self.function}: "
                   f"{_size_text(self.baseline_bytes)}")
        return "\n".join(out)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython shows the table
        printer.text(str(self))


def _line_key(line: str) -> tuple[str, int]:
    name, _, number = line.rpartition(":")
    return (name, int(number)) if number.isdigit() else (line, 0)


# --------------------------------------------------------------------------------------------
# Sizes


def _owner(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _is_shape_only(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0 and value.size > 1 \
        and not any(value.strides) and _owner(value).size == 1


def _nominal(value: Any) -> int:
    """The bytes of a value as pushed (module docstring: *saved*)."""
    if isinstance(value, np.ndarray):
        return 0 if _is_shape_only(value) else value.nbytes
    if isinstance(value, np.generic):
        return value.nbytes
    if isinstance(value, bool):
        return 1
    if isinstance(value, (int, float)):
        return 8
    if isinstance(value, complex):
        return 16
    return 0


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {value.shape}"
    if isinstance(value, np.generic):
        return f"{value.dtype} scalar"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)}"
    return type(value).__name__


def _buffers(value: Any, out: list[tuple[int, int, Any]]) -> None:
    """(key, bytes, object) of each buffer ``value`` keeps alive, nested values included."""
    if isinstance(value, np.ndarray):
        owner = _owner(value)
        out.append((id(owner), 0 if _is_shape_only(value) else owner.nbytes, owner))
    elif isinstance(value, (np.generic, int, float, complex)):
        out.append((id(value), _nominal(value), value))
    elif isinstance(value, (tuple, list)):
        for item in value:
            _buffers(item, out)


class _Tracker:
    """Follows the pushes of an instrumented run (pops are seen at the next push: a stack only
    shrinks at its end, and a list that was replaced, thinned checkpoints, is read afresh)."""

    def __init__(self, arguments: tuple[Any, ...]) -> None:
        found: list[tuple[int, int, Any]] = []
        _buffers(arguments, found)
        self.theirs = {key for key, _, _ in found}   # the caller's buffers: never counted
        self.count: dict[int, int] = {}
        self.held = 0
        self.peak = 0
        self.lists: dict[int, list[Any]] = {}        # key -> [list object, records]
        self.tags: list[tuple[Any, ...]] = []
        self.values: dict[tuple[int, str], SavedValue] = {}
        self.pushes: dict[int, int] = {}
        self.longest: dict[int, int] = {}
        self.saved = 0

    def acquire(self, value: Any) -> tuple[list[tuple[int, int, Any]], int]:
        found: list[tuple[int, int, Any]] = []
        _buffers(value, found)
        kept, new = [], 0
        for key, size, obj in found:
            if key in self.theirs:
                continue
            self.count[key] = self.count.get(key, 0) + 1
            if self.count[key] == 1:
                self.held += size
                new += size
            kept.append((key, size, obj))  # obj: the id stays this buffer's while recorded
        return kept, new

    def release(self, record: tuple[int, list[tuple[int, int, Any]]]) -> None:
        for key, size, _ in record[1]:
            self.count[key] -= 1
            if self.count[key] == 0:
                del self.count[key]
                self.held -= size

    def sync(self, key: int, items: list[Any]) -> None:
        held = self.lists.get(key)
        if held is None:
            return
        stored, records = held
        if stored is items:
            while len(records) > len(items):
                self.release(records.pop())
            return
        # a new list under the same name (checkpoints thinned out, an inner loop's new stack)
        by_id = {record[0]: record for record in records}
        kept = [by_id.pop(id(item)) for item in items if id(item) in by_id]
        for record in by_id.values():
            self.release(record)
        held[0], held[1] = items, kept

    def push(self, key: int, items: list[Any], value: Any) -> None:
        for other, (stored, _) in list(self.lists.items()):
            self.sync(other, items if other == key else stored)
        stack, names, shapes, _, checkpoint = self.tags[key]
        parts = list(value) if len(names) > 1 else [value]
        record: list[tuple[int, int, Any]] = []
        for name, part in zip(names, parts, strict=True):
            entry = self.values[(key, name)]
            entry.count += 1
            if name in shapes:  # shape_only(value): no data
                continue
            acquired, new = self.acquire(part)
            record += acquired
            nested = isinstance(part, list)  # an inner loop's stack: counted where pushed
            size = 0 if nested else _nominal(part)
            entry.saved_bytes += size
            entry.new_bytes += 0 if nested else new
            self.saved += size
            if not (name in shapes or nested):
                entry.kinds.add(_kind(part))
        self.lists.setdefault(key, [items, []])
        self.lists[key][1].append((id(value), record))
        self.pushes[key] = self.pushes.get(key, 0) + 1
        self.longest[key] = max(self.longest.get(key, 0), len(items) + 1)
        self.peak = max(self.peak, self.held)


# --------------------------------------------------------------------------------------------
# The run


def _instrumented(node: ast.FunctionDef, tracker: _Tracker) -> ast.FunctionDef:
    """A copy of the derivative in which each push calls ``__srcdiff_saved__(key, stack,
    value)`` (which pushes and measures)."""
    from srcdiff.checkpoint import Plan

    tree = copy.deepcopy(node)
    tree.name = node.name + "_measured"
    described = getattr(node, "srcdiff_described", {})
    for stmt in ast.walk(tree):
        if not isinstance(stmt, ast.Expr):
            continue
        saves = getattr(stmt, "srcdiff_saves", None)
        plan = getattr(stmt, "srcdiff_checkpoint", None)
        if saves is None and not isinstance(plan, Plan):
            continue
        call = stmt.value
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        stack_node = call.func.value
        assert isinstance(stack_node, ast.Name)
        key = len(tracker.tags)
        if saves is not None:
            stack, names, shapes, branch = saves
            tracker.tags.append((stack, names or ["(nothing)"], shapes, branch, None))
            for name in names or ["(nothing)"]:
                origin, what = (described.get((stack, name)) or described.get(name)
                                or (None, ""))
                if name.endswith("_stack") and not what:
                    what = "a loop's own stack"
                tracker.values[(key, name)] = SavedValue(
                    name, origin.short if origin is not None else "", what,
                    origin.source_line.strip() if origin is not None else "",
                    shape_only=name in shapes)
        else:
            assert isinstance(plan, Plan)
            start = plan.start if plan.span is not None else plan.count
            names = [start, *plan.carried, *(f"copy of {a}" for a in plan.arrays),
                     *(f"len({n})" for n in plan.lists)]
            tracker.tags.append((plan.stack, names, set(), False, plan))
            for name in names:
                what = "where the segment starts" if name == start else (
                    "the state the loop carries" if name in plan.carried else "")
                tracker.values[(key, name)] = SavedValue(name, "", what)
        value = call.args[0] if call.args else ast.Constant(None)
        stmt.value = ast.Call(ast.Name(RECORD, ast.Load()),
                              [ast.Constant(key), stack_node, value], [])
    return tree


def _arguments(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    signature = inspect.signature(func)
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return [bound.arguments[p] for p in signature.parameters]


def _peak(call: Callable[[], Any]) -> int:
    """tracemalloc's peak over ``call()``, above what was allocated before it."""
    gc.collect()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        if started:
            tracemalloc.stop()


def memory(func: Callable[..., Any], *args: Any, wrt: Any = 0, checkpoint: bool | int = False,
           **kwargs: Any) -> MemoryReport:
    """What the reverse pass of ``func`` saves, measured on ``args``: per loop and per source
    line the values pushed onto its stack (and, with ``checkpoint``, its checkpoints), their
    bytes, the most held at once, and the peak memory of one gradient call (tracemalloc).

    ``wrt`` and ``checkpoint`` are those of :func:`srcdiff.grad`. A function with a
    non-scalar output is measured through its vector-Jacobian product with a cotangent of
    ones. ``print()`` the report for a table; its fields hold the numbers (see
    :class:`MemoryReport`).
    """
    from srcdiff import api

    func = api._differentiable(func, 1)
    if hasattr(func, "__srcdiff_kind__"):  # a derivative: the code it runs, measured
        func = api._inner(func).func
    option = api.checkpoint_option(checkpoint)
    output = func(*args, **kwargs)
    scalar = not isinstance(output, (tuple, list)) and np.size(output) == 1
    kind = "grad" if scalar else "vjp"
    built = api._built(func, kind, wrt, checkpoint=option)
    values = _arguments(func, args, kwargs)
    if not scalar:
        ct = (tuple(np.ones_like(np.asarray(o, dtype=float)) for o in output)
              if isinstance(output, (tuple, list)) else np.ones_like(np.asarray(output, float)))
        values.append(ct)
    params = [p.name for p in api._parameters(func)]
    names, _ = api.resolve_wrt(func, params, wrt)

    tracker = _Tracker(tuple(values))
    tree = _instrumented(built.node, tracker)
    from srcdiff import emitter

    namespace = dict(built.func.__globals__)

    def record(key: int, items: list[Any], value: Any) -> None:
        tracker.push(key, items, value)
        items.append(value)

    namespace[RECORD] = record
    text = emitter.render(tree)
    exec(compile(text, f"<srcdiff.memory of {func.__name__}>", "exec"), namespace)  # noqa: S102
    built.func.srcdiff_refresh()
    namespace[tree.name](*values)

    built.func(*values)  # once before measuring: first-call allocations are not the call's
    peak = _peak(lambda: built.func(*values))
    baseline = _peak(lambda: func(*args, **kwargs))
    return MemoryReport(func.__name__, names, option, _loops(built.node, tracker),
                        tracker.saved, tracker.peak, peak, baseline)


def _loops(node: ast.FunctionDef, tracker: _Tracker) -> list[LoopMemory]:
    origins = getattr(node, "srcdiff_loops", {})
    loops: dict[str, LoopMemory] = {}
    for key, (stack, names, _, branch, plan) in enumerate(tracker.tags):
        origin = origins.get(stack)
        loop = loops.get(stack)
        if loop is None:
            loop = loops[stack] = LoopMemory(origin.short if origin else "",
                                             origin.source_line if origin else "", stack)
        entries = [tracker.values[(key, name)] for name in names]
        if plan is not None:
            loop.checkpoints += entries
            loop.checkpoint_count += tracker.pushes.get(key, 0)
            loop.most_checkpoints = max(loop.most_checkpoints, tracker.longest.get(key, 0))
            continue
        if not branch:
            loop.iterations += tracker.pushes.get(key, 0)
        for entry in entries:
            if entry.name == "(nothing)":
                continue
            same = next((v for v in loop.values if v.name == entry.name), None)
            if same is None:
                loop.values.append(entry)
            else:  # saved on several paths: one row
                same.count += entry.count
                same.saved_bytes += entry.saved_bytes
                same.new_bytes += entry.new_bytes
                same.kinds |= entry.kinds
    return sorted(loops.values(), key=lambda m: _line_key(m.line))
