"""Time srcdiff's gradients against hand-written NumPy, autograd, JAX and PyTorch.

For each workload of ``benchmarks/workloads.py`` this checks the hand-written gradient
against central finite differences, then for each library builds its gradient, checks that it
equals the hand-written one (``allclose``; a mismatch fails the run) and times it: the median
over repeats of the time per gradient call, and its ratio to the hand-written code. It also
reports srcdiff's build time (``srcdiff.emit`` on a fresh function object: the first call's
extra cost) and the first call of ``jax.jit`` (tracing and compiling). The table goes to
standard output and to ``benchmarks/results.md``.

    python -m benchmarks                      # everything (pins every library to one thread)
    python -m benchmarks --only mlp           # one workload (repeatable; 'seeds' names both)
    python -m benchmarks --smoke              # tiny sizes, one call per cell: only checks
    python -m benchmarks --clock cpu          # CPU time: steadier on a shared machine
    python -m benchmarks --libraries srcdiff  # hand-written and srcdiff only

Run it as ``python -m benchmarks``: ``benchmarks/__main__.py`` sets the thread variables
before NumPy, JAX and PyTorch are imported.
"""
from __future__ import annotations

import argparse
import datetime
import gc
import importlib.metadata
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import srcdiff
from benchmarks import peers
from benchmarks.workloads import (
    Workload,
    check_hand_directional,
    check_hand_elementwise,
    hand_gradient,
    select,
)

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results.md")
LIBRARIES = ("srcdiff", "autograd", "jax", "jax-jit", "torch")
TITLES = {"hand": "hand-written", "srcdiff": "srcdiff", "autograd": "autograd",
          "jax": "JAX", "jax-jit": "JAX jit", "torch": "PyTorch"}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")
#: every library's result must equal the hand-written one to this (all run in float64)
RTOL, ATOL = 1e-7, 1e-9


class GradientMismatch(AssertionError):
    """A library's gradient differs from the hand-written one."""


@dataclass
class Cell:
    """One timing (seconds per call) or why there is none."""

    seconds: float | None = None
    note: str = ""


@dataclass
class Row:
    workload: Workload
    cells: dict[str, Cell] = field(default_factory=dict)
    build: Cell = field(default_factory=Cell)      # srcdiff's build time
    compile: Cell = field(default_factory=Cell)    # jax.jit's first call
    failures: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Timing


#: the clock every time is read from: wall time (``time.perf_counter``, the default) or the
#: process's CPU time, all threads (``time.process_time``, ``--clock cpu``), which a machine
#: that other processes share disturbs less
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = CLOCKS["wall"]


def _time(call: Callable[[], Any], number: int) -> float:
    start = _clock()
    for _ in range(number):
        call()
    return _clock() - start


@dataclass
class Timer:
    """The repeats of one cell: ``number`` calls per repeat, ``repeats`` repeats."""

    call: Callable[[], Any]
    number: int = 1
    repeats: int = 1
    samples: list[float] = field(default_factory=list)  # seconds per call, one per repeat


def calibrate(call: Callable[[], Any], target: float) -> Timer:
    """``timeit``-style: group calls so that one repeat takes at least 20 ms, and plan
    repeats for about ``target`` seconds (3 to 50). The caller has warmed ``call`` up."""
    number = 1
    while True:
        elapsed = _time(call, number)
        if elapsed >= 0.02:
            break
        number *= 10 if elapsed < 0.002 else 2
    return Timer(call, number, int(min(max(target / elapsed, 3), 50)), [elapsed / number])


def time_interleaved(timers: list[Timer]) -> list[float]:
    """The median seconds per call of each timer, its repeats taken in rounds that visit
    every timer in turn, so that a change in the machine's load hits them all alike."""
    enabled = gc.isenabled()
    gc.disable()  # as timeit does
    try:
        for round_ in range(1, max(t.repeats for t in timers)):
            for timer in timers:
                if round_ < timer.repeats:
                    timer.samples.append(_time(timer.call, timer.number) / timer.number)
    finally:
        if enabled:
            gc.enable()
    return [statistics.median(t.samples) for t in timers]


