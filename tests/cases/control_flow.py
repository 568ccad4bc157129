"""Functions with control flow, differentiated by tests/test_control_flow.py.

Each function exercises one construct (branches, conditional expressions, early returns,
``for`` and ``while`` loops) and returns a scalar. srcdiff reads their source, so they must
stay top-level ``def`` statements of this real file. None of them modifies its arguments.

The functions are smooth away from their branch conditions; the tests choose inputs whose
branch (and iteration count, for ``while`` loops) does not change under the small steps of
central finite differences.
"""
import numpy as np

# ---------------------------------------------------------------------------------------------
# Branches: if, if/else, if/elif/else, nested ifs.
# ---------------------------------------------------------------------------------------------


def if_without_else(x):
    y = x * x
    if np.sum(x) > 0:
        y = y * 3.0 + np.sin(x)
    return np.sum(y)


def if_else_different_expressions(x):
    if np.sum(x) > 0:
        y = x * x
    else:
        t = np.sin(x)
        y = t * x
    return np.sum(y)


def if_elif_else(x):
    s = np.sum(x)
    if s > 1.0:
        y = x**3
    elif s > -1.0:
        y = np.exp(x) * x
    else:
        y = np.cos(x) - x
    return np.sum(y)


def assigned_in_one_branch(x, w):
    z = x * w
    u = np.tanh(x)
    if np.sum(x) > 0:
        z = z + np.exp(w) * u
    return np.sum(z * u)


def nested_ifs(x):
    if np.sum(x) > 0:
        if np.max(x) > 1.0:
            y = x * x
        else:
            y = np.sin(x) * 2.0
    else:
        if np.max(x) > 1.0:
            y = np.exp(x)
        else:
            y = x * np.cos(x)
    return np.sum(y)


def branch_on_mode(x, mode):
    if mode == 0:
        y = x * x
    elif mode == 1:
        y = np.sin(x)
    else:
        y = np.exp(-x)
    return np.sum(y)


def branch_two_inputs(x, w):
    if np.sum(x * w) > 0:
        out = np.sin(x) * w
    else:
        out = x - w * w
    return np.sum(out)


def branch_on_float(a, b):
    if a > b:
        r = a * a * b
    else:
        r = np.sin(a) + b**3
    return r


# ---------------------------------------------------------------------------------------------
# Conditional expressions: a if c else b.
# ---------------------------------------------------------------------------------------------


def ifexp_simple(x):
    y = x * 2.0 if np.sum(x) > 0 else -x
    return np.sum(np.sin(y))


def ifexp_nested(x):
    s = np.sum(x)
    y = x * x if s > 1.0 else (np.sin(x) if s > -1.0 else np.exp(x))
    return np.sum(y)


def ifexp_inside_expression(x, w):
    return np.sum(w * (x if np.sum(x) > 0 else x * x) + w)


def ifexp_on_mode(x, mode):
    scale = 2.0 if mode == 1 else -0.5
    return np.sum(np.tanh(scale * x))


# ---------------------------------------------------------------------------------------------
# Early returns.
# ---------------------------------------------------------------------------------------------


def early_return(x):
    if np.sum(x) > 0:
        return np.sum(x * x)
    y = np.sin(x)
    y = y * x
    return np.sum(y)


def early_return_each_branch(x):
    s = np.sum(x)
    if s > 1.0:
        return np.sum(np.exp(x))
    elif s > -1.0:
        return np.sum(x**3)
    return np.sum(np.cos(x) * x)


def piecewise(a):
    if a < -1.0:
        return -a - 1.0 / 3.0
    if a < 1.0:
        return a * a * a / 3.0 + a * a
    return 3.0 * np.log(a) + 4.0 / 3.0


# ---------------------------------------------------------------------------------------------
# for loops over range(...).
# ---------------------------------------------------------------------------------------------


def range_accumulate(x, n):
    total = 0.0
    for i in range(n):
        total = total + np.sin(x[i]) * x[i]
    return np.sum(total)


