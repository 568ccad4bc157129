"""Small functions used as inputs by the tests of the individual compiler passes.

tests/test_parse.py, test_normalize.py, test_analyze.py and test_reverse.py read these
functions' source, so they must stay top-level ``def`` statements of this real file. Tests
locate lines by searching this file's text, so moving functions around is safe; keep each
marked line unique.
"""
import functools

import numpy
import numpy as np

import srcdiff

SCALE = 2.0


def traced(func):
    """A wrapping decorator (like a logging or timing decorator)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def identity(func):
    """A decorator returning the function itself."""
    return func


# ---------------------------------------------------------------------------------------------
# parse
# ---------------------------------------------------------------------------------------------


def plain(x):
    return np.sum(x * SCALE) + np.pi


@identity
@traced
def decorated(x):
    return np.sum(x ** 2)


def make_nested(scale):
    offset = 1.0

    def nested(x):
        return x * scale + offset

    return nested


def make_documented():
    def documented(x):
        """Twice x.

This continuation line of the docstring starts at column 0."""
        return x * 2.0

    return documented


def uses_builtins(x):
    return np.sum(abs(x)) * max(2.0, 3.0)


# ---------------------------------------------------------------------------------------------
# normalize
# ---------------------------------------------------------------------------------------------


def poly(x):
    z = np.mean(3 * (x + 2) ** 2)
    return z


def rebind(x):
    x = x * 2
    x = x * 2
    return x


def collide(x):
    x_plus_2 = x * 3.0
    x_2 = x_plus_2 - 1.0
    y = (x + 2) * x_2
    x = x * y
    return np.sum(x + x_plus_2)


def augmented(x):
    y = x * 1.5
    y += x
    y *= np.sin(y)
    y -= 1.0
    y /= 2.0
    return np.sum(y)


def stopped(x):
    s = srcdiff.stop_gradient(x * 2.0)
    return np.sum(s * x)


def nograd(x):
    y = x * 3.0
    with srcdiff.no_grad():
        m = np.max(x)
        c = m * 2.0
    y = y - c
    return np.sum(y * y)


def chained(x, y):
    a = b = x * y
    c: float = a - b * 0.5
    return np.sum(np.tanh(c) @ y)


def methods_and_attributes(x):
    t = x.T
    n = x.shape[0]
    m = (x * t).sum(axis=0) / n
    return np.exp(-m ** 2 / 2.0).mean()


def comparisons(x, k=0.5):
    pos = x > 0
    y = np.where(pos, x, k * x)
    return np.sum(np.abs(y) - -x)


def indexing(x):
    head = x[0]
    tail = x[1:]
    return np.sum(head * tail) + x[-1]


# ---------------------------------------------------------------------------------------------
# analyze
# ---------------------------------------------------------------------------------------------


def partly(x, y):
    a = y * 2.0
    b = x * a
    unused = np.exp(x)
    c = unused * y  # noqa: F841  (never returned: not active)
    return np.sum(b)


def cut_by_stop(x):
    s = srcdiff.stop_gradient(x)
    t = s * 2.0
    return np.sum(t * x)


def cut_by_no_grad(x):
    with srcdiff.no_grad():
        n = np.sum(x * x)
    return np.sum(x) / n


def cut_by_zero_derivative(x):
    sign_x = np.sign(x)
    mask = x > 0.0
    zeros = np.zeros_like(x)
    g = np.where(mask, sign_x, zeros)
    return np.sum(g * x)


def two(x, y):
    a = x * 2.0
    b = y * 3.0
    return np.sum(a * b)


# ---------------------------------------------------------------------------------------------
# reverse
# ---------------------------------------------------------------------------------------------


def used_twice(x):
    a = np.sin(x)
    b = a * x
    return np.sum(b)


def unused_param(x, y):
    return np.sum(x * x)


def identities(x, y):
    p = x ** 2
    q = x ** 3 - 1.0 / y
    r = np.mean(p * q) + 2.0 * np.sum(y - x)
    return r / 2.0


def has_dx(x):
    dx = x * 2.0
    return np.sum(dx * x)


def local_unbroadcast(x, y):
    unbroadcast = x * y
    return np.sum(unbroadcast * x)


def local_np(x):
    np = numpy.sin(x)
    return numpy.sum(np * x)


def local_scalar_seed(x):
    scalar_seed = x * 2.0
    as_gradient = numpy.cos(scalar_seed)
    return numpy.sum(as_gradient * x)
