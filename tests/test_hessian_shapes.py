"""Hessians through the shape and indexing rules, and their conventions.

``srcdiff.hessian`` is forward mode over the gradient code, so it differentiates the shape
rules' adjoint helpers (``concatenate_adjoint``, ``pad_adjoint``, ``take_adjoint``...) a
second time. Each Hessian is compared with central finite differences of ``srcdiff.grad``
and checked symmetric, along the vectorised (batched) path, which ``hessian`` takes by
default, and one column at a time.
"""
from __future__ import annotations

import numpy as np
import pytest

import srcdiff
import srcdiff.rules
from srcdiff.errors import SrcdiffError
from srcdiff.rules import registry

RNG = np.random.default_rng(4242)


# The lists joined here are arrays of items (np.concatenate(M) joins the rows of M): the
# Hessian through a list display needs rules of the runtime's list helpers (see the xfail
# tests at the end).
def joined(x):
    z = np.concatenate(np.outer(x[:2], np.sin(x)))
    w = np.hstack(np.tanh(np.outer(x, x)))
    return np.sum(np.roll(z, 2) * np.tanh(z) ** 2) + np.sum(np.flip(w) * w ** 2)


def stacked(x, y):
    m = np.outer(x, y)
    v = np.vstack(m * x)
    d = np.dstack(np.exp(m))
    c = np.column_stack(np.cos(m) * y)
    return (np.sum(v ** 3) + np.sum(d * d.sum()) + np.sum(np.rot90(c) ** 2 * c.T)
            + np.sum(np.concatenate(m[:, None] * x, axis=None) ** 3))


def diagonals(x):
    return (np.trace(x @ x) * np.sum(np.diag(np.triu(x, -1)) ** 3)
            + np.sum(np.diagonal(np.tril(x)) * np.diagflat(np.diag(x)).sum(0))
            + np.sum(np.diag(np.sin(np.diag(x, 1))) ** 2) + np.sum(np.triu(np.diag(x)) * x))


def padded(x):
    return (np.sum(np.pad(x, 1, "reflect") ** 3)
            + np.sum(np.pad(np.sin(x), (1, 2), constant_values=0.5) ** 2)
            + np.sum(np.pad(x * x, ((0, 1), (2, 1)), "edge") * np.pad(x, ((0, 1), (2, 1))))
            + np.sum(np.pad(x, 2, "mean", stat_length=2) ** 2))


def padded_fill(x, c):
    return np.sum(np.pad(x * c, 1, constant_values=c) ** 3)


def repeated(x):
    return (np.sum(np.tile(x, (2, 1)) ** 3 * np.repeat(x, 2, axis=0))
            + np.sum(np.take(x, [0, 5, 5]) ** 3) + np.sum(x.repeat(2) * x.take([1, 1, 4]).sum()))


def moved(x):
    a = np.swapaxes(x, 0, 2)
    b = np.swapaxes(np.rollaxis(x, 2), 1, 2)
    return (np.sum(a * b ** 2) + np.sum(np.moveaxis(x, 0, -1) ** 3)
            + np.sum(np.squeeze(np.expand_dims(x, 1)) * np.ravel(x, "F").reshape(x.shape)))


def sorted_values(x):
    s = np.sort(x * x, axis=None)
    return np.sum(s ** 3 * np.arange(s.size)) + np.sum(
        np.take_along_axis(x, np.argsort(x, axis=1), 1) ** 2 * x)


def casts(x):
    return (np.sum(np.asarray(x, dtype=np.float64) ** 3 * x.astype(int))
            + np.sum(np.full_like(x, x[0]) * x ** 2) + np.sum(x.astype(float) * x.copy() ** 2)
            + np.sum(np.broadcast_to(x, (2, 4)) ** 3))


def split_piece(x):
    parts = np.split(x * x, 3)
    rest = np.array_split(np.sin(x), 4, axis=-1)
    return np.sum(parts[1] ** 3) + np.sum(rest[0] * x[:2])


def split_unpacked(x):
    a, b = np.split(x, 2)
    return np.sum(a * b ** 2)