# ---------------------------------------------------------------------------------------
# The libraries' calls


def _fresh(func: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object with ``func``'s code: srcdiff has built nothing for it yet."""
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                              func.__defaults__, func.__closure__)
    copy.__qualname__, copy.__module__ = func.__qualname__, func.__module__
    return copy


def srcdiff_call(workload: Workload, args: tuple[Any, ...]) -> tuple[Callable[[], Any], float]:
    """srcdiff's gradient (``jvp(grad(f))`` for a Hessian-vector product) and its build time:
    ``srcdiff.emit`` of a fresh function object, which builds and caches what the calls
    run."""
    fresh = _fresh(workload.func)
    if workload.kind == "hvp":
        start = _clock()
        gradient = srcdiff.grad(fresh)
        srcdiff.emit(gradient, mode="forward")
        build = _clock() - start
        hvp = srcdiff.jvp(gradient)
        return (lambda: hvp(*args)[1]), build
    wrt = workload.wrt[0] if len(workload.wrt) == 1 else workload.wrt
    start = _clock()
    srcdiff.emit(fresh, wrt=wrt)
    build = _clock() - start
    gradient = srcdiff.grad(fresh, wrt=wrt)
    return (lambda: gradient(*args)), build


def reproducer(workload: Workload) -> str:
    index = [w.name for w in select(None)].index(workload.name)
    call = ("srcdiff.jvp(srcdiff.grad(f))" if workload.kind == "hvp" else
            f"srcdiff.grad(f, wrt={workload.wrt[0] if len(workload.wrt) == 1 else workload.wrt})")
    return (f"from benchmarks.workloads import WORKLOADS; import srcdiff; "
            f"w = WORKLOADS[{index}]; f = w.func; {call}(*w.make_inputs())")


def installed(library: str) -> bool:
    if library == "srcdiff":
        return True
    try:
        return importlib.util.find_spec(peers.LIBRARIES[library]) is not None
    except (ImportError, ValueError):  # a broken install, or a module set to None
        return False


def _compare(library: str, workload: Workload, result: Any,
             expected: tuple[np.ndarray, ...]) -> None:
    got = peers.to_numpy(result) if library != "srcdiff" else (
        result if isinstance(result, tuple) else (result,))
    if len(got) != len(expected):
        raise GradientMismatch(f"{workload.name}: {library} returned {len(got)} gradients, "
                               f"the hand-written code {len(expected)}")
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        g = np.asarray(g, dtype=np.float64)
        scale = float(np.max(np.abs(e), initial=0.0))
        if g.shape != e.shape or not np.allclose(g, e, rtol=RTOL, atol=ATOL * scale):
            error = (float(np.max(np.abs(g - e))) if g.shape == e.shape
                     else f"shape {g.shape} != {e.shape}")
            raise GradientMismatch(
                f"{workload.name}: {library}'s {'result' if workload.kind == 'hvp' else 'gradient'}"
                f" {k} differs from the hand-written one (max difference {error}, "
                f"rtol {RTOL}, atol {ATOL * scale:.3g})")


