"""Every worked number of the PyTorch autograd tutorials srcdiff grew from, exactly.

The tutorials (shared/seeds) compute these with ``requires_grad`` and ``.backward()``; here
each is a plain function and srcdiff's emitted derivative.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np

import srcdiff

ROOT = Path(__file__).resolve().parent.parent
EXACT = {"rtol": 1e-15, "atol": 0}


def Q(a, b):  # noqa: N802  (the tutorials' name)
    return 3 * a**3 - b**2


def sum_x_squared_plus_2(x):
    z = x * x + 2
    return np.sum(z)


def cubic(x):
    z = 2 * x**3 + 1
    return z


def mean_of_scaled_square(x):
    y = x + 2
    z = 3 * y**2
    return np.mean(z)


def two_steps(x):
    y = x * x
    z = 2 * y + 5
    return z


def square_of_sum(x, y):
    return (x + y) ** 2


def mean_of_3a(a):
    b = 3 * a
    c = np.mean(b)
    return c


def square(x):
    y = x * x
    return y


def with_no_grad(x):
    with srcdiff.no_grad():
        y = x * 2
    return np.sum(y * x)


def with_detach(x):
    y = srcdiff.stop_gradient(x * x)
    return np.sum(y * x)


def test_q_backward_with_external_gradient():
    a = np.array([2.0, 3.0])
    b = np.array([6.0, 4.0])
    external_grad = np.array([1.0, 1.0])
    da, db = srcdiff.vjp(Q, wrt=(0, 1))(a, b, external_grad)
    np.testing.assert_allclose(da, [36.0, 81.0], **EXACT)
    np.testing.assert_allclose(db, [-12.0, -8.0], **EXACT)
    np.testing.assert_allclose(da, 9 * a**2, **EXACT)
    np.testing.assert_allclose(db, -2 * b, **EXACT)


def test_sum_of_x_squared_plus_2():
    np.testing.assert_allclose(srcdiff.grad(sum_x_squared_plus_2)(np.array([2.0, 3.0])),
                               [4.0, 6.0], **EXACT)


def test_cubic_at_2():
    g = srcdiff.grad(cubic)(2.0)
    assert type(g) is float
    assert g == 24.0


def test_mean_of_scaled_square():
    np.testing.assert_allclose(srcdiff.grad(mean_of_scaled_square)(np.array([1.0, 2.0, 3.0])),
                               [6.0, 8.0, 10.0], **EXACT)
    x = np.random.default_rng(0).standard_normal(3)  # the mean over 3 values: 6(x+2)/3
    np.testing.assert_allclose(srcdiff.grad(mean_of_scaled_square)(x), 2 * (x + 2),
                               rtol=1e-14)


def test_two_steps_at_2():
    assert srcdiff.grad(two_steps)(2.0) == 8.0


def test_square_of_sum_both_arguments():
    x, y = 1.5, -0.25
    dx, dy = srcdiff.grad(square_of_sum, wrt=(0, 1))(x, y)
    assert dx == dy == 2 * (x + y)
    xs, ys = np.array([1.0, 2.0]), np.array([0.5, -3.0])
    dxs, dys = srcdiff.grad(lambda_free_sum_of_square, wrt=(0, 1))(xs, ys)
    np.testing.assert_allclose(dxs, 2 * (xs + ys), **EXACT)
    np.testing.assert_allclose(dys, 2 * (xs + ys), **EXACT)


def lambda_free_sum_of_square(x, y):
    return np.sum((x + y) ** 2)


def test_mean_of_3a_is_three_quarters():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(srcdiff.grad(mean_of_3a)(a), np.full((2, 2), 0.75), **EXACT)


def test_vjp_of_square_with_ones():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(srcdiff.vjp(square)(x, np.ones(3)), [2.0, 4.0, 6.0], **EXACT)


def test_no_grad_cuts_the_derivative():
    x = np.array([1.0, -2.0, 3.0])
    # y = 2x is a constant to the derivative: d/dx sum(y * x) = y = 2x, not 4x.
    np.testing.assert_allclose(srcdiff.grad(with_no_grad)(x), 2 * x, **EXACT)


def test_stop_gradient_cuts_the_derivative():
    x = np.array([1.0, -2.0, 3.0])
    # y = x*x is detached: d/dx sum(y * x) = y = x*x, not 3x*x.
    np.testing.assert_allclose(srcdiff.grad(with_detach)(x), x * x, **EXACT)


def test_examples_seeds_script_runs():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "seeds.py")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "all checks passed" in result.stdout


def test_linear_regression_example_trains_w_to_2():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "linear_regression.py")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()
             if line.strip() and line.split()[0].isdigit()]
    losses = [float(line[1]) for line in lines]
    assert len(losses) >= 3
    assert all(later < earlier for earlier, later in zip(losses, losses[1:], strict=False))
    final_w = float(result.stdout.strip().splitlines()[-1].split("=")[1].split()[0])
    assert abs(final_w - 2.0) < 1e-3
    assert "def grad_loss(w, x, y):" in result.stdout
