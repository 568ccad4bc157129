"""Run one generated program: write it to a module, import it, check its derivatives.

srcdiff reads a function's source through ``inspect``/linecache, so a program is written to a
real ``.py`` file (named after a hash of its source) and imported under a unique module name;
:func:`loaded` removes it from ``sys.modules`` and forgets srcdiff's cached derivatives of its
functions afterwards, so that thousands of programs leak neither modules nor derivatives.

``stop_gradient`` and ``no_grad`` make srcdiff's derivative differ from finite differences of
the function as Python runs it. So the module's global ``srcdiff`` is replaced by a
:class:`Shim`, and ``check_grad`` receives :func:`frozen`, a wrapper of ``f`` (srcdiff reads
``f``'s source through ``__wrapped__``): at the unperturbed arguments the wrapper records the
value of every ``stop_gradient(v)`` and the variables every ``with no_grad():`` block
(re)binds; at perturbed arguments it replays them. Finite differences then differentiate the
function in which those values are constants, which is what srcdiff differentiates. While no
wrapper call is running (as when srcdiff builds a derivative) the shim is the real
``srcdiff``, so srcdiff recognises both constructs.

A disagreement with finite differences is reported only where they are meaningful: when the
check fails, :func:`smooth_at` runs the function at the points finite differences used (and
a few more, in random directions) and reports whether they all take the same path (the same
lines, and the same ``stop_gradient``/``no_grad`` events) and whether the one-sided slopes
agree (no kink, as at a tie of ``max``). A failure at a non-smooth point is not a bug.
"""
from __future__ import annotations

import ast
import copy
import ctypes
import functools
import importlib.util
import linecache
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

import srcdiff
import srcdiff.api
from tests.fuzz.generator import Program


class PathChanged(Exception):
    """A perturbed run of a program took another path than the unperturbed run."""


class _Tape:
    """The recorded stop_gradient values and no_grad bindings of the unperturbed run."""

    def __init__(self) -> None:
        self.mode: str | None = None  # None (the real srcdiff), "record" or "replay"
        self.events: list[Any] = []
        self.position = 0

    def stop_gradient(self, value: Any) -> Any:
        if self.mode == "record":
            self.events.append(("stop", copy.deepcopy(value)))
            return value
        return copy.deepcopy(self.next("stop"))

    def next(self, kind: str) -> Any:
        if self.position >= len(self.events) or self.events[self.position][0] != kind:
            raise PathChanged(f"a perturbed run reached another {kind} event")
        value = self.events[self.position][1]
        self.position += 1
        return value


def _write_locals(frame: Any, values: dict[str, Any]) -> None:
    """Rebind local variables of a running frame."""
    if sys.version_info >= (3, 13):  # f_locals is a write-through proxy (PEP 667)
        for name, value in values.items():
            frame.f_locals[name] = value
        return
    local = frame.f_locals
    local.update(values)
    ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))


@functools.lru_cache(maxsize=4096)
def _bound_in_block(filename: str, line: int) -> tuple[str, ...]:
    """The names the statements of the ``with`` block starting at ``line`` assign."""
    tree = ast.parse("".join(linecache.getlines(filename)))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and node.lineno == line:
            for stmt in node.body:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        names.add(sub.id)
    return tuple(sorted(names))


class _NoGradBlock:
    """``with no_grad():`` that records (or replays) the names the block assigns."""

    def __init__(self, tape: _Tape) -> None:
        self.tape = tape
        self.names: tuple[str, ...] = ()

    def __enter__(self) -> _NoGradBlock:
        frame = sys._getframe(1)
        self.names = _bound_in_block(frame.f_code.co_filename, frame.f_lineno)
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is not None:
            return
        frame = sys._getframe(1)
        now = frame.f_locals
        bound = {name: now[name] for name in self.names if name in now}
        if self.tape.mode == "record":
            self.tape.events.append(("no_grad", copy.deepcopy(bound)))
        else:
            recorded = self.tape.next("no_grad")
            if set(recorded) != set(bound):
                raise PathChanged("a no_grad block bound other names")
            _write_locals(frame, copy.deepcopy(recorded))


class Shim:
    """Stands for the ``srcdiff`` module inside a generated module (see the module doc)."""

    def __init__(self) -> None:
        self.tape = _Tape()

    def __getattr__(self, name: str) -> Any:
        if self.tape.mode is not None:
            if name == "stop_gradient":
                return self.tape.stop_gradient
            if name == "no_grad":
                return lambda: _NoGradBlock(self.tape)
        return getattr(srcdiff, name)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and np.shape(a) == np.shape(b) and bool(np.all(
        np.asarray(a) == np.asarray(b)))


