"""Hessians through the reduction rules (forward mode over the gradient code, vectorised),
and the conventions of the reduction rules at their non-smooth points."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import srcdiff
from srcdiff import runtime
from srcdiff.errors import UnsupportedSyntaxError
from srcdiff.rules import lookup, registry

RNG = np.random.default_rng(2024)


def normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------------------------------------
# The functions.
# ---------------------------------------------------------------------------------------------


def prod_all(x):
    return np.prod(x)


def prod_rows(x):
    return np.sum(np.sin(np.prod(x, axis=1))) + x.prod(0, keepdims=True).sum()


def variance(x):
    return np.sum(np.var(x, axis=1) ** 2) + x.var(ddof=1)


def deviation(x):
    return np.sum(np.std(x, axis=0)) + x.std(ddof=1) ** 3


def two_norms(x):
    return np.linalg.norm(x) + np.sum(np.linalg.norm(x, axis=1) ** 3)


def frobenius(x):
    return np.linalg.norm(x, "fro") * np.linalg.norm(x, ord=2, axis=0, keepdims=True).sum()


def other_norms(x):
    return np.linalg.norm(x[0], 3) + np.linalg.norm(x[1], 2) + np.linalg.norm(x, np.inf)


def cumsum_tanh(x):
    return np.sum(np.tanh(np.cumsum(x)) ** 2) + np.sum(np.sin(x.cumsum(axis=1)))


def logsumexp(x):
    z = 1000.0 + x
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def logsumexp_rows(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)))


def cumprod_sin(x):
    return np.sum(np.sin(np.cumprod(x, axis=1)))


def weighted(w, x):
    return np.average(x ** 2, axis=1, weights=w ** 2).sum()


def nuclear(x):
    return np.linalg.norm(x, "nuc")


def spectral(x):
    return np.linalg.norm(x, 2)


def average_returned(x, w):
    return np.average(x, weights=w, returned=True)[0]


def average_flag(x, w, flag):
    return np.average(x, weights=w, returned=flag)


def std_all(x):
    return np.std(x)


def norm_all(x):
    return np.linalg.norm(x)


def norm_ord(x, p):
    return np.linalg.norm(x, p)


def cumprod_sum(x):
    return np.sum(np.cumprod(x))


def nan_mean(x):
    return np.nanmean(x)


def nan_max_rows(x):
    return np.sum(np.nanmax(x, axis=1))


def range_all(x):
    return np.ptp(x)


# ---------------------------------------------------------------------------------------------
# Hessians against central differences of the gradient.
# ---------------------------------------------------------------------------------------------


def gradient_differences(f, args, wrt, eps=1e-6):
    x = args[wrt]
    gradient = srcdiff.grad(f, wrt=wrt)
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        plus, minus = list(args), list(args)
        plus[wrt], minus[wrt] = x + step, x - step
        columns.append((gradient(*plus) - gradient(*minus)).ravel() / (2 * eps))
    return np.array(columns).T.reshape(x.shape + x.shape)


def check_hessian(f, *args, wrt=0):
    """The Hessian is symmetric, matches differences of the gradient, and the vectorised
    Jacobian (what ``srcdiff.hessian`` runs) equals the one computed column by column."""
    x = args[wrt]
    H = srcdiff.hessian(f, wrt=wrt)(*args)
    assert H.shape == x.shape + x.shape
    square = H.reshape(x.size, x.size)
    np.testing.assert_allclose(square, square.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, gradient_differences(f, args, wrt), rtol=1e-6, atol=1e-7)
    gradient = srcdiff.grad(f, wrt=wrt)
    vectorised = srcdiff.jacobian(gradient, wrt=wrt, mode="forward", vectorize=True)(*args)
    looped = srcdiff.jacobian(gradient, wrt=wrt, mode="forward", vectorize=False)(*args)
    np.testing.assert_allclose(vectorised, looped, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H, vectorised, rtol=1e-12, atol=1e-14)
    return H


@pytest.mark.parametrize("f, shape", [
    (prod_all, (5,)), (prod_rows, (2, 3)), (variance, (2, 3)), (deviation, (3, 2)),
    (two_norms, (2, 3)), (frobenius, (2, 3)), (other_norms, (2, 3)), (cumsum_tanh, (2, 3)),
    (logsumexp, (4,)), (logsumexp_rows, (2, 3)), (cumprod_sin, (2, 3)),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_hessian(f, shape):
    check_hessian(f, normal(*shape))


@pytest.mark.parametrize("x", [[1.0, 0.0, 2.0, 3.0], [1.0, 0.0, 2.0, 0.0],
                               [0.0, 0.0, 0.0, 2.0]])
def test_hessian_of_prod_at_zeros(x):
    x = np.array(x)
    H = check_hessian(prod_all, x)
    expected = np.zeros((4, 4))  # the products of all entries but two
    for i in range(4):
        for j in range(4):
            if i != j:
                expected[i, j] = np.prod(np.delete(x, [i, j]))
    np.testing.assert_array_equal(H, expected)


@pytest.mark.parametrize("x", [[[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]],
                               [[0.0, 2.0, 0.0], [3.0, 0.0, 0.5]]])
def test_hessian_of_cumprod_at_zeros(x):
    check_hessian(cumprod_sin, np.array(x))


def test_hessian_of_logsumexp_is_the_softmax_covariance():
    x = normal(5)
    p = np.exp(x - np.max(x))
    p /= p.sum()
    H = check_hessian(logsumexp, x)
    np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), rtol=1e-9, atol=1e-12)
    assert np.all(np.isfinite(srcdiff.grad(logsumexp)(x + 5000.0)))


def test_hessian_of_a_weighted_average_in_its_weights():
    w, x = RNG.uniform(0.5, 1.5, 3), normal(2, 3)
    check_hessian(weighted, w, x, wrt=0)


# ---------------------------------------------------------------------------------------------
# Refusals: no second derivative of the nuclear/spectral norms; np.average(returned=True).
# ---------------------------------------------------------------------------------------------


def test_nuclear_norm_has_a_gradient_but_no_hessian():
    x = normal(3, 3)
    assert srcdiff.check_grad(nuclear, x) < 1e-6
    with pytest.raises(UnsupportedSyntaxError, match="no derivative of norm_grad"):
        srcdiff.hessian(nuclear)(x)


def test_spectral_norm_hessian_is_refused_at_run_time():
    x = normal(3, 3)
    assert srcdiff.check_grad(spectral, x) < 1e-6
    with pytest.raises(ValueError, match="no second derivative"):
        srcdiff.hessian(spectral)(x)


def test_average_returned_true_is_refused():
    x, w = normal(4), RNG.uniform(0.5, 1.5, 4)
    with pytest.raises(UnsupportedSyntaxError, match="no derivative of np.average"):
        srcdiff.grad(average_returned)(x, w)
    assert np.allclose(srcdiff.grad(average_flag)(x, w, False), w / w.sum())
    with pytest.raises(ValueError, match=r"returned=False\) only"):
        srcdiff.vjp(average_flag)(x, w, True, (1.0, 1.0))


# ---------------------------------------------------------------------------------------------
# Conventions at non-smooth points.
# ---------------------------------------------------------------------------------------------


def test_std_at_zero_variance_has_zero_derivative():
    x = np.full(4, 1.5)
    np.testing.assert_array_equal(srcdiff.grad(std_all)(x), np.zeros(4))
    assert np.all(np.isfinite(srcdiff.hessian(std_all)(x)))


def test_norms_at_zero_have_zero_derivative():
    zero = np.zeros(3)
    np.testing.assert_array_equal(srcdiff.grad(norm_all)(zero), zero)
    for p in (1, 3, np.inf, -np.inf, 0.5):
        np.testing.assert_array_equal(srcdiff.grad(norm_ord)(zero, p), zero)
    np.testing.assert_array_equal(srcdiff.hessian(norm_all)(zero), np.zeros((3, 3)))
    # sign(0) = 0 for an entry at zero; ties of the inf-norm split evenly
    np.testing.assert_array_equal(srcdiff.grad(norm_ord)(np.array([2.0, 0.0, -1.0]), 1),
                                  [1.0, 0.0, -1.0])
    np.testing.assert_array_equal(srcdiff.grad(norm_ord)(np.array([2.0, 0.0, -2.0]), np.inf),
                                  [0.5, 0.0, -0.5])


def test_prod_and_cumprod_are_exact_at_zeros():
    np.testing.assert_array_equal(srcdiff.grad(prod_all)(np.array([1.0, 0.0, 2.0, 3.0])),
                                  [0.0, 6.0, 0.0, 0.0])
    np.testing.assert_array_equal(srcdiff.grad(prod_all)(np.array([1.0, 0.0, 2.0, 0.0])),
                                  np.zeros(4))
    # d/dx1 sum(cumprod(x)) = 2 + 2 * 3 + 2 * 3 * 4 with x1 = 0
    np.testing.assert_array_equal(srcdiff.grad(cumprod_sum)(np.array([2.0, 0.0, 3.0, 4.0])),
                                  [1.0, 32.0, 0.0, 0.0])


def test_nan_entries_get_zero_derivative():
    x = np.array([1.0, np.nan, 3.0])
    np.testing.assert_allclose(srcdiff.grad(nan_mean)(x), [0.5, 0.0, 0.5])
    rows = np.array([[1.0, np.nan, 1.0], [np.nan, np.nan, np.nan], [0.0, 2.0, np.nan]])
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        g = srcdiff.grad(nan_max_rows)(rows)
    np.testing.assert_array_equal(g, [[0.5, 0, 0.5], [0, 0, 0], [0, 1, 0]])


def test_ptp_of_equal_entries_has_zero_derivative():
    np.testing.assert_array_equal(srcdiff.grad(range_all)(np.full(3, 2.0)), np.zeros(3))
    np.testing.assert_array_equal(srcdiff.grad(range_all)(np.array([1.0, 3.0, 3.0, 0.0])),
                                  [0, 0.5, 0.5, -1])


# ---------------------------------------------------------------------------------------------
# The forward rules of this group's runtime helpers against finite differences, parameter by
# parameter (as tests/test_runtime_rules.py does for the built-in helpers), at points with
# and without zeros.
# ---------------------------------------------------------------------------------------------

_A = normal(2, 3, 4)
_Z = np.array([[1.5, 0.0, -2.0, 0.0, 0.5], [0.0, 1.2, 0.7, -0.4, 2.0]])
HELPERS = [
    (runtime.prod_others, {"a": _A, "axis": (0, 2)}),
    (runtime.prod_others, {"a": _Z, "axis": 1}),
    (runtime.prod_others_jvp, {"t": normal(2, 5), "a": _Z, "axis": 1}),
    (runtime.cumsum_vjp, {"g": normal(24), "like": _A, "axis": None}),
    (runtime.cumsum_along, {"t": normal(2, 3, 4), "like": _A, "axis": -2}),
    (runtime.cumprod_jvp, {"t": normal(2, 5), "a": _Z, "axis": 1}),
    (runtime.cumprod_jvp, {"t": normal(2, 3, 4), "a": _A, "axis": None}),
    (runtime.cumprod_vjp, {"g": normal(2, 5), "a": _Z, "axis": -1}),
    (runtime.cumprod_hvp, {"t": normal(2, 5), "s": normal(2, 5), "a": _Z, "axis": 1}),
    (runtime.cumprod_mixed, {"g": normal(2, 5), "t": normal(2, 5), "a": _Z, "axis": 1}),
    (runtime.full_weights, {"t": normal(4, 2), "weights": normal(4, 2), "a": _A,
                            "axis": (2, 0)}),
    (runtime.weights_adjoint, {"g": normal(2, 3, 4), "weights": normal(3), "a": _A,
                               "axis": 1}),
    (runtime.norm_grad, {"x": _A, "ord": 3, "axis": 1}),
    (runtime.norm_grad, {"x": _A, "ord": "fro", "axis": (0, 2)}),
    (runtime.norm_grad, {"x": normal(6), "ord": None, "axis": None}),
    (runtime.norm_hvp, {"t": normal(2, 3, 4), "x": _A, "ord": 2, "axis": -1}),
]
HELPER_PARAMS = [(func, args, param) for func, args in HELPERS
                 for param, template in lookup(func).jvp.items() if template is not None]


@pytest.mark.parametrize("func, args, param", HELPER_PARAMS,
                         ids=[f"{f.__name__}-{p}-{i}" for i, (f, _, p) in enumerate(HELPER_PARAMS)])
def test_helper_forward_rule_matches_finite_differences(func, args, param):
    rule = lookup(func)
    bound = rule.bind([], args)
    direction = RNG.standard_normal(np.shape(bound[param]))
    result = func(*[bound[p] for p in rule.params])
    tangent = registry.evaluate(rule, "jvp", param, bound, result, direction)
    moved = []
    for step in (1e-6, -1e-6):
        shifted = dict(bound)
        shifted[param] = bound[param] + step * direction
        moved.append(func(*[shifted[p] for p in rule.params]))
    np.testing.assert_allclose(tangent, (moved[0] - moved[1]) / 2e-6, rtol=1e-6, atol=1e-8)


def test_every_forward_rule_of_this_groups_helpers_is_checked():
    source = inspect.getsource(runtime)
    ours = source[source.index("# Helpers of the reduction rules"):
                  source.index("# end of the reduction helpers")]
    checked = {(id(f), p) for f, _, p in HELPER_PARAMS}
    count = 0
    for func, rule in registry.registered():
        if getattr(func, "__module__", "") != runtime.__name__ or rule.zero or \
                f"\ndef {func.__name__}(" not in ours:
            continue
        for param, template in rule.jvp.items():
            if template is not None:
                assert (id(func), param) in checked, (rule.name, param)
                count += 1
    assert count == len(checked) == 16
