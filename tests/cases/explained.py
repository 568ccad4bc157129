"""A function whose gradient w.r.t. x is partial, for srcdiff explain (tests/test_explain.py)."""
import numpy as np

import srcdiff


def partial_loss(x, w):
    n = int(np.sum(x))  # <- cast
    shift = srcdiff.stop_gradient(x)  # <- stop
    y = (x - shift + 1.0) * w
    if np.max(x) > 0.5:  # <- condition
        y = y * 2.0
    scale = np.floor(x)  # <- floor
    y = w * n + scale  # <- overwrite
    return np.sum(y * x)
