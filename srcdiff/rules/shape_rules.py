"""Derivative rules of NumPy's shape functions (see :mod:`srcdiff.rules.registry` for the
template vocabulary and :mod:`srcdiff.rules.numpy_rules` for the conventions).

Every function here moves, copies, selects or casts elements, so it is linear in its array
argument: the tangent is the function applied to the tangent, and the adjoint puts each
element of ``dy`` back where it came from, adding up where one element went to several
places (``np.tile``, ``np.repeat``, ``np.take`` with repeated indices, ``np.broadcast_to``).
Adjoints have the shape of their parameter; tangents the shape of the result.

Lists of arrays: the argument of ``np.concatenate``/``np.hstack``/``np.vstack``... is a list
whose adjoint is the list of the adjoints of its items, and whose tangent is the list of their
tangents (an array argument is a stack of items: its adjoint is an array). The ``np.split``
family returns a list: its adjoint ``dy`` is a list whose items may be ``None`` (that piece
reached nothing: zeros), its tangent the list of the tangents of the pieces.

Conventions where the derivative is not defined:

* ``np.sort`` moves each element to its sorted place by the permutation of a stable sort
  (``np.argsort(a, kind='stable')``), as JAX and PyTorch do: where values tie, the k-th of the
  tied places takes the derivative of the k-th tied element in index order (the tie is
  broken by position, not shared);
* a cast to an integer or boolean dtype (``x.astype(int)``, ``np.asarray(x, dtype=bool)``,
  ``np.full_like`` of an integer array) has zero derivative; a cast to a floating dtype
  keeps the derivative, cast to that dtype (``runtime.cast_tangent``);
* ``np.full_like(a, fill_value)`` depends on ``a`` only through its shape and dtype: zero
  derivative in ``a``;
* ``np.pad`` is differentiated in its linear modes: 'constant' (also in ``constant_values``),
  'edge', 'wrap', 'reflect', 'symmetric' (both ``reflect_type``), 'linear_ramp' (not in
  ``end_values``) and 'mean' (with ``stat_length``). 'maximum', 'minimum', 'median', 'empty'
  and a callable mode have no derivative: a literal mode is refused when the derivative is
  built ("no derivative of np.pad with respect to its argument 'array'"), any other at run
  time with a ``ValueError`` naming the mode;
* ``np.take``, ``np.trace`` and ``np.concatenate`` with ``out=array`` have no derivative:
  the derivative refuses to run (``runtime.refuse_out``), since the later uses of the array
  written into cannot be followed;
* ``np.atleast_1d``/``2d``/``3d`` are differentiated with one argument (with several they
  return a list, and the call is reported as not covered by the rule).

No batched tangent is stated for the ``np.split`` family: the tangent of a list result is a
list of batches, which the rule-level check of batched forms cannot compare item by item
(see ``UNBATCHED`` in ``tests/rule_cases/shapes.py``); a Jacobian through them takes one
pass per column.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from srcdiff import runtime as rt
from srcdiff.rules.registry import Template, defmethod, defrule, nondiff, parse_signature

# ---------------------------------------------------------------------------------------------
# Template builders.
# ---------------------------------------------------------------------------------------------


def _is_default(consts: Mapping[str, Any], name: str, default: Any) -> bool:
    """Whether the argument ``name`` is the literal ``default`` (same type and value)."""
    if name not in consts:
        return False
    value = consts[name]
    return value is default or (type(value) is type(default) and value == default)


def _call(head: str, *optional: tuple[str, Any], tail: str = "") -> Template:
    """``head, p1, p2, ...)``: the optional parameters in order, the trailing ones whose
    argument is literally their default left out (``np.diagonal(da)`` rather than
    ``np.diagonal(da, offset, axis1, axis2)``); ``tail`` comes before the closing paren."""
    names = [name for name, _ in optional]

    def build(consts: Mapping[str, Any]) -> str:
        kept = list(names)
        while kept and _is_default(consts, kept[-1], dict(optional)[kept[-1]]):
            kept.pop()
        return head + "".join(f", {name}" for name in kept) + tail + ")"

    return build


def _zero(*params: str) -> dict[str, Template]:
    """The parameters that carry no derivative (axes, shapes, flags)."""
    return dict.fromkeys(params)


def _no_out(name: str, template: Template) -> Template:
    """``template``, guarded by ``runtime.refuse_out`` unless the ``out`` argument is
    literally None: a result also written into an existing array has no derivative."""

    def build(consts: Mapping[str, Any]) -> str:
        text = template(consts) if callable(template) else template
        if "out" in consts and consts["out"] is None:
            return text
        return f"refuse_out({text}, out, '{name}')"

    return build


def _reshaping(func: object, signature: str, param: str, jvp: Template) -> None:
    """A function that only reshapes its argument (``np.squeeze``, ``np.expand_dims``...):
    the adjoint is ``dy`` reshaped back."""
    zero = _zero(*(p for p in parse_signature(signature)[0] if p != param))
    defrule(func, signature,
            vjp={param: f"np.reshape(dy, np.shape({param}))", **zero},
            jvp={param: jvp, **zero},
            batch_vjp={param: f"batch_reshape(dy, np.shape({param}))", **zero},
            batch_jvp={param: f"batch_reshape(d{param}, np.shape(y))", **zero})


# ---------------------------------------------------------------------------------------------
# Reshaping.
# ---------------------------------------------------------------------------------------------

_reshaping(np.squeeze, "a, axis=None", "a", _call("np.squeeze(da", ("axis", None)))
_reshaping(np.expand_dims, "a, axis", "a", "np.expand_dims(da, axis)")
for _func in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    _reshaping(_func, "arys", "arys", f"np.{_func.__name__}(darys)")


def _by_order(c_order: str, general: str) -> Template:
    """A template of ``np.ravel``: ``c_order`` for the literal order 'C', else ``general``
    (whose helpers read the memory layout of ``a`` for the orders 'A' and 'K')."""
    return lambda consts: c_order if consts.get("order") == "C" else general


defrule(np.ravel, "a, order='C'",
        vjp={"a": _by_order("np.reshape(dy, np.shape(a))", "unravel(dy, a, order)"),
             "order": None},
        jvp={"a": _by_order("np.ravel(da)", "ravel_like(da, a, order)"), "order": None},
        batch_vjp={"a": _by_order("batch_reshape(dy, np.shape(a))",
                                  "batch_unravel(dy, a, order)"), "order": None},
        batch_jvp={"a": _by_order("batch_reshape(da, (-1,))", "batch_ravel_like(da, a, order)"),
                   "order": None})

# ---------------------------------------------------------------------------------------------
# Axes.
# ---------------------------------------------------------------------------------------------

defrule(np.swapaxes, "a, axis1, axis2",
        vjp={"a": "np.swapaxes(dy, axis1, axis2)", **_zero("axis1", "axis2")},
        jvp={"a": "np.swapaxes(da, axis1, axis2)", **_zero("axis1", "axis2")},
        batch_vjp={"a": "np.swapaxes(dy, batch_axis(axis1, a), batch_axis(axis2, a))",
                   **_zero("axis1", "axis2")},
        batch_jvp={"a": "np.swapaxes(da, batch_axis(axis1, a), batch_axis(axis2, a))",
                   **_zero("axis1", "axis2")})
defrule(np.moveaxis, "a, source, destination",
        vjp={"a": "np.moveaxis(dy, destination, source)", **_zero("source", "destination")},
        jvp={"a": "np.moveaxis(da, source, destination)", **_zero("source", "destination")},
        batch_vjp={"a": "np.moveaxis(dy, batch_axis(destination, a), batch_axis(source, a))",
                   **_zero("source", "destination")},
        batch_jvp={"a": "np.moveaxis(da, batch_axis(source, a), batch_axis(destination, a))",
                   **_zero("source", "destination")})
_ROLLED = "batch_axis(rollaxis_destination(a, axis, start), a)"
defrule(np.rollaxis, "a, axis, start=0",
        vjp={"a": "np.moveaxis(dy, rollaxis_destination(a, axis, start), axis)",
             **_zero("axis", "start")},
        jvp={"a": _call("np.rollaxis(da, axis", ("start", 0)), **_zero("axis", "start")},
        batch_vjp={"a": f"np.moveaxis(dy, {_ROLLED}, batch_axis(axis, a))",
                   **_zero("axis", "start")},
        batch_jvp={"a": f"np.moveaxis(da, batch_axis(axis, a), {_ROLLED})",
                   **_zero("axis", "start")})

# ---------------------------------------------------------------------------------------------
# Joining and splitting.
# ---------------------------------------------------------------------------------------------

_CAT = "np.concatenate"
defrule(np.concatenate, "arrays, axis=0, out=None, dtype=None, casting='same_kind'",
        vjp={"arrays": _no_out(_CAT, _call("concatenate_adjoint(dy, arrays", ("axis", 0))),
             **_zero("axis", "dtype", "casting")},
        jvp={"arrays": _no_out(_CAT, _call("np.concatenate(darrays", ("axis", 0))),
             **_zero("axis", "dtype", "casting")},
        batch_vjp={"arrays": _no_out(_CAT, "batch_concatenate_adjoint(dy, arrays, axis)"),
                   **_zero("axis", "dtype", "casting")},
        batch_jvp={"arrays": _no_out(_CAT, "batch_concatenate_items(darrays, arrays, axis)"),
                   **_zero("axis", "dtype", "casting")})


def _stacking(func: object, kind: str, signature: str, jvp: str) -> None:
    """``np.hstack``-like: the items promoted (``np.atleast_1d``...), then concatenated."""
    zero = _zero(*parse_signature(signature)[0][1:])
    defrule(func, signature,
            vjp={"tup": f"concatenate_adjoint(dy, tup, kind='{kind}')", **zero},
            jvp={"tup": jvp, **zero},
            batch_vjp={"tup": f"batch_concatenate_adjoint(dy, tup, kind='{kind}')", **zero},
            batch_jvp={"tup": f"batch_concatenate_items(dtup, tup, kind='{kind}')", **zero})


_stacking(np.hstack, "hstack", "tup, dtype=None, casting='same_kind'", "np.hstack(dtup)")
_stacking(np.vstack, "vstack", "tup, dtype=None, casting='same_kind'", "np.vstack(dtup)")
if hasattr(np, "row_stack"):  # deprecated alias of np.vstack (NumPy 2.0), still there in 2.4
    _stacking(np.row_stack, "vstack", "tup, dtype=None, casting='same_kind'",
              "np.vstack(dtup)")
_stacking(np.dstack, "dstack", "tup", "np.dstack(dtup)")
_stacking(np.column_stack, "column_stack", "tup", "np.column_stack(dtup)")


def _splitting(func: object, signature: str, axis: str, jvp: Template) -> None:
    """``np.split``-like: the result is a list of pieces cut along ``axis`` (an expression)."""
    zero = _zero(*parse_signature(signature)[0][1:])
    defrule(func, signature,
            vjp={"ary": f"split_adjoint(dy, ary, indices_or_sections{axis})", **zero},
            jvp={"ary": jvp, **zero},
            batch_vjp={"ary": f"batch_split_adjoint(dy, ary, indices_or_sections{axis})",
                       **zero})


for _func in (np.split, np.array_split):
    _splitting(_func, "ary, indices_or_sections, axis=0", ", axis",
               _call(f"np.{_func.__name__}(dary, indices_or_sections", ("axis", 0)))
# np.hsplit cuts a vector along its only axis, anything else along axis 1.
_splitting(np.hsplit, "ary, indices_or_sections", ", min(np.ndim(ary), 2) - 1",
           "np.hsplit(dary, indices_or_sections)")
_splitting(np.vsplit, "ary, indices_or_sections", ", 0", "np.vsplit(dary, indices_or_sections)")
_splitting(np.dsplit, "ary, indices_or_sections", ", 2", "np.dsplit(dary, indices_or_sections)")

# ---------------------------------------------------------------------------------------------
# Repeating, reordering.
# ---------------------------------------------------------------------------------------------

defrule(np.tile, "A, reps",
        vjp={"A": "tile_adjoint(dy, A, reps)", "reps": None},
        jvp={"A": "np.tile(dA, reps)", "reps": None},
        batch_vjp={"A": "batch_tile_adjoint(dy, A, reps)", "reps": None},
        batch_jvp={"A": "batch_tile(dA, A, reps)", "reps": None})
# np.repeat takes elements by index: repeat_index(a, repeats, axis) are those indices.
defrule(np.repeat, "a, repeats, axis=None",
        vjp={"a": lambda c: ("take_adjoint(dy, a, repeat_index(a, repeats))"
                             if _is_default(c, "axis", None) else
                             "take_adjoint(dy, a, repeat_index(a, repeats, axis), axis)"),
             **_zero("repeats", "axis")},
        jvp={"a": _call("np.repeat(da, repeats", ("axis", None)), **_zero("repeats", "axis")},
        batch_vjp={"a": "batch_take_adjoint(dy, a, repeat_index(a, repeats, axis), axis)",
                   **_zero("repeats", "axis")},
        batch_jvp={"a": "batch_take(da, repeat_index(a, repeats, axis), axis)",
                   **_zero("repeats", "axis")})
defrule(np.flip, "m, axis=None",
        vjp={"m": _call("np.flip(dy", ("axis", None)), "axis": None},
        jvp={"m": _call("np.flip(dm", ("axis", None)), "axis": None},
        batch_vjp={"m": "np.flip(dy, batch_axis(axis, m))", "axis": None},
        batch_jvp={"m": "np.flip(dm, batch_axis(axis, m))", "axis": None})
defrule(np.fliplr, "m", vjp={"m": "np.fliplr(dy)"}, jvp={"m": "np.fliplr(dm)"},
        batch_vjp={"m": "np.flip(dy, 2)"}, batch_jvp={"m": "np.flip(dm, 2)"})
defrule(np.flipud, "m", vjp={"m": "np.flipud(dy)"}, jvp={"m": "np.flipud(dm)"},
        batch_vjp={"m": "np.flip(dy, 1)"}, batch_jvp={"m": "np.flip(dm, 1)"})


def _negated(consts: Mapping[str, Any], name: str, general: str) -> str:
    """The opposite of the argument ``name``: written out for a literal integer, else
    ``general``."""
    value = consts.get(name)
    return repr(-value) if isinstance(value, int) and not isinstance(value, bool) else general


def _roll_back(consts: Mapping[str, Any]) -> str:
    """``np.roll`` by the opposite shift."""
    back = _negated(consts, "shift", "np.negative(shift)")
    return _call(f"np.roll(dy, {back}", ("axis", None))(consts)


defrule(np.roll, "a, shift, axis=None",
        vjp={"a": _roll_back, **_zero("shift", "axis")},
        jvp={"a": _call("np.roll(da, shift", ("axis", None)), **_zero("shift", "axis")},
        batch_vjp={"a": "batch_roll(dy, np.negative(shift), axis)", **_zero("shift", "axis")},
        batch_jvp={"a": "batch_roll(da, shift, axis)", **_zero("shift", "axis")})
defrule(np.rot90, "m, k=1, axes=(0, 1)",
        vjp={"m": lambda c: _call(f"np.rot90(dy, {_negated(c, 'k', '-k')}",
                                  ("axes", (0, 1)))(c), **_zero("k", "axes")},
        jvp={"m": _call("np.rot90(dm", ("k", 1), ("axes", (0, 1))), **_zero("k", "axes")},
        batch_vjp={"m": "np.rot90(dy, -k, batch_axis(axes, m))", **_zero("k", "axes")},
        batch_jvp={"m": "np.rot90(dm, k, batch_axis(axes, m))", **_zero("k", "axes")})

# ---------------------------------------------------------------------------------------------
# Diagonals and triangles.
# ---------------------------------------------------------------------------------------------

_DIAGONAL = (("offset", 0), ("axis1", 0), ("axis2", 1))
_DIAGONAL_AXES = "batch_axis(axis1, a), batch_axis(axis2, a)"

defrule(np.diag, "v, k=0",
        vjp={"v": _call("diag_adjoint(dy, v", ("k", 0)), "k": None},
        jvp={"v": _call("np.diag(dv", ("k", 0)), "k": None},
        batch_vjp={"v": "batch_diag_adjoint(dy, v, k)", "k": None},
        batch_jvp={"v": "batch_diag(dv, k)", "k": None})
defrule(np.diagonal, "a, offset=0, axis1=0, axis2=1",
        vjp={"a": _call("diagonal_adjoint(dy, a", *_DIAGONAL),
             **_zero("offset", "axis1", "axis2")},
        jvp={"a": _call("np.diagonal(da", *_DIAGONAL), **_zero("offset", "axis1", "axis2")},
        batch_vjp={"a": "batch_diagonal_adjoint(dy, a, offset, axis1, axis2)",
                   **_zero("offset", "axis1", "axis2")},
        batch_jvp={"a": f"np.diagonal(da, offset, {_DIAGONAL_AXES})",
                   **_zero("offset", "axis1", "axis2")})
defrule(np.diagflat, "v, k=0",
        vjp={"v": _call("np.reshape(np.diagonal(dy", ("k", 0), tail="), np.shape(v)"),
             "k": None},
        jvp={"v": _call("np.diagflat(dv", ("k", 0)), "k": None},
        batch_vjp={"v": "batch_reshape(np.diagonal(dy, k, 1, 2), np.shape(v))", "k": None},
        batch_jvp={"v": "batch_diag(batch_reshape(dv, (-1,)), k)", "k": None})
# The trace sums the diagonal: its adjoint spreads dy along it (a last axis of length one).
defrule(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None",
        vjp={"a": _no_out("np.trace",
                          _call("diagonal_adjoint(np.expand_dims(dy, -1), a", *_DIAGONAL)),
             **_zero("offset", "axis1", "axis2", "dtype")},
        jvp={"a": _no_out("np.trace", _call("np.trace(da", *_DIAGONAL)),
             **_zero("offset", "axis1", "axis2", "dtype")},
        batch_vjp={"a": _no_out("np.trace", "batch_diagonal_adjoint(np.expand_dims(dy, -1), "
                                            "a, offset, axis1, axis2)"),
                   **_zero("offset", "axis1", "axis2", "dtype")},
        batch_jvp={"a": _no_out("np.trace", f"np.trace(da, offset, {_DIAGONAL_AXES})"),
                   **_zero("offset", "axis1", "axis2", "dtype")})
# On a vector, np.triu/np.tril repeat it into a square matrix first (the adjoint sums back).
for _func, _upper in ((np.triu, ""), (np.tril, ", False")):
    _name = f"np.{_func.__name__}"
    defrule(_func, "m, k=0",
            vjp={"m": (f"triangle_adjoint(dy, m, k{_upper})" if _upper else
                       _call("triangle_adjoint(dy, m", ("k", 0))), "k": None},
            jvp={"m": _call(f"{_name}(dm", ("k", 0)), "k": None},
            batch_vjp={"m": f"batch_triangle_adjoint(dy, m, k{_upper})", "k": None},
            batch_jvp={"m": f"{_name}(batch_broadcast_like(dm, y), k)", "k": None})

# ---------------------------------------------------------------------------------------------
# Padding.
# ---------------------------------------------------------------------------------------------

_PAD_MODES = ("constant", "edge", "wrap", "reflect", "symmetric", "linear_ramp", "mean")
_PAD_OPTIONS = (("mode", "constant"), ("stat_length", None), ("reflect_type", "even"))
_PAD_ZERO = _zero("pad_width", "mode", "stat_length", "reflect_type")


def _pad(constant: str, general: Template) -> Template:
    """A template of ``np.pad``'s array: ``constant`` in the literal mode 'constant'; none
    (a ``KeyError``) in a literal mode that is not linear."""

    def build(consts: Mapping[str, Any]) -> str:
        mode = consts.get("mode")
        if isinstance(mode, str) and mode not in _PAD_MODES:
            raise KeyError("array")
        if mode == "constant":
            return constant
        return general(consts) if callable(general) else general

    return build


defrule(np.pad, "array, pad_width, mode='constant', stat_length=None, constant_values=0, "
                "end_values=0, reflect_type='even'",
        vjp={"array": _pad("pad_adjoint(dy, array, pad_width)",
                           _call("pad_adjoint(dy, array, pad_width", *_PAD_OPTIONS)),
             "constant_values": "pad_fill_adjoint(dy, array, pad_width, constant_values)",
             **_PAD_ZERO},
        jvp={"array": _pad("np.pad(darray, pad_width)",
                           _call("pad_tangent(darray, pad_width", *_PAD_OPTIONS)),
             "constant_values": "np.pad(np.zeros(np.shape(array)), pad_width, "
                                "constant_values=dconstant_values)",
             **_PAD_ZERO},
        batch_vjp={"array": _pad(
            "batch_pad_adjoint(dy, array, pad_width)",
            "batch_pad_adjoint(dy, array, pad_width, mode, stat_length, reflect_type)"),
            "constant_values": "batch_pad_fill_adjoint(dy, array, pad_width, constant_values)",
            **_PAD_ZERO},
        batch_jvp={"array": _pad(
            "batch_pad_tangent(darray, pad_width)",
            "batch_pad_tangent(darray, pad_width, mode, stat_length, reflect_type)"),
            "constant_values": "batch_pad_fill(dconstant_values, array, pad_width)",
            **_PAD_ZERO})

# ---------------------------------------------------------------------------------------------
# Selecting: np.take, np.take_along_axis, np.sort.
# ---------------------------------------------------------------------------------------------


def _take_tangent(consts: Mapping[str, Any]) -> str:
    if _is_default(consts, "mode", "raise"):
        return _call("np.take(da, indices", ("axis", None))(consts)
    return "np.take(da, indices, axis, mode=mode)"


defrule(np.take, "a, indices, axis=None, out=None, mode='raise'",
        vjp={"a": _no_out("np.take", _call("take_adjoint(dy, a, indices", ("axis", None),
                                           ("mode", "raise"))),
             **_zero("indices", "axis", "mode")},
        jvp={"a": _no_out("np.take", _take_tangent), **_zero("indices", "axis", "mode")},
        batch_vjp={"a": _no_out("np.take", "batch_take_adjoint(dy, a, indices, axis, mode)"),
                   **_zero("indices", "axis", "mode")},
        batch_jvp={"a": _no_out("np.take", "batch_take(da, indices, axis, mode)"),
                   **_zero("indices", "axis", "mode")})
defrule(np.take_along_axis, "arr, indices, axis=-1",
        vjp={"arr": "take_along_axis_adjoint(dy, arr, indices, axis)",
             **_zero("indices", "axis")},
        jvp={"arr": "np.take_along_axis(darr, indices, axis)", **_zero("indices", "axis")},
        batch_vjp={"arr": "batch_take_along_axis_adjoint(dy, arr, indices, axis)",
                   **_zero("indices", "axis")},
        batch_jvp={"arr": "batch_take_along_axis(darr, indices, axis)",
                   **_zero("indices", "axis")})
# The sorted values are a permutation of a: that of a stable sort (see the module docstring).
_ORDER = "np.argsort(a, axis, kind='stable')"
defrule(np.sort, "a, axis=-1, kind=None, order=None, stable=None",
        vjp={"a": f"take_along_axis_adjoint(dy, a, {_ORDER}, axis)",
             **_zero("axis", "kind", "order", "stable")},
        jvp={"a": f"np.take_along_axis(da, {_ORDER}, axis)",
             **_zero("axis", "kind", "order", "stable")},
        batch_vjp={"a": f"batch_take_along_axis_adjoint(dy, a, {_ORDER}, axis)",
                   **_zero("axis", "kind", "order", "stable")},
        batch_jvp={"a": f"batch_take_along_axis(da, {_ORDER}, axis)",
                   **_zero("axis", "kind", "order", "stable")})

# ---------------------------------------------------------------------------------------------
# Broadcasting, conversion and casts.
# ---------------------------------------------------------------------------------------------

defrule(np.broadcast_to, "array, shape, subok=False",
        vjp={"array": "unbroadcast(dy, array)", **_zero("shape", "subok")},
        jvp={"array": "broadcast_like(darray, y)", **_zero("shape", "subok")},
        pointwise=True)
_CAST = {"vjp": "cast_adjoint(dy, a, y)", "jvp": "cast_tangent(da, y)",
         "batch_vjp": "batch_cast_adjoint(dy, a, y)", "batch_jvp": "batch_cast_tangent(da, y)"}


def _cast(func: object, signature: str, name: str | None = None) -> None:
    """A conversion of ``a`` to an array of some dtype (see ``runtime.cast_tangent``)."""
    zero = _zero(*parse_signature(signature)[0][1:])
    defrule(func, signature, name=name,
            **{mode: {"a": template, **zero} for mode, template in _CAST.items()})


_cast(np.asarray, "a, dtype=None, order=None, device=None, copy=None, like=None")
_cast(np.ndarray.astype, "a, dtype, order='K', casting='unsafe', subok=True, copy=True",
      name="method .astype()")
# np.full_like(a, fill_value): fill_value broadcast to a's shape and cast to its dtype.
defrule(np.full_like, "a, fill_value, dtype=None, order='K', subok=True, shape=None, "
                      "device=None",
        vjp={"fill_value": "unbroadcast(cast_tangent(dy, y), fill_value)",
             **_zero("a", "dtype", "order", "subok", "shape", "device")},
        jvp={"fill_value": "cast_tangent(broadcast_like(dfill_value, y), y)",
             **_zero("a", "dtype", "order", "subok", "shape", "device")},
        batch_vjp={"fill_value": "batch_unbroadcast(batch_cast_tangent(dy, y), fill_value)",
                   **_zero("a", "dtype", "order", "subok", "shape", "device")},
        batch_jvp={"fill_value": "batch_cast_tangent(batch_broadcast_like(dfill_value, y), y)",
                   **_zero("a", "dtype", "order", "subok", "shape", "device")})

# ---------------------------------------------------------------------------------------------
# Array methods.
# ---------------------------------------------------------------------------------------------

defmethod("ravel", np.ravel)
defmethod("flatten", np.ravel)  # a copy rather than a view: the same derivative
defmethod("squeeze", np.squeeze)
defmethod("swapaxes", np.swapaxes)
defmethod("repeat", np.repeat)
defmethod("take", np.take)
defmethod("diagonal", np.diagonal)
defmethod("trace", np.trace)
defmethod("astype", np.ndarray.astype)
defmethod("copy", np.copy)

# ---------------------------------------------------------------------------------------------
# The runtime helpers of these rules, so that their derivatives can be differentiated again.
# All are linear in their first argument; the others are read for shapes and indices.
# ---------------------------------------------------------------------------------------------

nondiff(rt.ravel_index, rt.rollaxis_destination, rt.concatenation_layout, rt.take_positions,
        rt.repeat_index, rt.diagonal_positions, rt.pad_pairs, rt.pad_matrices,
        rt.pad_fill_masks, rt.take_along_axis_index, rt.batch_size_of, rt.split_positions)


def _linear(helper: object, signature: str, vjp: str, jvp: str, batch_vjp: str | None,
            batch_jvp: str) -> None:
    """A helper linear in its first parameter, the others carrying no derivative."""
    params = parse_signature(signature)[0]
    zero = _zero(*params[1:])
    defrule(helper, signature, vjp={params[0]: vjp, **zero}, jvp={params[0]: jvp, **zero},
            batch_vjp=None if batch_vjp is None else {params[0]: batch_vjp, **zero},
            batch_jvp={params[0]: batch_jvp, **zero})


# refuse_out passes its value through (or refuses to run).
_linear(rt.refuse_out, "value, out, name", "refuse_out(dy, out, name)",
        "refuse_out(dvalue, out, name)", "refuse_out(dy, out, name)",
        "refuse_out(dvalue, out, name)")
_linear(rt.unravel, "g, like, order='C'", "ravel_like(dy, like, order)",
        "unravel(dg, like, order)", "batch_ravel_like(dy, like, order)",
        "batch_unravel(dg, like, order)")
_linear(rt.ravel_like, "t, like, order='C'", "unravel(dy, like, order)",
        "ravel_like(dt, like, order)", "batch_unravel(dy, like, order)",
        "batch_ravel_like(dt, like, order)")
_linear(rt.concatenate_adjoint, "g, like, axis=0, kind='concatenate'",
        "concatenate_items(dy, like, axis, kind)", "concatenate_adjoint(dg, like, axis, kind)",
        "batch_concatenate_items(dy, like, axis, kind)",
        "batch_concatenate_adjoint(dg, like, axis, kind)")
_linear(rt.concatenate_items, "t, like, axis=0, kind='concatenate'",
        "concatenate_adjoint(dy, like, axis, kind)", "concatenate_items(dt, like, axis, kind)",
        "batch_concatenate_adjoint(dy, like, axis, kind)",
        "batch_concatenate_items(dt, like, axis, kind)")
# Its adjoint is a list (the pieces): no batched form (see UNBATCHED in the rule cases).
_linear(rt.split_adjoint, "g, like, indices_or_sections, axis=0",
        "np.array_split(dy, indices_or_sections, axis)",
        "split_adjoint(dg, like, indices_or_sections, axis)", None,
        "batch_split_adjoint(dg, like, indices_or_sections, axis)")
_linear(rt.tile_adjoint, "g, like, reps", "np.tile(dy, reps)", "tile_adjoint(dg, like, reps)",
        "batch_tile(dy, like, reps)", "batch_tile_adjoint(dg, like, reps)")
_linear(rt.take_adjoint, "g, like, indices, axis=None, mode='raise'",
        "np.take(dy, indices, axis, mode=mode)", "take_adjoint(dg, like, indices, axis, mode)",
        "batch_take(dy, indices, axis, mode)",
        "batch_take_adjoint(dg, like, indices, axis, mode)")
_linear(rt.diagonal_adjoint, "g, like, offset=0, axis1=0, axis2=1",
        "unbroadcast(np.diagonal(dy, offset, axis1, axis2), g)",
        "diagonal_adjoint(dg, like, offset, axis1, axis2)",
        "batch_unbroadcast(np.diagonal(dy, offset, batch_axis(axis1, like), "
        "batch_axis(axis2, like)), g)",
        "batch_diagonal_adjoint(dg, like, offset, axis1, axis2)")
_linear(rt.diag_adjoint, "g, like, k=0", "np.diag(dy, k)", "diag_adjoint(dg, like, k)",
        "batch_diag(dy, k)", "batch_diag_adjoint(dg, like, k)")
_linear(rt.triangle_adjoint, "g, like, k=0, upper=True", "triangle_adjoint(dy, g, k, upper)",
        "triangle_adjoint(dg, like, k, upper)", "batch_triangle_adjoint(dy, g, k, upper)",
        "batch_triangle_adjoint(dg, like, k, upper)")
_PAD_ARGS = "pad_width, mode, stat_length, reflect_type"
_linear(rt.pad_adjoint, "g, like, pad_width, mode='constant', stat_length=None, "
                        "reflect_type='even'",
        f"pad_tangent(dy, {_PAD_ARGS})", f"pad_adjoint(dg, like, {_PAD_ARGS})",
        f"batch_pad_tangent(dy, {_PAD_ARGS})", f"batch_pad_adjoint(dg, like, {_PAD_ARGS})")
_linear(rt.pad_tangent, "t, pad_width, mode='constant', stat_length=None, reflect_type='even'",
        f"pad_adjoint(dy, t, {_PAD_ARGS})", f"pad_tangent(dt, {_PAD_ARGS})",
        f"batch_pad_adjoint(dy, t, {_PAD_ARGS})", f"batch_pad_tangent(dt, {_PAD_ARGS})")
_linear(rt.pad_fill_adjoint, "g, like, pad_width, constant_values",
        "np.pad(np.zeros(np.shape(like)), pad_width, constant_values=dy)",
        "pad_fill_adjoint(dg, like, pad_width, constant_values)",
        "batch_pad_fill(dy, like, pad_width)",
        "batch_pad_fill_adjoint(dg, like, pad_width, constant_values)")
_linear(rt.take_along_axis_adjoint, "g, like, indices, axis=-1",
        "np.take_along_axis(dy, indices, axis)",
        "take_along_axis_adjoint(dg, like, indices, axis)",
        "batch_take_along_axis(dy, indices, axis)",
        "batch_take_along_axis_adjoint(dg, like, indices, axis)")
_linear(rt.cast_tangent, "t, like", "cast_adjoint(dy, t, like)", "cast_tangent(dt, like)",
        "batch_cast_adjoint(dy, t, like)", "batch_cast_tangent(dt, like)")
_linear(rt.cast_adjoint, "g, like, result", "cast_tangent(dy, result)",
        "cast_adjoint(dg, like, result)", "batch_cast_tangent(dy, result)",
        "batch_cast_adjoint(dg, like, result)")
