"""``srcdiff.memory`` (srcdiff/memory.py): the bytes the reverse pass saves, per loop and per
source line, against counts made by hand; and the memory benchmark's smoke mode."""
import numpy as np
import pytest

import srcdiff
from benchmarks import memory as benchmark
from tests.cases import checkpointed as c

X = np.array([0.3, -0.7, 1.1])     # 3 float64: 24 bytes
W = 0.5 * np.eye(3)
ROW = X.nbytes


def line_of(func, offset):
    """``checkpointed.py:N`` of the line ``offset`` lines below ``func``'s ``def``."""
    return f"checkpointed.py:{func.__code__.co_firstlineno + offset}"


def values(loop):
    return {v.name: v for v in loop.values}


def test_a_loop_saves_its_state_once_per_iteration():
    """``x = np.sin(x)``: the adjoint reads x (for cos x), so each of the n iterations saves
    the x it starts with: n arrays of 24 bytes. The first is the caller's argument; the
    others are the sines of the iterations before, which only the stack keeps alive."""
    n = 5
    report = srcdiff.memory(c.sines, X, n)
    (loop,) = report.loops
    assert (loop.line, loop.stack, loop.iterations) == (line_of(c.sines, 1), "t_stack", n)
    (x,) = loop.values
    assert (x.name, x.what, x.line) == ("x", "x as the iteration starts", line_of(c.sines, 2))
    assert (x.count, x.kind, x.saved_bytes, x.new_bytes) == (n, "float64 (3,)", n * ROW,
                                                            (n - 1) * ROW)
    assert report.saved_bytes == n * ROW
    assert report.held_peak_bytes == (n - 1) * ROW  # all of them, when the backward sweep starts
    assert report.by_line() == {line_of(c.sines, 2): n * ROW}
    assert report.peak_bytes > 0 and report.baseline_bytes > 0


def test_per_line_and_shape_only_values():
    """``h = np.tanh(W @ h) + 0.5 * x``: tanh's adjoint reads its result, ``@``'s reads h;
    values read only for their shapes (summing a broadcast adjoint back) hold no data."""
    n = 4
    report = srcdiff.memory(c.recurrence, W, X, n, wrt=(0, 1))
    saved = values(report.loops[0])
    assert {name for name, v in saved.items() if not v.shape_only} == {"tanh_W_matmul_h", "h"}
    assert all(v.saved_bytes == 0 and v.kind == "shape only" for v in saved.values()
               if v.shape_only)
    assert saved["tanh_W_matmul_h"].what == "np.tanh(W @ h)"
    assert saved["tanh_W_matmul_h"].saved_bytes == saved["h"].saved_bytes == n * ROW
    assert saved["h"].new_bytes == (n - 1) * ROW  # the first h is the argument x
    assert report.by_line() == {line_of(c.recurrence, 3): 2 * n * ROW}
    assert report.saved_bytes == 2 * n * ROW


def test_nested_loops_count_inner_stacks_where_they_are_pushed():
    """The outer loop saves the inner loop's stack (a list), which is not counted again. By
    hand, with n outer and m inner iterations: the inner loop saves h and tanh's result
    (2 n m arrays), the outer loop h (n arrays): (2 n m + n) x 24 bytes. Distinct: the n m
    tanh results, and the outer iterations' starting h but the first (the argument); the
    inner loop's starting h is always one of those."""
    n, m = 4, 3
    report = srcdiff.memory(c.nested, W, X, n, m)
    outer, inner = report.loops
    assert (outer.iterations, inner.iterations) == (n, n * m)
    assert values(outer)["j_stack"].saved_bytes == 0
    assert report.saved_bytes == (2 * n * m + n) * ROW
    assert report.new_bytes == report.held_peak_bytes == (n * m + n - 1) * ROW


