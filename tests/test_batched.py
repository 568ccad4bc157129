"""Batched derivatives: many cotangents (tangents) in one call, and the vectorised Jacobian.

Each batched helper is checked against its plain twin applied item by item; each batched
derivative against the plain derivative of each item (``check_grad`` does that for every
construct test too); ``jacobian`` on the vectorised path against the one-pass-per-row path
and finite differences.
"""
import numpy as np
import pytest

import srcdiff
from srcdiff import runtime as rt
from tests.cases import higher_order as h

RNG = np.random.default_rng(5)
B = 3


def normal(*shape):
    return RNG.standard_normal(shape)


def stacked(helper, batch, *rest):
    return np.stack([helper(item, *rest) for item in batch])


# ---------------------------------------------------------------------------------------------
# Helpers.
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("g_shape, like_shape", [((4, 3), (3,)), ((4, 3), ()), ((2, 3, 4), (3, 1)),
                                                 ((3, 4), (1, 4)), ((3,), (3,))])
def test_batch_unbroadcast_and_broadcast_like(g_shape, like_shape):
    like = np.zeros(like_shape)
    g = normal(B, *g_shape)
    np.testing.assert_array_equal(rt.batch_unbroadcast(g, like), stacked(rt.unbroadcast, g, like))
    t = normal(B, *like_shape)
    big = np.zeros(g_shape)
    np.testing.assert_array_equal(rt.batch_broadcast_like(t, big),
                                  stacked(rt.broadcast_like, t, big))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (None, True), (1, False), (-1, True),
                                            ((0, 2), False), ((0, -1), True)])
def test_batch_reductions(axis, keepdims):
    a = normal(2, 3, 4)
    y = np.sum(a, axis=axis, keepdims=keepdims)
    g = normal(B, *np.shape(y))
    np.testing.assert_array_equal(rt.batch_repeat_to_shape(g, a, axis, keepdims),
                                  stacked(rt.repeat_to_shape, g, a, axis, keepdims))
    big = normal(B, *a.shape)
    np.testing.assert_allclose(rt.batch_sum_to(big, y, axis, keepdims),
                               stacked(rt.sum_to, big, y, axis, keepdims), rtol=1e-14)
    np.testing.assert_allclose(np.sum(big, axis=rt.batch_axis(axis, a), keepdims=keepdims),
                               stacked(np.sum, big, axis, None, None, keepdims), rtol=1e-14)


X = np.zeros((4, 5, 6))
INDICES = [1, -2, (1, 2), np.s_[..., 0], np.s_[1:3, ..., None], np.s_[:, [0, 1]],
           (np.array([0, 2, 2]), slice(None), np.array([1, 1, 0])), X[..., 0] > -1,
           np.s_[None, 2, ::2]]


@pytest.mark.parametrize("index", INDICES, ids=range(len(INDICES)))
def test_batch_indexing(index):
    t = normal(B, *X.shape)
    picked = rt.batch_index(t, index)
    np.testing.assert_array_equal(picked, np.stack([item[index] for item in t]))
    g = normal(*picked.shape)
    np.testing.assert_array_equal(rt.batch_index_adjoint(g, X, index),
                                  stacked(lambda gi: rt.index_adjoint(gi, X, index), g))
    written = [rt.set_slot(ti, index, gi) for ti, gi in zip(t, g, strict=True)]
    np.testing.assert_array_equal(rt.batch_set_slot(t, index, g), np.stack(written))
    np.testing.assert_array_equal(rt.batch_zero_slot(t, index),
                                  stacked(rt.zero_slot, t, index))


PRODUCT_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                  ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((3,), (5, 3, 4))]


@pytest.mark.parametrize("a_shape, b_shape", PRODUCT_SHAPES)
def test_batch_matmul(a_shape, b_shape):
    a, b = normal(*a_shape), normal(*b_shape)
    y = a @ b
    da, db, g = normal(B, *a_shape), normal(B, *b_shape), normal(B, *y.shape)
    close = np.testing.assert_allclose
    close(rt.batch_matmul(da, b, True, False, y), np.stack([d @ b for d in da]), rtol=1e-13)
    close(rt.batch_matmul(a, db, False, True, y), np.stack([a @ d for d in db]), rtol=1e-13)
    close(rt.batch_matmul_vjp_a(g, a, b), stacked(rt.matmul_vjp_a, g, a, b), rtol=1e-13)
    close(rt.batch_matmul_vjp_b(g, a, b), stacked(rt.matmul_vjp_b, g, a, b), rtol=1e-13)
    close(rt.batch_matmul_vjp_a(g[0], a, db, False, True),
          np.stack([rt.matmul_vjp_a(g[0], a, d) for d in db]), rtol=1e-13)
    close(rt.batch_matmul_vjp_b(g[0], da, b, False, True),
          np.stack([rt.matmul_vjp_b(g[0], d, b) for d in da]), rtol=1e-13)


