"""The workloads written for the libraries srcdiff is compared with, and the calls timed.

The autograd and JAX versions are the functions of ``benchmarks/workloads.py`` written once
against a NumPy-compatible module (``autograd.numpy``, ``jax.numpy``); the PyTorch versions
are the same math in ``torch``. Nothing here imports a library before a runner asks for it,
so this module loads on a machine without them.

Every ``*_call`` function takes a workload and its (NumPy) inputs and returns a callable of
no arguments that computes the gradients (or the Hessian-vector product) as that library's
arrays. The inputs are converted to the library's arrays once, before timing; the results are
left as the library's arrays (JAX's are waited for with ``block_until_ready``), so no library
pays a conversion inside the timed call. ``to_numpy`` converts results for the checks.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads import Workload

#: the libraries (beyond srcdiff and the hand-written code) and the module each needs
LIBRARIES = {"autograd": "autograd", "jax": "jax", "jax-jit": "jax", "torch": "torch"}


def numpy_like(xp: Any) -> dict[str, Callable[..., Any]]:
    """The workloads' functions against the NumPy-compatible module ``xp``, by the name of
    the NumPy function they copy."""

    def seeds_q(a, b):
        return xp.sum(3 * a**3 - b**2)

    def logistic_loss(w, X, y, lam):
        margins = y * (X @ w)
        return xp.mean(xp.log1p(xp.exp(-margins))) + 0.5 * lam * xp.sum(w**2)

    def mlp_loss(W1, b1, W2, b2, X, Y):
        h = xp.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        shifted = logits - xp.max(logits, axis=1, keepdims=True)
        log_sum_exp = xp.log(xp.sum(xp.exp(shifted), axis=1))
        return xp.mean(log_sum_exp - xp.sum(Y * shifted, axis=1))

    def rnn_loss(W, U, h0, xs):
        h = h0
        for t in range(len(xs)):
            h = xp.tanh(W @ h + U @ xs[t])
        return xp.sum(h**2)

    def rosenbrock(x):
        total = 0.0
        for i in range(len(x) - 1):
            total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        return total

    return {f.__name__: f for f in (seeds_q, logistic_loss, mlp_loss, rnn_loss, rosenbrock)}


def torch_functions(torch: Any) -> dict[str, Callable[..., Any]]:
    """The workloads' functions in PyTorch, by the name of the NumPy function they copy."""

    def seeds_q(a, b):
        return torch.sum(3 * a**3 - b**2)

    def logistic_loss(w, X, y, lam):
        margins = y * (X @ w)
        return torch.mean(torch.log1p(torch.exp(-margins))) + 0.5 * lam * torch.sum(w**2)

    def mlp_loss(W1, b1, W2, b2, X, Y):
        h = torch.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        shifted = logits - torch.amax(logits, dim=1, keepdim=True)
        log_sum_exp = torch.log(torch.sum(torch.exp(shifted), dim=1))
        return torch.mean(log_sum_exp - torch.sum(Y * shifted, dim=1))

    def rnn_loss(W, U, h0, xs):
        h = h0
        for t in range(len(xs)):
            h = torch.tanh(W @ h + U @ xs[t])
        return torch.sum(h**2)

    def rosenbrock(x):
        total = 0.0
        for i in range(len(x) - 1):
            total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        return total

    return {f.__name__: f for f in (seeds_q, logistic_loss, mlp_loss, rnn_loss, rosenbrock)}


def load(library: str) -> Any:
    """Import the library (configured: JAX in float64, PyTorch on one thread)."""
    module = importlib.import_module(LIBRARIES[library])
    if module.__name__ == "jax":
        module.config.update("jax_enable_x64", True)
    if module.__name__ == "torch":
        module.set_num_threads(1)
    return module


def autograd_call(workload: Workload, args: tuple[Any, ...]) -> Callable[[], Any]:
    autograd = load("autograd")
    import autograd.numpy as anp

    f = numpy_like(anp)[workload.func.__name__]
    if workload.kind == "hvp":
        hvp = autograd.hessian_vector_product(f, 0)
        return lambda: hvp(*args)
    gradient = autograd.grad(f, workload.wrt)
    return lambda: gradient(*args)


def _jax_args(jnp: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)


def _jax_function(workload: Workload, jit: bool) -> tuple[Any, Callable[..., Any]]:
    jax = load("jax")
    import jax.numpy as jnp

    f = numpy_like(jnp)[workload.func.__name__]
    if workload.kind == "hvp":
        def hvp(w, *rest):
            *fargs, v = rest
            return jax.jvp(lambda u: jax.grad(f)(u, *fargs), (w,), (v,))[1]
        function = hvp
    else:
        function = jax.grad(f, argnums=workload.wrt)
    return jax, jax.jit(function) if jit else function


def jax_call(workload: Workload, args: tuple[Any, ...]) -> Callable[[], Any]:
    """``jax.grad`` (``jax.jvp`` of it for a Hessian-vector product), run op by op."""
    jax, function = _jax_function(workload, jit=False)
    import jax.numpy as jnp

    jargs = _jax_args(jnp, args)
    return lambda: jax.block_until_ready(function(*jargs))


def jax_jit_call(workload: Workload, args: tuple[Any, ...]) -> Callable[[], Any]:
    """``jax.jit`` of the above; the first call of the callable compiles."""
    jax, function = _jax_function(workload, jit=True)
    import jax.numpy as jnp

    jargs = _jax_args(jnp, args)
    return lambda: jax.block_until_ready(function(*jargs))


def torch_call(workload: Workload, args: tuple[Any, ...]) -> Callable[[], Any]:
    """``torch.autograd.grad`` of a fresh forward pass, in float64, eager; a Hessian-vector
    product by double backward (the gradient with ``create_graph``, then its vector-Jacobian
    product with ``v``, which is ``H v`` since ``H`` is symmetric)."""
    torch = load("torch")
    f = torch_functions(torch)[workload.func.__name__]
    targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    if workload.kind == "hvp":
        *fargs, v = targs
        w = fargs[0].requires_grad_(True)

        def hvp() -> Any:
            (g,) = torch.autograd.grad(f(*fargs), w, create_graph=True)
            return torch.autograd.grad(g, w, grad_outputs=v)

        return hvp
    leaves = [targs[i].requires_grad_(True) for i in workload.wrt]
    return lambda: torch.autograd.grad(f(*targs), leaves)


CALLS = {"autograd": autograd_call, "jax": jax_call, "jax-jit": jax_jit_call,
         "torch": torch_call}


def to_numpy(result: Any) -> tuple[np.ndarray, ...]:
    """A library's gradients (an array or a tuple of them) as a tuple of NumPy arrays."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    out = []
    for item in items:
        if hasattr(item, "detach"):  # a torch tensor
            item = item.detach().numpy()
        out.append(np.asarray(item, dtype=np.float64))
    return tuple(out)
