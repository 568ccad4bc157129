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


# ---------------------------------------------------------------------------------------------
# Batched derivatives: a leading axis holds several cotangents (or tangents) at once, so one
# call of the derivative gives several rows (columns) of a Jacobian. A batched adjoint or
# tangent of a value of shape S has shape (batch,) + S; primal values are not batched.
# ---------------------------------------------------------------------------------------------


def batch_zeros(like, batch):
    """A batch of ``batch`` zero adjoints (tangents) of ``like``: shape ``(batch,) + shape``."""
    dtype = np.result_type(np.asarray(like).dtype, np.float32)
    return np.zeros((batch,) + np.shape(like), dtype=dtype)


def lift(t, like):
    """A batch of tangents ``t`` with axes of length one inserted after the batch axis, up to
    the rank of ``like``: so that it broadcasts against values shaped like ``like``."""
    t = np.asarray(t)
    extra = np.ndim(like) + 1 - t.ndim
    if extra <= 0:
        return t
    return np.reshape(t, t.shape[:1] + (1,) * extra + t.shape[1:])


def batch_unbroadcast(g, like):
    """``unbroadcast`` of each adjoint of the batch ``g``: summed to ``(batch,) + shape``."""
    g = np.asarray(g)
    shape = np.shape(like)
    if g.shape[1:] == shape:
        return g
    g = lift(g, np.broadcast_shapes(g.shape[1:], shape))
    g = np.broadcast_to(g, g.shape[:1] + np.broadcast_shapes(g.shape[1:], shape))
    extra = g.ndim - 1 - len(shape)
    if extra:
        g = np.sum(g, axis=tuple(range(1, extra + 1)))
    axes = tuple(i + 1 for i, n in enumerate(shape) if n == 1 and g.shape[i + 1] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def batch_broadcast_like(t, like):
    """``broadcast_like`` of each tangent of the batch ``t``: shape ``(batch,) + shape``."""
    t = lift(t, like)
    shape = t.shape[:1] + np.shape(like)
    if t.shape == shape:
        return t
    return np.broadcast_to(t, shape).copy()


def batch_axis(axis, like):
    """The axes of a batch of values shaped like ``like`` that ``axis`` names in one value
    (``None``, all of them, is every axis but the batch axis)."""
    ndim = np.ndim(like)
    if axis is None:
        return tuple(range(1, ndim + 1))
    if np.ndim(axis) == 0:
        return axis % ndim + 1
    return tuple(ax % ndim + 1 for ax in axis)


def batch_repeat_to_shape(g, like, axis=None, keepdims=False):
    """``repeat_to_shape`` of each adjoint of the batch ``g``: shape ``(batch,) + shape``."""
    g = np.asarray(g)
    shape = g.shape[:1] + np.shape(like)
    if g.ndim < len(shape) and axis is None:  # each item a scalar
        g = np.reshape(g, g.shape[:1] + (1,) * np.ndim(like))
    elif g.ndim < len(shape) and not keepdims:
        g = np.expand_dims(g, batch_axis(axis, like))
    if g.shape == shape:
        return g
    return np.broadcast_to(g, shape).copy()


def batch_as_gradient(g, like):
    """A batch of gradients with the floating dtype of ``like``, shaped ``(batch,) + shape``.
    A shape mismatch is an error, never reshaped away: it would hide a wrong gradient."""
    like_dtype = np.asarray(like).dtype
    dtype = like_dtype if np.issubdtype(like_dtype, np.floating) else np.dtype(np.float64)
    out = np.asarray(g, dtype=dtype)
    if out.shape[1:] != np.shape(like):
        raise ValueError(f"batched gradient has shape {out.shape} but its argument has shape "
                         f"{np.shape(like)}; this is a bug in srcdiff, please report it")
    return out


def batch_as_tangent(t, like):
    """A batch of output tangents with the output's floating dtype (a tuple of batches for
    a tuple output)."""
    if isinstance(like, (tuple, list)):
        return type(like)(batch_as_gradient(ti, li) for ti, li in zip(t, like, strict=True))
    return batch_as_gradient(t, like)


def batch_zero_tangents(like, batch):
    """A batch of zero tangents for every item of a list or tuple (a list for a list)."""
    return type(like)(batch_zeros(item, batch) for item in like)


def batch_transpose(t, axes=None):
    """``np.transpose`` of each value of the batch ``t`` (the batch axis stays first)."""
    t = np.asarray(t)
    if axes is None:
        return np.transpose(t, (0,) + tuple(range(t.ndim - 1, 0, -1)))
    return np.transpose(t, (0,) + tuple(ax % (t.ndim - 1) + 1 for ax in axes))


def batch_reshape(t, shape):
    """``np.reshape`` of each value of the batch ``t`` to ``shape`` (C order)."""
    shape = tuple(shape) if np.ndim(shape) else (shape,)
    return np.reshape(t, np.shape(t)[:1] + shape)


def explicit_index(index, ndim):
    """``index`` as a tuple without ``...``: the ellipsis spelled out as the slices it stands
    for in an array of ``ndim`` axes (so that an axis appended after them is left alone)."""
    index = index if isinstance(index, tuple) else (index,)
    if not any(item is Ellipsis for item in index):
        return index
    used = 0  # the axes the other entries index: a boolean mask takes as many as it has
    for item in index:
        if item is not None and item is not Ellipsis:
            mask = isinstance(item, (list, np.ndarray)) and np.asarray(item).dtype == np.bool_
            used += np.ndim(item) if mask else 1
    at = next(k for k, item in enumerate(index) if item is Ellipsis)
    return index[:at] + (slice(None),) * (ndim - used) + index[at + 1:]


def batch_index(t, index):
    """``value[index]`` of each value of the batch ``t``, for every NumPy index (an item of
    a list or tuple of batches is that batch)."""
    if isinstance(t, (list, tuple)):
        return t[index]
    t = np.asarray(t)
    moved = np.moveaxis(t, 0, -1)  # the batch axis last: indexing leaves it where it is
    return np.moveaxis(moved[explicit_index(index, t.ndim - 1)], -1, 0)


def batch_index_adjoint(g, like, index):
    """``index_adjoint`` of each adjoint of the batch ``g``: added into zeros shaped
    ``(batch,) + like.shape`` (repeated elements receive the sum)."""
    if isinstance(like, (list, tuple)):  # an item of a list: a list adjoint with one slot
        items = [None] * len(like)
        items[index] = g
        return type(like)(items)
    g = np.asarray(g)
    out = np.zeros(np.shape(like) + g.shape[:1],
                   dtype=np.result_type(g.dtype, np.float32))
    np.add.at(out, explicit_index(index, np.ndim(like)), np.moveaxis(g, 0, -1))
    return np.moveaxis(out, -1, 0)


def batch_set_slot(t, index, value):
    """``set_slot`` of each tangent of the batch ``t``: ``t[k][index] = value[k]``."""
    t = np.array(t, dtype=np.result_type(np.asarray(t).dtype, np.asarray(value).dtype,
                                         np.float32))
    moved = np.moveaxis(t, 0, -1)
    moved[explicit_index(index, t.ndim - 1)] = np.moveaxis(np.asarray(value), 0, -1)
    return t


def batch_matmul(a, b, batched_a, batched_b, like):
    """``np.matmul(a, b)`` where ``a`` and/or ``b`` is a batch (a leading axis) of operands,
    shaped ``(batch,) + np.shape(like)`` (``like`` is the unbatched product)."""
    a, b = np.asarray(a), np.asarray(b)
    a_nd, b_nd = a.ndim - batched_a, b.ndim - batched_b
    if a_nd == 1:  # a row: matmul promotes it, then drops the axis again
        a = np.expand_dims(a, -2)
    if b_nd == 1:  # a column
        b = np.expand_dims(b, -1)
    rank = max(a.ndim - batched_a, b.ndim - batched_b)
    if batched_a:
        a = lift(a, np.empty((0,) * rank))
    if batched_b:
        b = lift(b, np.empty((0,) * rank))
    product = np.matmul(a, b)
    return np.reshape(product, product.shape[:1] + np.shape(like))


def batch_matmul_vjp_a(g, a, b, batched_g=True, batched_b=False):
    """``matmul_vjp_a`` where ``g`` and/or ``b`` is a batch: the adjoints of ``a``, shaped
    ``(batch,) + np.shape(a)``."""
    g, b = np.asarray(g), np.asarray(b)
    if b.ndim - batched_b == 1:  # b was a column: so is each row of g
        g, b = np.expand_dims(g, -1), np.expand_dims(b, -1)
    if np.ndim(a) == 1:
        g = np.expand_dims(g, -2)
    rank = max(g.ndim - batched_g, b.ndim - batched_b)
    if batched_g:
        g = lift(g, np.empty((0,) * rank))
    if batched_b:
        b = lift(b, np.empty((0,) * rank))
    da = np.matmul(g, np.swapaxes(b, -1, -2))
    a2 = np.expand_dims(a, -2) if np.ndim(a) == 1 else a
    return np.reshape(batch_unbroadcast(da, a2), da.shape[:1] + np.shape(a))


def batch_matmul_vjp_b(g, a, b, batched_g=True, batched_a=False):
    """``matmul_vjp_b`` where ``g`` and/or ``a`` is a batch: the adjoints of ``b``, shaped
    ``(batch,) + np.shape(b)``."""
    g, a = np.asarray(g), np.asarray(a)
    if np.ndim(b) == 1:
        g = np.expand_dims(g, -1)
    if a.ndim - batched_a == 1:  # a was a row
        g, a = np.expand_dims(g, -2), np.expand_dims(a, -2)
    rank = max(g.ndim - batched_g, a.ndim - batched_a)
    if batched_g:
        g = lift(g, np.empty((0,) * rank))
    if batched_a:
        a = lift(a, np.empty((0,) * rank))
    db = np.matmul(np.swapaxes(a, -1, -2), g)
    b2 = np.expand_dims(b, -1) if np.ndim(b) == 1 else b
    return np.reshape(batch_unbroadcast(db, b2), db.shape[:1] + np.shape(b))


def batch_dot(a, b, batched_a, batched_b, like):
    """``np.dot(a, b)`` where ``a`` and/or ``b`` is a batch (a leading axis) of operands,
    shaped ``(batch,) + np.shape(like)`` (``like`` is the unbatched product)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == batched_a or b.ndim == batched_b:  # a 0-d operand: a product
        return (lift(a, like) if batched_a else a) * (lift(b, like) if batched_b else b)
    out = np.tensordot(a, b, axes=([-1], [-1 if b.ndim - batched_b == 1 else -2]))
    return np.moveaxis(out, a.ndim - 1, 0) if batched_b else out


def batch_dot_vjp_a(g, a, b):
    """``dot_vjp_a`` of each adjoint of the batch ``g``."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 0 or b.ndim == 0:
        return batch_unbroadcast(g * b, a)
    if b.ndim == 1:
        return np.multiply.outer(g, b)
    g_axes = list(range(a.ndim, g.ndim))
    b_axes = list(range(b.ndim - 2)) + [b.ndim - 1]
    return np.tensordot(g, b, axes=(g_axes, b_axes))


def batch_dot_vjp_b(g, a, b):
    """``dot_vjp_b`` of each adjoint of the batch ``g``."""
    a, b, g = np.asarray(a), np.asarray(b), np.asarray(g)
    if a.ndim == 0 or b.ndim == 0:
        return batch_unbroadcast(g * a, b)
    lead = list(range(a.ndim - 1))
    db = np.tensordot(a, g, axes=(lead, [ax + 1 for ax in lead]))
    return np.moveaxis(db, 0, -1 if b.ndim == 1 else -2)


def batch_sum_to(g, like, axis=None, keepdims=False):
    """``sum_to`` of each item of the batch ``g``: shape ``(batch,) + np.shape(like)``."""
    g = np.asarray(g)
    ndim = g.ndim - 1
    if axis is None:
        axes = tuple(range(1, ndim + 1))
    elif np.ndim(axis) == 0:
        axes = axis % ndim + 1
    else:
        axes = tuple(ax % ndim + 1 for ax in axis)
    return np.reshape(np.sum(g, axis=axes, keepdims=keepdims), g.shape[:1] + np.shape(like))


def batch_zero_slot(g, index):
    """``zero_slot`` of each item of the batch ``g``: ``g[k][index] = 0`` in a copy."""
    g = np.array(g, dtype=np.result_type(np.asarray(g).dtype, np.float32))
    np.moveaxis(g, 0, -1)[explicit_index(index, g.ndim - 1)] = 0
    return g


def batch_cotangent_part(ct, k, like, batch):
    """``cotangent_part`` for a tuple of batches: a batch of zeros when item ``k`` has none."""
    part = ct[k]
    return batch_zeros(like, batch) if part is None else part


def batch_pop_adjoint(g, like, batch):
    """``pop_adjoint`` for a list of batches: a batch of zeros when the item has none."""
    part = g.pop()
    return batch_zeros(like, batch) if part is None else part


def batch_stack(items, axis=0):
    """``np.stack`` of each item of a list of batches (the batch axis stays first); for an
    array (a batch of stacks), its second axis moved to ``axis``."""
    if isinstance(items, np.ndarray):
        return np.moveaxis(items, 1, axis % (items.ndim - 1) + 1)
    ndim = np.ndim(items[0])  # an item of one batch has ndim - 1 axes; stacked, ndim
    return np.stack(items, axis=axis % ndim + 1)


def batch_unstack(g, like, axis=0):
    """``unstack`` of each adjoint of the batch ``g``: a list of batches (one batch for an
    array ``like``)."""
    g = np.asarray(g)
    axis = axis % (g.ndim - 1) + 1
    if isinstance(like, np.ndarray):
        return np.reshape(np.moveaxis(g, axis, 1), g.shape[:1] + like.shape)
    return [np.reshape(np.take(g, k, axis=axis), g.shape[:1] + np.shape(item))
            for k, item in enumerate(like)]


def batch_array(t):
    """``np.array`` of a (nested) list of batches: one batch, its axis first."""
    if isinstance(t, (list, tuple)):
        return np.moveaxis(np.array([batch_array(item) for item in t]), 1, 0)
    return np.array(t)


def batch_sum_items(t, like, y):
    """The builtin ``sum`` of each item of the batch: over the list ``t`` of batches (each
    lifted to the rank of the sum ``y``), or along the first axis of each array of ``t``."""
    if isinstance(like, np.ndarray):
        return np.sum(t, axis=1)
    total = 0
    for item in t:
        total = total + lift(item, y)
    return batch_broadcast_like(total, y)


def batch_spread(g, like):
    """``spread`` of each adjoint of the batch ``g`` (the adjoint of the builtin ``sum``)."""
    g = np.asarray(g)
    if isinstance(like, np.ndarray):
        return np.broadcast_to(np.expand_dims(g, 1), g.shape[:1] + like.shape).copy()
    return [batch_unbroadcast(g, item) for item in like]


# ---------------------------------------------------------------------------------------------
# Helpers of the ufunc rules (srcdiff/rules/ufunc_rules.py).
# ---------------------------------------------------------------------------------------------

# end of the ufunc helpers


# ---------------------------------------------------------------------------------------------
# Helpers of the reduction rules (srcdiff/rules/reduction_rules.py).
# ---------------------------------------------------------------------------------------------

# end of the reduction helpers


# ---------------------------------------------------------------------------------------------
# Helpers of the shape rules (srcdiff/rules/shape_rules.py).
# ---------------------------------------------------------------------------------------------

# end of the shape helpers


# ---------------------------------------------------------------------------------------------
# Helpers of the linalg rules (srcdiff/rules/linalg_rules.py).
# ---------------------------------------------------------------------------------------------

# end of the linalg helpers


#: Every helper the emitted code may call (the emitter copies their source).
HELPER_NAMES = frozenset(
    name for name, value in list(globals().items())
    if callable(value) and not isinstance(value, type) and not name.startswith("_")
    and getattr(value, "__module__", None) == __name__)
