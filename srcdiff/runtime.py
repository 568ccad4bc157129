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
    # the common cases first: floats, arrays (or NumPy scalars) of one shape
    shape = () if type(like) is float else getattr(like, "shape", None)
    if shape is None:
        shape = np.shape(like)
    g_shape = () if type(g) is float else getattr(g, "shape", None)
    if (np.shape(g) if g_shape is None else g_shape) == shape:
        return g
    g = np.broadcast_to(g, np.broadcast_shapes(np.shape(g), shape))
    extra = g.ndim - len(shape)
    if extra:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def unbroadcast_uniform(g, like, other):
    """``unbroadcast`` of an adjoint that is the number ``g`` at every element of the result
    of an operation broadcasting ``like`` against ``other``: ``g`` times the number of
    elements of the result each element of ``like`` went into, still one number (standing
    for the adjoint of ``like``, every element of which it is)."""
    shape = () if type(like) is float else getattr(like, "shape", None)
    other_shape = () if type(other) is float else getattr(other, "shape", None)
    if shape is None:
        shape = np.shape(like)
    if other_shape is None:
        other_shape = np.shape(other)
    if other_shape == shape or other_shape == ():
        return g
    size = math.prod(np.broadcast_shapes(shape, other_shape))
    return g * (size // math.prod(shape) if size else 0)


def sum_to_number(g):
    """The sum of every element of ``g`` (``g`` itself when it is one number): the adjoint of
    a number that an operation broadcast against an array."""
    if type(g) is float or type(g) is np.float64 or np.ndim(g) == 0:
        return g
    return np.sum(g)


def scalar_seed(y):
    """The adjoint that starts the backward sweep of ``grad``: one, once ``y`` (the output,
    or a value of its shape) is checked to be one number. A Python float one takes the
    dtype of whatever it multiplies; an array of one element gets ones of its shape."""
    if type(y) is float or type(y) is np.float64 or type(y) is np.float32:
        return 1.0  # the common cases first: a float, a NumPy float scalar
    if isinstance(y, tuple):
        raise NonScalarOutputError(
            f"grad needs a function with a scalar output, but it returned a tuple of "
            f"{len(y)}; use srcdiff.vjp(f) with a tuple of output cotangents")
    if np.size(y) != 1:
        raise NonScalarOutputError(
            f"grad needs a function with a scalar output, but it returned shape {np.shape(y)}; "
            "use srcdiff.vjp(f) with an output cotangent (PyTorch's backward(gradient=...))")
    if np.ndim(y) == 0:
        return 1.0
    dtype = np.asarray(y).dtype  # an array of one element: ones of its shape
    return np.ones(np.shape(y), dtype=dtype if dtype.kind == "f" else np.float64)


def as_gradient(g, like):
    """Return ``g`` with the shape and floating dtype of the argument ``like``.

    A Python number gets a Python float; a NumPy scalar a NumPy scalar of its dtype.
    A shape mismatch is an error, never reshaped away: it would hide a wrong gradient.
    """
    if type(like) is np.ndarray and type(g) is np.ndarray and g.dtype is like.dtype \
            and g.shape == like.shape and like.dtype.kind == "f":
        return g  # the common case: already an array of the argument's shape and dtype
    if type(like) is float and (type(g) is float or type(g) is np.float64):
        return float(g)
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


def as_cotangent(ct, out):
    """The output cotangent of ``vjp``, checked: shaped like the output ``out`` (a tuple or list
    of them, ``None`` for an item without one, for a tuple output), as PyTorch's
    ``backward(gradient=ct)`` requires. A list of numbers becomes an array."""
    if isinstance(out, (tuple, list)):
        if not isinstance(ct, (tuple, list)) or len(ct) != len(out):
            raise ValueError(f"the function returned a {type(out).__name__} of {len(out)} items: "
                             f"pass a tuple of {len(out)} output cotangents, one per item")
        return type(ct)(c if c is None else as_cotangent(c, v)
                         for c, v in zip(ct, out, strict=True))
    if isinstance(ct, (list, tuple)):
        ct = np.asarray(ct, dtype=np.result_type(np.asarray(out).dtype, np.float64))
    if np.shape(ct) != np.shape(out):
        raise ValueError(f"the output cotangent has shape {np.shape(ct)} but the output has "
                         f"shape {np.shape(out)}: pass a cotangent shaped like the output")
    return ct


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
    if np.ndim(g) == 0:  # one value repeated: np.full is the fast way to write it
        return np.full(shape, g)
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
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2:  # the common cases
        if b.ndim == 2:  # plain matrices
            return np.matmul(g, b.T)
        if b.ndim == 1:  # a matrix times a vector
            return np.multiply.outer(g, b)
    if np.ndim(a) == 2 and np.ndim(b) == 2:
        return np.matmul(g, np.transpose(b))
    if np.ndim(a) == 2 and np.ndim(b) == 1:
        return np.multiply.outer(g, b)
    a2, b2, g2 = matmul_operands(g, a, b)
    return np.reshape(unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2), np.shape(a))


def matmul_vjp_b(g, a, b):
    """Adjoint of ``b`` in ``y = np.matmul(a, b)``, given the adjoint ``g`` of ``y``:
    ``db = a.T @ g`` on the promoted matrices, summed back over broadcast batch dimensions."""
    if type(a) is np.ndarray and a.ndim == 2 and type(b) is np.ndarray and b.ndim in (1, 2):
        return np.matmul(a.T, g)  # plain matrix times matrix or vector: the common case
    if np.ndim(a) == 2 and np.ndim(b) in (1, 2):
        return np.matmul(np.transpose(a), g)
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
        return items if isinstance(like, list) else tuple(items)  # (named tuples too)
    out = np.zeros(np.shape(like), dtype=np.result_type(np.asarray(g).dtype, np.float32))
    if type(index) is int or type(index) is slice:  # selects each element once at most
        out[index] = g
    else:
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


def shape_only(x, _views={}):  # noqa: B006  (the cache of views, one per shape and dtype)
    """A stand-in for ``x`` with its shape and dtype and no data (a broadcast view of one
    zero): what a loop saves of a value the backward sweep reads only for its shape.

    One read-only view serves every value of a shape and dtype (``_views`` keeps them), and
    a Python float stands for itself by a zero: a save costs a dictionary look-up."""
    if type(x) is float:
        return 0.0
    if isinstance(x, np.generic):  # a NumPy scalar: a zero of its type
        return x.dtype.type(0)
    if type(x) is not np.ndarray:
        x = np.asarray(x)
    key = (x.shape, x.dtype)
    view = _views.get(key)
    if view is None:
        view = _views[key] = np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape)
    return view


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


def batch_as_cotangent(cts, out):
    """A batch of output cotangents (first axis), each checked as :func:`as_cotangent` does."""
    if isinstance(out, (tuple, list)):
        if not isinstance(cts, (tuple, list)) or len(cts) != len(out):
            raise ValueError(f"the function returned a {type(out).__name__} of {len(out)} items: "
                             f"pass a tuple of {len(out)} batches of output cotangents")
        return type(cts)(c if c is None else batch_as_cotangent(c, v)
                          for c, v in zip(cts, out, strict=True))
    cts = np.asarray(cts)
    if cts.shape[1:] != np.shape(out):
        raise ValueError(f"the batch of output cotangents has shape {cts.shape} but the output "
                         f"has shape {np.shape(out)}: pass an array shaped (batch,) + "
                         f"{np.shape(out)}")
    return cts


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
        return items if isinstance(like, list) else tuple(items)
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

def clip_partial(a, a_min, a_max, which, lower=None, upper=None, out=None):
    """The partial derivative of ``np.clip(a, a_min, a_max)`` wrt ``which`` ('a', 'a_min' or
    'a_max', the lower and upper bound): a boolean mask with the result's shape, true where
    that argument gives the result.

    ``a`` gives it where ``a_min <= a <= a_max`` (boundaries included), a bound where it binds
    strictly; where ``a_min > a_max`` the result is ``a_max``. A bound None never binds.
    ``lower``/``upper`` are the bounds given as NumPy's ``min=``/``max=`` instead. An ``out``
    array is refused: srcdiff cannot follow a write in place.
    """
    if out is not None:
        raise ValueError("srcdiff cannot differentiate np.clip(..., out=...): the array written "
                         "in place is not followed; assign the result instead")
    lo = a_min if a_min is not None else lower
    hi = a_max if a_max is not None else upper
    lo = -np.inf if lo is None else lo
    hi = np.inf if hi is None else hi
    if which == "a":
        mask = (a >= lo) & (a <= hi)
    elif which == "a_min":
        mask = (a < lo) & (lo <= hi)
    else:
        mask = (hi < a) | (hi < lo)
    return np.broadcast_to(mask, np.broadcast_shapes(np.shape(a), np.shape(lo), np.shape(hi)))


# end of the ufunc helpers


# ---------------------------------------------------------------------------------------------
# Helpers of the reduction rules (srcdiff/rules/reduction_rules.py).
# ---------------------------------------------------------------------------------------------

def reduction_axes(ndim, axis=None):
    """The axes, non-negative and sorted, that a reduction over ``axis`` combines in a value
    of ``ndim`` axes (every axis for None)."""
    if axis is None:
        return tuple(range(ndim))
    if np.ndim(axis) == 0:
        return (int(axis) % ndim,)
    return tuple(sorted(int(ax) % ndim for ax in axis))


def groups_last(t, like, axis=None):
    """``t``, shaped like ``like`` after any leading (batch) axes, with the axes that a
    reduction of ``like`` over ``axis`` combines moved last and flattened into one: shape
    ``lead + kept + (n,)``, one group of ``n`` entries per result of the reduction."""
    t = np.asarray(t)
    ndim = np.ndim(like)
    lead = t.ndim - ndim
    axes = reduction_axes(ndim, axis)
    kept = tuple(k for k in range(ndim) if k not in axes)
    moved = np.transpose(t, tuple(range(lead)) + tuple(lead + k for k in kept + axes))
    return np.reshape(moved, moved.shape[:lead + len(kept)] + (-1,))


