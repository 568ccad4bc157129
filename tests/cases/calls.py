"""Differentiated functions that call the user's own helpers."""
import numpy as np

from tests.cases import helpers_elsewhere
from tests.cases.helpers_elsewhere import smooth_abs

SCALE = 1.5


def layer(W, x, b=0.5):
    return np.tanh(W @ x + b)


def scale(v, k):
    return v * k


def two_layers(W1, W2, x):
    h = layer(W1, x)
    h2 = layer(W2, h, b=-0.25)
    return np.sum(scale(h2, SCALE) ** 2)


def keywords(x, y):
    return np.sum(layer(W=y, x=x) * scale(k=2.0, v=x[0]))


def imported(x):
    return np.sum(helpers_elsewhere.softplus(x) + smooth_abs(x, eps=0.5))


def helper_in_loop(W, x, n):
    h = x
    for _ in range(n):
        h = layer(W, h)
    return np.sum(h)


def accumulate(x, n):
    total = 0.0
    for i in range(n):
        total = total + x[i] ** 2
    return total


def helper_with_loop(x, n):
    return accumulate(x, n) * np.sum(x)


def chain(x):
    return np.sum(outer_helper(x))


def outer_helper(x):
    return scale(np.sin(x), 3.0) + layer(np.eye(x.shape[0]), x)


def _make_closure(k):
    def closure(z):
        return z * k + np.sin(z)

    return closure


closure = _make_closure(2.5)


def uses_closure(x):
    return np.sum(closure(x) ** 2)


def branchy(x):
    if np.sum(x) > 0:
        return scale(x, 2.0)
    return x * x


def calls_branchy(x):
    return np.sum(branchy(x) * x)


def with_nested_def(x, k):
    scale = k * 2.0

    def inner(z, shift=0.5):
        return np.sin(z) * scale + z * x + shift

    y = inner(x) + inner(x * x, shift=1.0)
    scale = scale * 3.0  # a closure reads the value at the time of the call
    return np.sum(inner(y) ** 2)


def nested_def_in_loop(x, n):
    def step(v):
        return np.tanh(v) * x

    h = x
    for _ in range(n):
        h = step(h) + h
    return np.sum(h)


def mixes_items(xs):  # reads items of its list argument several times
    return np.sum(xs[0] * xs[1] + xs[0]) + np.sum(xs[-1] ** 3)


def passes_a_list(x, y):
    parts = [x, 2 * x, y]
    return mixes_items(parts) + mixes_items([y, x])
