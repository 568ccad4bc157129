"""Branches: if/elif/else, conditional expressions and early returns, every path checked."""
import numpy as np
import pytest

import srcdiff
from tests.cases import branches

RNG = np.random.default_rng(11)


def _signed(sign, shape):
    return sign * np.abs(RNG.standard_normal(shape)) + sign * 0.1


@pytest.mark.parametrize("shape", [(3,), (2, 4)])
@pytest.mark.parametrize(("sx", "sy"), [(1, 1), (-1, 1), (-1, -1)],
                         ids=["if", "elif", "else"])
def test_if_elif_else_each_path(shape, sx, sy):
    x, y = _signed(sx, shape), _signed(sy, shape)
    srcdiff.check_grad(branches.branch, x, y, wrt=(0, 1))


@pytest.mark.parametrize("x", [-2.5, -0.3, 0.4, 3.0])
def test_early_returns_each_piece(x):
    srcdiff.check_grad(branches.early, x)
    expected = -1.0 if x < -1 else (2 * x if x < 1 else 2.0)
    assert srcdiff.grad(branches.early)(x) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("shape", [(3,), (4, 2)])
@pytest.mark.parametrize("sign", [1, -1])
def test_conditional_expressions(shape, sign):
    srcdiff.check_grad(branches.ternary, _signed(sign, shape))


def test_only_the_taken_branch_runs_in_reverse():
    text = srcdiff.emit(branches.early)
    # The forward sweep saves the test; the backward sweep branches on the saved value.
    assert text.count("if cond:") == 2