def groups_back(t, like, axis=None):
    """Undo ``groups_last``: ``t`` shaped ``lead + kept + (n,)`` back to ``lead + shape``."""
    t = np.asarray(t)
    shape = np.shape(like)
    axes = reduction_axes(len(shape), axis)
    kept = tuple(k for k in range(len(shape)) if k not in axes)
    lead = t.ndim - len(kept) - 1
    moved = np.reshape(t, t.shape[:lead] + tuple(shape[k] for k in kept + axes))
    order = tuple(range(lead)) + tuple(lead + k for k in kept + axes)
    return np.transpose(moved, tuple(int(k) for k in np.argsort(order)))


def prod_others(a, axis=None):
    """For each entry of ``a``, the product of the other entries of its group in a reduction
    over ``axis``: the derivative of ``np.prod``. Products from both sides of each entry, no
    division, so it is exact where entries are zero."""
    g = groups_last(a, a, axis)
    ones = np.ones(g.shape[:-1] + (1,), dtype=g.dtype)
    left = np.cumprod(np.concatenate([ones, g[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, np.flip(g, -1)[..., :-1]], axis=-1), axis=-1)
    return groups_back(left * np.flip(right, -1), a, axis)


def prod_others_jvp(t, a, axis=None):
    """The derivative of ``prod_others(a, axis)`` along ``t`` (which may have leading batch
    axes): entry ``i`` is ``sum_j t_j * prod(a_k, k not in {i, j})`` over its group (``j != i``).
    The matrix of these products is symmetric, so this is also its adjoint. Exact at zeros;
    takes ``n * n`` memory per group of ``n`` entries."""
    a = np.asarray(a)
    ga, gt = groups_last(a, a, axis), groups_last(t, a, axis)
    eye = np.eye(ga.shape[-1], dtype=bool)
    pairs = np.where(eye, 0, prod_others(np.where(eye, 1, ga[..., None, :]), -1))
    return groups_back(np.sum(pairs * gt[..., None, :], axis=-1), a, axis)


def scan_last(t, like, axis=None, output=False):
    """``t`` with the axis that ``np.cumsum(like, axis)`` runs along moved last, after any
    leading batch axes; for ``axis`` None, its entries flattened. ``t`` is shaped like
    ``like`` or, with ``output``, like the cumulative result (flat for ``axis`` None)."""
    t = np.asarray(t)
    if axis is None:
        core = 1 if output else np.ndim(like)
        return np.reshape(t, t.shape[:t.ndim - core] + (-1,))
    return np.moveaxis(t, int(axis) % np.ndim(like) - np.ndim(like), -1)


def scan_back(t, like, axis=None, output=False):
    """Undo ``scan_last``: the scanned axis back in place (``like``'s shape for ``axis``
    None unless ``output``)."""
    t = np.asarray(t)
    if axis is None:
        return t if output else np.reshape(t, t.shape[:-1] + np.shape(like))
    return np.moveaxis(t, -1, int(axis) % np.ndim(like) - np.ndim(like))


def reverse_cumsum(t):
    """Cumulative sums of ``t`` from the end of its last axis: ``out[i] = sum(t[i:])``."""
    return np.flip(np.cumsum(np.flip(t, -1), axis=-1), -1)


def cumsum_along(t, like, axis=None):
    """``np.cumsum(t, axis)`` of each value of ``t`` shaped like ``like`` after any leading
    batch axes (flattening each value for ``axis`` None)."""
    return scan_back(np.cumsum(scan_last(t, like, axis), axis=-1), like, axis, output=True)


def cumsum_vjp(g, like, axis=None):
    """Adjoint of ``y = np.cumsum(like, axis)`` given the adjoint ``g`` of ``y`` (which may have
    leading batch axes): sums of ``g`` from the end, shaped like ``like``."""
    return scan_back(reverse_cumsum(scan_last(g, like, axis, output=True)), like, axis)


def cumprod_zeros(a):
    """What the derivatives of ``np.cumprod`` along the last axis of ``a`` need to stay exact
    at zeros: ``before`` (no zero up to and including each entry), ``first`` (the first
    zero), ``safe`` (``a`` with its zeros replaced by 1), the cumulative product ``c``, and
    ``c1``, the cumulative product with the first zero replaced by 1."""
    a = np.asarray(a)
    zero = a == 0
    before = np.logical_and.accumulate(~zero, axis=-1)
    first = zero & np.concatenate([np.ones_like(before[..., :1]), before[..., :-1]], axis=-1)
    safe = np.where(zero, 1, a)
    return before, first, safe, np.cumprod(a, axis=-1), np.cumprod(np.where(first, 1, a), axis=-1)


def cumprod_jvp(t, a, axis=None):
    """Tangent of ``y = np.cumprod(a, axis)`` along ``t`` (which may have leading batch axes).

    ``dy_i = sum_{j <= i} t_j prod_{k <= i, k != j} a_k``: before the first zero of a scan,
    ``y_i * sum_{j <= i} t_j / a_j``; from the first zero ``z`` on, only ``j = z`` is left,
    ``t_z`` times the product with ``a_z`` left out. Exact at zeros, linear time.
    """
    a = np.asarray(a)
    ga, gt = scan_last(a, a, axis), scan_last(t, a, axis)
    before, first, safe, c, c1 = cumprod_zeros(ga)
    inner = np.cumsum(np.where(before, gt / safe, 0), axis=-1)
    out = np.where(before, c * inner, 0) + c1 * np.cumsum(np.where(first, gt, 0), axis=-1)
    return scan_back(out, a, axis, output=True)


def cumprod_vjp(g, a, axis=None):
    """Adjoint of ``a`` in ``y = np.cumprod(a, axis)`` given the adjoint ``g`` of ``y`` (which
    may have leading batch axes): the transpose of ``cumprod_jvp``, exact at zeros."""
    a = np.asarray(a)
    ga, gg = scan_last(a, a, axis), scan_last(g, a, axis, output=True)
    before, first, safe, c, c1 = cumprod_zeros(ga)
    out = np.where(before, reverse_cumsum(np.where(before, gg * c, 0)) / safe, 0)
    out = out + np.where(first, reverse_cumsum(gg * c1), 0)
    return scan_back(out, a, axis)


def cumprod_pairs(s, a):
    """The derivative along ``s`` of the Jacobian of ``np.cumprod`` along the last axis of
    ``a``: ``K[..., j, i]`` is the derivative of ``dy_i / da_j`` (zero for ``i < j``).
    Row ``j`` is ``cumprod_jvp`` with ``a_j`` replaced by 1 and ``s_j`` by 0: exact at zeros."""
    a = np.asarray(a)
    n = a.shape[-1]
    eye = np.eye(n, dtype=bool)
    rows = cumprod_jvp(np.where(eye, 0, np.asarray(s)[..., None, :]),
                       np.where(eye, 1, a[..., None, :]), -1)
    return np.where(np.triu(np.ones((n, n), dtype=bool)), rows, 0)


def cumprod_hvp(t, s, a, axis=None):
    """Second derivative of ``y = np.cumprod(a, axis)`` along ``t`` and ``s`` (either may
    have leading batch axes): ``sum_{j != m} t_j s_m d2y / da_j da_m``, shaped like ``y``."""
    a = np.asarray(a)
    pairs = cumprod_pairs(scan_last(s, a, axis), scan_last(a, a, axis))
    out = np.sum(scan_last(t, a, axis)[..., :, None] * pairs, axis=-2)
    return scan_back(out, a, axis, output=True)


def cumprod_mixed(g, t, a, axis=None):
    """The derivative of ``cumprod_vjp(g, a, axis)`` along ``a``'s tangent ``t`` (either of
    ``g``, ``t`` may have leading batch axes): ``sum_i g_i sum_j t_j d2y_i / da_j da_m`` for
    each ``m``, shaped like ``a``. Symmetric in its roles: also the adjoint of ``a`` in
    ``cumprod_jvp(t, a)`` and in ``cumprod_hvp(t, ., a)``."""
    a = np.asarray(a)
    pairs = cumprod_pairs(scan_last(t, a, axis), scan_last(a, a, axis))
    out = np.sum(scan_last(g, a, axis, output=True)[..., None, :] * pairs, axis=-1)
    return scan_back(out, a, axis)


def nan_tie_weights(a, y, axis=None, keepdims=False):
    """``tie_weights`` of ``np.nanmax``/``np.nanmin``: NaN entries never tie and get 0; a
    slice of NaNs only (a NaN result) gets 0 everywhere."""
    hit = a == repeat_to_shape(y, a, axis, keepdims)
    count = repeat_to_shape(np.sum(hit, axis=axis, keepdims=keepdims), a, axis, keepdims)
    return hit / np.maximum(count, 1)


def nanmean_weights(a, axis=None):
    """The derivative of ``np.nanmean(a, axis)`` with respect to each entry: one over the
    number of non-NaN entries of its group, 0 for a NaN entry."""
    keep = ~np.isnan(a)
    count = np.sum(keep, axis=axis, keepdims=True)
    return keep / np.maximum(count, 1)


def ptp_weights(a, axis=None):
    """The derivative of ``np.ptp(a, axis)`` (max minus min) with respect to each entry: the
    tie weights of the maximum minus those of the minimum (0 where every entry ties)."""
    a = np.asarray(a)
    high = a == np.max(a, axis=axis, keepdims=True)
    low = a == np.min(a, axis=axis, keepdims=True)
    return (high / np.sum(high, axis=axis, keepdims=True)
            - low / np.sum(low, axis=axis, keepdims=True))


def full_weights(t, weights, a, axis=None):
    """The weights of ``np.average(a, axis, weights)`` broadcast to ``a``'s shape (ones when
    ``weights`` is None). ``t`` is the weights or a tangent of them (with leading batch axes
    beyond ``weights``' shape); 1-D weights lie along ``axis``, as NumPy lays them out."""
    shape = np.shape(a)
    if weights is None:
        return np.ones(shape, dtype=np.result_type(np.asarray(a).dtype, np.float32))
    t = np.asarray(t)
    lead = t.ndim - np.ndim(weights)
    if np.shape(weights) != shape:
        axes = tuple(int(ax) % len(shape) for ax in (axis if np.ndim(axis) else (axis,)))
        t = np.transpose(t, tuple(range(lead)) + tuple(lead + int(k) for k in np.argsort(axes)))
        t = np.reshape(t, t.shape[:lead] + tuple(n if k in axes else 1
                                                 for k, n in enumerate(shape)))
    return np.broadcast_to(t, t.shape[:lead] + shape).copy()


def weights_adjoint(g, weights, a, axis=None):
    """The adjoint of ``full_weights``: ``g``, shaped like ``a`` after any leading batch axes,
    summed back to the shape of ``weights``."""
    g = np.asarray(g)
    shape = np.shape(a)
    if np.shape(weights) == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(int(ax) % len(shape) for ax in (axis if np.ndim(axis) else (axis,)))
    g = np.sum(g, axis=tuple(lead + k for k in range(len(shape)) if k not in axes))
    inverse = np.argsort(np.argsort(axes))
    return np.transpose(g, tuple(range(lead)) + tuple(lead + int(k) for k in inverse))


def not_returned(returned):
    """1.0, after checking that ``np.average(..., returned=returned)`` returned the average
    alone: srcdiff differentiates only ``returned=False``."""
    if returned:
        raise ValueError("srcdiff differentiates np.average(..., returned=False) only; "
                         "compute the sum of the weights separately")
    return 1.0


def norm_kind(x, ord=None, axis=None):
    """How ``np.linalg.norm(x, ord, axis)`` reduces ``x``: ``('vector', axes)`` or
    ``('matrix', (row_axis, col_axis))``, non-negative axes; the norm of every entry (a
    vector 2-norm) when ``ord`` and ``axis`` are both None."""
    ndim = np.ndim(x)
    if axis is None:
        if ord is None:
            return "vector", tuple(range(ndim))
        if ndim == 1:
            return "vector", (0,)
        return "matrix", (0, 1)
    if np.ndim(axis) == 0:
        return "vector", (int(axis) % ndim,)
    if len(axis) == 1:
        return "vector", (int(axis[0]) % ndim,)
    return "matrix", (int(axis[0]) % ndim, int(axis[1]) % ndim)


def norm_grad(x, ord=None, axis=None):
    """The derivative of each norm of ``np.linalg.norm(x, ord, axis)`` with respect to the
    entries of ``x`` it reduces, shaped like ``x``.

    At non-smooth points: 0 where the norm is 0; ``sign(0) = 0`` for entries at zero (1-norm,
    p-norms with p < 1, matrix 1/inf-norms); ties of the max/min split evenly (inf-norms,
    matrix 1/inf-norms, equal extreme singular values for ord 2/-2); singular values equal to
    0 contribute nothing (nuclear norm, ord 2/-2).
    """
    x = np.asarray(x)
    kind, axes = norm_kind(x, ord, axis)
    y = np.linalg.norm(x, ord, axis, keepdims=True)
    safe = np.where(y == 0, 1, y)
    if ord is None or ord in ("fro", "f") or (kind == "vector" and ord == 2):
        return np.where(y == 0, 0, x / safe)
    if kind == "vector":
        if ord == 0:
            return np.zeros_like(x, dtype=np.result_type(x.dtype, np.float32))
        if ord == 1:
            return np.sign(x) * 1.0
        if ord in (np.inf, -np.inf):
            hit = np.abs(x) == y
            return np.sign(x) * hit / np.sum(hit, axis=axes, keepdims=True)
        ratio = np.abs(x) / safe
        inner = np.where(x == 0, 0, np.where(x == 0, 1, ratio) ** (ord - 1))
        return np.where(y == 0, 0, np.sign(x) * inner)
    row, col = axes
    if ord in (1, -1, np.inf, -np.inf):
        along, across = (row, col) if ord in (1, -1) else (col, row)
        hit = np.sum(np.abs(x), axis=along, keepdims=True) == y
        return np.sign(x) * (hit / np.sum(hit, axis=across, keepdims=True))
    if ord not in ("nuc", 2, -2):
        raise ValueError(f"invalid norm order {ord!r} for matrices")
    u, s, vh = np.linalg.svd(np.moveaxis(x, (row, col), (-2, -1)), full_matrices=False)
    if ord == "nuc":
        weights = (s > 0) * 1.0
    else:
        hit = s == (np.max(s, axis=-1, keepdims=True) if ord == 2 else
                    np.min(s, axis=-1, keepdims=True))
        weights = (s > 0) * hit / np.sum(hit, axis=-1, keepdims=True)
    return np.moveaxis(np.matmul(u * weights[..., None, :], vh), (-2, -1), (row, col))


def norm_hvp(t, x, ord=None, axis=None):
    """The derivative of ``norm_grad(x, ord, axis)`` along ``t`` (which may have leading batch
    axes): each norm's Hessian applied to ``t`` (symmetric, so also its adjoint).

    0 where the norm is 0 and for the piecewise linear norms (ord 0, 1, inf, -inf; matrix
    1, -1, inf, -inf). For a p-norm with 1 < p < 2 it is infinite at entries equal to 0 and
    given as NaN; with p < 1 those entries are constants (as in ``norm_grad``). The nuclear
    and spectral (2, -2) matrix norms have no second derivative here: a ValueError.
    """
    x = np.asarray(x)
    t = np.asarray(t)
    kind, axes = norm_kind(x, ord, axis)
    group = tuple(ax - x.ndim for ax in axes)
    zeros = np.zeros(np.broadcast_shapes(t.shape, x.shape),
                     dtype=np.result_type(t.dtype, x.dtype, np.float32))
    if kind == "matrix" and ord in ("nuc", 2, -2):
        raise ValueError("srcdiff has no second derivative of the nuclear or spectral "
                         "(ord=2, -2) matrix norm")
    if ord in (0, 1, -1, np.inf, -np.inf):
        return zeros
    y = np.linalg.norm(x, ord, axis, keepdims=True)
    safe = np.where(y == 0, 1, y)
    grad = norm_grad(x, ord, axis)
    along = np.sum(grad * t, axis=group, keepdims=True)
    if ord is None or ord in ("fro", "f", 2):
        return np.where(y == 0, 0, (t - grad * along) / safe)
    ratio = np.where(x == 0, 1, np.abs(x) / safe)
    diag = ratio ** (ord - 2)
    if ord < 2:
        diag = np.where(x == 0, 0.0 if ord < 1 else np.nan, diag)
    elif ord > 2:
        diag = np.where(x == 0, 0.0, diag)
    return np.where(y == 0, 0, (ord - 1) / safe * (diag * t - grad * along)) + zeros


# end of the reduction helpers


# ---------------------------------------------------------------------------------------------
# Helpers of the shape rules (srcdiff/rules/shape_rules.py).
# ---------------------------------------------------------------------------------------------

def ravel_index(like, order="C"):
    """The positions (flat, in C order) of the elements of ``like`` in the order
    ``np.ravel(like, order)`` reads them: 'A' and 'K' follow ``like``'s memory layout."""
    x = np.asarray(like)
    if order == "A":
        order = "F" if x.flags.f_contiguous and not x.flags.c_contiguous else "C"
    positions = np.empty_like(x, dtype=np.intp, order="K" if order == "K" else "C")
    positions[...] = np.reshape(np.arange(x.size), x.shape)
    return np.ravel(positions, order)


def unravel(g, like, order="C"):
    """Adjoint of ``np.ravel(like, order)``: the flat adjoint ``g`` put back in ``like``'s
    shape, each element where raveling read it."""
    shape = np.shape(like)
    if order == "C":
        return np.reshape(g, shape)
    g = np.asarray(g)
    out = np.zeros(math.prod(shape), dtype=np.result_type(g.dtype, np.float32))
    out[ravel_index(like, order)] = np.ravel(g)
    return np.reshape(out, shape)


def ravel_like(t, like, order="C"):
    """Tangent of ``np.ravel(like, order)``: ``t`` (shaped like ``like``, whatever its own
    memory layout) read in the order raveling reads ``like``."""
    if order == "C":
        return np.ravel(t)
    return np.ravel(t)[ravel_index(like, order)]


def rollaxis_destination(like, axis, start=0):
    """Where ``np.rollaxis(like, axis, start)`` puts ``axis``: the destination of the same
    ``np.moveaxis``."""
    ndim = np.ndim(like)
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    return start - 1 if axis < start else start


def concatenation_layout(like, axis=0, kind="concatenate"):
    """How the items of ``like`` are joined by ``np.concatenate(like, axis)`` (``kind``
    'concatenate') or by ``np.hstack``, ``np.vstack``, ``np.dstack``, ``np.column_stack``:
    the shape each item takes once promoted, and the axis they meet along (None: each item
    flattened, then joined)."""
    if isinstance(like, np.ndarray):  # the rows of an array are its items
        shapes = [like.shape[1:]] * len(like)
    else:
        shapes = [tuple(np.shape(item)) for item in like]
    if kind == "concatenate":
        return shapes, None if axis is None else axis % max(len(shapes[0]), 1)
    promoted = []
    for s in shapes:
        if kind == "hstack":  # np.atleast_1d
            s = s or (1,)
        elif kind == "vstack":  # np.atleast_2d
            s = ((1, 1) if not s else (1,) + s) if len(s) < 2 else s
        elif kind == "dstack":  # np.atleast_3d
            s = {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)
        else:  # column_stack: a vector becomes a column
            s = ((1, 1) if not s else s + (1,)) if len(s) < 2 else s
        promoted.append(s)
    joined = {"hstack": 0 if len(promoted[0]) == 1 else 1, "vstack": 0, "dstack": 2}
    return promoted, joined.get(kind, 1)


def concatenate_adjoint(g, like, axis=0, kind="concatenate"):
    """Adjoint of joining the items of ``like`` (``np.concatenate(like, axis)``, or the
    stacking of ``kind``, see ``concatenation_layout``): the slice of ``g`` each item became,
    shaped like that item. A list of them, or one array for an array ``like``."""
    shapes, axis = concatenation_layout(like, axis, kind)
    g = np.asarray(g)
    if axis is None:
        g, axis = np.ravel(g), 0
        sizes = [math.prod(s) for s in shapes]
    else:
        sizes = [s[axis] for s in shapes]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    if isinstance(like, np.ndarray):
        return np.reshape(np.stack(pieces), like.shape)
    return [np.reshape(p, np.shape(item)) for p, item in zip(pieces, like, strict=True)]


def concatenate_items(t, like, axis=0, kind="concatenate"):
    """The items ``t`` (shaped like those of ``like``; ``None`` counts as zeros) joined as
    ``np.concatenate(like, axis)`` or the stacking of ``kind`` joins ``like``: the tangent
    of a concatenation, and the adjoint of ``concatenate_adjoint``."""
    shapes, axis = concatenation_layout(like, axis, kind)
    parts = [np.zeros(s) if item is None else np.reshape(item, s)
             for item, s in zip(list(t), shapes, strict=True)]
    if axis is None:
        return np.concatenate([np.ravel(p) for p in parts])
    return np.concatenate(parts, axis)


def split_positions(size, indices_or_sections, pieces):
    """The positions along the cut axis (of ``size``) of each piece of ``np.split`` (or
    ``np.array_split``); an error unless there are as many as the ``pieces`` adjoints."""
    ranges = np.array_split(np.arange(size), indices_or_sections)
    if len(ranges) != pieces:
        raise ValueError(f"the adjoint of the {len(ranges)} pieces of np.split has {pieces} "
                         "items; this is a bug in srcdiff, please report it")
    return ranges


def split_adjoint(g, like, indices_or_sections, axis=0):
    """Adjoint of ``np.split(like, indices_or_sections, axis)`` (or ``np.array_split``):
    the adjoints ``g`` of the pieces (``None``: no contribution) put back where each piece
    was cut from, in zeros shaped like ``like``."""
    shape = np.shape(like)
    axis = axis % len(shape)
    parts = list(g)
    dtypes = [np.asarray(p).dtype for p in parts if p is not None]
    out = np.zeros(shape, dtype=np.result_type(*dtypes, np.float32))
    ranges = split_positions(shape[axis], indices_or_sections, len(parts))
    for part, positions in zip(parts, ranges, strict=True):
        if part is not None:
            out[(slice(None),) * axis + (positions,)] += part
    return out


def tile_adjoint(g, like, reps):
    """Adjoint of ``np.tile(like, reps)``: the adjoint ``g`` summed over the copies."""
    shape = np.shape(like)
    reps = tuple(reps) if np.ndim(reps) else (reps,)
    ndim = max(len(shape), len(reps))
    shape_p = (1,) * (ndim - len(shape)) + tuple(shape)
    reps_p = (1,) * (ndim - len(reps)) + reps
    split = [n for pair in zip(reps_p, shape_p, strict=True) for n in pair]
    total = np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * ndim, 2)))
    return np.reshape(total, shape)


