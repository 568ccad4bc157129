"""Gradient descent on the Rosenbrock function, written as a loop over x[i].

    f(x) = sum_i 100 * (x[i+1] - x[i]**2)**2 + (1 - x[i])**2,   i = 0 .. n-2

The minimum is f = 0 at x = (1, ..., 1), at the end of a long curved valley. srcdiff emits the
gradient of the loop as written (the forward loop, then a backward loop over i in reverse);
the script checks it against finite differences and against the textbook closed form, then
takes 200 steps of gradient descent and prints the value falling.

Run from the repository root:  python examples/rosenbrock.py
"""

import numpy as np

import srcdiff

LEARNING_RATE = 1e-3
STEPS = 200


def rosenbrock(x):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def rosenbrock_gradient_by_hand(x):
    """The closed form, vectorized: each x[i] appears in term i and term i - 1."""
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def main():
    x = np.array([-1.2, 1.0, -0.5, 0.8])
    print(f"rosenbrock({x.tolist()}) = {rosenbrock(x):.6f}")
    print("\nGradient code srcdiff emits for rosenbrock:")
    print(srcdiff.emit(rosenbrock))

    # Raises srcdiff.GradientCheckError (and so exits non-zero) on a mismatch.
    error = srcdiff.check_grad(rosenbrock, x)
    print(f"check_grad: max difference from central finite differences = {error:.3e}")

    drosenbrock = srcdiff.grad(rosenbrock)
    np.testing.assert_allclose(drosenbrock(x), rosenbrock_gradient_by_hand(x), rtol=1e-10)
    print("the gradient equals the closed form")

    start = rosenbrock(x)
    print(f"\n{'step':>5}  {'f(x)':>12}")
    print(f"{0:>5}  {start:>12.6f}")
    for step in range(1, STEPS + 1):
        x = x - LEARNING_RATE * drosenbrock(x)
        if step % 20 == 0:
            print(f"{step:>5}  {rosenbrock(x):>12.6f}")
    print(f"final x = {np.round(x, 4).tolist()} (the minimum is at all ones)")
    if not rosenbrock(x) < start:
        raise SystemExit("gradient descent did not decrease the Rosenbrock function")
    return x


if __name__ == "__main__":
    main()
