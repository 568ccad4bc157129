"""Helpers that the emitted derivative code calls.

Each helper is a small, self-contained function of NumPy values: it uses only ``np`` and
``math`` and the other helpers of this module, so the emitter can copy its source verbatim
into a standalone module (``srcdiff emit``), and the generated code never imports srcdiff.
"""
from __future__ import annotations

import math  # noqa: F401  (helpers may use it; the emitter copies what they use)

import numpy as np


class NonScalarOutputError(ValueError):
    """Raised when a gradient is asked of a function whose output is not a scalar."""


#: The source of the class above, as standalone modules define it (srcdiff rebinds the name
#: in this module to its own subclass of SrcdiffError).
NON_SCALAR_SOURCE = '''class NonScalarOutputError(ValueError):
    """Raised when a gradient is asked of a function whose output is not a scalar."""
'''


def unbroadcast(g, like):
    """Sum ``g`` back down to the shape of ``like``: the adjoint of NumPy broadcasting."""
    shape = np.shape(like)
    if np.shape(g) == shape:
        return g
    g = np.broadcast_to(g, np.broadcast_shapes(np.shape(g), shape))
    extra = g.ndim - len(shape)
    if extra:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def scalar_seed(y):
    """The adjoint that starts the backward sweep of ``grad``: one, shaped like the scalar ``y``."""
    if isinstance(y, tuple):
        raise NonScalarOutputError(
            f"grad needs a function with a scalar output, but it returned a tuple of "
            f"{len(y)}; use srcdiff.vjp(f) with a tuple of output cotangents")
    if np.size(y) != 1:
        raise NonScalarOutputError(
            f"grad needs a function with a scalar output, but it returned shape {np.shape(y)}; "
            "use srcdiff.vjp(f) with an output cotangent (PyTorch's backward(gradient=...))")
    return np.ones_like(y, dtype=np.result_type(np.asarray(y).dtype, np.float32))


def as_gradient(g, like):
    """Return ``g`` with the shape and floating dtype of the argument ``like``.

    A Python number gets a Python float; a NumPy scalar a NumPy scalar of its dtype.
    A shape mismatch is an error, never reshaped away: it would hide a wrong gradient.
    """
    like_dtype = np.asarray(like).dtype
    dtype = like_dtype if np.issubdtype(like_dtype, np.floating) else np.dtype(np.float64)
    out = np.asarray(g, dtype=dtype)
    if out.shape != np.shape(like):
        raise ValueError(f"gradient has shape {out.shape} but its argument has shape "
                         f"{np.shape(like)}; this is a bug in srcdiff, please report it")
    if isinstance(like, np.ndarray):
        return out
    if isinstance(like, np.generic):
        return dtype.type(out)
    return float(out)


def zero_gradient(like):
    """The gradient of an argument the output does not depend on."""
    return as_gradient(np.zeros(np.shape(like)), like)


def broadcast_like(t, like):
    """Broadcast ``t`` to the shape of ``like`` (a fresh, writable array).

    The tangent of ``x1 + x2`` when only ``x1`` is active must have the shape of the result,
    not of ``x1``: a later reduction would otherwise sum too few elements.
    """
    shape = np.shape(like)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape).copy()


def repeat_to_shape(g, like, axis=None, keepdims=False):
    """Undo a reduction of ``like`` over ``axis``: the adjoint of ``np.sum``.

    Reinserts the reduced axes of ``g`` (unless ``keepdims`` kept them) and repeats ``g``
    along them, returning a fresh array of ``like``'s shape.
    """
    shape = np.shape(like)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    if np.shape(g) == shape:
        return g
    return np.broadcast_to(g, shape).copy()


def reduced_size(like, axis=None):
    """The number of elements of ``like`` that a reduction over ``axis`` combines into one."""
    shape = np.shape(like)
    if axis is None:
        return math.prod(shape)
    if np.ndim(axis) == 0:
        return shape[axis]
    return math.prod(shape[ax] for ax in axis)


def tie_weights(a, y, axis=None, keepdims=False):
    """Where ``a`` reaches its extremum ``y`` (the max or min over ``axis``), one over the number
    of elements that tie for it; zero elsewhere. Ties share the derivative evenly."""
    hit = a == repeat_to_shape(y, a, axis, keepdims)
    count = repeat_to_shape(np.sum(hit, axis=axis, keepdims=keepdims), a, axis, keepdims)
    return hit / count


