"""A deliberately wrong user rule, for gradient bisection (tests/test_bisect.py)."""
import numpy as np

import srcdiff


@srcdiff.elementwise(x="2.0 * x")  # wrong: the derivative of x ** 3 is 3 * x ** 2
def cube(x):
    return x ** 3


def model(w, x):
    h = np.tanh(w * x)
    c = cube(h)  # <- wrong
    return np.sum(c + np.sin(w))