# ---------------------------------------------------------------------------------------
# The run


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_workload(workload: Workload, libraries: tuple[str, ...], smoke: bool,
                 target: float) -> Row:
    row = Row(workload)
    args = workload.make_inputs(smoke)
    try:
        if smoke:
            check_hand_elementwise(workload, args)
        check_hand_directional(workload, args)
    except AssertionError as error:
        row.failures.append(str(error))
        row.cells["hand"] = Cell(note="WRONG")
        return row
    expected = tuple(np.asarray(g, dtype=np.float64) for g in hand_gradient(workload, args))
    calls: dict[str, Callable[[], Any]] = {"hand": lambda: workload.hand(*args)}
    for library in libraries:
        if not installed(library):
            row.cells[library] = Cell(note="not installed")
            continue
        try:
            if library == "srcdiff":
                call, build = srcdiff_call(workload, args)
                row.build = Cell(build)
            else:
                call = peers.CALLS[library](workload, args)
            start = _clock()
            result = call()  # a warm-up too; for jax.jit, the compilation
            if library == "jax-jit":
                row.compile = Cell(_clock() - start)
            _compare(library, workload, result, expected)
            calls[library] = call
        except GradientMismatch as error:
            row.cells[library] = Cell(note="WRONG")
            row.failures.append(str(error))
        except Exception as error:  # noqa: BLE001  (reported in the table and below it)
            row.cells[library] = Cell(note="error")
            text = "".join(traceback.format_exception(error)[-6:]).rstrip()
            message = f"{workload.name}: {library} failed:\n{text}"
            if library == "srcdiff":
                message += f"\nreproducer: python -c '{reproducer(workload)}'"
            row.failures.append(message)
    calls["hand"]()
    if smoke:  # one call each
        medians = [_time(call, 1) for call in calls.values()]
    else:
        medians = time_interleaved([calibrate(call, target) for call in calls.values()])
    for name, seconds in zip(calls, medians, strict=True):
        row.cells[name] = Cell(seconds)
    _progress(f"{workload.name}: " + ", ".join(
        f"{name} {_seconds(cell.seconds) if cell.seconds is not None else cell.note}"
        for name, cell in row.cells.items()))
    return row


def run(names: list[str] | None = None, libraries: tuple[str, ...] = LIBRARIES,
        smoke: bool = False, target: float = 0.4, clock: str = "wall") -> list[Row]:
    global _clock
    _clock = CLOCKS[clock]
    return [run_workload(w, libraries, smoke, target) for w in select(names)]


# ---------------------------------------------------------------------------------------
# The report


def _seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError  # pragma: no cover


def _timed(cell: Cell | None, base: Cell) -> str:
    if cell is None:
        return ""
    if cell.seconds is None:
        return cell.note
    if base.seconds is None:
        return _seconds(cell.seconds)
    return f"{_seconds(cell.seconds)} ({cell.seconds / base.seconds:.2g}x)" \
        if cell.seconds / base.seconds < 10 else \
        f"{_seconds(cell.seconds)} ({cell.seconds / base.seconds:.0f}x)"


