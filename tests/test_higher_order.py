"""Forward mode beyond check_grad, Jacobians, Hessians, derivatives of derivatives."""
import numpy as np
import pytest

import srcdiff
from tests.cases import higher_order as h

RNG = np.random.default_rng(37)


def normal(*shape):
    return RNG.standard_normal(shape)


def finite_jacobian(f, x, eps=1e-6):
    out = np.asarray(f(x), dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))).ravel() / (2 * eps))
    return np.array(columns).T.reshape(out.shape + x.shape)


@pytest.mark.parametrize("func, n", [(h.wide, 5), (h.square, 3), (h.tall, 2)],
                         ids=["m<n", "m=n", "m>n"])
@pytest.mark.parametrize("mode", [None, "reverse", "forward"])
def test_jacobian_matches_finite_differences(func, n, mode):
    x = normal(n)
    J = srcdiff.jacobian(func, mode=mode)(x)
    assert J.shape == np.shape(func(x)) + x.shape
    np.testing.assert_allclose(J, finite_jacobian(func, x), rtol=1e-6, atol=1e-8)


def _check_hessian(f, args, wrt, scale=1.0):
    H = srcdiff.hessian(f, wrt=wrt)(*args)
    x = args[wrt]
    np.testing.assert_allclose(H, np.swapaxes(H.reshape(x.size, x.size), 0, 1).reshape(H.shape),
                               rtol=1e-10, atol=1e-12)

    def gradient_at(value):
        moved = list(args)
        moved[wrt] = value
        return srcdiff.grad(f, wrt=wrt)(*moved)

    np.testing.assert_allclose(H, finite_jacobian(gradient_at, x), rtol=1e-5,
                               atol=1e-6 * scale)
    return H


def test_hessian_of_the_seeds_q():
    a, b = normal(3), normal(3)
    H = _check_hessian(h.q_total, (a, b), 0)
    np.testing.assert_allclose(H, np.diag(18 * a), rtol=1e-13)
    np.testing.assert_allclose(srcdiff.hessian(h.q_total, wrt=1)(a, b), -2 * np.eye(3))


def test_hessian_of_a_logistic_regression_loss():
    _check_hessian(h.logistic_loss, (normal(3), normal(8, 3), np.sign(normal(8))), 0)


def test_hessian_of_the_two_layer_network():
    _check_hessian(h.two_layer, (normal(4, 3), normal(3), normal(2, 4)), 0, scale=10.0)


@pytest.mark.parametrize("n", [2, 5])
def test_hessian_of_the_rosenbrock_loop(n):
    _check_hessian(h.rosenbrock, (normal(n),), 0, scale=100.0)


def test_hessian_through_a_while_loop():
    a = 2.7
    second = srcdiff.hessian(h.newton_sqrt)(a, 1e-13)
    assert type(second) is float
    assert second == pytest.approx(-0.25 * a ** -1.5, rel=1e-8)
    gradient = srcdiff.grad(h.newton_sqrt)
    eps = 1e-5
    by_differences = (gradient(a + eps, 1e-13) - gradient(a - eps, 1e-13)) / (2 * eps)
    assert second == pytest.approx(by_differences, rel=1e-6)


@pytest.mark.parametrize("x", [-1.3, 0.4, 2.2])
def test_third_derivative_of_sin_x_cubed(x):
    third = srcdiff.grad(srcdiff.grad(srcdiff.grad(h.sin_cubed)))(x)
    expected = -x**3 * np.cos(x) - 9 * x**2 * np.sin(x) + 18 * x * np.cos(x) + 6 * np.sin(x)
    assert third == pytest.approx(expected, rel=1e-12)
    second = srcdiff.grad(srcdiff.grad(h.sin_cubed))(x)
    assert second == pytest.approx(-x**3 * np.sin(x) + 6 * x**2 * np.cos(x)
                                   + 6 * x * np.sin(x), rel=1e-12)


def test_compositions_of_operators():
    x = normal(4)
    g = srcdiff.grad(h.rosenbrock)
    v = normal(4)
    _, hv = srcdiff.jvp(g)(x, v)  # Hessian-vector product, forward over reverse
    np.testing.assert_allclose(hv, srcdiff.hessian(h.rosenbrock)(x) @ v, rtol=1e-10)
    u = normal(4)
    np.testing.assert_allclose(srcdiff.vjp(srcdiff.vjp(h.square))(x, u, v).shape, (4,))


def test_emit_shows_the_code_of_a_nested_derivative():
    text = srcdiff.emit(srcdiff.grad(h.sin_cubed))
    assert text.startswith("def grad_grad_sin_cubed(x):")
    forward = srcdiff.emit(srcdiff.grad(h.rosenbrock), mode="forward")
    assert forward.startswith("def jvp_grad_rosenbrock(x, dx")


def test_reverse_over_reverse_agrees_with_forward_over_reverse():
    x, W = normal(3), normal(4, 3)
    by_reverse = srcdiff.jacobian(srcdiff.grad(h.net_of_input), mode="reverse")(x, W)
    by_forward = srcdiff.hessian(h.net_of_input)(x, W)
    np.testing.assert_allclose(by_reverse, by_forward, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(by_reverse, by_reverse.T, rtol=1e-10, atol=1e-12)


def test_vjp_of_vjp_is_the_forward_map_transposed_twice():
    x, u, v = normal(3), normal(3), normal(3)
    # vjp(vjp(f)) w.r.t. x along v: d/dx <J(x)^T u, v>, checked by differences
    got = srcdiff.vjp(srcdiff.vjp(h.square))(x, u, v)

    def inner(point):
        return float(np.dot(srcdiff.vjp(h.square)(point, u), v))

    eps = 1e-6
    expected = np.array([(inner(x + eps * e) - inner(x - eps * e)) / (2 * eps)
                         for e in np.eye(3)])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
