"""The workloads of ``python -m benchmarks``: each a plain NumPy function that srcdiff
differentiates, its gradient derived by hand, and its inputs at benchmark and smoke sizes.

The hand-written gradients are the baseline every library is timed against and checked
against (``tests/test_benchmarks.py`` and the runner check them against central finite
differences first). The autograd, JAX and PyTorch versions of the same functions are in
``benchmarks/peers.py``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# ---------------------------------------------------------------------------------------
# The functions srcdiff differentiates (plain NumPy, each with a scalar output)


def seeds_q(a, b):
    """The seed tutorial's ``Q = 3*a**3 - b**2`` with external gradient ones: sum(Q)."""
    return np.sum(3 * a**3 - b**2)


def logistic_loss(w, X, y, lam):
    """Mean logistic loss of labels ``y`` in {-1, +1}, with an L2 penalty on ``w``."""
    margins = y * (X @ w)
    return np.mean(np.log1p(np.exp(-margins))) + 0.5 * lam * np.sum(w**2)


def mlp_loss(W1, b1, W2, b2, X, Y):
    """A tanh MLP with softmax cross-entropy (log-sum-exp less the row max); ``Y`` one-hot."""
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_sum_exp = np.log(np.sum(np.exp(shifted), axis=1))
    return np.mean(log_sum_exp - np.sum(Y * shifted, axis=1))


def rnn_loss(W, U, h0, xs):
    """A recurrent network run over the rows of ``xs``; the loss is |h_T|^2."""
    h = h0
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h**2)


def rosenbrock(x):
    """Rosenbrock's function as a Python loop over the scalars ``x[i]``."""
    total = 0.0
    for i in range(len(x) - 1):
        total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return total


# ---------------------------------------------------------------------------------------
# The gradients derived by hand (each returns one gradient per differentiated argument)


def seeds_q_grad(a, b):
    return 9.0 * a * a, -2.0 * b


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logistic_loss_grad(w, X, y, lam):
    # d/dm log1p(exp(-m)) = -sigmoid(-m), m = y * (X @ w)
    coefficient = -y * _sigmoid(-(y * (X @ w)))
    return (X.T @ coefficient / len(y) + lam * w,)


def logistic_loss_hvp(w, X, y, lam, v):
    """The Hessian of ``logistic_loss`` in ``w`` times ``v``."""
    s = _sigmoid(-(y * (X @ w)))
    return X.T @ (y * y * s * (1.0 - s) * (X @ v)) / len(y) + lam * v


def mlp_loss_grad(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    p = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    p /= np.sum(p, axis=1, keepdims=True)
    dlogits = (p - Y) / len(X)            # softmax minus the one-hot labels, averaged
    dpre = (dlogits @ W2.T) * (1.0 - h * h)
    return X.T @ dpre, np.sum(dpre, axis=0), h.T @ dlogits, np.sum(dlogits, axis=0)


def rnn_loss_grad(W, U, h0, xs):
    steps = len(xs)
    hs = np.empty((steps + 1, len(h0)))   # hs[t] is the state before step t
    hs[0] = h0
    for t in range(steps):
        hs[t + 1] = np.tanh(W @ hs[t] + U @ xs[t])
    da = np.empty((steps, len(h0)))       # da[t]: adjoint of step t's pre-activation
    dh = 2.0 * hs[steps]
    for t in range(steps - 1, -1, -1):
        da[t] = dh * (1.0 - hs[t + 1] ** 2)
        dh = W.T @ da[t]
    return da.T @ hs[:-1], da.T @ xs


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    inner = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * inner - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * inner
    return (g,)


# ---------------------------------------------------------------------------------------
# Inputs


def seeds_inputs(n: int, rng: np.random.Generator) -> tuple[Any, ...]:
    return rng.standard_normal(n), rng.standard_normal(n)


def logistic_inputs(rows: int, features: int, rng: np.random.Generator) -> tuple[Any, ...]:
    X = rng.standard_normal((rows, features)) / np.sqrt(features)
    truth = rng.standard_normal(features)
    y = np.where(X @ truth + 0.5 * rng.standard_normal(rows) > 0, 1.0, -1.0)
    return 0.3 * rng.standard_normal(features), X, y, 1e-2


def mlp_inputs(batch: int, inputs: int, hidden: int, classes: int,
               rng: np.random.Generator) -> tuple[Any, ...]:
    X = rng.standard_normal((batch, inputs))
    Y = np.eye(classes)[rng.integers(0, classes, batch)]
    W1 = rng.standard_normal((inputs, hidden)) / np.sqrt(inputs)
    W2 = rng.standard_normal((hidden, classes)) / np.sqrt(hidden)
    return W1, 0.1 * rng.standard_normal(hidden), W2, 0.1 * rng.standard_normal(classes), X, Y


def rnn_inputs(hidden: int, inputs: int, steps: int, rng: np.random.Generator
               ) -> tuple[Any, ...]:
    # Small recurrent weights keep the recurrence contracting: the gradient neither
    # explodes nor vanishes over the steps.
    W = 0.5 * rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    U = rng.standard_normal((hidden, inputs)) / np.sqrt(inputs)
    return W, U, np.zeros(hidden), rng.standard_normal((steps, inputs))


def rosenbrock_inputs(n: int, rng: np.random.Generator) -> tuple[Any, ...]:
    return (rng.uniform(-1.5, 1.5, n),)


# ---------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class Workload:
    """One row of the benchmark table.

    ``kind`` is ``"grad"`` (the gradient of ``func`` w.r.t. the arguments ``wrt``, which
    ``hand`` returns as a tuple) or ``"hvp"`` (the Hessian of ``func`` in argument 0 times a
    tangent ``v``, which the inputs end with and ``hand(*args, v)`` returns).
    """

    name: str
    title: str
    func: Callable[..., Any]
    wrt: tuple[int, ...]
    hand: Callable[..., Any]
    inputs: Callable[[bool], tuple[Any, ...]]
    kind: str = "grad"
    hand_grad: Callable[..., Any] | None = None  # for "hvp": the gradient it differentiates

    def make_inputs(self, smoke: bool = False) -> tuple[Any, ...]:
        return self.inputs(smoke)


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(name.encode()))  # the same inputs on every run