def xlogy(x, y):
    """``x * log(y)``, taken as 0 where ``x`` is 0 (even where ``y`` is 0).

    ``xlogy(y, x1)`` is the partial of ``y = x1 ** x2`` wrt ``x2``: where ``x1`` is 0 and
    ``x2 > 0``, ``y`` is 0 whatever ``x2``, and the derivative is 0 rather than ``0 * -inf``.
    """
    return x * np.log(np.where(x == 0, 1, y))


def inverse_permutation(axes):
    """The axes that undo ``np.transpose(., axes)`` (negative axes allowed; None stays None,
    the reversal being its own inverse)."""
    if axes is None:
        return None
    n = len(axes)
    inverse = [0] * n
    for i, ax in enumerate(axes):
        inverse[ax % n] = i
    return tuple(inverse)


def matmul_operands(g, a, b):
    """The operands of ``np.matmul(a, b)`` and its adjoint ``g`` as stacks of matrices.

    A 1-D ``a`` is promoted to a row and a 1-D ``b`` to a column, as matmul does, and the
    axes that promotion removed from the result are restored in ``g``.
    """
    a, b = np.asarray(a), np.asarray(b)
    g = np.asarray(g)
    if b.ndim == 1:
        g = np.expand_dims(g, -1)
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b), g


def matmul_vjp_a(g, a, b):
    """Adjoint of ``a`` in ``y = np.matmul(a, b)``, given the adjoint ``g`` of ``y``.

    ``da = g @ b.T`` on the promoted matrices; batch dimensions that ``a`` was broadcast along
    are summed back.
    """
    a2, b2, g2 = matmul_operands(g, a, b)
    return np.reshape(unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2), np.shape(a))


def matmul_vjp_b(g, a, b):
    """Adjoint of ``b`` in ``y = np.matmul(a, b)``, given the adjoint ``g`` of ``y``:
    ``db = a.T @ g`` on the promoted matrices, summed back over broadcast batch dimensions."""
    a2, b2, g2 = matmul_operands(g, a, b)
    return np.reshape(unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2), np.shape(b))


def dot_vjp_a(g, a, b):
    """Adjoint of ``a`` in ``y = np.dot(a, b)``, given the adjoint ``g`` of ``y``.

    ``np.dot`` multiplies when an operand is 0-d, and otherwise sums over the last axis of
    ``a`` and the second-to-last of ``b`` (the last if ``b`` is 1-D): ``y`` has shape
    ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return unbroadcast(g * b, a)
    if b.ndim == 1:
        return np.multiply.outer(g, b)
    g_axes = list(range(a.ndim - 1, np.ndim(g)))
    b_axes = list(range(b.ndim - 2)) + [b.ndim - 1]
    return np.tensordot(g, b, axes=(g_axes, b_axes))


def dot_vjp_b(g, a, b):
    """Adjoint of ``b`` in ``y = np.dot(a, b)``, given the adjoint ``g`` of ``y``."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return unbroadcast(g * a, b)
    lead = list(range(a.ndim - 1))
    db = np.tensordot(a, g, axes=(lead, lead))
    if b.ndim == 1:
        return db
    return np.moveaxis(db, 0, -2)


def index_adjoint(g, like, index):
    """Adjoint of ``y = like[index]``: ``g`` added into zeros shaped like ``like``.

    Works for every NumPy index (integers, slices, ``...``, ``None``, integer arrays, boolean
    masks); an element selected several times receives the sum of its adjoints. An item of a
    list or tuple gives a list (tuple) adjoint with ``g`` in that slot and ``None`` elsewhere.
    """
    if isinstance(like, (list, tuple)):  # an item of a list: a list adjoint with one slot
        items = [None] * len(like)
        items[index] = g
        return type(like)(items)
    out = np.zeros(np.shape(like), dtype=np.result_type(np.asarray(g).dtype, np.float32))
    np.add.at(out, index, g)
    return out


