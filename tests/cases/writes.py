"""Functions that write into local arrays and unpack tuples."""
import numpy as np


def fill_rows(x, n):
    out = np.zeros((n, x.shape[0]))
    for i in range(n):
        out[i] = x * (i + 1.0)
        out[i, 0] += x[1] ** 2
    return np.sum(out ** 2)


def overwrite_slices(x):
    y = np.ones(x.shape[0])
    before = np.sum(y * x)
    y[1:3] = x[:2] * 3.0
    y[::2] = np.sin(y[::2])
    return np.sum(y * x) + before


def write_columns(X):
    out = np.zeros_like(X)
    out[:, 1:] = X[:, :-1] * X[:, 1:]
    out[:, 0] = np.exp(X[:, 0])
    return np.sum(out * X)


def write_mask(x):
    y = x * 1.0
    y[x < 0] = 0.0
    return np.sum(y ** 2)


def write_negative_index(x):
    y = np.zeros(3)
    y[-1] = x[0] * x[1]
    y[-2] -= np.tanh(x[2])
    y[0] *= 2.0
    return np.sum(y * y)


def running(x):
    state = np.zeros(2)
    for t in range(x.shape[0]):
        state[0] = state[0] * 0.5 + x[t]
        state[1] = state[1] + state[0] ** 2
    return state[1]


def swap(x, y):
    a, b = x, y
    a, b = b * 2.0, a
    return np.sum(a * b + a)


def copy_of_argument(x):
    y = np.copy(x)
    y[0] = 5.0
    return np.sum(y * x)
