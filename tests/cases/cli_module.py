"""Functions for tests/test_cli.py: `srcdiff emit` turns them into a standalone module.

Only literal constants and imports of numpy/math at module level, so that the emitted module
can carry everything it needs without srcdiff.
"""
import math

import numpy as np

SCALE = 3.0


def scaled_energy(x):
    return SCALE * np.sum(x**2)


def wave(t):
    return math.sin(t) * t


def product_loss(x, y):
    return np.sum(x * y + x**2)
