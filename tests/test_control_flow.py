"""Gradients through control flow: branches, conditional expressions, early returns, loops.

Every function of tests/cases/control_flow.py is checked against central finite differences
(``srcdiff.check_grad`` with its default tolerances) on random float64 inputs. Branch tests
use inputs that take each branch, asserted here, with a margin far larger than the
finite-difference step, so that the step never changes the path; loop tests run 0, 1 and many
iterations.
"""
import numpy as np
import pytest

import srcdiff
from tests.cases import control_flow as cf

#: How far every branch condition of a test input stays from its threshold.
MARGIN = 0.05


def draw(shape, seed=0, cond=None, scale=1.0):
    """Standard normal draws times ``scale``, the first (of a fixed-seed sequence) that
    satisfies ``cond``."""
    rng = np.random.default_rng(seed)
    for _ in range(10_000):
        x = scale * rng.standard_normal(shape)
        if cond is None or cond(x):
            return x
    raise AssertionError("no draw satisfies the condition")


def shape_id(shape):
    return "shape=" + "x".join(map(str, shape)) if shape else "scalar"


def check(func, *args, wrt=0):
    """check_grad, and the gradient has the shape (and, for a float, the type) of its input."""
    error = srcdiff.check_grad(func, *args, wrt=wrt)
    assert np.isfinite(error)
    indices = wrt if isinstance(wrt, tuple) else (wrt,)
    grads = srcdiff.grad(func, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    assert len(grads) == len(indices)
    for index, g in zip(indices, grads, strict=True):
        if isinstance(args[index], float):
            assert type(g) is float, (index, type(g))
        else:
            assert np.shape(g) == np.shape(args[index]), (index, np.shape(g))


SHAPES = [(5,), (3, 4)]
SHAPE_IDS = [shape_id(s) for s in SHAPES]
SIGNS = [pytest.param(1.0, id="sum>0"), pytest.param(-1.0, id="sum<0")]


def signed_sum(shape, sign, seed=0):
    """An input whose sum has the given sign, at least MARGIN away from 0."""
    return draw(shape, seed, lambda x: sign * np.sum(x) > MARGIN)


# ---------------------------------------------------------------------------------------------
# Branches.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("sign", SIGNS)
@pytest.mark.parametrize("func", [cf.if_without_else, cf.if_else_different_expressions,
                                  cf.early_return, cf.ifexp_simple],
                         ids=lambda f: f.__name__)
def test_two_way_branch_on_sum(func, sign, shape):
    x = signed_sum(shape, sign)
    assert (np.sum(x) > 0) == (sign > 0)
    check(func, x)


THREE_WAY = [pytest.param(lambda s: s > 1.0 + MARGIN, id="s>1"),
             pytest.param(lambda s: -1.0 + MARGIN < s < 1.0 - MARGIN, id="-1<s<1"),
             pytest.param(lambda s: s < -1.0 - MARGIN, id="s<-1")]


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("which", THREE_WAY)
@pytest.mark.parametrize("func", [cf.if_elif_else, cf.ifexp_nested,
                                  cf.early_return_each_branch],
                         ids=lambda f: f.__name__)
def test_three_way_branch_on_sum(func, which, shape):
    x = draw(shape, 1, lambda x: which(np.sum(x)), scale=1.5)
    assert which(np.sum(x))
    check(func, x)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("sign", SIGNS)
@pytest.mark.parametrize("func", [cf.assigned_in_one_branch, cf.ifexp_inside_expression],
                         ids=lambda f: f.__name__)
def test_branch_with_two_inputs_on_sum_of_x(func, sign, shape):
    x = signed_sum(shape, sign)
    w = draw(shape, 2)
    assert (np.sum(x) > 0) == (sign > 0)
    check(func, x, w, wrt=(0, 1))


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("sign", SIGNS)
def test_branch_on_product_of_inputs(sign, shape):
    x = draw(shape, 3)
    w = draw(shape, 4, lambda w: sign * np.sum(x * w) > MARGIN)
    assert (np.sum(x * w) > 0) == (sign > 0)
    check(cf.branch_two_inputs, x, w, wrt=(0, 1))


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("outer", SIGNS)
@pytest.mark.parametrize("inner", [pytest.param(True, id="max>1"),
                                   pytest.param(False, id="max<1")])
def test_nested_ifs(inner, outer, shape):
    def takes(x):
        return (outer * np.sum(x) > MARGIN
                and (np.max(x) > 1.0 + MARGIN if inner else np.max(x) < 1.0 - MARGIN))

    x = draw(shape, 5, takes, scale=0.8)
    assert (np.sum(x) > 0) == (outer > 0) and (np.max(x) > 1.0) == inner
    check(cf.nested_ifs, x)


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("mode", [0, 1, 2], ids=lambda m: f"mode={m}")
@pytest.mark.parametrize("func", [cf.branch_on_mode, cf.ifexp_on_mode],
                         ids=lambda f: f.__name__)
def test_branch_on_integer_parameter(func, mode, shape):
    x = draw(shape, 6)
    check(func, x, mode)


def test_branch_on_integer_parameter_matches_closed_form():
    x = draw((4,), 7)
    np.testing.assert_allclose(srcdiff.grad(cf.branch_on_mode)(x, 0), 2 * x)
    np.testing.assert_allclose(srcdiff.grad(cf.branch_on_mode)(x, 1), np.cos(x))
    np.testing.assert_allclose(srcdiff.grad(cf.branch_on_mode)(x, 2), -np.exp(-x))


@pytest.mark.parametrize("a, b", [(1.5, 0.3), (-0.7, 0.4)], ids=["a>b", "a<b"])
def test_branch_on_floats(a, b):
    check(cf.branch_on_float, a, b, wrt=(0, 1))


PIECES = [(-2.5, "a<-1"), (-1.3, "a<-1"), (-0.4, "-1<=a<1"), (0.7, "-1<=a<1"),
          (1.6, "a>=1"), (4.0, "a>=1")]


def piecewise_derivative(a):
    if a < -1.0:
        return -1.0
    if a < 1.0:
        return a * a + 2.0 * a
    return 3.0 / a


@pytest.mark.parametrize("a, piece", PIECES, ids=[f"a={a}" for a, _ in PIECES])
def test_piecewise_early_returns(a, piece):
    assert piece == ("a<-1" if a < -1 else "-1<=a<1" if a < 1 else "a>=1")
    check(cf.piecewise, a)
    assert srcdiff.grad(cf.piecewise)(a) == pytest.approx(piecewise_derivative(a))


# ---------------------------------------------------------------------------------------------
# for loops over range(...).
# ---------------------------------------------------------------------------------------------

COUNTS = [0, 1, 7]
COUNT_IDS = [f"n={n}" for n in COUNTS]
LOOP_SHAPES = [(7,), (8, 3)]
LOOP_SHAPE_IDS = [shape_id(s) for s in LOOP_SHAPES]


@pytest.mark.parametrize("shape", LOOP_SHAPES, ids=LOOP_SHAPE_IDS)
@pytest.mark.parametrize("n", COUNTS, ids=COUNT_IDS)
@pytest.mark.parametrize("func", [cf.range_accumulate, cf.augmented_assignments,
                                  cf.rebound_in_loop, cf.reversed_range, cf.nested_ranges,
                                  cf.while_counter],
                         ids=lambda f: f.__name__)
def test_counted_loop(func, n, shape):
    x = draw(shape, 10 + n)
    check(func, x, n)


RANGES = [(1, 8, 2), (0, 10, 3), (9, 0, -2), (3, 4, 1), (5, 5, 1)]


@pytest.mark.parametrize("shape", [(10,), (10, 2)], ids=shape_id)
@pytest.mark.parametrize("start, stop, step", RANGES,
                         ids=[f"range({a},{b},{c})" for a, b, c in RANGES])
def test_range_start_stop_step(start, stop, step, shape):
    x = draw(shape, 11)
    check(cf.range_start_stop_step, x, start, stop, step)


@pytest.mark.parametrize("shape", [(1,), (2,), (6,), (5, 3)], ids=shape_id)
def test_loop_reads_neighbours(shape):
    check(cf.neighbours, draw(shape, 12))


# ---------------------------------------------------------------------------------------------
# for loops over arrays.
# ---------------------------------------------------------------------------------------------

ROWS = [((5, 3), (3,)), ((4,), (1,)), ((1, 2), (2,)), ((0, 3), (3,))]


@pytest.mark.parametrize("x_shape, w_shape", ROWS, ids=[shape_id(s) for s, _ in ROWS])
def test_loop_over_rows(x_shape, w_shape):
    check(cf.over_rows, draw(x_shape, 13), draw(w_shape, 14), wrt=(0, 1))


@pytest.mark.parametrize("shape", [(6, 2), (5,), (1, 3), (0, 2)], ids=shape_id)
@pytest.mark.parametrize("func", [cf.over_enumerate, cf.over_reversed],
                         ids=lambda f: f.__name__)
def test_loop_over_array(func, shape):
    check(func, draw(shape, 15))


ZIPS = [((4, 3), (4, 3), "same"), ((5,), (5,), "vectors"), ((3, 2), (5, 2), "unequal")]


@pytest.mark.parametrize("x_shape, y_shape", [z[:2] for z in ZIPS], ids=[z[2] for z in ZIPS])
def test_loop_over_zip(x_shape, y_shape):
    check(cf.over_zip, draw(x_shape, 16), draw(y_shape, 17), wrt=(0, 1))


@pytest.mark.parametrize("shape", [(3, 4), (1, 1), (2, 0), (0, 3)], ids=shape_id)
def test_nested_loops_over_rows_and_values(shape):
    check(cf.nested_rows_and_values, draw(shape, 18))


# ---------------------------------------------------------------------------------------------
# Loops inside branches, branches inside loops.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
@pytest.mark.parametrize("n", COUNTS, ids=COUNT_IDS)
@pytest.mark.parametrize("sign", SIGNS)
def test_loop_inside_branch(sign, n, shape):
    x = signed_sum(shape, sign, seed=19)
    assert (np.sum(x) > 0) == (sign > 0)
    check(cf.loop_inside_branch, x, n)


def away_from_zero(x):
    return bool(np.all(np.abs(x) > MARGIN))


@pytest.mark.parametrize("size", [7, 10], ids=lambda s: f"shape={s}")
@pytest.mark.parametrize("n", COUNTS, ids=COUNT_IDS)
def test_branch_inside_loop(n, size):
    x = draw((size,), 20, lambda x: away_from_zero(x) and np.any(x[:7] > 0)
             and np.any(x[:7] < 0))
    assert n < 7 or np.any(x[:n] > 0) and np.any(x[:n] < 0)  # n = 7 takes both paths
    check(cf.branch_inside_loop, x, n)


@pytest.mark.parametrize("size", [6, 9], ids=lambda s: f"shape={s}")
def test_branch_on_loop_value(size):
    def takes_every_path(x):
        return (away_from_zero(x) and away_from_zero(x + 1.0) and np.any(x > 0)
                and np.any((-1.0 < x) & (x < 0)) and np.any(x < -1.0))

    x = draw((size,), 21, takes_every_path, scale=1.5)
    assert np.any(x > 0) and np.any((-1 < x) & (x < 0)) and np.any(x < -1)
    check(cf.branch_on_loop_value, x)


# ---------------------------------------------------------------------------------------------
# while loops.
# ---------------------------------------------------------------------------------------------


def shrink_norms(x, step, count):
    """sum(x * x) before each of ``count + 1`` applications of ``step``."""
    norms = []
    for _ in range(count + 1):
        norms.append(np.sum(x * x))
        x = step(x)
    return norms


def tol_for(norms, iterations):
    """A tolerance between norms[iterations] and the norm before it: the loop ``while
    sum(x * x) > tol`` then runs exactly ``iterations`` times, far from the threshold."""
    if iterations == 0:
        return 2.0 * norms[0]
    return float(np.sqrt(norms[iterations] * norms[iterations - 1]))


def count_iterations(x, tol, step, cap=10**6):
    count = 0
    while np.sum(x * x) > tol and count < cap:
        x = step(x)
        count += 1
    return count


@pytest.mark.parametrize("shape", [(4,), (2, 3)], ids=shape_id)
@pytest.mark.parametrize("iterations", COUNTS, ids=[f"iterations={n}" for n in COUNTS])
def test_while_computed_condition(iterations, shape):
    x = draw(shape, 22)
    norms = shrink_norms(x, lambda x: x * 0.5, iterations)
    tol = tol_for(norms, iterations)
    assert count_iterations(x, tol, lambda x: x * 0.5) == iterations
    check(cf.while_shrink, x, tol)


@pytest.mark.parametrize("shape", [(4,), (2, 3)], ids=shape_id)
@pytest.mark.parametrize("iterations", COUNTS, ids=[f"iterations={n}" for n in COUNTS])
def test_while_computed_condition_with_cap(iterations, shape):
    def step(x):
        return np.sin(x) * 0.5

    x = draw(shape, 23)
    tol = tol_for(shrink_norms(x, step, iterations), iterations)
    assert count_iterations(x, tol, step, cap=100) == iterations
    check(cf.while_shrink_capped, x, tol, 100)


@pytest.mark.parametrize("cap", [0, 1, 5], ids=lambda c: f"cap={c}")
def test_while_stopped_by_cap(cap):
    x = draw((3,), 24)
    assert count_iterations(x, 1e-30, lambda x: np.sin(x) * 0.5, cap=cap) == cap
    check(cf.while_shrink_capped, x, 1e-30, cap)


# ---------------------------------------------------------------------------------------------
# A recurrent network.
# ---------------------------------------------------------------------------------------------

RNN_SIZES = [(3, 2), (4, 1)]


@pytest.mark.parametrize("hidden, inputs", RNN_SIZES,
                         ids=[f"hidden={h},inputs={i}" for h, i in RNN_SIZES])
@pytest.mark.parametrize("T", COUNTS, ids=[f"T={t}" for t in COUNTS])
def test_rnn(T, hidden, inputs):
    W = 0.5 * draw((hidden, hidden), 25)
    U = 0.5 * draw((hidden, inputs), 26)
    h0 = draw((hidden,), 27)
    xs = draw((7, inputs), 28)
    check(cf.rnn, W, U, h0, xs, T, wrt=(0, 1, 2, 3))


# ---------------------------------------------------------------------------------------------
# Derivatives leave the caller's arrays alone.
# ---------------------------------------------------------------------------------------------

UNCHANGED = [
    (cf.rebound_in_loop, (draw((3,), 30), 4), 0),
    (cf.augmented_assignments, (draw((5, 2), 31), 5), 0),
    (cf.over_rows, (draw((4, 3), 32), draw((3,), 33)), (0, 1)),
    (cf.loop_inside_branch, (signed_sum((4,), 1.0, 34), 3), 0),
    (cf.while_shrink, (draw((4,), 35), 1e-3), 0),
    (cf.rnn, (draw((3, 3), 36), draw((3, 2), 37), draw((3,), 38), draw((5, 2), 39), 5),
     (0, 1, 2, 3)),
]


@pytest.mark.parametrize("func, args, wrt", UNCHANGED, ids=[u[0].__name__ for u in UNCHANGED])
def test_arguments_are_not_modified(func, args, wrt):
    copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    srcdiff.grad(func, wrt=wrt)(*args)
    srcdiff.vjp(func, wrt=wrt)(*args, 1.0)
    for arg, copy in zip(args, copies, strict=True):
        np.testing.assert_array_equal(arg, copy)