def _hvp_inputs(smoke: bool) -> tuple[Any, ...]:
    rng = _rng("hvp")
    args = logistic_inputs(20, 5, rng) if smoke else logistic_inputs(1000, 50, rng)
    return (*args, rng.standard_normal(len(args[0])))


WORKLOADS: tuple[Workload, ...] = (
    Workload("seeds-10", "seeds: sum(3a^3 - b^2), n=10", seeds_q, (0, 1), seeds_q_grad,
             lambda smoke: seeds_inputs(10, _rng("seeds-10"))),
    Workload("seeds-1e6", "seeds: sum(3a^3 - b^2), n=10^6", seeds_q, (0, 1), seeds_q_grad,
             lambda smoke: seeds_inputs(12 if smoke else 10**6, _rng("seeds-1e6"))),
    Workload("logistic", "logistic regression + L2, X 1000x50", logistic_loss, (0,),
             logistic_loss_grad,
             lambda smoke: logistic_inputs(*((20, 5) if smoke else (1000, 50)),
                                           _rng("logistic"))),
    Workload("mlp", "MLP 784-128-10 tanh, cross-entropy, batch 64", mlp_loss, (0, 1, 2, 3),
             mlp_loss_grad,
             lambda smoke: mlp_inputs(*((4, 12, 6, 3) if smoke else (64, 784, 128, 10)),
                                      _rng("mlp"))),
    Workload("rnn", "RNN loop, 50 steps, hidden 32, input 16", rnn_loss, (0, 1),
             rnn_loss_grad,
             lambda smoke: rnn_inputs(*((4, 3, 5) if smoke else (32, 16, 50)), _rng("rnn"))),
    Workload("rosenbrock", "Rosenbrock, scalar loop, n=100", rosenbrock, (0,),
             rosenbrock_grad,
             lambda smoke: rosenbrock_inputs(6 if smoke else 100, _rng("rosenbrock"))),
    Workload("hvp", "Hessian-vector product, logistic 1000x50", logistic_loss, (0,),
             logistic_loss_hvp, _hvp_inputs, kind="hvp", hand_grad=logistic_loss_grad),
)


def select(names: list[str] | None) -> list[Workload]:
    """The workloads named (``seeds`` names both seeds rows); all when ``names`` is empty."""
    if not names:
        return list(WORKLOADS)
    chosen = [w for w in WORKLOADS
              if any(w.name == n or w.name.startswith(n + "-") for n in names)]
    unknown = [n for n in names
               if not any(w.name == n or w.name.startswith(n + "-") for w in WORKLOADS)]
    if unknown:
        raise SystemExit(f"unknown workload {', '.join(unknown)}; choose from "
                         f"{', '.join(w.name for w in WORKLOADS)} (or seeds)")
    return chosen