def split_indexed_twice(x):
    parts = np.split(x, 3)
    return np.sum(parts[0] * parts[2])


def concatenate_list(x):
    return np.sum(np.concatenate([x, x * x]) ** 3)


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


def check_hessian(f, args, wrt=0, vectorize=True):
    H = srcdiff.hessian(f, wrt=wrt)(*args)
    x = args[wrt]
    n = np.size(x)
    square = np.reshape(H, (n, n))
    np.testing.assert_allclose(square, square.T, rtol=1e-10, atol=1e-12)

    def gradient_at(value):
        moved_args = list(args)
        moved_args[wrt] = value
        return srcdiff.grad(f, wrt=wrt)(*moved_args)

    np.testing.assert_allclose(H, finite_jacobian(gradient_at, x), rtol=1e-6, atol=1e-6)
    # The vectorised path (what hessian takes) and one column at a time agree.
    gradient = srcdiff.grad(f, wrt=wrt)
    looped = srcdiff.jacobian(gradient, wrt=wrt, mode="forward", vectorize=False)(*args)
    np.testing.assert_allclose(looped, H, rtol=1e-12, atol=1e-12)
    if vectorize:
        batched = srcdiff.jacobian(gradient, wrt=wrt, mode="forward", vectorize=True)(*args)
        np.testing.assert_allclose(batched, H, rtol=1e-12, atol=1e-12)
    return H


def test_hessian_concatenate_hstack_roll():
    check_hessian(joined, (RNG.uniform(-1.5, 1.5, 4),))


@pytest.mark.parametrize("wrt", [0, 1])
def test_hessian_stacks(wrt):
    check_hessian(stacked, (RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, 3)), wrt)


def test_hessian_diagonals_and_triangles():
    check_hessian(diagonals, (RNG.uniform(-1, 1, (3, 3)),))


def test_hessian_pad():
    check_hessian(padded, (RNG.uniform(-1, 1, (2, 3)),))


@pytest.mark.parametrize("wrt", [0, 1])
def test_hessian_pad_constant_values(wrt):
    check_hessian(padded_fill, (RNG.uniform(-1, 1, (2, 3)), 0.7), wrt)


def test_hessian_tile_repeat_take():
    check_hessian(repeated, (RNG.uniform(-1, 1, (2, 3)),))


def test_hessian_axes_and_reshapes():
    check_hessian(moved, (RNG.uniform(-1, 1, (2, 3, 4)),))


def test_hessian_sort():
    x = np.linspace(-1.0, 1.2, 6)[[3, 0, 5, 1, 4, 2]].reshape(2, 3)  # no ties in x or x * x
    check_hessian(sorted_values, (x,))


def test_hessian_casts():
    check_hessian(casts, (RNG.uniform(0.2, 2.0, 4),))


def test_hessian_split_one_column_at_a_time():
    """No batched tangent of np.split (a list result): the Hessian runs one column at a
    time, and asking for the vectorised path is refused clearly."""
    x = RNG.uniform(-1, 1, 6)
    check_hessian(split_piece, (x,), vectorize=False)
    with pytest.raises(SrcdiffError, match="batched derivative of np.split"):
        srcdiff.jacobian(srcdiff.grad(split_piece), mode="forward", vectorize=True)(x)


def test_split_gradients():
    x = RNG.uniform(-1, 1, 6)
    srcdiff.check_grad(split_piece, x)
    srcdiff.check_grad(split_unpacked, x)


@pytest.mark.xfail(strict=True, raises=ValueError,
                   reason="the adjoints of two items of a list returned by a call are "
                          "accumulated with +, which concatenates the lists")
def test_split_indexed_twice():
    srcdiff.check_grad(split_indexed_twice, RNG.uniform(-1, 1, 6))


@pytest.mark.xfail(strict=True, raises=SrcdiffError,
                   reason="no derivative rules of the runtime's list helpers cotangent_part, "
                          "tuple_slot, add_items")
