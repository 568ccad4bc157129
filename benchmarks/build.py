"""How long srcdiff takes to build a derivative (parse, normalize, differentiate, optimize,
emit): the cost of the first call of ``srcdiff.grad(f)``.

Targets (issue 7): the MLP gradient in under 50 ms, a 200-line function in under 1 s. The
200-line function is generated: straight-line NumPy, a ``for`` loop with a branch in it and
subscripts, so every pass has work to do. Each build differentiates a fresh function object
(srcdiff caches per function), and the median of several builds is reported, in CPU time
(building is single-threaded Python; CPU time is steady on a shared machine).

    python -m benchmarks.build            # the table
    python -m benchmarks.build --smoke    # one build each, for the tests
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable, Sequence

import srcdiff
from benchmarks.workloads import select

#: (workload, target in seconds)
TARGETS = {"MLP 784-128-10 gradient": 0.050, "generated 200-line function": 1.0}


def long_function_source(lines: int = 200) -> str:
    """A module defining ``f(x, w)``: about ``lines`` lines of differentiable NumPy."""
    body = ["def f(x, w):", "    v0 = np.tanh(x * w[0])", "    v1 = np.sin(v0) + x"]
    k = 2
    while len(body) < lines - 12:
        a, b = f"v{k - 1}", f"v{k - 2}"
        body.append(
            [f"    v{k} = np.tanh({a} * w[{k % 5}]) + 0.5 * {b}",
             f"    v{k} = {a} * {b} / (1.0 + {a} ** 2)",
             f"    v{k} = np.exp(-{a} ** 2) + np.maximum({b}, 0.1 * {a})",
             f"    v{k} = np.sum({a}) * {b} - np.mean({b} * {a})"][k % 4])
        k += 1
    last = f"v{k - 1}"
    body += [
        "    total = 0.0",
        f"    for i in range(len({last})):",
        f"        t = {last}[i] * w[i % 5]",
        "        if t > 0.0:",
        "            total = total + t * t",
        "        else:",
        "            total = total - 0.5 * t",
        f"    return total + np.sum({last} ** 2)",
    ]
    return "import numpy as np\n\n\n" + "\n".join(body) + "\n"


def fresh_long_function(directory: str, index: int) -> Callable[..., object]:
    """The generated function, imported from a new module file (a fresh function object)."""
    name = f"srcdiff_build_bench_{index}"
    path = os.path.join(directory, f"{name}.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(long_function_source())
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def fresh_copy(func: types.FunctionType) -> types.FunctionType:
    """A new function object with ``func``'s code: srcdiff builds its derivative anew."""
    return types.FunctionType(func.__code__, func.__globals__, func.__name__,
                              func.__defaults__, func.__closure__)


def time_builds(make: Callable[[int], Callable[..., object]], wrt: object,
                repeats: int) -> float:
    """The median time of ``srcdiff.emit`` over ``repeats`` fresh functions."""
    times = []
    for index in range(repeats):
        func = make(index)
        start = time.process_time()
        srcdiff.emit(func, wrt=wrt)
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.build",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one build each, no targets")
    args = parser.parse_args(argv)
    repeats = 1 if args.smoke else 9
    mlp = select(["mlp"])[0]
    with tempfile.TemporaryDirectory() as directory:
        rows = [
            ("MLP 784-128-10 gradient",
             time_builds(lambda i: fresh_copy(mlp.func), mlp.wrt, repeats)),
            ("generated 200-line function",
             time_builds(lambda i: fresh_long_function(directory, i), (0, 1), repeats)),
        ]
    print(f"{'build (emit) of':<32} {'median':>10} {'target':>10}  met")
    failed = False
    for name, seconds in rows:
        target = TARGETS[name]
        met = seconds <= target
        failed |= not met and not args.smoke
        print(f"{name:<32} {seconds * 1e3:>8.1f} ms {target * 1e3:>7.0f} ms  "
              f"{'yes' if met else 'NO'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
