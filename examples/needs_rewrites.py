"""Functions srcdiff cannot differentiate as written, for ``srcdiff check --lint``.

Each function below uses a construct srcdiff refuses (see the README's "Not supported yet");
``srcdiff check examples/needs_rewrites.py --lint`` lists them all in one pass, each with its
``file:line:col`` and a suggested rewrite, without importing or running the file. The
rewritten versions follow each one.
"""
import numpy as np


def clipped_norm(x):
    try:
        n = np.sqrt(np.sum(x * x))
    except FloatingPointError:
        n = 0.0
    return n


def clipped_norm_rewritten(x):
    return np.sqrt(np.sum(x * x))


def sum_of_squares(xs):
    return sum([v * v for v in xs])


def sum_of_squares_rewritten(xs):
    total = 0.0
    for v in xs:
        total = total + v * v
    return total


def shifted(x):
    y = x[:2]
    x2 = x * 1.0
    view = x2[:2]
    x2[0] = 0.0
    return np.sum(view) + np.sum(y)


def shifted_rewritten(x):
    y = x[:2]
    x2 = x * 1.0
    view = x2[:2].copy()
    x2[0] = 0.0
    return np.sum(view) + np.sum(y)
