"""Functions whose derivatives exercise srcdiff/lazy.py: adjoints of reductions left as one
number, sums back counted, shapes read from witnesses (tests/test_lazy.py)."""
import math

import numpy as np


def sum_of_difference(a, b):
    return np.sum(a - b)


def mean_of_product(a, b):
    return np.mean(a * b * 2.0)


def sum_through_matmul(x, W):
    return np.sum((x * 2.0) @ W)


def sum_after_loop(x):
    h = x
    for _ in range(3):
        h = np.tanh(h) * 2.0
    return np.sum(h)


def sum_in_branch(x, y):
    if np.sum(y) > 0:
        z = np.exp(x) - y
    else:
        z = -x
    return np.sum(z)


def sum_of_where(x, y):
    return np.sum(np.where(x > 0, x, y))


def sum_of_axis_sum(x, y):
    return np.sum(np.sum(x * y, axis=1) * 3.0)


def max_of_sum(x):
    return np.max(np.sum(x, axis=0) - 1.0)


def item_of_sum(x):
    s = np.sum(x * x, axis=0, keepdims=True)
    return s[0, 1] + np.sum(s)


def number_plus_array(x, c):
    return np.mean(np.exp(x)) + 0.5 * c * np.sum(x * x)


def sum_with_math(x, t):
    return np.sum(x * math.exp(t)) + math.sin(t)


def written_array(x):
    out = np.zeros(3)
    out[1] = np.sum(x)
    return np.sum(out * 2.0)


def sizes_and_shapes(x):
    n = x.shape[0]
    return np.sum(x * x) / n + len(x)


def shapes_of(x, y, k):
    a = np.exp(x) * 2.0        # the shape of x
    b = a - np.log(x)          # of x: both operands have it
    c = b + y                  # unknown: y may broadcast
    n = len(x) + x.shape[0]    # integers
    s = np.sum(c)              # one number
    m = np.mean(c, axis=0)     # not one number
    total = 0.0
    for i in range(n):
        total = total + s * i  # a number on every iteration
        j = i + 1
    k = k * 2                  # a new name of k's shape
    return total + m + k + j


def sum_of_relu(x):
    return np.sum(np.maximum(x, 0.0) * 3.0)


def sum_of_power(x, p):
    return np.sum(x ** p)


def sum_before_a_loop(x, y):
    """np.sum(y)'s adjoint of y is one number; the loop adds to it only if it runs (found by
    the long fuzz run: the gradient returned was that number, not an array)."""
    v = np.ones((2,)) * 0.5
    k = 0
    while k < 1 and not np.mean(y) < 1.0:
        k += 1
        v += 0.5 * np.tanh(y[k])
    return np.sum(v) + np.sum(y) + np.sum(x * 0.0)


def where_of_means(x, y):
    """The output has the shape of x > 0.0, a boolean: the seed must not take its dtype
    (found by the long fuzz run: a float32 seed, a gradient off by 1e-8)."""
    return np.sum(y) + np.where(x > 0.0, y.mean(), y.mean())