def frozen(module: Any, base: tuple[Any, ...]) -> Any:
    """``module.f`` for ``check_grad``: stop_gradient and no_grad values are those of the run
    at ``base`` (see the module docstring)."""
    f = module.f
    tape = module.srcdiff.tape

    @functools.wraps(f)
    def run(*args: Any) -> Any:
        at_base = len(args) == len(base) and all(_same(a, b) for a, b in zip(args, base,
                                                                             strict=True))
        if tape.mode is not None:  # a nested call: not expected
            return f(*args)
        tape.mode, tape.position = ("record" if at_base else "replay"), 0
        if at_base:
            tape.events = []
        try:
            result = f(*args)
            if not at_base and tape.position != len(tape.events):
                raise PathChanged("a perturbed run had fewer stop_gradient/no_grad events")
            return result
        finally:
            tape.mode = None

    return run


@contextmanager
def loaded(program: Program, directory: str) -> Iterator[Any]:
    """The program imported as a module (with its :class:`Shim`), unloaded afterwards."""
    name = f"fuzz_{program.digest}"
    path = os.path.join(directory, f"{name}.py")
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(program.source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        module.srcdiff = Shim()
        yield module
    finally:
        sys.modules.pop(name, None)
        forget(module, path)


def forget(module: Any, path: str) -> None:
    """Drop srcdiff's cached derivatives of the module's functions and their files."""
    functions = {id(v) for v in vars(module).values() if callable(v)}
    cache = srcdiff.api._CACHE
    with srcdiff.api._LOCK:
        for key in list(cache):
            func = key[0]
            target = getattr(func, "__wrapped__", func)
            if id(func) in functions or getattr(target, "__module__", None) == module.__name__:
                built = cache.pop(key)
                generated = getattr(built.func, "__code__", None)
                if generated is not None:
                    linecache.cache.pop(generated.co_filename, None)
                    try:
                        os.remove(generated.co_filename)
                    except OSError:
                        pass
    linecache.cache.pop(path, None)


def traced(func: Any, args: tuple[Any, ...], filename: str,
           local: Callable[[Any, str, Any], Any]) -> None:
    """Call ``func(*args)`` with ``local`` as the trace function of the frames running code
    of ``filename`` (``local`` returns itself to keep tracing a frame)."""

    def global_(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == filename else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        func(*args)
    finally:
        sys.settrace(previous)


def _trace(func: Any, args: tuple[Any, ...], filename: str) -> tuple[Any, ...]:
    """The lines of ``filename`` a call runs, in order (or the PathChanged it raised)."""
    lines: list[tuple[str, int]] = []

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            lines.append((frame.f_code.co_name, frame.f_lineno))
        return local

    try:
        traced(func, args, filename, local)
    except PathChanged:
        return ("path changed",)
    return tuple(lines)


def _probe(value: Any, step: Any) -> Any:
    moved = np.asarray(value, dtype=np.float64) + step
    return moved if isinstance(value, np.ndarray) else float(moved)


def smooth_at(func: Any, args: tuple[Any, ...], filename: str, seed: int = 0,
              eps: float = 1e-6) -> bool:
    """Whether ``func`` is smooth at ``args`` at the scale of finite differences: every point
    within a few ``eps`` (along each coordinate, and along random directions) runs the same
    lines, and the one-sided slopes agree."""
    output = func(*args)
    base = _trace(func, args, filename)
    rng = np.random.default_rng(seed)
    ct = 1.0 if np.size(output) == 1 else rng.standard_normal(np.shape(output))
    directions: list[tuple[Any, ...]] = []
    for index, value in enumerate(args):
        for position in np.ndindex(np.shape(value)):
            unit = np.zeros(np.shape(value))
            unit[position] = 1.0
            directions.append(tuple(unit if k == index else np.zeros(np.shape(a))
                                    for k, a in enumerate(args)))
    directions.append(tuple(rng.standard_normal(np.shape(a)) for a in args))
    for _ in range(4):
        directions.append(tuple(rng.standard_normal(np.shape(a)) for a in args))

    def value_at(t: float, direction: tuple[Any, ...]) -> float:
        moved = tuple(_probe(a, t * d) for a, d in zip(args, direction, strict=True))
        return float(np.sum(ct * np.asarray(func(*moved), dtype=np.float64)))

    for direction in directions:
        for t in (eps, -eps, 3 * eps, -3 * eps):
            moved = tuple(_probe(a, t * d) for a, d in zip(args, direction, strict=True))
            if _trace(func, moved, filename) != base:
                return False
        try:
            g0, gp, gm = (value_at(t, direction) for t in (0.0, eps, -eps))
        except PathChanged:
            return False
        forward, backward = (gp - g0) / eps, (g0 - gm) / eps
        if abs(forward - backward) > 1e-3 * (1.0 + abs(forward) + abs(backward)):
            return False
    return True