def take_positions(indices, size, mode="raise"):
    """The indices of ``np.take(..., mode=mode)`` along an axis of ``size`` elements, as
    positions NumPy indexing accepts (wrapped or clipped as ``mode`` says)."""
    indices = np.asarray(indices)
    if mode == "wrap":
        return indices % size
    if mode == "clip":
        return np.clip(indices, 0, size - 1)
    return indices


def take_adjoint(g, like, indices, axis=None, mode="raise"):
    """Adjoint of ``np.take(like, indices, axis, mode=mode)``: ``g`` added into zeros shaped
    like ``like`` where each element was taken from (repeated indices add up)."""
    shape = np.shape(like)
    g = np.asarray(g)
    out = np.zeros(shape, dtype=np.result_type(g.dtype, np.float32))
    if axis is None:
        np.add.at(np.reshape(out, -1), take_positions(indices, out.size, mode), g)
        return out
    axis = axis % len(shape)
    index = (slice(None),) * axis + (take_positions(indices, shape[axis], mode),)
    np.add.at(out, index, g)
    return out


def repeat_index(like, repeats, axis=None):
    """The indices ``np.repeat(like, repeats, axis)`` takes along ``axis`` (of the flattened
    ``like`` for None): ``np.take(like, repeat_index(like, repeats, axis), axis)`` is it."""
    size = np.size(like) if axis is None else np.shape(like)[axis]
    return np.repeat(np.arange(size), repeats)