def table(rows: list[Row], libraries: tuple[str, ...]) -> str:
    columns = ["workload", "hand-written"]
    for library in libraries:
        columns.append(TITLES[library])
        if library == "srcdiff":
            columns.append("srcdiff build")
        if library == "jax-jit":
            columns.append("JAX jit 1st call")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        hand = row.cells.get("hand", Cell(note="skipped"))
        cells = [row.workload.title, _seconds(hand.seconds) or hand.note]
        for library in libraries:
            cells.append(_timed(row.cells.get(library, Cell(note="skipped")), hand))
            if library == "srcdiff":
                cells.append(_seconds(row.build.seconds) or "")
            if library == "jax-jit":
                cells.append(_seconds(row.compile.seconds) or "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    root = os.path.dirname(HERE)
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def machine() -> list[str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    threads = ", ".join(f"{name}={os.environ.get(name, '(unset)')}"
                        for name in THREAD_VARIABLES)
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas_text = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001  (older NumPy: the BLAS is not named)
        blas_text = "unknown"
    return [
        f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores"
        + (f" ({usable} usable)" if usable is not None else ""),
        f"- Python {platform.python_version()}, NumPy {np.__version__} ({blas_text}), "
        f"srcdiff {_version('srcdiff')} (commit {_commit()})",
        f"- autograd {_version('autograd')}, JAX {_version('jax')} (jaxlib "
        f"{_version('jaxlib')}), PyTorch {_version('torch')}",
        f"- one thread each: {threads}; torch.set_num_threads(1)",
        "- load average at the end of the run (other processes share the machine): "
        + " ".join(f"{load:.2f}" for load in os.getloadavg()),
    ]


METHOD = """\
Each cell is the median time of one gradient call and, in brackets, its ratio to the
hand-written NumPy gradient. Times are {clock}. Timing is `timeit`-style: calls are grouped
into repeats of at least 20 ms, repeated for about {target:g} s (3 to 50 repeats), with the
libraries' repeats of one workload taken in turn, round by round, so that a change in the
machine's load hits them alike. Before timing, the hand-written result was checked against
central finite differences along random directions, and every library's result against the
hand-written one (`allclose`, rtol {rtol:g}). All arithmetic is float64. Inputs are
converted to each library's arrays once, before timing (PyTorch shares the NumPy memory
through `torch.from_numpy`); results are left as the library's arrays (JAX's waited for with
`block_until_ready`): no library pays a conversion in the timed call.

- **srcdiff**: `srcdiff.grad(f, wrt=...)` (`srcdiff.jvp(srcdiff.grad(f))` for the
  Hessian-vector product, which also returns the gradient); **srcdiff build**: `srcdiff.emit`
  on a fresh function object, the extra cost of the first call.
- **autograd**: `autograd.grad` on an `autograd.numpy` copy of the function
  (`autograd.hessian_vector_product`, reverse over reverse).
- **JAX**: `jax.grad` run op by op (`jax.jvp` of `jax.grad`); **JAX jit**: `jax.jit` of
  the same; **JAX jit 1st call**: the first call, which traces and compiles.
- **PyTorch**: eager, a forward pass and `torch.autograd.grad` per call (double backward
  for the Hessian-vector product).
- Rosenbrock's hand-written gradient is the vectorised closed form; the libraries
  differentiate the scalar loop. The hand-written RNN gradient keeps the states in one array
  and forms dW and dU with one matrix product each after the backward loop. The hand-written
  Hessian-vector product computes H v only; the libraries compute the gradient on the way.
"""


CLOCK_TEXT = {"wall": "wall-clock time (`time.perf_counter`)",
              "cpu": "CPU time (`--clock cpu`: `time.process_time`, all the process's\n"
                     "threads, which excludes the time other processes on a shared machine "
                     "took)"}


def report(rows: list[Row], libraries: tuple[str, ...], target: float,
           smoke: bool = False, clock: str = "wall") -> str:
    lines = ["# srcdiff benchmarks", "",
             "Generated by `python -m benchmarks` (`benchmarks/run.py`); do not edit by hand.",
             "", *machine(), ""]
    if smoke:
        lines += ["**Smoke run**: tiny sizes (not the ones named), one call per cell: it checks "
                  "the gradients; its times mean nothing.", ""]
    lines += [table(rows, libraries), "",
             METHOD.format(target=target, rtol=RTOL, clock=CLOCK_TEXT[clock])]
    failures = [f for row in rows for f in row.failures]
    if failures:
        lines += ["## Failures", "", "```", *failures, "```"]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one call per cell: checks every gradient (about a "
                             "second for srcdiff alone; importing and warming up JAX and "
                             "PyTorch takes some 20-40 s more)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run this workload only (repeatable): "
                             + ", ".join(w.name for w in select(None)) + ", or seeds")
    parser.add_argument("--libraries", default=",".join(LIBRARIES),
                        help="comma-separated, from " + ", ".join(LIBRARIES)
                             + " (the hand-written code always runs)")
    parser.add_argument("--target", type=float, default=0.4,
                        help="seconds of repeats per cell (default 0.4)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time (default) or the process's CPU time, which other "
                             "processes on a shared machine disturb less")
    parser.add_argument("--output", default=None,
                        help=f"where to write the report (default {RESULTS} for a full run, "
                             "none for --smoke or --only)")
    args = parser.parse_args(argv)
    libraries = tuple(name.strip() for name in args.libraries.split(",") if name.strip())
    unknown = sorted(set(libraries) - set(LIBRARIES))
    if unknown:
        parser.error(f"unknown library {', '.join(unknown)}; choose from {', '.join(LIBRARIES)}")
    rows = run(args.only, libraries, args.smoke, args.target, args.clock)
    text = report(rows, libraries, args.target, args.smoke, args.clock)
    print(text, end="")
    output = args.output or (None if args.smoke or args.only else RESULTS)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        _progress(f"wrote {output}")
    failures = [f for row in rows for f in row.failures]
    if failures:
        print(f"\nFAILED: {len(failures)} check(s) failed:\n" + "\n\n".join(failures),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
