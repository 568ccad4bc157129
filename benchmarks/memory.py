"""Peak memory of the recurrent network's gradient: hand-written, srcdiff, srcdiff checkpointed.

The workload is ``rnn_loss`` of ``benchmarks/workloads.py`` (hidden 32, input 16) at 50 and
10,000 steps. For each gradient this prints the peak memory of one call measured with
``tracemalloc`` (above what was allocated before the call; the first call, which builds the
derivative, is not measured), the median CPU time per call (the three gradients called in
turn, which is steadier on a shared machine), and, for srcdiff, the most bytes of
data its stacks and checkpoints held at once (``srcdiff.memory``). It checks first that the
checkpointed gradient equals the plain one to 1e-12 (it is the same computation, so in fact
exactly) and that both equal the hand-written one to 1e-10.

    python -m benchmarks.memory            # 50 and 10,000 steps
    python -m benchmarks.memory --smoke    # 5 and 50 steps: only checks that it runs
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import srcdiff
from benchmarks.workloads import rnn_inputs, rnn_loss, rnn_loss_grad

HIDDEN, INPUTS = 32, 16


def peak_bytes(call: Callable[[], Any]) -> int:
    """The peak of ``tracemalloc`` over ``call()``, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def median_seconds(calls: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """The median CPU time of each call, the calls made in turn ``repeats`` times."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.process_time()
            call()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def measure(steps: int, repeats: int) -> dict[str, Any]:
    """Peak memory, time and (srcdiff) held stack data of the three gradients at ``steps``."""
    args = rnn_inputs(HIDDEN, INPUTS, steps, np.random.default_rng(0))
    gradients = {
        "hand-written": rnn_loss_grad,
        "srcdiff": srcdiff.grad(rnn_loss, wrt=(0, 1)),
        "srcdiff, checkpointed": srcdiff.grad(rnn_loss, wrt=(0, 1), checkpoint=True),
    }
    results = {name: g(*args) for name, g in gradients.items()}  # builds srcdiff's code
    plain, checkpointed = results["srcdiff"], results["srcdiff, checkpointed"]
    hand = results["hand-written"]
    same = max(float(np.max(np.abs(a - b))) for a, b in zip(plain, checkpointed, strict=True))
    if same > 1e-12:
        raise AssertionError(f"checkpointed gradient differs by {same:.3g} at {steps} steps")
    for a, b in zip(plain, hand, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    row: dict[str, Any] = {"steps": steps, "difference": same}
    seconds = median_seconds({name: (lambda g=g: g(*args)) for name, g in gradients.items()},
                             repeats)
    for name, g in gradients.items():
        row[name] = (peak_bytes(lambda g=g: g(*args)), seconds[name])
    row["held"] = srcdiff.memory(rnn_loss, *args, wrt=(0, 1)).held_peak_bytes
    row["held, checkpointed"] = srcdiff.memory(rnn_loss, *args, wrt=(0, 1),
                                               checkpoint=True).held_peak_bytes
    return row


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| RNN loop, hidden 32, input 16 | hand-written | srcdiff | srcdiff, checkpointed "
            "| stack data held: srcdiff / checkpointed | checkpointed vs plain |")
    lines = [head, "|---|---|---|---|---|---|"]
    for row in rows:
        cells = [f"{row['steps']:,} steps"]
        for name in ("hand-written", "srcdiff", "srcdiff, checkpointed"):
            peak, seconds = row[name]
            cells.append(f"{size(peak)} peak, {seconds * 1e3:.3g} ms")
        cells.append(f"{size(row['held'])} / {size(row['held, checkpointed'])}")
        cells.append(f"max difference {row['difference']:.1g}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="5 and 50 steps, one repeat")
    options = parser.parse_args(argv)
    steps, repeats = ((5, 50), 1) if options.smoke else ((50, 10_000), 7)
    print(table([measure(n, repeats) for n in steps]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