def diagonal_positions(rows, cols, offset=0):
    """The row and column indices of diagonal ``offset`` of a ``rows`` x ``cols`` matrix."""
    size = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    return np.arange(size) + max(-offset, 0), np.arange(size) + max(offset, 0)


def diagonal_adjoint(g, like, offset=0, axis1=0, axis2=1):
    """Adjoint of ``np.diagonal(like, offset, axis1, axis2)``: ``g`` written on that
    diagonal of zeros shaped like ``like`` (``g`` may broadcast along the diagonal: the
    adjoint of ``np.trace`` is ``g[..., None]``)."""
    shape = np.shape(like)
    g = np.asarray(g)
    out = np.zeros(shape, dtype=np.result_type(g.dtype, np.float32))
    moved = np.moveaxis(out, (axis1 % len(shape), axis2 % len(shape)), (-2, -1))
    rows, cols = diagonal_positions(moved.shape[-2], moved.shape[-1], offset)
    moved[..., rows, cols] = g
    return out


def diag_adjoint(g, like, k=0):
    """Adjoint of ``np.diag(like, k)``: the diagonal ``k`` of ``g`` for a vector ``like``
    (``np.diag`` built a matrix), ``g`` on that diagonal of zeros for a matrix ``like``."""
    if np.ndim(like) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_adjoint(g, like, k)


def triangle_adjoint(g, like, k=0, upper=True):
    """Adjoint of ``np.triu(like, k)`` (``np.tril`` unless ``upper``): ``g`` masked to that
    triangle, and summed over the rows a vector ``like`` was repeated into."""
    g = np.triu(g, k) if upper else np.tril(g, k)
    return np.sum(g, axis=0) if np.ndim(like) < 2 else g


def pad_pairs(ndim, widths):
    """``np.pad``'s reading of ``widths`` (``pad_width`` or ``stat_length``) for an array of
    ``ndim`` axes: one (before, after) pair per axis."""
    x = np.asarray(widths)
    if x.size == 1:
        return [(int(x.ravel()[0]),) * 2] * ndim
    if x.size == 2 and x.shape != (2, 1):
        return [(int(x.ravel()[0]), int(x.ravel()[1]))] * ndim
    return [(int(b), int(a)) for b, a in np.broadcast_to(x, (ndim, 2))]


def pad_matrices(shape, pad_width, mode, stat_length=None, reflect_type="even"):
    """The matrices ``M[axis]`` that ``np.pad`` applies along each axis of an array of
    ``shape`` in the linear modes ('constant' with zeros, 'edge', 'wrap', 'reflect',
    'symmetric', 'linear_ramp' with zero end values, 'mean'): padding is ``M`` applied along
    each axis in turn. Other modes are not linear and have no derivative here."""
    options = {"reflect": {"reflect_type": reflect_type}, "symmetric":
               {"reflect_type": reflect_type}, "constant": {}, "edge": {}, "wrap": {},
               "linear_ramp": {}, "mean": {}}
    if not isinstance(mode, str) or mode not in options:
        raise ValueError(f"np.pad with mode={mode!r} has no derivative in srcdiff (its "
                         f"derivative is supported in the modes {', '.join(options)})")
    pairs = pad_pairs(len(shape), pad_width)
    stats = None if stat_length is None else pad_pairs(len(shape), stat_length)
    matrices = []
    for axis, n in enumerate(shape):
        kwargs = dict(options[mode])
        if mode == "mean" and stats is not None:
            kwargs["stat_length"] = stats[axis]
        matrices.append(np.pad(np.eye(n), (pairs[axis], (0, 0)), mode, **kwargs))
    return matrices


def pad_adjoint(g, like, pad_width, mode="constant", stat_length=None, reflect_type="even"):
    """Adjoint of ``np.pad(like, pad_width, mode, ...)`` in a linear mode (see
    ``pad_matrices``): the interior of ``g`` for 'constant', each padding matrix transposed
    along its axis otherwise."""
    shape = np.shape(like)
    g = np.asarray(g)
    if mode == "constant":
        pairs = pad_pairs(len(shape), pad_width)
        return g[tuple(slice(b, b + n) for (b, _), n in zip(pairs, shape, strict=True))]
    matrices = pad_matrices(shape, pad_width, mode, stat_length, reflect_type)
    for axis, matrix in enumerate(matrices):
        g = np.moveaxis(np.tensordot(matrix, g, axes=([0], [axis])), 0, axis)
    return g


def pad_tangent(t, pad_width, mode="constant", stat_length=None, reflect_type="even"):
    """Tangent of ``np.pad(array, pad_width, mode, ...)`` in a linear mode: ``t`` padded the
    same way, with zero constants (and zero ramp ends)."""
    if mode == "constant":
        return np.pad(t, pad_width)
    matrices = pad_matrices(np.shape(t), pad_width, mode, stat_length, reflect_type)
    for axis, matrix in enumerate(matrices):
        t = np.moveaxis(np.tensordot(matrix, t, axes=([1], [axis])), 0, axis)
    return t


def pad_fill_masks(like, pad_width, shape):
    """For each entry of a ``constant_values`` of ``shape``, where ``np.pad(like, pad_width,
    constant_values=...)`` writes it: a stack of 0/1 masks shaped like the padded array."""
    count = math.prod(shape)
    masks = []
    for k in range(count):
        one = np.zeros(count)
        one[k] = 1.0
        masks.append(np.pad(np.zeros(np.shape(like)), pad_width,
                            constant_values=np.reshape(one, shape)))
    return np.stack(masks) if masks else np.zeros((0,) + np.shape(like))