# ---------------------------------------------------------------------------------------
# Central finite differences, to check the hand-written gradients


def hand_gradient(workload: Workload, args: tuple[Any, ...]) -> tuple[np.ndarray, ...]:
    """What the hand-written code returns, as a tuple (one entry for a Hessian-vector
    product)."""
    result = workload.hand(*args)
    return result if isinstance(result, tuple) else (result,)


def finite_difference_gradient(func: Callable[..., Any], args: tuple[Any, ...], index: int,
                               eps: float = 1e-6) -> np.ndarray:
    """Every entry of d func / d args[index] by central differences (for small sizes)."""
    base = np.asarray(args[index], dtype=np.float64)
    out = np.zeros_like(base)
    for position in np.ndindex(base.shape):
        values = []
        for step in (eps, -eps):
            moved = base.copy()
            moved[position] += step
            values.append(np.sum(func(*args[:index], moved, *args[index + 1:])))
        out[position] = (values[0] - values[1]) / (2 * eps)
    return out


def check_hand_elementwise(workload: Workload, args: tuple[Any, ...],
                           rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """Every entry of the hand-written result against central finite differences: of
    ``func`` for a gradient, of the hand-written gradient along ``v`` for a
    Hessian-vector product."""
    if workload.kind == "hvp":
        *fargs, v = args
        gradient = workload.hand_grad
        assert gradient is not None

        def along(t: float) -> np.ndarray:
            moved = (fargs[0] + t * v, *fargs[1:])
            return gradient(*moved)[0]

        eps = 1e-6
        numeric = (along(eps) - along(-eps)) / (2 * eps)
        _close(hand_gradient(workload, args)[0], numeric, rtol, atol,
               f"{workload.name}: hand-written Hessian-vector product")
        return
    for index, computed in zip(workload.wrt, hand_gradient(workload, args), strict=True):
        numeric = finite_difference_gradient(workload.func, args, index)
        _close(computed, numeric, rtol, atol,
               f"{workload.name}: hand-written gradient w.r.t. argument {index}")


def check_hand_directional(workload: Workload, args: tuple[Any, ...], directions: int = 3,
                           rtol: float = 1e-5) -> None:
    """The hand-written result against central finite differences along random directions
    (cheap at any size): <grad, v> against (f(x + eps v) - f(x - eps v)) / (2 eps)."""
    rng = np.random.default_rng(1)
    if workload.kind == "hvp":
        *fargs, v = args
        gradient = workload.hand_grad
        assert gradient is not None
        hv = hand_gradient(workload, args)[0]
        for _ in range(directions):
            u = rng.standard_normal(np.shape(v))
            eps = 1e-5
            plus = np.dot(gradient(fargs[0] + eps * v, *fargs[1:])[0], u)
            minus = np.dot(gradient(fargs[0] - eps * v, *fargs[1:])[0], u)
            _close(np.dot(hv, u), (plus - minus) / (2 * eps), rtol, 1e-9 * np.abs(hv).sum(),
                   f"{workload.name}: hand-written Hessian-vector product along a direction")
        return
    gradients = hand_gradient(workload, args)
    for _ in range(directions):
        vs = [rng.standard_normal(np.shape(args[i])) for i in workload.wrt]
        eps = 1e-6

        def moved(t: float, vs: list[np.ndarray] = vs) -> float:
            new = list(args)
            for i, v in zip(workload.wrt, vs, strict=True):
                new[i] = args[i] + t * v
            return float(workload.func(*new))

        numeric = (moved(eps) - moved(-eps)) / (2 * eps)
        along = sum(float(np.sum(g * v)) for g, v in zip(gradients, vs, strict=True))
        scale = sum(float(np.sum(np.abs(g * v))) for g, v in zip(gradients, vs, strict=True))
        _close(along, numeric, rtol, 1e-9 * scale,
               f"{workload.name}: hand-written gradient along a random direction")


def _close(computed: Any, expected: Any, rtol: float, atol: float, what: str) -> None:
    computed, expected = np.asarray(computed, np.float64), np.asarray(expected, np.float64)
    error = float(np.max(np.abs(computed - expected), initial=0.0))
    tolerance = atol + rtol * float(np.max(np.abs(expected), initial=0.0))
    if not error <= tolerance:
        raise AssertionError(f"{what} differs from central finite differences by {error:.3g} "
                             f"(tolerance {tolerance:.3g})")
