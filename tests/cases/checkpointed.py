"""Loops differentiated with checkpointing (tests/test_checkpoint.py) and measured by
``srcdiff.memory`` (tests/test_memory.py). srcdiff reads their source: keep them top-level
``def`` statements of this real file. None writes into its arguments. The loop variables
are named even where unused: they name the emitted lists (``t_stack``, ``t_checkpoints``)."""
# ruff: noqa: B007
import numpy as np


def recurrence(W, x, n):
    h = x
    for t in range(n):
        h = np.tanh(W @ h) + 0.5 * x
    return np.sum(h * h)


def recurrence_while(W, x, n):
    h = x
    k = 0
    while k < n:
        h = np.tanh(W @ h) + 0.5 * x
        k = k + 1
    return np.sum(h * h)


def counted_down(x, n):
    h = x
    for t in reversed(range(n)):
        h = np.sin(h) * 0.9 + 0.01 * t
    return np.sum(h)


def over_rows(X, w):
    total = 0.0
    for i, row in enumerate(X):
        total = total + np.sin(row @ w) * (i + 1.0)
    return total


def nested(W, x, n, m):
    h = x
    for i in range(n):
        for j in range(m):
            h = np.tanh(W @ h + 0.1 * j)
        h = h * 0.9 + 0.1 * x
    return np.sum(h * h)


def with_break(x, n, limit):
    for t in range(n):
        x = np.sin(x) + 0.5 * x
        if np.sum(x * x) > limit:
            break
    return np.sum(x)


def with_continue(x, n):
    total = 0.0
    for t in range(n):
        v = x[t % 3]
        if v * (t - 2.5) < 0:
            continue
        total = total + np.sin(v * t)
    return total


def writes_rows(x, n):
    out = np.zeros((n, 3))
    h = x
    for t in range(n):
        h = np.sin(h) + 0.5 * x
        out[t] = h * h
    return np.sum(out) + np.sum(h)


def running_state(x, n):
    state = np.zeros(2)
    for t in range(n):
        state[0] = state[0] * 0.5 + x[t % 3]
        state[1] = state[1] + state[0] ** 2
    return state[1]


def appends(x, n):
    hs = []
    h = x
    for t in range(n):
        h = np.tanh(h) * 1.1
        hs.append(h)
    total = np.sum(h)
    for k in range(len(hs)):
        total = total + np.sum(hs[k] * hs[k])
    return total


def rebinds_and_writes(x, n):
    v = np.zeros(3) + x
    for t in range(n):
        v[0] = np.sin(v[1]) + v[2]
        v = v * 0.5 + x
    return np.sum(v * v)


def two_loops(x, y):
    s = x
    h = y
    for i in range(4):
        s = s * np.sum(h * h)
    for j in range(3):
        h = h + 1.0
        s = s * 1.5 + np.sum(h)
    return s


def returns_carried(x, n):
    for t in range(n):
        x = np.sin(x) + 0.5 * x
    return x


def helper_loop(h, W, n):
    for t in range(n):
        h = np.tanh(W @ h)
    return h


def calls_helper(W, x, n):
    h = helper_loop(x, W, n)
    return np.sum(h * h)


def random_inside(x, n):
    for t in range(n):
        x = np.sin(x) + 0.0 * np.random.standard_normal()
    return np.sum(x)


def sines(x, n):
    for t in range(n):
        x = np.sin(x)
    return np.sum(x)


def no_loop(x):
    return np.sum(np.sin(x) * x)


def vector_output(x, n):
    for t in range(n):
        x = np.sin(x) * 1.5
    return x


def written_value(x, n):
    out = np.zeros(1)
    for t in range(n):
        out[0] = out[0] + x[t % 3] ** 2
    return out