def pad_fill_adjoint(g, like, pad_width, constant_values):
    """Adjoint of ``constant_values`` in ``np.pad(like, pad_width, constant_values=...)``:
    for each of its entries, the sum of ``g`` over the cells it fills."""
    g = np.asarray(g)
    masks = pad_fill_masks(like, pad_width, np.shape(constant_values))
    total = np.tensordot(masks, g, axes=g.ndim)
    return np.reshape(total, np.shape(constant_values))


def take_along_axis_index(shape, indices, axis):
    """The NumPy index ``np.take_along_axis(array, indices, axis)`` reads an array of
    ``shape`` with (``axis`` not None)."""
    indices = np.asarray(indices)
    ndim = len(shape)
    axis = axis % ndim
    return tuple(indices if d == axis else
                 np.reshape(np.arange(n), (1,) * d + (n,) + (1,) * (ndim - d - 1))
                 for d, n in enumerate(shape))


def take_along_axis_adjoint(g, like, indices, axis=-1):
    """Adjoint of ``np.take_along_axis(like, indices, axis)``: ``g`` added into zeros shaped
    like ``like`` where each element was taken from (repeated indices add up)."""
    shape = np.shape(like)
    g = np.asarray(g)
    out = np.zeros(shape, dtype=np.result_type(g.dtype, np.float32))
    if axis is None:
        np.add.at(np.reshape(out, -1), np.asarray(indices), g)
        return out
    np.add.at(out, take_along_axis_index(shape, indices, axis), g)
    return out


def cast_tangent(t, like):
    """The tangent ``t`` of a value cast to the dtype of ``like`` (``np.asarray``,
    ``.astype``, ``np.full_like``): cast to it when it is a floating (complex) dtype; zeros
    when ``like`` is an integer or boolean, which carry no derivative. A list ``t`` (the
    tangent of ``np.asarray`` of a list) is stacked first, ``None`` items as zeros."""
    dtype = np.asarray(like).dtype
    if not np.issubdtype(dtype, np.inexact):
        return np.zeros(np.shape(like))
    if isinstance(t, (list, tuple)):
        t = [np.zeros(np.shape(like)[1:]) if item is None else item for item in t]
    return np.asarray(t, dtype=dtype)


def cast_adjoint(g, like, result):
    """Adjoint of ``result``, ``like`` cast to another dtype: ``g`` in ``like``'s floating
    dtype (a list of slices for a list ``like``); zeros when ``result`` is an integer or
    boolean."""
    if not np.issubdtype(np.asarray(result).dtype, np.inexact):
        g = np.zeros(np.shape(result))
    if isinstance(like, (list, tuple)):
        return unstack(g, like)
    dtype = np.asarray(like).dtype
    return np.asarray(g, dtype=dtype if np.issubdtype(dtype, np.inexact) else np.float64)


def refuse_out(value, out, name):
    """``value``, unless ``out`` is an array: the derivative of ``name(..., out=array)``
    refuses to run, since the result was also written into that array, whose later uses
    srcdiff cannot follow."""
    if out is not None:
        raise ValueError(f"{name}(..., out=...) has no derivative in srcdiff: it writes its "
                         "result into an existing array; assign the result instead")
    return value


def batch_size_of(items):
    """The batch size of a list of batches whose items may be ``None`` (no contribution):
    the length of the first one that is not (1 when none is, a batch that broadcasts)."""
    for item in items:
        if item is not None:
            return len(item)
    return 1


def batch_unravel(g, like, order="C"):
    """``unravel`` of each adjoint of the batch ``g``: shape ``(batch,) + np.shape(like)``."""
    g = np.asarray(g)
    shape = g.shape[:1] + np.shape(like)
    if order == "C":
        return np.reshape(g, shape)
    out = np.zeros((len(g), np.size(like)), dtype=np.result_type(g.dtype, np.float32))
    out[:, ravel_index(like, order)] = np.reshape(g, (len(g), -1))
    return np.reshape(out, shape)


def batch_ravel_like(t, like, order="C"):
    """``ravel_like`` of each tangent of the batch ``t``: shape ``(batch, size)``."""
    t = np.asarray(t)
    flat = np.reshape(t, (len(t), -1))
    return flat if order == "C" else flat[:, ravel_index(like, order)]


def batch_concatenate_adjoint(g, like, axis=0, kind="concatenate"):
    """``concatenate_adjoint`` of each adjoint of the batch ``g``: a list of batches (one
    batch for an array ``like``)."""
    shapes, axis = concatenation_layout(like, axis, kind)
    g = np.asarray(g)
    if axis is None:
        g, axis = np.reshape(g, (len(g), -1)), 0
        sizes = [math.prod(s) for s in shapes]
    else:
        sizes = [s[axis] for s in shapes]
    pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis + 1)
    if isinstance(like, np.ndarray):
        return np.reshape(np.stack(pieces, 1), g.shape[:1] + like.shape)
    return [np.reshape(p, g.shape[:1] + np.shape(item))
            for p, item in zip(pieces, like, strict=True)]


def batch_concatenate_items(t, like, axis=0, kind="concatenate"):
    """``concatenate_items`` of each item of a batch: ``t`` is a list of batches (``None``:
    zeros), or one array of batches ``(batch,) + like.shape`` for an array ``like``."""
    shapes, axis = concatenation_layout(like, axis, kind)
    items = list(np.moveaxis(t, 1, 0)) if isinstance(t, np.ndarray) else list(t)
    batch = batch_size_of(items)
    parts = [np.zeros((batch,) + s) if item is None else np.reshape(item, (batch,) + s)
             for item, s in zip(items, shapes, strict=True)]
    if axis is None:
        return np.concatenate([np.reshape(p, (batch, -1)) for p in parts], 1)
    return np.concatenate(parts, axis + 1)


def batch_split_adjoint(g, like, indices_or_sections, axis=0):
    """``split_adjoint`` of each item of a batch: ``g`` is a list of batches (``None``: no
    contribution), or one array ``(batch, pieces, ...)`` of equal pieces."""
    parts = list(np.moveaxis(g, 1, 0)) if isinstance(g, np.ndarray) else list(g)
    shape = np.shape(like)
    axis = axis % len(shape)
    dtypes = [np.asarray(p).dtype for p in parts if p is not None]
    out = np.zeros((batch_size_of(parts),) + shape,
                   dtype=np.result_type(*dtypes, np.float32))
    ranges = split_positions(shape[axis], indices_or_sections, len(parts))
    for part, positions in zip(parts, ranges, strict=True):
        if part is not None:
            out[(slice(None),) * (axis + 1) + (positions,)] += part
    return out


def batch_tile(t, like, reps):
    """``np.tile(., reps)`` of each tangent of the batch ``t`` (``like`` is the unbatched
    argument of ``np.tile``)."""
    t = np.asarray(t)
    shape = np.shape(like)
    reps = tuple(reps) if np.ndim(reps) else (reps,)
    ndim = max(len(shape), len(reps))
    t = np.reshape(t, t.shape[:1] + (1,) * (ndim - len(shape)) + tuple(shape))
    return np.tile(t, (1,) + (1,) * (ndim - len(reps)) + reps)


def batch_tile_adjoint(g, like, reps):
    """``tile_adjoint`` of each adjoint of the batch ``g``."""
    g = np.asarray(g)
    shape = np.shape(like)
    reps = tuple(reps) if np.ndim(reps) else (reps,)
    ndim = max(len(shape), len(reps))
    shape_p = (1,) * (ndim - len(shape)) + tuple(shape)
    reps_p = (1,) * (ndim - len(reps)) + reps
    split = [n for pair in zip(reps_p, shape_p, strict=True) for n in pair]
    total = np.sum(np.reshape(g, g.shape[:1] + tuple(split)),
                   axis=tuple(range(1, 2 * ndim + 1, 2)))
    return np.reshape(total, g.shape[:1] + shape)


def batch_take(t, indices, axis=None, mode="raise"):
    """``np.take(., indices, axis, mode=mode)`` of each tangent of the batch ``t``."""
    t = np.asarray(t)
    if axis is None:
        return np.take(np.reshape(t, (len(t), -1)), indices, axis=1, mode=mode)
    return np.take(t, indices, axis=axis % (t.ndim - 1) + 1, mode=mode)


def batch_take_adjoint(g, like, indices, axis=None, mode="raise"):
    """``take_adjoint`` of each adjoint of the batch ``g``."""
    g = np.asarray(g)
    shape = np.shape(like)
    out = np.zeros(g.shape[:1] + shape, dtype=np.result_type(g.dtype, np.float32))
    if axis is None:
        flat = np.reshape(out, (len(g), -1))
        np.add.at(flat, (slice(None), take_positions(indices, flat.shape[1], mode)), g)
        return out
    axis = axis % len(shape)
    index = (slice(None),) * (axis + 1) + (take_positions(indices, shape[axis], mode),)
    np.add.at(out, index, g)
    return out


def batch_roll(t, shift, axis=None):
    """``np.roll(., shift, axis)`` of each tangent (adjoint) of the batch ``t``."""
    t = np.asarray(t)
    if axis is None:
        return np.reshape(np.roll(np.reshape(t, (len(t), -1)), shift, 1), t.shape)
    ndim = t.ndim - 1
    axis = axis % ndim + 1 if np.ndim(axis) == 0 else tuple(ax % ndim + 1 for ax in axis)
    return np.roll(t, shift, axis)


def batch_diag(t, k=0):
    """``np.diag(., k)`` of each item of the batch ``t``: a batch of matrices from a batch
    of vectors, a batch of diagonals from a batch of matrices."""
    t = np.asarray(t)
    if t.ndim == 3:
        return np.diagonal(t, k, 1, 2).copy()
    size = t.shape[1] + abs(k)
    out = np.zeros((len(t), size, size), dtype=t.dtype)
    rows, cols = diagonal_positions(size, size, k)
    out[:, rows, cols] = t
    return out


