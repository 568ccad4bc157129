"""Functions whose loops leave early with ``break`` or ``continue``, differentiated by
tests/test_canonicalize.py.

The canonicalize pass lowers every ``break`` and ``continue`` before the fence runs, so these
functions reach the later passes as plain ``if``/``while`` code. srcdiff reads their source,
so they must stay top-level ``def`` statements of this real file. None of them modifies its
arguments, and each returns a scalar.

Every exit is taken on a condition that the tests keep far from its threshold, so the small
steps of central finite differences never change the iteration an exit happens in (or, for
``newton_sqrt``, change it only once the iteration has converged).
"""
import numpy as np


def newton_sqrt(a, x, tol):
    """Newton's iteration for sqrt(a), elementwise, until the largest step is below tol."""
    for _ in range(50):
        step = (x * x - a) / (2.0 * x)
        x = x - step
        if np.max(np.abs(step)) < tol:
            break
    return np.sum(x)


def sum_skipping_negatives(x):
    """A sum that skips the negative entries with ``continue``."""
    total = 0.0
    for v in x:
        if v < 0:
            continue
        total = total + v * np.sin(v)
    return total


def while_until_large(x, limit):
    """A fixed-point style iteration that stops once the state is large."""
    y = x
    count = 0
    while count < 30:
        y = np.sin(y) * 1.5 + 0.5 * x
        count = count + 1
        if np.sum(y * y) > limit:
            break
    return np.sum(y * y)


def rows_until_threshold(X, w, threshold):
    """Accumulates rows of X until the running total passes threshold."""
    total = 0.0
    for row in X:
        total = total + np.sum(np.tanh(row * w))
        if total > threshold:
            break
    return total * total


def enumerate_skipping_rows(X):
    """Weights row i by i + 1, skipping the rows whose sum is negative."""
    total = 0.0
    for i, row in enumerate(X):
        if np.sum(row) < 0:
            continue
        total = total + (i + 1.0) * np.sum(np.sin(row) * row)
    return total


def backwards_until_small(x, cutoff):
    """Runs through x from its end (a range with a negative step), stopping at an entry below
    cutoff, which is still used."""
    acc = 0.0
    for i in range(len(x) - 1, -1, -1):
        acc = np.sin(acc + x[i]) * 1.5
        if x[i] < cutoff:
            break
    return acc


def nested_break_inner(X, limit):
    """The inner loop breaks at the first entry above limit; the outer loop goes on."""
    total = 0.0
    for row in X:
        inner = 0.0
        for v in row:
            if v > limit:
                break
            inner = inner + np.exp(v) * v
        total = total + inner * inner
    return total


def skip_and_stop(x, low, high):
    """``continue`` below low and ``break`` above high, in the same loop."""
    total = 0.0
    for i in range(len(x)):
        if x[i] < low:
            continue
        if x[i] > high:
            break
        total = total + np.exp(x[i]) * x[i]
    return total


def break_in_nested_ifs(x, w):
    """The break sits two ifs deep, and statements after the ifs still run on other paths."""
    h = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            h = h + x[i] * w
            if h > 2.0:
                h = h * 0.5
                break
        else:
            h = h - np.sin(x[i]) * w
        h = np.tanh(h) + 0.1 * w
    return h * h


def strided_until_small(x, step, cutoff):
    """Every step-th entry (a range whose step is a parameter), stopping below cutoff."""
    total = 0.0
    for i in range(0, len(x), step):
        if x[i] < cutoff:
            break
        total = total + np.sin(x[i]) * x[i]
    return total