@pytest.mark.parametrize("func", [concatenate_list, split_unpacked])
def test_hessian_through_list_helpers(func):
    srcdiff.hessian(func)(RNG.uniform(-1, 1, 4))


def test_astype_float32_keeps_the_derivative_in_float32():
    x = RNG.uniform(-1, 1, 5)

    def f(v):
        return np.sum(np.sin(v.astype(np.float32)))

    g = srcdiff.grad(f)(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.cos(x), rtol=1e-6)
    _, t = srcdiff.jvp(f)(x, np.ones(5))
    assert t == pytest.approx(np.sum(np.cos(x)), rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Conventions.
# ---------------------------------------------------------------------------------------------


def _vjp(func, param, seed, *pos, **kw):
    rule = srcdiff.rules.lookup(func)
    args = rule.bind(list(pos), kw)
    return registry.evaluate(rule, "vjp", param, args, func(*pos, **kw), seed)


def _jvp(func, param, tangent, *pos, **kw):
    rule = srcdiff.rules.lookup(func)
    args = rule.bind(list(pos), kw)
    return registry.evaluate(rule, "jvp", param, args, func(*pos, **kw), tangent)


def test_sort_ties_follow_the_stable_order():
    a = np.array([1.0, 3.0, 1.0, 0.0])
    # sorted: [0 (a[3]), 1 (a[0]), 1 (a[2]), 3 (a[1])]
    np.testing.assert_array_equal(_vjp(np.sort, "a", np.array([1.0, 10.0, 20.0, 30.0]), a),
                                  [10.0, 30.0, 20.0, 1.0])
    np.testing.assert_array_equal(_jvp(np.sort, "a", np.array([5.0, 6.0, 7.0, 8.0]), a),
                                  [8.0, 5.0, 7.0, 6.0])


def test_integer_casts_have_zero_derivative():
    x = np.array([0.5, 1.5, -2.5])
    for dtype in (int, np.int32, bool):
        assert not np.any(_vjp(np.ndarray.astype, "a", np.ones(3), x, dtype))
        assert not np.any(_jvp(np.asarray, "a", np.ones(3), x, dtype))
    assert _vjp(np.ndarray.astype, "a", np.ones(3, np.float32), x, np.float32).dtype == \
        np.float64
    assert _jvp(np.ndarray.astype, "a", np.ones(3), x, np.float32).dtype == np.float32


def test_full_like_is_constant_in_its_array():
    rule = srcdiff.rules.lookup(np.full_like)
    assert rule.vjp["a"] is None and rule.vjp["fill_value"] is not None

    def f(x, c):
        return np.sum(np.full_like(x, c) * c)

    gx, gc = srcdiff.grad(f, wrt=(0, 1))(np.ones(3), 2.0)
    np.testing.assert_array_equal(gx, np.zeros(3))
    assert gc == pytest.approx(12.0)


def pad_maximum(x):
    return np.sum(np.pad(x, 1, "maximum"))


def pad_by_mode(x, mode):
    return np.sum(np.pad(x, 1, mode) ** 2)


def test_pad_in_a_nonlinear_mode_is_refused():
    with pytest.raises(SrcdiffError, match="np.pad"):
        srcdiff.grad(pad_maximum)(np.ones(3))
    with pytest.raises(ValueError, match="mode='median'"):
        srcdiff.grad(pad_by_mode)(np.ones(3), "median")
    srcdiff.check_grad(pad_by_mode, RNG.uniform(-1, 1, 3), "symmetric")


def several_atleast(x, y):
    a, b = np.atleast_1d(x, y)
    return np.sum(a * b)


def test_atleast_with_several_arguments_is_reported():
    with pytest.raises(SrcdiffError, match="atleast_1d"):
        srcdiff.grad(several_atleast)(np.ones(2), np.ones(2))


def take_into(x, buffer):
    y = np.take(x, [0, 2], out=buffer)
    return np.sum(y * buffer)


def test_out_array_is_refused():
    with pytest.raises(ValueError, match=r"np.take\(\.\.\., out=\.\.\.\)"):
        srcdiff.grad(take_into)(np.ones(3), np.zeros(2))