def batch_diagonal_adjoint(g, like, offset=0, axis1=0, axis2=1):
    """``diagonal_adjoint`` of each adjoint of the batch ``g``."""
    shape = np.shape(like)
    g = np.asarray(g)
    out = np.zeros(g.shape[:1] + shape, dtype=np.result_type(g.dtype, np.float32))
    moved = np.moveaxis(out, (axis1 % len(shape) + 1, axis2 % len(shape) + 1), (-2, -1))
    rows, cols = diagonal_positions(moved.shape[-2], moved.shape[-1], offset)
    moved[..., rows, cols] = g
    return out


def batch_diag_adjoint(g, like, k=0):
    """``diag_adjoint`` of each adjoint of the batch ``g``."""
    if np.ndim(like) == 1:
        return np.diagonal(g, k, 1, 2).copy()
    return batch_diagonal_adjoint(g, like, k)


def batch_triangle_adjoint(g, like, k=0, upper=True):
    """``triangle_adjoint`` of each item of the batch ``g`` (a batch of vectors is first
    repeated into rows, as ``np.triu`` does with a vector)."""
    g = np.asarray(g)
    if g.ndim < 3:
        g = np.broadcast_to(g[:, None, :], g.shape[:1] + g.shape[1:] * 2)
    g = np.triu(g, k) if upper else np.tril(g, k)
    return np.sum(g, axis=1) if np.ndim(like) < 2 else g


def batch_pad_adjoint(g, like, pad_width, mode="constant", stat_length=None,
                      reflect_type="even"):
    """``pad_adjoint`` of each adjoint of the batch ``g``."""
    shape = np.shape(like)
    g = np.asarray(g)
    if mode == "constant":
        pairs = pad_pairs(len(shape), pad_width)
        return g[(slice(None),) + tuple(slice(b, b + n)
                                        for (b, _), n in zip(pairs, shape, strict=True))]
    matrices = pad_matrices(shape, pad_width, mode, stat_length, reflect_type)
    for axis, matrix in enumerate(matrices):
        g = np.moveaxis(np.tensordot(matrix, g, axes=([0], [axis + 1])), 0, axis + 1)
    return g


def batch_pad_tangent(t, pad_width, mode="constant", stat_length=None, reflect_type="even"):
    """``pad_tangent`` of each tangent of the batch ``t``."""
    t = np.asarray(t)
    if mode == "constant":
        return np.pad(t, [(0, 0)] + pad_pairs(t.ndim - 1, pad_width))
    matrices = pad_matrices(t.shape[1:], pad_width, mode, stat_length, reflect_type)
    for axis, matrix in enumerate(matrices):
        t = np.moveaxis(np.tensordot(matrix, t, axes=([1], [axis + 1])), 0, axis + 1)
    return t


def batch_pad_fill(t, like, pad_width):
    """The tangent of ``np.pad(like, pad_width, constant_values=c)`` for each tangent of
    ``c`` in the batch ``t``."""
    t = np.asarray(t)
    masks = pad_fill_masks(like, pad_width, t.shape[1:])
    return np.tensordot(np.reshape(t, (len(t), -1)), masks, axes=1)


def batch_pad_fill_adjoint(g, like, pad_width, constant_values):
    """``pad_fill_adjoint`` of each adjoint of the batch ``g``."""
    g = np.asarray(g)
    masks = pad_fill_masks(like, pad_width, np.shape(constant_values))
    axes = list(range(1, g.ndim))
    total = np.tensordot(g, masks, axes=(axes, axes))
    return np.reshape(total, g.shape[:1] + np.shape(constant_values))


def batch_take_along_axis(t, indices, axis=-1):
    """``np.take_along_axis(., indices, axis)`` of each tangent of the batch ``t``."""
    t = np.asarray(t)
    indices = np.asarray(indices)
    if axis is None:
        return np.take_along_axis(np.reshape(t, (len(t), -1)), indices[None], 1)
    return np.take_along_axis(t, indices[None], axis % (t.ndim - 1) + 1)


def batch_take_along_axis_adjoint(g, like, indices, axis=-1):
    """``take_along_axis_adjoint`` of each adjoint of the batch ``g``."""
    g = np.asarray(g)
    shape = np.shape(like)
    out = np.zeros(g.shape[:1] + shape, dtype=np.result_type(g.dtype, np.float32))
    batch = np.arange(len(g))
    if axis is None:
        flat = np.reshape(out, (len(g), -1))
        np.add.at(flat, (batch[:, None], np.asarray(indices)[None]), g)
        return out
    index = take_along_axis_index(shape, indices, axis)
    batch = np.reshape(batch, (-1,) + (1,) * len(shape))
    np.add.at(out, (batch,) + tuple(i[None] for i in index), g)
    return out


def batch_cast_tangent(t, like):
    """``cast_tangent`` of each tangent of the batch ``t`` (a list of batches is stacked
    along the second axis)."""
    dtype = np.asarray(like).dtype
    if isinstance(t, (list, tuple)):
        batch = batch_size_of(t)
        t = np.stack([np.zeros((batch,) + np.shape(like)[1:]) if item is None else item
                      for item in t], axis=1)
    t = np.asarray(t)
    if not np.issubdtype(dtype, np.inexact):
        return np.zeros(t.shape[:1] + np.shape(like))
    return np.asarray(t, dtype=dtype)


def batch_cast_adjoint(g, like, result):
    """``cast_adjoint`` of each adjoint of the batch ``g``."""
    g = np.asarray(g)
    if not np.issubdtype(np.asarray(result).dtype, np.inexact):
        g = np.zeros(g.shape[:1] + np.shape(result))
    if isinstance(like, (list, tuple)):
        return batch_unstack(g, like)
    dtype = np.asarray(like).dtype
    return np.asarray(g, dtype=dtype if np.issubdtype(dtype, np.inexact) else np.float64)


# end of the shape helpers


# ---------------------------------------------------------------------------------------------
# Helpers of the linalg rules (srcdiff/rules/linalg_rules.py).
# ---------------------------------------------------------------------------------------------

# -- matrices: transposes, diagonals, triangles (linear maps on the last two axes) ------------


def matrix_transpose(x):
    """Swap the last two axes of ``x`` (the transpose of each matrix of a stack)."""
    return np.swapaxes(x, -1, -2)


def diag_part(x):
    """The diagonal of each matrix of the stack ``x``: shape ``x.shape[:-1]`` (a copy)."""
    return np.diagonal(x, axis1=-2, axis2=-1).copy()


def diag_embed(v):
    """Diagonal matrices with the vectors ``v`` (last axis) on their diagonal: the adjoint of
    ``diag_part``."""
    v = np.asarray(v)
    return v[..., :, None] * np.eye(v.shape[-1], dtype=np.result_type(v.dtype, np.float32))


def lower_half(x):
    """The lower triangle of each matrix of ``x`` with its diagonal halved (the ``Phi`` of the
    Cholesky derivative); it is its own adjoint."""
    x = np.asarray(x)
    return np.tril(x, -1) + 0.5 * diag_embed(diag_part(x))


def symmetrize(x, UPLO="L"):
    """The symmetric matrix ``np.linalg.eigh``/``cholesky`` actually factor when given ``x``:
    the triangle ``UPLO`` ('L' lower, 'U' upper) of each matrix, mirrored."""
    x = np.asarray(x)
    if str(UPLO).upper() == "U":
        return np.triu(x) + matrix_transpose(np.triu(x, 1))
    return np.tril(x) + matrix_transpose(np.tril(x, -1))


def symmetrize_adjoint(g, UPLO="L"):
    """The adjoint of ``symmetrize``: the triangle ``UPLO`` of ``g`` plus the transpose of the
    rest, folded onto that triangle (zero on the other one)."""
    g = np.asarray(g)
    if str(UPLO).upper() == "U":
        return np.triu(g) + np.triu(matrix_transpose(g), 1)
    return np.tril(g) + np.tril(matrix_transpose(g), -1)


def pair_diff(w):
    """``D[..., i, j] = w[..., j] - w[..., i]`` for the vectors ``w`` (last axis)."""
    w = np.asarray(w)
    return w[..., None, :] - w[..., :, None]


def pair_diff_adjoint(g):
    """The adjoint of ``pair_diff``: column sums minus row sums of each matrix of ``g``."""
    return np.sum(g, axis=-2) - np.sum(g, axis=-1)


def eig_gaps(w):
    """``F[..., i, j] = 1 / (w[j] - w[i])`` off the diagonal and 0 on it: the matrix of the
    derivatives of eigenvectors (``w`` its distinct eigenvalues; ties give inf)."""
    d = pair_diff(w)
    n = np.shape(d)[-1]
    off = ~np.eye(n, dtype=bool)
    with np.errstate(divide="ignore"):
        return np.where(off, 1.0 / np.where(off, d, 1.0), 0.0)


def as_columns(v, b):
    """``v`` as a stack of column matrices when ``b`` (the right-hand side of
    ``np.linalg.solve``) is a vector, else ``v`` itself."""
    return np.expand_dims(v, -1) if np.ndim(b) == 1 else v


def from_columns(v, b):
    """Undo ``as_columns``: drop the column axis again when ``b`` is a vector."""
    return np.asarray(v)[..., 0] if np.ndim(b) == 1 else v


