"""Checkpointed loops (``srcdiff.grad(f, checkpoint=...)``, srcdiff/checkpoint.py): the same
gradient as without checkpointing, and as central finite differences, with O(sqrt(n)) saved
states; what is refused, and how the emitted code reads."""
import math

import numpy as np
import pytest

import srcdiff
from tests.cases import checkpointed as c

RNG = np.random.default_rng(11)
W = 0.5 * RNG.standard_normal((3, 3)) / np.sqrt(3)
X = RNG.standard_normal(3)
#: checkpoint=True (segments of ~sqrt(n)), then fixed segments: 1 (a checkpoint per
#: iteration), 3 (a short last segment for most n), 1000 (one segment for all of them)
OPTIONS = [True, 1, 3, 1000]


def _tuple(g, wrt):
    return g if isinstance(wrt, tuple) else (g,)


def same_gradient(func, args, wrt, checkpoint):
    """Checkpointed and plain gradients agree to 1e-12 (in fact exactly: the segments run
    the same code on the same values again); return the plain one."""
    plain = _tuple(srcdiff.grad(func, wrt=wrt)(*args), wrt)
    checkpointed = _tuple(srcdiff.grad(func, wrt=wrt, checkpoint=checkpoint)(*args), wrt)
    for p, q in zip(plain, checkpointed, strict=True):
        assert np.shape(p) == np.shape(q) and type(p) is type(q)
        np.testing.assert_allclose(q, p, rtol=1e-12, atol=1e-12)
    return plain


def finite_differences(func, args, index, eps=1e-6):
    base = np.array(args[index], dtype=float)
    out = np.zeros_like(base)
    for position in np.ndindex(base.shape):
        values = []
        for step in (eps, -eps):
            moved = base.copy()
            moved[position] += step
            new = list(args)
            new[index] = moved if isinstance(args[index], np.ndarray) else float(moved)
            values.append(func(*new))
        out[position] = (values[0] - values[1]) / (2 * eps)
    return out


def check(func, args, wrt, checkpoint):
    gradients = same_gradient(func, args, wrt, checkpoint)
    for index, g in zip(wrt if isinstance(wrt, tuple) else (wrt,), gradients, strict=True):
        np.testing.assert_allclose(g, finite_differences(func, args, index), rtol=1e-6,
                                   atol=1e-8)


@pytest.mark.parametrize("checkpoint", OPTIONS)
@pytest.mark.parametrize("n", [0, 1, 7, 100])
def test_for_loop(n, checkpoint):
    check(c.recurrence, (W, X, n), (0, 1), checkpoint)


@pytest.mark.parametrize("checkpoint", OPTIONS)
@pytest.mark.parametrize("n", [0, 1, 7, 100])
def test_while_loop(n, checkpoint):
    check(c.recurrence_while, (W, X, n), (0, 1), checkpoint)


@pytest.mark.parametrize("checkpoint", OPTIONS)
@pytest.mark.parametrize("n", [0, 1, 7, 100])
def test_reversed_range(n, checkpoint):
    check(c.counted_down, (X, n), 0, checkpoint)


@pytest.mark.parametrize("checkpoint", OPTIONS)
@pytest.mark.parametrize("n", [0, 1, 7])
def test_rows_of_an_array_with_enumerate(n, checkpoint):
    check(c.over_rows, (RNG.standard_normal((n, 3)), X), (0, 1), checkpoint)


@pytest.mark.parametrize("checkpoint", OPTIONS)
@pytest.mark.parametrize(("n", "m"), [(0, 3), (1, 0), (7, 3), (4, 1)])
def test_nested_loops(n, m, checkpoint):
    """The outer loop is checkpointed; the inner one runs inside each segment with its own
    stack."""
    check(c.nested, (W, X, n, m), (0, 1), checkpoint)