@pytest.mark.parametrize("a_shape, b_shape", [((), (3,)), ((3,), ())] + PRODUCT_SHAPES)
def test_batch_dot(a_shape, b_shape):
    a, b = normal(*a_shape), normal(*b_shape)
    y = np.dot(a, b)
    da, db, g = normal(B, *a_shape), normal(B, *b_shape), normal(B, *np.shape(y))
    close = np.testing.assert_allclose
    close(rt.batch_dot(da, b, True, False, y), np.stack([np.dot(d, b) for d in da]), rtol=1e-13)
    close(rt.batch_dot(a, db, False, True, y), np.stack([np.dot(a, d) for d in db]), rtol=1e-13)
    close(rt.batch_dot_vjp_a(g, a, b), stacked(rt.dot_vjp_a, g, a, b), rtol=1e-13)
    close(rt.batch_dot_vjp_b(g, a, b), stacked(rt.dot_vjp_b, g, a, b), rtol=1e-13)


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (-1, 0, 1)])
def test_batch_transpose(axes):
    t = normal(B, 2, 3, 4)
    np.testing.assert_array_equal(rt.batch_transpose(t, axes),
                                  np.stack([np.transpose(item, axes) for item in t]))


def test_batch_lists():
    items = [normal(B, 2, 3) for _ in range(4)]
    for axis in (0, 1, -1):
        whole = rt.batch_stack(items, axis)
        np.testing.assert_array_equal(
            whole, np.stack([np.stack([it[k] for it in items], axis) for k in range(B)]))
        parts = rt.batch_unstack(whole, [it[0] for it in items], axis)
        for part, item in zip(parts, items, strict=True):
            np.testing.assert_array_equal(part, item)
    np.testing.assert_array_equal(rt.batch_array(items),
                                  np.stack([np.array([it[k] for it in items]) for k in range(B)]))


# ---------------------------------------------------------------------------------------------
# Derivatives and Jacobians.
# ---------------------------------------------------------------------------------------------

def test_vjp_batch_and_jvp_batch_are_the_plain_derivatives_item_by_item():
    W, x = normal(3, 4), normal(4)
    cts, tangents = normal(B, 3), normal(B, 3, 4)
    rows = srcdiff.vjp_batch(h.layer, wrt=0)(W, x, cts)
    value, columns = srcdiff.jvp_batch(h.layer, wrt=0)(W, x, tangents)
    np.testing.assert_array_equal(value, h.layer(W, x))
    assert rows.shape == (B, 3, 4) and columns.shape == (B, 3)
    for k in range(B):
        np.testing.assert_allclose(rows[k], srcdiff.vjp(h.layer)(W, x, cts[k]), rtol=1e-13)
        np.testing.assert_allclose(columns[k], srcdiff.jvp(h.layer)(W, x, tangents[k])[1],
                                   rtol=1e-13)


def finite_jacobian(f, args, wrt, eps=1e-6):
    x = args[wrt]
    out = np.asarray(f(*args), dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        plus, minus = list(args), list(args)
        plus[wrt], minus[wrt] = x + step, x - step
        columns.append((np.asarray(f(*plus)) - np.asarray(f(*minus))).ravel() / (2 * eps))
    return np.array(columns).T.reshape(out.shape + x.shape)


CASES = {
    "m<n": (h.wide, lambda: (normal(5),), 0),
    "m=n": (h.square, lambda: (normal(3),), 0),
    "m>n": (h.tall, lambda: (normal(2),), 0),
    "rnn states wrt W": (h.rnn_states, lambda: (normal(3, 3) / 2, normal(3, 2), normal(4, 2),
                                                 normal(3)), 0),
    "rnn states wrt h": (h.rnn_states, lambda: (normal(3, 3) / 2, normal(3, 2), normal(4, 2),
                                                 normal(3)), 3),
    "calls": (h.two_layers_by_calls, lambda: (normal(3, 4), normal(2, 3), normal(4)), 2),
    "writes and branches": (h.written_in_place, lambda: (normal(5),), 0),
    "rosenbrock": (h.rosenbrock, lambda: (normal(6),), 0),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_vectorised_jacobian_matches_the_per_row_one_and_finite_differences(name, mode):
    func, make, wrt = CASES[name]
    args = make()
    fast = srcdiff.jacobian(func, wrt=wrt, mode=mode, vectorize=True)(*args)
    slow = srcdiff.jacobian(func, wrt=wrt, mode=mode, vectorize=False)(*args)
    assert np.shape(fast) == np.shape(func(*args)) + np.shape(args[wrt])
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast, finite_jacobian(func, args, wrt), rtol=1e-6, atol=1e-8)


def test_hessian_runs_vectorised_over_the_gradient_code():
    W1, x, W2 = normal(4, 3), normal(3), normal(2, 4)
    grad = srcdiff.grad(h.two_layer, wrt=0)
    fast = srcdiff.jacobian(grad, wrt=0, mode="forward", vectorize=True)(W1, x, W2)
    slow = srcdiff.jacobian(grad, wrt=0, mode="forward", vectorize=False)(W1, x, W2)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(srcdiff.hessian(h.two_layer)(W1, x, W2), fast, rtol=1e-12)


def test_a_rule_without_a_batched_form_falls_back_to_one_pass_per_row():
    x = normal(6)
    with pytest.raises(srcdiff.UnsupportedSyntaxError, match="no batched derivative of np.reshape"):
        srcdiff.jacobian(h.fortran_reshape, vectorize=True)(x)
    J = srcdiff.jacobian(h.fortran_reshape)(x)
    np.testing.assert_allclose(J, finite_jacobian(h.fortran_reshape, (x,), 0), rtol=1e-8)


def test_mode_is_checked():
    with pytest.raises(srcdiff.SrcdiffError, match="mode must be"):
        srcdiff.jacobian(h.square, mode="sideways")
