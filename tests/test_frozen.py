"""check_grad compares with finite differences of the function srcdiff differentiates: the
values of ``stop_gradient`` and ``no_grad`` are constants there (srcdiff/frozen.py)."""
import numpy as np
import pytest

import srcdiff
from srcdiff.frozen import PathChanged, frozen
from tests.cases.wrong_rule import cube

X = np.array([0.3, -0.8, 1.1])


def cut_by_stop_gradient(x):
    scale = srcdiff.stop_gradient(np.sum(x ** 2))
    return np.sum(np.sin(x)) * scale


def cut_by_no_grad(x):
    y = x * 2.0
    with srcdiff.no_grad():
        k = np.sum(y)
        m = k * k
    return np.sum(y * m)


def uncut(x):
    return np.sum(np.sin(x))


def flips(x):
    if x > 0.0:
        return srcdiff.stop_gradient(x) * x
    return x * x


def wrong_rule_behind_a_cut(x):
    c = cube(x)
    return np.sum(c * srcdiff.stop_gradient(np.cos(x)))


@pytest.mark.parametrize("func", [cut_by_stop_gradient, cut_by_no_grad],
                         ids=lambda f: f.__name__)
def test_check_grad_passes_on_cut_dependence(func):
    assert srcdiff.check_grad(func, X) < 1e-6


def test_frozen_replays_the_first_calls_cut_values():
    f = frozen(cut_by_stop_gradient)
    assert f(X) == cut_by_stop_gradient(X)
    moved = X + 0.1
    # scale stays sum(X ** 2): only the sin term moves
    assert f(moved) == pytest.approx(np.sum(np.sin(moved)) * np.sum(X ** 2), rel=1e-15)
    g = frozen(cut_by_no_grad)
    g(X)
    y = moved * 2.0
    assert g(moved) == pytest.approx(np.sum(y * np.sum(X * 2.0) ** 2), rel=1e-15)


def test_a_closure_keeps_its_cells():
    factor = 3.0

    def closed(x):
        return np.sum(x * factor * srcdiff.stop_gradient(x))

    f = frozen(closed)
    assert f(X) == closed(X)
    assert f(2 * X) == pytest.approx(np.sum(2 * X * factor * X))
    assert srcdiff.check_grad(closed, X) < 1e-6


def test_a_function_without_cuts_is_itself():
    assert frozen(uncut) is uncut


def test_another_path_is_reported():
    f = frozen(flips)
    f(1.0)
    with pytest.raises(PathChanged):
        f(-1.0)


def test_a_wrong_rule_is_still_caught_behind_a_cut():
    with pytest.raises(srcdiff.GradientCheckError, match="differs from central finite"):
        srcdiff.check_grad(wrong_rule_behind_a_cut, X, forward=False)


def cut_helper(b):
    return np.tanh(srcdiff.stop_gradient(np.min(b, axis=0)))


def calls_a_cutting_helper(x, y):
    v = np.where(x > 0.0, cut_helper(y), x)
    return np.sum(v) + v


def test_a_helper_that_cuts_is_frozen_too():
    # (found by the fuzzer: the helper's stop_gradient was counted by finite differences)
    y = np.array([-0.69, -1.38, -1.45])
    assert srcdiff.check_grad(calls_a_cutting_helper, 0.41, y, wrt=(0, 1)) < 1e-6
    f = frozen(calls_a_cutting_helper)
    f(0.41, y)
    assert f(0.41, y - 1.0) == calls_a_cutting_helper(0.41, y)