def zero_slot(g, index):
    """A copy of ``g`` with ``g[index]`` set to zero: the adjoint of an array before
    ``array[index] = value`` overwrote that slot (the old values there reach nothing)."""
    g = np.array(g, dtype=np.result_type(np.asarray(g).dtype, np.float32))
    g[index] = 0
    return g


def cotangent_part(ct, k, like):
    """Item ``k`` of the cotangent of a tuple output; zeros shaped like the item ``like``
    when that item received none (``None``)."""
    part = ct[k]
    return np.zeros_like(like, dtype=np.result_type(np.asarray(like).dtype, np.float32)) \
        if part is None else part


def tuple_slot(g, k, size):
    """The adjoint of a tuple of ``size`` items of which only item ``k`` (adjoint ``g``) is
    used; the others are ``None`` (no contribution)."""
    return tuple(g if i == k else None for i in range(size))


def add_items(a, b):
    """The sum of two adjoints of one tuple or list, item by item (``None`` adds nothing)."""
    return type(a)(y if x is None else x if y is None else x + y
                   for x, y in zip(a, b, strict=True))


def zero_items(like):
    """The adjoint of a tuple or list that received nothing: ``None`` for every item."""
    return type(like)(None for _ in like)


def pop_adjoint(g, like):
    """The adjoint of the item ``items.append(like)`` added: taken off the end of the list's
    adjoint ``g`` (zeros when that item received none)."""
    part = g.pop()
    if part is None:
        return np.zeros_like(like, dtype=np.result_type(np.asarray(like).dtype, np.float32))
    return part


def unstack(g, like, axis=0):
    """Adjoint of ``np.stack(like, axis)`` or ``np.array(like)``: the slice of ``g`` for each
    item of the list ``like``, shaped like that item (``g`` itself for an array)."""
    if isinstance(like, np.ndarray):  # stacked along `axis`: its rows moved there
        return np.reshape(np.moveaxis(g, axis, 0), like.shape)
    return [np.reshape(np.take(g, k, axis=axis), np.shape(item)) for k, item in enumerate(like)]


def spread(g, like):
    """Adjoint of the builtin ``sum(like)``: every item gets ``g`` (summed back to its shape);
    for an array, summed along its first axis, ``g`` repeated along it."""
    if isinstance(like, np.ndarray):
        return np.broadcast_to(g, like.shape).copy()
    return [unbroadcast(g, item) for item in like]


def set_slot(t, index, value):
    """A copy of the tangent ``t`` with ``t[index] = value``: the tangent of an array after
    ``array[index] = v`` wrote ``v`` (whose tangent is ``value``) there."""
    t = np.array(t, dtype=np.result_type(np.asarray(t).dtype, np.asarray(value).dtype,
                                         np.float32))
    t[index] = value
    return t


def zero_tangents(like):
    """Zero tangents for every item of a list or tuple (a list for a list)."""
    return type(like)(np.zeros_like(item, dtype=np.result_type(np.asarray(item).dtype,
                                                               np.float32)) for item in like)


def as_tangent(t, like):
    """The tangent of a function's output with the output's kind: the floating dtype and
    shape of an array, a float for a float, a tuple of them for a tuple."""
    if isinstance(like, (tuple, list)):
        items = t if t is not None else [None] * len(like)
        return type(like)(as_tangent(np.zeros_like(li, dtype=float) if ti is None else ti, li)
                          for ti, li in zip(items, like, strict=True))
    return as_gradient(t, like)


def sum_to(g, like, axis=None, keepdims=False):
    """Sum ``g`` over ``axis`` (all axes for None) into the shape of ``like``: the adjoint of
    ``repeat_to_shape``."""
    return np.reshape(np.sum(g, axis=axis, keepdims=keepdims), np.shape(like))


def shape_only(x):
    """A stand-in for ``x`` with its shape and dtype and no data (a broadcast view of one
    zero): what a loop saves of a value the backward sweep reads only for its shape."""
    x = np.asarray(x)
    return np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape)


#: Every helper the emitted code may call (the emitter copies their source).
HELPER_NAMES = frozenset(
    name for name, value in list(globals().items())
    if callable(value) and not isinstance(value, type) and not name.startswith("_")
    and getattr(value, "__module__", None) == __name__)
