"""Functions for forward mode, Jacobians, Hessians and derivatives of derivatives."""
import numpy as np


def sin_cubed(x):
    return np.sin(x) * x**3


def q_total(a, b):
    return np.sum(3 * a**3 - b**2)


def logistic_loss(w, X, y):
    return np.mean(np.log1p(np.exp(-y * (X @ w))))


def two_layer(W1, x, W2):
    h = np.tanh(W1 @ x)
    return np.sum((W2 @ h) ** 2)


def rosenbrock(x):
    total = 0.0
    for i in range(x.shape[0] - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def newton_sqrt(a, tol):
    x = a + 1.0
    while np.abs(x * x - a) > tol * a:
        x = 0.5 * (x + a / x)
    return x


def wide(x):  # R^5 -> R^2
    return np.array([np.sum(np.sin(x)), x[0] * x[4]])


def square(x):  # R^3 -> R^3
    return np.tanh(x) * x[::-1]


def tall(x):  # R^2 -> R^4
    return np.array([x[0] * x[1], np.exp(x[0]), x[1] ** 3, np.sin(x[0] + x[1])])


def net_of_input(x, W):
    return np.sum(np.tanh(W @ x) ** 2)