@pytest.mark.parametrize("checkpoint", OPTIONS)
@pytest.mark.parametrize("n", [0, 1, 7, 100])
def test_break_and_continue(n, checkpoint):
    """Lowered to flags (a for loop that breaks becomes a counted while): checkpointed like
    any loop."""
    check(c.with_break, (X, n, 4.0), 0, checkpoint)
    check(c.with_continue, (X, n), 0, checkpoint)


@pytest.mark.parametrize("checkpoint", OPTIONS)
@pytest.mark.parametrize("n", [0, 1, 7])
def test_in_place_state(n, checkpoint):
    """Arrays written into are copied into the checkpoints and put back in place, lists
    appended to are cut back to their length, an array both written and rebound gets both."""
    check(c.writes_rows, (X, n), 0, checkpoint)
    check(c.running_state, (X, n), 0, checkpoint)
    check(c.appends, (X, n), 0, checkpoint)
    check(c.rebinds_and_writes, (X, n), 0, checkpoint)


@pytest.mark.parametrize("checkpoint", OPTIONS)
def test_a_later_loop_puts_back_what_an_earlier_one_reads(checkpoint):
    """The second loop carries ``h``, which the first reads; its stack does not restore it,
    so each segment takes its checkpoint off at its end, restoring ``h`` for the first
    loop's segments when they run again."""
    check(c.two_loops, (0.7, X), (0, 1), checkpoint)
    check(c.two_loops, (0.7, X), 0, checkpoint)  # h inactive: no adjoint reads it
    text = srcdiff.emit(c.two_loops, wrt=0, checkpoint=True)
    assert "j_start, h, s = j_checkpoints[-1]" in text
    assert "j_start, h, s = j_checkpoints.pop()" in text
    assert "put back as the segment found" in text


@pytest.mark.parametrize("checkpoint", [False, True])
def test_value_and_grad_returns_the_value_after_the_loop(checkpoint):
    """The backward sweep puts the carried variables back as they were before the loop:
    the function's value is read before it (also without checkpointing)."""
    value, gradient = srcdiff.value_and_grad(c.returns_carried, checkpoint=checkpoint)(0.3, 5)
    assert value == c.returns_carried(0.3, 5)
    assert gradient == pytest.approx(finite_differences(c.returns_carried, (0.3, 5), 0))
    # an array the loop writes into: its old slots are put back, the value is a copy
    value, gradient = srcdiff.value_and_grad(c.written_value, checkpoint=checkpoint)(X, 4)
    np.testing.assert_array_equal(value, c.written_value(X, 4))
    np.testing.assert_allclose(gradient, [4 * X[0], 2 * X[1], 2 * X[2]], rtol=1e-12)


def test_vjp_and_decorator_forms():
    ct = RNG.standard_normal(3)
    plain = srcdiff.vjp(c.vector_output)(X, 9, ct)
    np.testing.assert_allclose(srcdiff.vjp(c.vector_output, checkpoint=True)(X, 9, ct), plain,
                               rtol=1e-12, atol=1e-12)
    decorated = srcdiff.grad(checkpoint=4)(c.recurrence)
    np.testing.assert_allclose(decorated(W, X, 9), srcdiff.grad(c.recurrence)(W, X, 9),
                               rtol=1e-12, atol=1e-12)


def test_the_loops_of_called_functions_are_checkpointed_too():
    check(c.calls_helper, (W, X, 9), (0, 1), True)
    text = srcdiff.emit(c.calls_helper, wrt=(0, 1), checkpoint=True)
    assert "def vjp_helper_loop_h_W" in text and "t_checkpoints.append((t_start, h))" in text


def test_derivatives_of_a_checkpointed_gradient():
    """Forward mode reads the checkpointed code like any other: Hessians through it."""
    hessian = srcdiff.jacobian(srcdiff.grad(c.recurrence, wrt=1, checkpoint=True), wrt=1,
                               mode="forward")
    expected = srcdiff.hessian(c.recurrence, wrt=1)(W, X, 7)
    np.testing.assert_allclose(hessian(W, X, 7), expected, rtol=1e-10, atol=1e-12)