def block2(x, e):
    """The block matrices ``[[x, e], [0, x]]`` (``x`` and ``e`` broadcast against each other):
    a matrix function of it holds the function's derivative in direction ``e`` in its upper
    right block."""
    x, e = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(e, dtype=float))
    top = np.concatenate([x, e], axis=-1)
    bottom = np.concatenate([np.zeros_like(x), x], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def block_diag_sum(m):
    """The sum of the two diagonal blocks of each ``2n x 2n`` matrix of ``m``."""
    n = np.shape(m)[-1] // 2
    return m[..., :n, :n] + m[..., n:, n:]


def upper_right(m):
    """The upper right ``n x n`` block of each ``2n x 2n`` matrix of ``m`` (a copy)."""
    n = np.shape(m)[-1] // 2
    return np.array(m[..., :n, n:])


# -- tuple results (slogdet, eigh, svd, qr) --------------------------------------------------


def tuple_item(g, k, like):
    """Item ``k`` of the adjoint ``g`` of a tuple result, or zeros shaped like the result's
    item ``like`` when that item received no adjoint (``None``)."""
    part = g[k]
    if part is None:
        return np.zeros(np.shape(like), dtype=np.result_type(np.asarray(like).dtype, np.float32))
    return part


def batch_tuple_item(g, k, like):
    """``tuple_item`` for a tuple of batches: a batch of zeros (as long as the other items'
    batches) when item ``k`` received none. A batch of arrays gives item ``k`` of each."""
    if isinstance(g, np.ndarray):
        return g[:, k]
    part = g[k]
    if part is not None:
        return part
    size = next(len(item) for item in g if item is not None)
    return batch_zeros(like, size)


def checked(x, problem):
    """``x`` itself, once ``problem`` (None, or why the derivative is not supported for the
    arguments at hand) is None; otherwise raise ValueError with that message."""
    if problem is not None:
        raise ValueError(problem)
    return x


def svd_problem(a, full_matrices=False, hermitian=False):
    """Why ``np.linalg.svd(a, full_matrices, hermitian=hermitian)`` has no derivative here, or
    None: the extra singular vectors of a full non-square SVD are not unique, and
    ``hermitian=True`` reads one triangle only."""
    if hermitian:
        return "the derivative of np.linalg.svd with hermitian=True is not supported"
    if full_matrices and np.shape(a)[-1] != np.shape(a)[-2]:
        return ("the derivative of np.linalg.svd(a, full_matrices=True) exists only for square "
                f"matrices (a has shape {np.shape(a)}): pass full_matrices=False")
    return None


def qr_problem(a, mode="reduced"):
    """Why ``np.linalg.qr(a, mode)`` has no derivative here, or None (square or tall ``a``, in
    mode 'reduced' or 'r', or 'complete' for square ``a``)."""
    m, n = np.shape(a)[-2:]
    if mode not in ("reduced", "r", "complete"):
        return f"the derivative of np.linalg.qr with mode={mode!r} is not supported"
    if m < n:
        return (f"the derivative of np.linalg.qr is defined for square or tall matrices only "
                f"(a has shape {np.shape(a)})")
    if mode == "complete" and m != n:
        return ("the derivative of np.linalg.qr(a, mode='complete') exists only for square "
                "matrices: use mode='reduced'")
    return None


def hermitian_problem(hermitian, name):
    """Why the derivative of ``name`` with ``hermitian=...`` is not supported, or None."""
    if hermitian:
        return f"the derivative of {name} with hermitian=True is not supported"
    return None


# -- the forward derivatives of the factorizations (each a tuple, like the result) -----------


def eigh_jvp(t, y, UPLO="L"):
    """The tangent ``(dw, dv)`` of ``(w, v) = np.linalg.eigh(a, UPLO)`` in direction ``t``
    (distinct eigenvalues): ``P = v' dS v``, ``dw = diag(P)``, ``dv = v (F * P)``."""
    w, v = y
    p = matrix_transpose(v) @ symmetrize(t, UPLO) @ v
    return diag_part(p), v @ (eig_gaps(w) * p)


def svd_jvp(t, y):
    """The tangent ``(du, ds, dvh)`` of the reduced SVD ``y = (u, s, vh)`` of ``a`` in
    direction ``t`` (distinct, nonzero singular values)."""
    u, s, vh = y
    v = matrix_transpose(vh)
    p = matrix_transpose(u) @ t @ v
    f = eig_gaps(s * s)
    sd = diag_embed(s)
    inv_s = diag_embed(1 / s)
    du = u @ (f * (p @ sd + sd @ matrix_transpose(p))) + (t @ v - u @ p) @ inv_s
    dv = v @ (f * (sd @ p + matrix_transpose(p) @ sd)) \
        + (matrix_transpose(t) @ u - v @ matrix_transpose(p)) @ inv_s
    return du, diag_part(p), matrix_transpose(dv)


def qr_jvp(t, y):
    """The tangent ``(dq, dr)`` of ``(q, r) = np.linalg.qr(a)`` (square or tall ``a``) in
    direction ``t``: ``M = q' t r^-1``, ``dq = q W + t r^-1 - q M``, ``dr = (M - W) r`` with
    ``W`` the antisymmetric matrix of the strictly lower part of ``M``."""
    q, r = y
    t_rinv = matrix_transpose(np.linalg.solve(matrix_transpose(r), matrix_transpose(t)))
    m = matrix_transpose(q) @ t_rinv
    low = np.tril(m, -1)
    w = low - matrix_transpose(low)
    return q @ w + t_rinv - q @ m, (m - w) @ r


def eigvalsh_jvp(t, a, UPLO="L"):
    """The tangent ``diag(v' dS v)`` of ``np.linalg.eigvalsh(a, UPLO)`` in direction ``t``."""
    v = np.linalg.eigh(a, UPLO)[1]
    return diag_part(matrix_transpose(v) @ symmetrize(t, UPLO) @ v)


def singular_values_jvp(t, a):
    """The tangent ``diag(u' t v)`` of the singular values of ``a`` in direction ``t``."""
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return diag_part(matrix_transpose(u) @ t @ matrix_transpose(vh))


def slogdet_jvp(t, a, y):
    """The tangent ``(0, trace(a^-1 t))`` of ``(sign, logabsdet) = np.linalg.slogdet(a)``."""
    return (np.zeros(np.shape(y[0])),
            np.einsum("...ji,...ij->...", np.linalg.inv(a), t))


# -- einsum: adjoints by new subscripts ------------------------------------------------------


def einsum_split(term):
    """The labels of one einsum operand term: letters, and ``'...'`` as one label."""
    labels = []
    i = 0
    while i < len(term):
        if term.startswith("...", i):
            labels.append("...")
            i += 3
        else:
            labels.append(term[i])
            i += 1
    return labels


def einsum_labels(subscripts, count=None):
    """The labels of each operand of ``np.einsum(subscripts, ...)`` and of its result, the
    implicit result (no ``'->'``) made explicit as NumPy defines it: ``'...'`` first if any
    operand has one, then the labels seen exactly once, in ASCII order."""
    text = subscripts.replace(" ", "")
    inputs_text, arrow, output_text = text.partition("->")
    inputs = [einsum_split(term) for term in inputs_text.split(",")]
    if count is not None and len(inputs) != count:
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(inputs)} operands, "
                         f"not {count}")
    if arrow:
        return inputs, einsum_split(output_text)
    counts = {}
    for labels in inputs:
        for label in labels:
            if label != "...":
                counts[label] = counts.get(label, 0) + 1
    dots = ["..."] if any("..." in labels for labels in inputs) else []
    return inputs, dots + sorted(label for label, n in counts.items() if n == 1)


def einsum_count(subscripts):
    """The number of operands ``np.einsum(subscripts, ...)`` takes."""
    return subscripts.partition("->")[0].count(",") + 1


def einsum_fresh(inputs, output, count):
    """``count`` letters that no operand or result of an einsum uses."""
    used = set(output)
    for labels in inputs:
        used.update(labels)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [c for c in letters if c not in used][:count]


def einsum_adjoint_plan(subscripts, k, count, batched=None):
    """The einsum giving the adjoint of operand ``k`` of ``np.einsum(subscripts, ...)``:
    ``(spec, sources)``, ``sources`` naming its operands in order: ``('g',)`` the result's
    adjoint, ``('x', j)`` operand ``j``, ``('eye', axis)`` an identity as large as axis
    ``axis`` of operand ``k`` (a label repeated in operand ``k``: its adjoint lives on that
    diagonal), ``('ones',)`` ones shaped like operand ``k`` (labels of operand ``k`` that appear
    nowhere else, summed in the result: its adjoint is constant along them).

    ``batched`` (-1 for the result's adjoint, or an operand ``j``) names the operand that
    carries a leading batch axis, which the adjoint then carries too.
    """
    inputs, output = einsum_labels(subscripts, count)
    term = inputs[k]
    fresh = einsum_fresh(inputs, output, len(term) + 1)
    dots = term.index("...") if "..." in term else None
    target, eyes, seen = [], [], set()
    for pos, label in enumerate(term):
        if label != "..." and label in seen:
            new = fresh.pop(0)
            axis = pos if dots is None or pos < dots else pos - len(term)
            eyes.append(([label, new], axis))
            target.append(new)
        else:
            seen.add(label)
            target.append(label)
    others = [j for j in range(count) if j != k]
    terms = [list(output)] + [list(inputs[j]) for j in others]
    sources = [("g",)] + [("x", j) for j in others]
    if batched is not None:
        letter = fresh.pop(0)
        at = 0 if batched == -1 else 1 + others.index(batched)
        terms[at] = [letter] + terms[at]
        target = [letter] + target
    available = set(seen)  # a repeated label comes with its identity
    available.difference_update(label for label in term if term.count(label) == 1)
    for labels in terms:
        available.update(labels)
    if any(label not in available for label in term):
        terms.append(list(term))
        sources.append(("ones",))
    for labels, axis in eyes:
        terms.append(labels)
        sources.append(("eye", axis))
    spec = ",".join("".join(labels) for labels in terms) + "->" + "".join(target)
    return spec, sources


def einsum_batch_spec(subscripts, count, batched):
    """Subscripts for ``np.einsum(subscripts, ...)`` when operand ``batched`` carries a leading
    batch axis: the result carries it too, first."""
    inputs, output = einsum_labels(subscripts, count)
    letter = einsum_fresh(inputs, output, 1)[0]
    inputs[batched] = [letter] + inputs[batched]
    return ",".join("".join(labels) for labels in inputs) + "->" + letter + "".join(output)