def test_checkpoints_and_the_most_held_at_once():
    """Segments of 2 over 5 iterations: checkpoints at iterations 0, 2 and 4, each the start
    (an int, 8 bytes) and x (24 bytes). The segments run again save x per iteration as
    before. At most the three checkpoints are held at once, at the end of the forward sweep:
    three ints and two arrays (the first x is the argument); each segment's stack holds at
    most 2 arrays next to fewer checkpoints."""
    n = 5
    report = srcdiff.memory(c.sines, X, n, checkpoint=2)
    (loop,) = report.loops
    assert (loop.checkpoint_count, loop.most_checkpoints, loop.iterations) == (3, 3, n)
    kept = {v.name: v for v in loop.checkpoints}
    assert kept["t_start"].saved_bytes == 3 * 8
    assert (kept["x"].saved_bytes, kept["x"].new_bytes) == (3 * ROW, 2 * ROW)
    assert values(loop)["x"].saved_bytes == n * ROW
    assert report.saved_bytes == 3 * 8 + 3 * ROW + n * ROW
    assert report.held_peak_bytes == 3 * 8 + 2 * ROW
    assert report.by_line() == {line_of(c.sines, 1): 3 * 8 + 3 * ROW,
                                line_of(c.sines, 2): n * ROW}


def test_checkpointing_holds_less_of_a_long_loop():
    n = 400
    plain = srcdiff.memory(c.recurrence, W, X, n)
    checkpointed = srcdiff.memory(c.recurrence, W, X, n, checkpoint=True)
    assert plain.held_peak_bytes == (2 * n - 1) * ROW
    # 20 checkpoints (an int and h) and a segment of 20 iterations (2 arrays each)
    assert checkpointed.held_peak_bytes <= 20 * (8 + ROW) + 20 * 2 * ROW + ROW
    assert checkpointed.peak_bytes < plain.peak_bytes


def test_the_report_reads_as_a_table():
    text = str(srcdiff.memory(c.sines, X, 5, checkpoint=2))
    lines = text.splitlines()
    assert lines[0] == ("memory of the gradient of sines w.r.t. x, checkpointed every 2 "
                        "iterations, on the given inputs")
    assert lines[1].startswith(f"  loop {line_of(c.sines, 1)}: for t in range(n):  "
                               "(5 iterations saved on t_stack)")
    assert "    checkpoints: 3 taken, at most 3 held at once  [96 B]" in lines
    assert f"    {line_of(c.sines, 2)}: x = np.sin(x)  [120 B]" in lines
    assert any(line.split() == ["x", "(x", "as", "the", "iteration", "starts)", "5", "x",
                                "float64", "(3,)", "120", "B", "(96", "B", "new)"]
               for line in lines)
    assert lines[-2] == "  saved in total: 216 B (168 B new); at most 72 B held at once"
    assert lines[-1].startswith("  peak memory of one gradient call (tracemalloc): ")


def test_straight_line_code_saves_nothing():
    report = srcdiff.memory(c.no_loop, X)
    assert report.loops == [] and report.saved_bytes == report.held_peak_bytes == 0
    assert "no loop saves anything" in str(report)


def test_a_vector_output_is_measured_through_its_vjp():
    report = srcdiff.memory(c.vector_output, X, 4)
    assert report.saved_bytes == 4 * ROW
    np.testing.assert_allclose(srcdiff.vjp(c.vector_output)(X, 4, np.ones(3)),
                               srcdiff.vjp(c.vector_output)(X, 4, np.ones(3)))


def test_bad_arguments_are_refused():
    with pytest.raises(srcdiff.SrcdiffError, match="checkpoint must be"):
        srcdiff.memory(c.sines, X, 3, checkpoint=-1)
    with pytest.raises(srcdiff.SrcdiffError, match="wrt='z'"):
        srcdiff.memory(c.sines, X, 3, wrt="z")


def test_memory_benchmark_smoke(capsys):
    assert benchmark.main(["--smoke"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| RNN loop, hidden 32, input 16 | hand-written | srcdiff | "
                              "srcdiff, checkpointed |")
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["5 steps", "50 steps"]
    assert all(row.rstrip(" |").endswith("max difference 0") for row in rows[1:])
