"""Functions returning tuples, and tuples unpacked from calls."""
import numpy as np


def polar(x, y):
    r = np.sqrt(x * x + y * y)
    return r, y / r


def moments(x):
    m = np.mean(x)
    return m, np.mean((x - m) ** 2)


def uses_both(x, y):
    r, s = polar(x, y)
    m, v = moments(x * r)
    return np.sum(r * s) + m * v


def uses_one(x):
    m, _ = moments(x)
    return m * 3.0


def branch_tuple(x):
    if np.sum(x) > 0:
        return x * 2.0, np.sum(x)
    return -x, np.sum(x * x)


def loop_of_calls(x, n):
    total = 0.0
    for _ in range(n):
        m, v = moments(x)
        x = x - m
        total = total + v
    return total
