"""Functions whose emitted derivative code is pinned in tests/golden/.

Each entry of ``CASES`` names a function here, the ``wrt`` to differentiate and the golden
file. Regenerate the golden files with ``python tests/regenerate_golden.py``.
"""
import numpy as np

import srcdiff


def seeds_mean(x):
    return np.mean(3 * (x + 2) ** 2)


def seeds_q(a, b):
    return 3 * a**3 - b**2


def two_layer_network(x, W1, b1, W2, b2):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    return np.mean(out**2)


def logistic_loss(w, X, y):
    margins = y * (X @ w)
    return np.mean(np.log1p(np.exp(-margins)))


def softmax_cross_entropy(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_norm = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(labels * (shifted - log_norm)) / logits.shape[0]


def rebinding(x):
    x = x * 2
    x += np.sin(x)
    x = x * x
    return np.sum(x)


def controlled(x, scale):
    y = srcdiff.stop_gradient(x * x)
    with srcdiff.no_grad():
        norm = np.sqrt(np.sum(x * x))
    return np.sum(y * x * scale) / norm





def piecewise(x, y):
    if x < -1.0:
        return -x * y
    scaled = x * y
    if scaled > 1.0:
        scaled = np.log(scaled)
    elif scaled < -1.0:
        scaled = -scaled
    return scaled + (x if y > 0 else y)


def rnn(W, U, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h**2)


def newton_sqrt(a, tol):
    x = a + 1.0
    while np.abs(x * x - a) > tol * a:
        x = 0.5 * (x + a / x)
    return x


def dense(W, x, b=0.0):
    return np.tanh(W @ x + b)


def two_dense_layers(W1, W2, x):
    h = dense(W1, x)
    return np.sum(dense(W2, h, b=1.0) ** 2)


def running_state(x):
    state = np.zeros(2)
    for t in range(x.shape[0]):
        state[0] = state[0] * 0.5 + x[t]
        state[1] = state[1] + state[0] ** 2
    return state[1]


def cube_root(a, tol):
    x = a
    steps = 0
    while steps < 100:
        step = (x * x * x - a) / (3.0 * x * x)
        x = x - step
        steps += 1
        if abs(step) < tol:
            break
    return x


def sin_cubed(x):
    return np.sin(x) * x**3


def sum_of_cubes(a, b):
    """The seeds' Q summed: its gradient reads no value of the forward sweep."""
    return np.sum(3 * a**3 - b**2)


def scalar_loop(x):
    """Rosenbrock's function as a loop over the numbers x[i]."""
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


def penalized_logistic_loss(w, X, y, lam):
    margins = y * (X @ w)
    return np.mean(np.log1p(np.exp(-margins))) + 0.5 * lam * np.sum(w**2)


#: (case name, function, kind, wrt); kind "grad+checkpoint" is grad(f, checkpoint=True)
CASES = [
    ("seeds_mean", seeds_mean, "grad", 0),
    ("seeds_q_vjp", seeds_q, "vjp", (0, 1)),
    ("two_layer_network", two_layer_network, "grad", (1, 2, 3, 4)),
    ("logistic_loss", logistic_loss, "grad", 0),
    ("softmax_cross_entropy", softmax_cross_entropy, "grad", 0),
    ("rebinding", rebinding, "grad", 0),
    ("controlled", controlled, "grad", (0, 1)),
    ("piecewise_branches", piecewise, "grad", (0, 1)),
    ("rnn_for_loop", rnn, "grad", (0, 1)),
    ("newton_while_loop", newton_sqrt, "grad", 0),
    ("helper_calls", two_dense_layers, "grad", (0, 1)),
    ("subscript_assignment", running_state, "grad", 0),
    ("while_loop_with_break", cube_root, "grad", 0),
    ("forward_two_layer_network", two_layer_network, "jvp", (1, 2)),
    ("forward_rnn_for_loop", rnn, "jvp", 0),
    ("second_order_sin_cubed", srcdiff.grad(sin_cubed), "grad", 0),
    ("rnn_for_loop_checkpointed", rnn, "grad+checkpoint", (0, 1)),
    ("newton_while_loop_checkpointed", newton_sqrt, "grad+checkpoint", 0),
    # the optimizations, one case each (see srcdiff/lazy.py and srcdiff/optimize.py)
    ("lazy_sum_adjoint", sum_of_cubes, "grad", (0, 1)),
    ("scalar_loop_in_place", scalar_loop, "grad", 0),
    ("seed_from_a_shape_witness", penalized_logistic_loss, "grad", 0),
]
