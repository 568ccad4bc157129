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


def rnn_states(W, U, xs, h):  # every hidden state of a recurrent loop, stacked
    states = []
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
        states.append(h)
    return np.stack(states)


def layer(W, x):
    return np.tanh(W @ x)


def two_layers_by_calls(W1, W2, x):  # R^n -> R^m through a helper function
    return layer(W2, layer(W1, x)) * np.sum(x)


def written_in_place(x):  # subscript assignment and a branch on a computed value
    y = np.zeros_like(x)
    for i in range(x.shape[0]):
        if x[i] > 0:
            y[i] = x[i] ** 2
        else:
            y[i] = np.sin(x[i]) * x[0]
    return y[::-1] * np.max(x)


def fortran_reshape(x):  # no batched form: reshape in Fortran order
    return np.reshape(x, (2, 3), order="F") * 2.0