def test_sqrt_schedule_of_a_for_loop():
    """n iterations keep int(sqrt(n)) iterations per segment: about sqrt(n) checkpoints,
    and the stack never holds more than one segment."""
    n = 2500
    report = srcdiff.memory(c.recurrence, W, X, n, wrt=0, checkpoint=True)
    (loop,) = report.loops
    assert loop.checkpoint_count == loop.most_checkpoints == 50
    assert loop.iterations == n  # every iteration saved once, when its segment runs again
    plain = srcdiff.memory(c.recurrence, W, X, n, wrt=0)
    assert plain.loops[0].checkpoint_count == 0
    # the most held at once: the checkpoints plus one segment, against all n iterations
    assert report.held_peak_bytes <= 2 * (50 + 50 + 1) * X.nbytes
    assert plain.held_peak_bytes >= (n - 1) * X.nbytes
    assert report.peak_bytes < plain.peak_bytes / 5


@pytest.mark.parametrize("n", [1, 7, 100, 1000])
def test_sqrt_schedule_of_a_while_loop(n):
    """A while loop does not know n: segments start at one iteration and double whenever
    the checkpoints outnumber twice the segment, so both stay O(sqrt(n))."""
    report = srcdiff.memory(c.recurrence_while, W, X, n, wrt=0, checkpoint=True)
    (loop,) = report.loops
    assert loop.iterations == n
    assert loop.most_checkpoints <= 2 * math.sqrt(n) + 2
    segment = n / max(loop.most_checkpoints - 1, 1)
    assert segment <= 2 * math.sqrt(n) + 1


@pytest.mark.parametrize("segment", [1, 3, 1000])
def test_fixed_segments(segment):
    n = 10
    report = srcdiff.memory(c.recurrence, W, X, n, wrt=0, checkpoint=segment)
    assert report.loops[0].checkpoint_count == math.ceil(n / segment)


def test_emitted_code_reads_as_segments():
    text = srcdiff.emit(c.recurrence, wrt=0, checkpoint=True)
    forward, backward = text.split("while t_checkpoints:", 1)
    assert "for t in range(n), checkpointed: nothing saved per iteration, only the state " \
        "the loop carries (h)" in forward
    assert "t_segment = max(1, int(len(t_range) ** 0.5))" in forward
    assert "t_checkpoints.append((t_start, h))" in forward
    assert "t_stack.append" not in forward  # nothing per iteration in the forward sweep
    assert "t_start, h = t_checkpoints.pop()" in backward
    assert "for t in t_range[t_start:t_start + t_segment]:" in backward
    assert "t_stack.append" in backward and "while t_stack:" in backward
    # without the option, the code is the usual one
    assert "t_checkpoints" not in srcdiff.emit(c.recurrence, wrt=0)


def test_a_random_draw_inside_is_refused_with_its_place():
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as caught:
        srcdiff.grad(c.random_inside, checkpoint=True)(X, 3)
    message = str(caught.value)
    line = c.random_inside.__code__.co_firstlineno + 2
    assert f"checkpointed.py:{line}:31: a random draw" in message  # file:line:column
    assert "a random draw (np.random.standard_normal) inside a checkpointed loop" in message
    assert "hint: draw the numbers before the loop" in message
    srcdiff.grad(c.random_inside)(X, 3)  # without checkpointing it is differentiated


@pytest.mark.parametrize("bad", [0, -2, 2.5, "sqrt", None])
def test_bad_checkpoint_values_are_refused(bad):
    if bad is None:  # None is "no checkpointing", as False
        srcdiff.grad(c.sines, checkpoint=bad)(X, 3)
        return
    with pytest.raises(srcdiff.SrcdiffError, match="checkpoint must be True, False or a "
                                                   "positive number"):
        srcdiff.grad(c.sines, checkpoint=bad)


def test_forward_mode_has_nothing_to_checkpoint():
    with pytest.raises(srcdiff.SrcdiffError, match="checkpoint= applies to reverse mode"):
        srcdiff.emit(c.sines, mode="forward", checkpoint=True)
