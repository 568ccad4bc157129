"""Vectorised Jacobians against one derivative call per row (column), at n = 100.

``srcdiff.jacobian`` evaluates all rows (reverse mode) or columns (forward mode) in one call of
a batched derivative; ``vectorize=False`` makes it call the plain derivative once per row. This
prints the median time of each and their ratio, after checking that both give the same matrix.

    python -m benchmarks.jacobian            # n = 100, 7 repeats
    python -m benchmarks.jacobian --smoke    # n = 8, 1 repeat: only checks that it runs
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import srcdiff

RNG = np.random.default_rng(0)
N = 100
W = RNG.standard_normal((N, N)) / np.sqrt(N)
V = RNG.standard_normal((10, N)) / np.sqrt(N)


def square_map(x):  # R^n -> R^n: forward and reverse need as many passes
    return np.tanh(W @ x) * x + np.sin(x)


def to_ten(x):  # R^n -> R^10: reverse mode, 10 rows
    return V @ np.tanh(W @ x)


def log_sum_exp(x):  # R^n -> R, its Hessian: forward over reverse, n columns
    top = np.max(x)
    return top + np.log(np.sum(np.exp(x - top))) + 0.5 * np.sum((W @ x) ** 2)


def rosenbrock(x):  # a Python loop over scalars x[i]; its Hessian
    total = 0.0
    for i in range(x.shape[0] - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def _median_seconds(call: Callable[[], Any], repeats: int) -> float:
    call()  # build (and cache) the derivative code first: this measures evaluation only
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(n: int = N, repeats: int = 7) -> list[tuple[str, float, float]]:
    """Time each workload both ways; return (name, vectorised s, per-row s) per workload."""
    x = RNG.standard_normal(n)
    global W, V
    W = RNG.standard_normal((n, n)) / np.sqrt(n)
    V = RNG.standard_normal((10, n)) / np.sqrt(n)
    workloads = [
        (f"jacobian of R^{n} -> R^{n} (forward)", srcdiff.jacobian, square_map),
        (f"jacobian of R^{n} -> R^10 (reverse)", srcdiff.jacobian, to_ten),
        (f"hessian of log-sum-exp + quadratic, n={n}", _hessian, log_sum_exp),
        (f"hessian of Rosenbrock as a scalar loop, n={n}", _hessian, rosenbrock),
    ]
    rows = []
    for name, make, func in workloads:
        fast = make(func, vectorize=True)
        slow = make(func, vectorize=False)
        np.testing.assert_allclose(fast(x), slow(x), rtol=1e-10, atol=1e-12)
        rows.append((name, _median_seconds(lambda f=fast: f(x), repeats),
                     _median_seconds(lambda f=slow: f(x), repeats)))
    return rows


def _hessian(func: Callable[..., Any], vectorize: bool) -> Callable[..., Any]:
    return srcdiff.jacobian(srcdiff.grad(func), mode="forward", vectorize=vectorize)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="n = 8, one repeat")
    args = parser.parse_args(argv)
    rows = run(8, 1) if args.smoke else run()
    print(f"{'workload':<48} {'vectorised':>12} {'per row':>12} {'speed-up':>9}")
    for name, fast, slow in rows:
        print(f"{name:<48} {fast * 1e3:>9.2f} ms {slow * 1e3:>9.2f} ms {slow / fast:>8.1f}x")


if __name__ == "__main__":
    main()