def range_start_stop_step(x, start, stop, step):
    total = 0.0
    for i in range(start, stop, step):
        total = total + np.exp(x[i]) * (i + 1.0)
    return np.sum(total)


def augmented_assignments(x, n):
    s = 0.0
    d = 1.0
    p = 1.0
    for i in range(n):
        s += x[i] * x[i]
        d -= 0.5 * np.sin(x[i])
        p *= np.cos(x[i])
    return np.sum(s + d * p)


def rebound_in_loop(x, n):
    y = x
    for _ in range(n):
        y = np.sin(y)
        y = y * 1.1
        y = y + 0.1 * x
        y = np.tanh(y + 0.2)
    return np.sum(y * y)


def neighbours(x):
    total = 0.0
    for i in range(1, len(x)):
        total = total + (x[i] - x[i - 1]) ** 2 * np.cos(x[i])
    return np.sum(total)


def reversed_range(x, n):
    acc = 0.0
    for i in reversed(range(n)):
        acc = np.sin(acc + x[i]) * 1.5
    return np.sum(acc)


# ---------------------------------------------------------------------------------------------
# for loops over arrays: rows, enumerate, zip, reversed.
# ---------------------------------------------------------------------------------------------


def over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.sum(np.tanh(row * w))
    return total


def over_enumerate(X):
    total = 0.0
    for i, row in enumerate(X):
        total = total + (i + 1.0) * np.sum(np.sin(row) * row)
    return total


def over_zip(X, Y):
    total = 0.0
    for a, b in zip(X, Y):  # noqa: B905  (plain zip, which stops at the shorter)
        total = total + np.sum(a * np.exp(b) - b * b)
    return total


def over_reversed(X):
    h = 0.0
    for row in reversed(X):
        h = np.tanh(0.5 * h + row)
    return np.sum(h * h)


# ---------------------------------------------------------------------------------------------
# Nested loops; loops inside branches; branches inside loops.
# ---------------------------------------------------------------------------------------------


def nested_ranges(x, n):
    total = 0.0
    for i in range(n):
        for j in range(i):
            total = total + x[i] * np.sin(x[j])
    return np.sum(total)


def nested_rows_and_values(X):
    total = 0.0
    for row in X:
        inner = 1.0
        for v in row:
            inner = inner * 0.5 + np.sin(v)
        total = total + inner * inner
    return total


def loop_inside_branch(x, n):
    if np.sum(x) > 0:
        for _ in range(n):
            x = x * 0.9 + 0.1 * np.sin(x)
    else:
        for _ in range(n):
            x = np.tanh(x) * 1.2
    return np.sum(x * x)


def branch_inside_loop(x, n):
    total = 0.0
    for i in range(n):
        if x[i] > 0:
            total = total + x[i] * x[i]
        else:
            total = total - np.sin(x[i])
    return total


def branch_on_loop_value(x):
    total = 0.0
    for v in x:
        y = v * v if v > 0 else np.exp(v)
        if v < -1.0:
            y = y + v
        total = total + y
    return total


# ---------------------------------------------------------------------------------------------
# while loops.
# ---------------------------------------------------------------------------------------------


def while_shrink(x, tol):
    while np.sum(x * x) > tol:
        x = x * 0.5
    return np.sum(np.sin(x) + x * x)


def while_shrink_capped(x, tol, cap):
    count = 0
    while np.sum(x * x) > tol and count < cap:
        x = np.sin(x) * 0.5
        count = count + 1
    return np.sum(x)


def while_counter(x, n):
    i = 0
    y = x
    while i < n:
        y = np.tanh(y) + x * 0.5
        i += 1
    return np.sum(y * y)


# ---------------------------------------------------------------------------------------------
# A recurrent network: T steps of h = tanh(W h + U x_t), loss on the final h.
# ---------------------------------------------------------------------------------------------


def rnn(W, U, h0, xs, T):
    h = h0
    for t in range(T):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h**2)
