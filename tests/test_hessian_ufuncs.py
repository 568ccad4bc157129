"""Hessians through the elementwise (ufunc) rules, and their conventions at non-smooth points.

``srcdiff.hessian`` is forward mode over the gradient code, so it differentiates the ufunc
rules' own templates (and ``runtime.clip_partial``) a second time. Each Hessian is compared
with central finite differences of ``srcdiff.grad`` and checked symmetric, along the
vectorised (batched) path, which ``hessian`` takes by default, and one column at a time.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import srcdiff
import srcdiff.rules
from srcdiff.rules import registry

RNG = np.random.default_rng(2024)


def arctan_cosh(x):
    return np.sum(np.arctan(x) * np.cosh(x))


def logaddexp_self(x):
    return np.sum(np.logaddexp(x, 2 * x))


def hypot_pair(x, c):
    return np.sum(np.hypot(x, c) * np.hypot(c, x[::-1]))


def clipped(x, lo):
    return np.sum(np.clip(x, -0.5, 0.5) ** 3 + np.clip(x * x, lo, None) * x + x.clip(None, 0.2) * x)


def inverse_trig(x):
    return np.sum(np.arcsin(x) * np.arccos(x / 2) + np.arctanh(x) ** 2 + np.arcsinh(x) * x)


def hyperbolic(x):
    return np.sum(np.sinh(x) * np.arccosh(x * x + 1.5) + np.cbrt(x + 3.0) * np.sinc(x))


def logs_and_powers(x):
    return np.sum(np.exp2(x) * np.log2(x) + np.log10(x) * np.reciprocal(x)
                  + np.float_power(x, x) + np.deg2rad(x) * np.rad2deg(x))


def binary_mix(x, y):
    return np.sum(np.arctan2(x, y) * np.fmax(x, y) + np.copysign(x, y) ** 2
                  + np.mod(x, y) * x + np.fmod(x * x, 0.7) + np.ldexp(x, 3) * np.fmin(x, 0.1)
                  + np.logaddexp2(x, y) * np.real(x) * np.conj(x))


def clip_arrays(x, lo, hi):
    return np.sum(np.clip(x * x, lo, hi) * x)


def clip_keywords(x, hi):
    return np.sum(x.clip(min=-0.6) ** 3 * np.clip(x, max=hi) + np.clip(x, min=hi * hi) ** 2)


def clip_out(x, o):
    y = np.clip(x, -0.5, 0.5, out=o)
    return np.sum(y * x)


def math_scalar(x, y):
    return (math.atan2(math.sinh(x), y) * math.hypot(x, y) + math.pow(x, 2.5) * math.log10(x)
            + math.asin(x / 4) * math.acosh(x + 1.5) + math.fmod(x * x, y) * x
            + math.copysign(x, y) * math.cosh(x) + math.atanh(x / 3) * math.degrees(x))


def finite_jacobian(f, x, eps=1e-6):
    """Central differences of ``f`` (array-valued) at ``x``: shape ``f(x).shape + x.shape``."""
    x = np.asarray(x, dtype=float)
    out = np.asarray(f(x), dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))).ravel() / (2 * eps))
    return np.array(columns).T.reshape(out.shape + x.shape)


def check_hessian(f, args, wrt=0):
    H = srcdiff.hessian(f, wrt=wrt)(*args)
    x = args[wrt]
    n = np.size(x)
    square = np.reshape(H, (n, n))
    np.testing.assert_allclose(square, square.T, rtol=1e-10, atol=1e-12)

    def gradient_at(value):
        moved = list(args)
        moved[wrt] = value
        return srcdiff.grad(f, wrt=wrt)(*moved)

    np.testing.assert_allclose(H, finite_jacobian(gradient_at, x), rtol=1e-6, atol=1e-6)
    # The vectorised path (what hessian takes) and one column at a time agree.
    gradient = srcdiff.grad(f, wrt=wrt)
    batched = srcdiff.jacobian(gradient, wrt=wrt, mode="forward", vectorize=True)(*args)
    looped = srcdiff.jacobian(gradient, wrt=wrt, mode="forward", vectorize=False)(*args)
    np.testing.assert_allclose(batched, H, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(looped, H, rtol=1e-12, atol=1e-12)
    return H


def test_hessian_arctan_cosh():
    x = RNG.uniform(-2, 2, 5)
    H = check_hessian(arctan_cosh, (x,))
    # d2/dx2 (arctan x cosh x), diagonal
    expected = (-2 * x / (1 + x * x) ** 2 * np.cosh(x) + 2 * np.sinh(x) / (1 + x * x)
                + np.arctan(x) * np.cosh(x))
    np.testing.assert_allclose(H, np.diag(expected), rtol=1e-12, atol=1e-12)


def test_hessian_logaddexp():
    check_hessian(logaddexp_self, (RNG.uniform(-2, 2, (2, 3)),))


@pytest.mark.parametrize("wrt", [0, 1])
def test_hessian_hypot(wrt):
    check_hessian(hypot_pair, (RNG.uniform(-2, 2, 4), RNG.uniform(0.5, 2, 4)), wrt)


def test_hessian_clip():
    x = np.array([-0.9, -0.3, 0.1, 0.35, 0.7, 1.2])  # inside and outside every bound
    check_hessian(clipped, (x, 0.05))


@pytest.mark.parametrize("wrt", [0, 1, 2])
def test_hessian_clip_array_bounds(wrt):
    x = np.array([-1.4, -0.6, 0.2, 0.8, 1.1])
    lo = np.array([0.1, 0.5, 0.3, 0.2, 0.4])
    hi = np.array([1.0, 0.3, 0.9, 0.5, 2.0])  # hi < lo in the second entry
    check_hessian(clip_arrays, (x, lo, hi), wrt)


@pytest.mark.parametrize("wrt", [0, 1])
def test_hessian_clip_keyword_bounds(wrt):
    x = np.array([-1.4, -0.3, 0.2, 0.8, 1.1])
    hi = np.array([1.0, 0.4, -0.3, 0.5, 2.0])
    check_hessian(clip_keywords, (x, hi), wrt)


def test_clip_out_is_refused():
    with pytest.raises(ValueError, match="out="):
        srcdiff.grad(clip_out)(np.array([-1.0, 0.2, 0.9]), np.zeros(3))


def test_hessian_inverse_trig():
    check_hessian(inverse_trig, (RNG.uniform(-0.8, 0.8, 4),))


def test_hessian_hyperbolic():
    check_hessian(hyperbolic, (RNG.uniform(-1.5, 1.5, 4),))


def test_hessian_logs_and_powers():
    check_hessian(logs_and_powers, (RNG.uniform(0.5, 2.0, (2, 2)),))


@pytest.mark.parametrize("wrt", [0, 1])
def test_hessian_binary(wrt):
    x = np.array([-1.7, -0.6, 0.4, 1.3])
    y = np.array([0.9, -1.2, 1.1, -0.7])
    check_hessian(binary_mix, (x, y), wrt)


def test_hessian_math_scalar():
    x, y = 1.3, 0.8
    second = srcdiff.hessian(math_scalar)(x, y)
    assert type(second) is float
    gradient = srcdiff.grad(math_scalar)
    eps = 1e-5
    by_differences = (gradient(x + eps, y) - gradient(x - eps, y)) / (2 * eps)
    assert second == pytest.approx(by_differences, rel=1e-6)
    cross = srcdiff.jacobian(srcdiff.grad(math_scalar, wrt=1), wrt=0, mode="forward")(x, y)
    gradient_x = srcdiff.grad(math_scalar, wrt=0)
    by_differences = (gradient_x(x, y + eps) - gradient_x(x, y - eps)) / (2 * eps)
    assert cross == pytest.approx(by_differences, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Conventions at the points where a derivative is not defined.
# ---------------------------------------------------------------------------------------------


def _vjp(func, param, *pos, **kw):
    rule = srcdiff.rules.lookup(func)
    args = rule.bind(list(pos), kw)
    y = func(*pos, **kw)
    return registry.evaluate(rule, "vjp", param, args, y, np.ones(np.shape(y)))


def test_clip_boundaries_go_to_the_argument():
    a = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_vjp(np.clip, "a", a, -0.5, 0.5), [0, 1, 1, 1, 0])
    lo, hi = np.full(5, -0.5), np.full(5, 0.5)
    np.testing.assert_array_equal(_vjp(np.clip, "a", a, lo, hi), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(_vjp(np.clip, "a_min", a, lo, hi), [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(_vjp(np.clip, "a_max", a, lo, hi), [0, 0, 0, 0, 1])
    # a_min > a_max: NumPy returns a_max, which gets the whole derivative
    lo2, hi2 = np.full(5, 0.5), np.full(5, -0.5)
    np.testing.assert_array_equal(_vjp(np.clip, "a", a, lo2, hi2), [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(_vjp(np.clip, "a_min", a, lo2, hi2), [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(_vjp(np.clip, "a_max", a, lo2, hi2), [1, 1, 1, 1, 1])
    np.testing.assert_array_equal(_vjp(np.clip, "a", a, 0.5, -0.5), [0, 0, 0, 0, 0])
    # a bound None never binds, also when it is not a literal
    np.testing.assert_array_equal(_vjp(np.clip, "a", a, lo, None), [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(_vjp(np.clip, "a_max", a, None, hi), [0, 0, 0, 0, 1])


def test_fmax_fmin_ties_and_nans():
    x1 = np.array([1.0, 2.0, np.nan, np.nan, 0.0])
    x2 = np.array([1.0, np.nan, 3.0, np.nan, 1.0])
    np.testing.assert_array_equal(_vjp(np.fmax, "x1", x1, x2), [0.5, 1, 0, 0, 0])
    np.testing.assert_array_equal(_vjp(np.fmax, "x2", x1, x2), [0.5, 0, 1, 0, 1])
    np.testing.assert_array_equal(_vjp(np.fmin, "x1", x1, x2), [0.5, 1, 0, 0, 1])
    np.testing.assert_array_equal(_vjp(np.fmin, "x2", x1, x2), [0.5, 0, 1, 0, 0])


def test_kinks_and_removable_points():
    with np.errstate(all="raise"):
        assert _vjp(np.hypot, "x1", 0.0, 0.0) == 0.0
        assert _vjp(math.hypot, "x2", 0.0, 0.0) == 0.0
        assert _vjp(np.sinc, "x", 0.0) == 0.0
    np.testing.assert_array_equal(_vjp(np.copysign, "x1", np.array([0.0, 2.0, -2.0, 3.0]),
                                       np.array([1.0, -1.0, -0.0, 0.0])), [0, -1, 1, 1])
    assert _vjp(math.copysign, "x1", 0.0, -1.0) == 0.0
    assert _vjp(math.copysign, "x1", 2.0, -0.0) == -1.0
    np.testing.assert_array_equal(_vjp(np.heaviside, "x2", np.array([0.0, 1.0, -1.0]), 0.5), 1.0)


def test_mod_integer_part():
    x1 = np.array([7.3, -7.3, 7.3, -7.3, 1e6 + 0.25])
    x2 = np.array([2.0, 2.0, -2.0, -2.0, 0.5])
    np.testing.assert_array_equal(_vjp(np.mod, "x2", x1, x2), -np.floor(x1 / x2))
    np.testing.assert_array_equal(_vjp(np.fmod, "x2", x1, x2), -np.trunc(x1 / x2))
    assert _vjp(math.fmod, "x2", -7.3, 2.0) == 3.0
    assert _vjp(math.remainder, "x2", 7.3, 2.0) == -4.0