def einsum_adjoint(g, subscripts, k, shape, x0=None, x1=None, x2=None, x3=None, x4=None,
                   x5=None, x6=None, x7=None, optimize=False, batched=None):
    """The adjoint of operand ``k`` (of shape ``shape``) of ``y = np.einsum(subscripts, x0,
    x1, ...)`` given the adjoint ``g`` of ``y``. Slot ``k`` must hold None: the operand's value
    does not enter its own adjoint. ``batched`` as for ``einsum_adjoint_plan``."""
    operands = [x0, x1, x2, x3, x4, x5, x6, x7]
    if operands[k] is not None:
        raise ValueError("einsum_adjoint: the slot of the operand whose adjoint is computed "
                         "must be None")
    count = einsum_count(subscripts)
    if count > len(operands):
        raise ValueError(f"the derivative of np.einsum takes at most {len(operands)} operands")
    spec, sources = einsum_adjoint_plan(subscripts, k, count, batched)
    values = []
    for source in sources:
        if source[0] == "g":
            values.append(g)
        elif source[0] == "x":
            values.append(operands[source[1]])
        elif source[0] == "ones":
            values.append(np.ones(shape))
        else:
            values.append(np.eye(shape[source[1]]))
    out = np.einsum(spec, *values, optimize=optimize)
    if batched is None:
        return unbroadcast(out, np.broadcast_to(0.0, shape))
    return batch_unbroadcast(out, np.broadcast_to(0.0, shape))


def einsum_replace(subscripts, k, t, x0=None, x1=None, x2=None, x3=None, x4=None, x5=None,
                   x6=None, x7=None, optimize=False, batched=None):
    """``np.einsum(subscripts, x0, x1, ...)`` with operand ``k`` replaced by ``t`` (slot ``k``
    must hold None): the tangent of the result along operand ``k``. ``batched`` names the
    operand (``k`` for ``t``) that carries a leading batch axis."""
    operands = [x0, x1, x2, x3, x4, x5, x6, x7]
    if operands[k] is not None:
        raise ValueError("einsum_replace: the slot of the replaced operand must be None")
    count = einsum_count(subscripts)
    if count > len(operands):
        raise ValueError(f"the derivative of np.einsum takes at most {len(operands)} operands")
    operands[k] = t
    if batched is not None:
        subscripts = einsum_batch_spec(subscripts, count, batched)
    return np.einsum(subscripts, *operands[:count], optimize=optimize)


def tensordot_subscripts(a, b, axes=2):
    """The einsum subscripts of ``np.tensordot(a, b, axes)`` for the shapes of ``a`` and
    ``b`` (``axes`` an int, or a pair of ints or of sequences)."""
    na, nb = np.ndim(a), np.ndim(b)
    if np.ndim(axes) == 0:
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if np.ndim(axes_a) == 0 else list(axes_a)
        axes_b = [axes_b] if np.ndim(axes_b) == 0 else list(axes_b)
    axes_a = [int(ax) % na for ax in axes_a]
    axes_b = [int(ax) % nb for ax in axes_b]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    term_a = list(letters[:na])
    term_b = list(letters[na:na + nb])
    for ax_a, ax_b in zip(axes_a, axes_b, strict=True):
        term_b[ax_b] = term_a[ax_a]
    out = [term_a[i] for i in range(na) if i not in axes_a]
    out += [term_b[i] for i in range(nb) if i not in axes_b]
    return "".join(term_a) + "," + "".join(term_b) + "->" + "".join(out)


def inner_subscripts(a, b):
    """The einsum subscripts of ``np.inner(a, b)`` for the shapes of ``a`` and ``b`` (a product
    when either is 0-d, else a sum over the last axes)."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        term_a, term_b = "abcdefghijklm"[:na], "nopqrstuvwxyz"[:nb]
        return term_a + "," + term_b + "->" + term_a + term_b
    return tensordot_subscripts(a, b, ([-1], [-1]))


# -- kron and cross --------------------------------------------------------------------------


def kron_layout(shape_a, shape_b):
    """How ``np.kron`` combines operands of these shapes: ``(spec, sa, sb, split)``: the
    einsum of the operands padded to one rank (shapes ``sa``, ``sb``) whose result, of shape
    ``split`` (axes of a and b interleaved), reshapes to the Kronecker product."""
    nd = max(len(shape_a), len(shape_b))
    sa = (1,) * (nd - len(shape_a)) + tuple(shape_a)
    sb = (1,) * (nd - len(shape_b)) + tuple(shape_b)
    la, lb = "abcdefghijklm"[:nd], "nopqrstuvwxyz"[:nd]
    split = tuple(n for pair in zip(sa, sb, strict=True) for n in pair)
    spec = la + "," + lb + "->" + "".join(x + y for x, y in zip(la, lb, strict=True))
    return spec, sa, sb, split


def kron_vjp(g, k, shape, a=None, b=None, batched=0):
    """The adjoint of operand ``k`` (0 for ``a``, 1 for ``b``; that slot None, its shape
    ``shape``) of ``np.kron(a, b)`` given the adjoint ``g`` of the product. ``batched``: 1 when
    ``g``, 2 when the other operand carries a leading batch axis."""
    other = b if k == 0 else a
    other_shape = np.shape(other)[1:] if batched == 2 else np.shape(other)
    shapes = (shape, other_shape) if k == 0 else (other_shape, shape)
    spec, sa, sb, split = kron_layout(*shapes)
    lead_g = np.shape(g)[:1] if batched == 1 else ()
    lead_o = np.shape(other)[:1] if batched == 2 else ()
    g = np.reshape(g, lead_g + split)
    other = np.reshape(other, lead_o + (sb if k == 0 else sa))
    ins, out = spec.split("->")
    la, lb = ins.split(",")
    own, rest = (la, lb) if k == 0 else (lb, la)
    bg, bo = ("Z", "") if batched == 1 else ("", "Z") if batched == 2 else ("", "")
    result = np.einsum(f"{bg}{out},{bo}{rest}->{bg}{bo}{own}", g, other)
    return np.reshape(result, result.shape[:1] + tuple(shape) if batched else tuple(shape))


def batch_kron(a, b, batched_a, batched_b):
    """``np.kron(a, b)`` where ``a`` and/or ``b`` carries a leading batch axis."""
    a, b = np.asarray(a), np.asarray(b)
    core_a = a.shape[1:] if batched_a else a.shape
    core_b = b.shape[1:] if batched_b else b.shape
    spec, sa, sb, split = kron_layout(core_a, core_b)
    ins, out = spec.split("->")
    la, lb = ins.split(",")
    a = np.reshape(a, a.shape[:1] + sa if batched_a else sa)
    b = np.reshape(b, b.shape[:1] + sb if batched_b else sb)
    za, zb = ("Z" if batched_a else ""), ("Z" if batched_b else "")
    product = np.einsum(f"{za}{la},{zb}{lb}->Z{out}", a, b)
    sizes = tuple(x * y for x, y in zip(sa, sb, strict=True))
    return np.reshape(product, product.shape[:1] + sizes)


def cross_axes(axisa, axisb, axisc, axis):
    """The vector axes ``np.cross`` uses for ``a``, ``b`` and the result."""
    if axis is not None:
        return axis, axis, axis
    return axisa, axisb, axisc


def cross_vjp(g, k, shape, a=None, b=None, axisa=-1, axisb=-1, axisc=-1, axis=None,
              batched=0):
    """The adjoint of operand ``k`` (0 for ``a``, 1 for ``b``; that slot None, its shape
    ``shape``) of ``np.cross(a, b, ...)`` given the adjoint ``g`` of the product:
    ``<g, a x b> = <a, b x g> = <b, g x a>``, 2-vectors padded with a zero third component.
    ``batched``: 1 when ``g``, 2 when the other operand carries a leading batch axis."""
    axisa, axisb, axisc = cross_axes(axisa, axisb, axisc, axis)
    other = np.asarray(b if k == 0 else a)
    own_axis, other_axis = (axisa, axisb) if k == 0 else (axisb, axisa)
    own_rank = len(shape)
    other_rank = other.ndim - (batched == 2)
    own_axis = own_axis % own_rank - own_rank
    other = np.moveaxis(other, other_axis % other_rank - other_rank, -1)
    n_own, n_other = shape[own_axis], other.shape[-1]
    g = np.asarray(g, dtype=float)
    if n_own == 2 and n_other == 2:
        g = np.stack([np.zeros_like(g), np.zeros_like(g), g], axis=-1)
    else:
        g_rank = g.ndim - (batched == 1)
        g = np.moveaxis(g, axisc % g_rank - g_rank, -1)
    if n_other == 2:
        other = np.concatenate([other, np.zeros(other.shape[:-1] + (1,))], axis=-1)
    rank = max(g.ndim - (batched == 1), other.ndim - (batched == 2))
    if batched == 1:
        g = lift(g, np.empty((0,) * rank))
    if batched == 2:
        other = lift(other, np.empty((0,) * rank))
    x = np.cross(other, g) if k == 0 else np.cross(g, other)
    if n_own == 2:
        x = x[..., :2]
    moved = np.moveaxis(np.empty(shape), own_axis, -1)
    x = batch_unbroadcast(x, moved) if batched else unbroadcast(x, moved)
    return np.moveaxis(x, -1, own_axis)


def batch_cross(a, b, batched_a, batched_b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``np.cross(a, b, ...)`` where ``a`` and/or ``b`` carries a leading batch axis (first in
    the result)."""
    axisa, axisb, axisc = cross_axes(axisa, axisb, axisc, axis)
    a, b = np.asarray(a), np.asarray(b)
    rank_a, rank_b = a.ndim - batched_a, b.ndim - batched_b
    a = np.moveaxis(a, axisa % rank_a - rank_a, -1)
    b = np.moveaxis(b, axisb % rank_b - rank_b, -1)
    rank = max(rank_a, rank_b)
    if batched_a:
        a = lift(a, np.empty((0,) * rank))
    if batched_b:
        b = lift(b, np.empty((0,) * rank))
    c = np.cross(a, b)
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return c
    rank_c = c.ndim - 1
    return np.moveaxis(c, -1, axisc % rank_c - rank_c)


# end of the linalg helpers


#: Every helper the emitted code may call (the emitter copies their source).
HELPER_NAMES = frozenset(
    name for name, value in list(globals().items())
    if callable(value) and not isinstance(value, type) and not name.startswith("_")
    and getattr(value, "__module__", None) == __name__)
