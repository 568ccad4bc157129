import numpy as np


def branch(x, y):
    z = x * y
    if np.sum(x) > 0:
        z = np.sin(z) * x
        w = z + 1.0
    elif np.sum(y) > 0:
        w = y * 2.0
    else:
        w = z * z
    return np.sum(w * z)


def early(x):
    if x < -1.0:
        return -x
    if x < 1.0:
        y = x * x
        return y
    return 2.0 * x - 1.0


def ternary(x):
    y = x * 2.0 if np.sum(x) > 0 else np.exp(x)
    return np.sum(y if np.max(y) > 1 else -y)
