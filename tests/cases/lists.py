import numpy as np


def rnn_states(W, x, T):
    h = x
    hs = []
    for _ in range(T):
        h = np.tanh(W @ h)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def scalars(a, b):
    v = np.array([a * b, a, b * b])
    return np.sum(v * v)


def python_sum(x):
    parts = [x * 2.0, np.sin(x), x]
    return np.sum(sum(parts)) + np.sum(parts[1] * parts[0])


def last_and_first(x, n):
    seen = [x]
    for i in range(n):
        seen.append(seen[-1] * np.cos(seen[i]))
    return np.sum(seen[-1] + 2.0 * seen[0])


def stacked_rows(X):
    rows = []
    for row in X:
        if np.sum(row) > 0:
            rows.append(row * 2.0)
        else:
            rows.append(np.exp(row))
    return np.sum(np.array(rows) ** 2)
