"""A module whose functions another module's differentiated code calls."""
import numpy as np

OFFSET = 0.25


def softplus(z):
    return np.log1p(np.exp(z)) + OFFSET


def smooth_abs(z, eps=1e-2):
    return np.sqrt(z * z + eps)
