"""Differentiate through Newton's method: the square root of a, in a while loop.

    x <- (x + a / x) / 2   while |x * x - a| > tol * a

converges to sqrt(a). srcdiff differentiates the iteration as written (every step, however
many the loop takes at this a), and the derivative of the converged iterate is the derivative
of the square root, 1 / (2 sqrt(a)): near convergence each step's own dependence on the
previous iterate, (1 - a / x**2) / 2, vanishes, so the last step alone gives 1 / (2 x).

Run from the repository root:  python examples/newton.py
"""

import numpy as np

import srcdiff

TOL = 1e-12


def newton_sqrt(a, tol):
    x = a + 1.0
    while np.abs(x * x - a) > tol * a:
        x = 0.5 * (x + a / x)
    return x


def main():
    print(f"newton_sqrt(2.0, {TOL}) = {newton_sqrt(2.0, TOL)!r} (sqrt(2) = {np.sqrt(2.0)!r})")
    print("\nGradient code srcdiff emits for newton_sqrt (w.r.t. a):")
    print(srcdiff.emit(newton_sqrt))

    dsqrt = srcdiff.grad(newton_sqrt)
    print(f"{'a':>8}  {'srcdiff':>20}  {'1 / (2 sqrt(a))':>20}")
    for a in [0.25, 2.0, 9.0, 150.0]:
        derivative, exact = dsqrt(a, TOL), 1.0 / (2.0 * np.sqrt(a))
        print(f"{a:>8}  {derivative:>20.15f}  {exact:>20.15f}")
        if not np.isclose(derivative, exact, rtol=1e-10, atol=0.0):
            raise SystemExit(f"d sqrt(a) / da at a = {a} is {derivative}, expected {exact}")

    # Raises srcdiff.GradientCheckError (and so exits non-zero) on a mismatch.
    error = max(srcdiff.check_grad(newton_sqrt, a, TOL) for a in [0.25, 2.0, 9.0, 150.0])
    print(f"check_grad: max difference from central finite differences = {error:.3e}")
    return error


if __name__ == "__main__":
    main()
