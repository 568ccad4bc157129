"""Derivative rules of your own: probit regression with a normal CDF srcdiff cannot read.

srcdiff differentiates the NumPy it knows. Here the model needs the standard normal CDF
``Phi(z) = (1 + erf(z / sqrt 2)) / 2``, which NumPy lacks; it is written with ``math.erf`` in a
list comprehension, which srcdiff refuses to differentiate. Two declarations fix that, in the
same style as srcdiff's own rules:

* ``@srcdiff.elementwise(z=...)`` gives ``normal_cdf`` its derivative ``phi(z)``: srcdiff calls
  the function as written and applies the rule;
* ``srcdiff.elementwise(math.erf, x=...)`` gives a library function its derivative.

Both are read by ``@grad``-style use below and, without running this file, by
``srcdiff emit examples/custom_rules.py --function probit_loss``.

Run from the repository root:  python examples/custom_rules.py
"""
import math

import numpy as np

import srcdiff

srcdiff.elementwise(math.erf, x="2 / math.sqrt(math.pi) * math.exp(-x ** 2)")


@srcdiff.elementwise(z="np.exp(-0.5 * z ** 2) / np.sqrt(2 * np.pi)")
def normal_cdf(z):
    """Phi(z), elementwise, through math.erf."""
    values = [0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in np.ravel(z)]
    return np.reshape(values, np.shape(z))


def probit_loss(w, X, y):
    """Negative mean log-likelihood of labels y in {0, 1} under P(y = 1) = Phi(X @ w)."""
    p = normal_cdf(X @ w)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def tail_probability(t):
    """P(|Z| > t) for a standard normal Z: a scalar function of math.erf."""
    return 1.0 - math.erf(t / math.sqrt(2.0))


def main() -> None:
    rng = np.random.default_rng(0)
    true_w = np.array([1.5, -2.0, 0.5])
    X = rng.standard_normal((400, 3))
    y = (X @ true_w + rng.standard_normal(400) > 0).astype(float)

    print(srcdiff.emit(probit_loss))
    w = np.zeros(3)
    print(f"gradient check: max error {srcdiff.check_grad(probit_loss, w + 0.1, X, y):.1e}")
    slope = srcdiff.grad(tail_probability)(1.0)
    closed_form = -2 * math.exp(-0.5) / math.sqrt(2 * math.pi)
    print(f"d/dt P(|Z| > t) at t = 1: {slope:.6f} (closed form {closed_form:.6f})")
    assert abs(slope - closed_form) < 1e-12

    grad = srcdiff.grad(probit_loss)
    for step in range(301):
        if step % 100 == 0:
            print(f"step {step:3d}: loss {probit_loss(w, X, y):.4f}")
        w = w - 0.5 * grad(w, X, y)
    print("fitted w =", np.round(w, 2), " (data drawn with w =", true_w, ")")


if __name__ == "__main__":
    main()
