"""The worked numbers of the PyTorch autograd tutorials, recomputed with srcdiff.

Each example is a plain top-level function (srcdiff reads its source); ``main`` computes its
derivative with srcdiff, prints the expected and obtained values, and asserts they agree.

Run from the repository root:  python examples/seeds.py
"""

import numpy as np

import srcdiff


def Q(a, b):
    return 3 * a**3 - b**2


def sum_of_squares_plus_two(x):
    return np.sum(x * x + 2)


def cubic(x):
    return 2 * x**3 + 1


def mean_of_shifted_squares(x):
    return np.mean(3 * (x + 2) ** 2)


def two_steps(x):
    y = x * x
    z = 2 * y + 5
    return z


def square_of_sum(x, y):
    return (x + y) ** 2


def mean_of_triple(a):
    return np.mean(3 * a)


def square(x):
    return x * x


def cut_by_stop_gradient(x):
    y = srcdiff.stop_gradient(x * x)
    return np.sum(y * x)


def cut_by_no_grad(x):
    with srcdiff.no_grad():
        s = np.sum(x)
    return s * np.sum(x)


def check(title, got, expected):
    """Print ``expected`` next to ``got`` and assert they agree (elementwise for tuples)."""
    print(title)
    print(f"    expected: {expected}")
    print(f"    got:      {got}")
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), got
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e)
    else:
        np.testing.assert_allclose(got, expected)


def main():
    a = np.array([2.0, 3.0])
    b = np.array([6.0, 4.0])
    check(
        "Q = 3*a**3 - b**2, vjp with ones: (dQ/da, dQ/db) = (9*a**2, -2*b)",
        srcdiff.vjp(Q, wrt=(0, 1))(a, b, np.ones(2)),
        (np.array([36.0, 81.0]), np.array([-12.0, -8.0])),
    )

    check(
        "z = sum(x*x + 2) at x = [2, 3]: dz/dx = 2*x",
        srcdiff.grad(sum_of_squares_plus_two)(np.array([2.0, 3.0])),
        np.array([4.0, 6.0]),
    )

    check("z = 2*x**3 + 1 at x = 2: dz/dx = 6*x**2", srcdiff.grad(cubic)(2.0), 24.0)

    check(
        "z = mean(3*(x + 2)**2) at x = [1, 2, 3]: dz/dx = 2*(x + 2)",
        srcdiff.grad(mean_of_shifted_squares)(np.array([1.0, 2.0, 3.0])),
        np.array([6.0, 8.0, 10.0]),
    )

    check("y = x*x; z = 2*y + 5 at x = 2: dz/dx = 4*x", srcdiff.grad(two_steps)(2.0), 8.0)

    check(
        "z = (x + y)**2 at x = 1, y = 2: dz/dx = dz/dy = 2*(x + y)",
        srcdiff.grad(square_of_sum, wrt=(0, 1))(1.0, 2.0),
        (6.0, 6.0),
    )

    check(
        "c = mean(3*a) for a 2x2 a: dc/da = 3/4 everywhere",
        srcdiff.grad(mean_of_triple)(np.ones((2, 2))),
        np.full((2, 2), 0.75),
    )

    check(
        "y = x*x at x = [1, 2, 3], vjp with ones: 2*x",
        srcdiff.vjp(square)(np.array([1.0, 2.0, 3.0]), np.ones(3)),
        np.array([2.0, 4.0, 6.0]),
    )

    x = np.array([1.0, 2.0, 3.0])
    check(
        "sum(stop_gradient(x*x) * x): the stopped factor is a constant, gradient x*x",
        srcdiff.grad(cut_by_stop_gradient)(x),
        x * x,
    )

    check(
        "s = sum(x) under no_grad; s * sum(x): s is a constant, gradient s",
        srcdiff.grad(cut_by_no_grad)(x),
        np.full(3, np.sum(x)),
    )

    print("all checks passed")


if __name__ == "__main__":
    main()
