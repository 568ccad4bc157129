"""Derivative rules of NumPy, ``math`` and a few builtins.

Templates are written over the names of :mod:`srcdiff.rules.registry` (see its docstring) and
the helpers of :mod:`srcdiff.runtime`. Parameters are named as NumPy names them (``x1, x2``
for binary ufuncs, ``a`` for reductions, ``condition, x1, x2`` for ``np.where``, whose own
``y`` would clash with the result's name).

Conventions where the derivative is not defined:

* ``|x|`` (``np.abs``, ``abs``, ``math.fabs``) has derivative ``np.sign(x)``, so 0 at 0;
* ``np.maximum``/``np.minimum`` split a tie evenly: each operand gets half;
* ``np.max``/``np.min`` (and ``np.amax``/``np.amin``) share the derivative evenly among the
  elements that tie for the extremum (``runtime.tie_weights``);
* ``x1 ** x2`` has partial ``xlogy(y, x1) = y * log(x1)`` wrt ``x2``, taken as 0 where ``y``
  is 0 (so 0 at ``x1 == 0, x2 > 0`` rather than nan); it is nan where ``x1 < 0``;
* rounding (``np.sign``, ``np.floor``, ``np.ceil``, ``np.round``...), comparisons, logical
  operations, index-valued functions (``np.argmax``) and constructors (``np.zeros_like``,
  ``np.arange``, ``np.random.*``) have zero derivative.

Tangents (forward templates) always have the shape of the result, also when an operand was
broadcast (``runtime.broadcast_like``); adjoints always have the shape of their parameter
(``runtime.unbroadcast`` sums broadcast dimensions back).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any

import numpy as np

from srcdiff.rules.registry import (
    Template,
    defattribute,
    defmethod,
    defrule,
    elementwise,
    nondiff,
)

# ---------------------------------------------------------------------------------------------
# Template builders: callables that drop a helper when literal arguments make it the identity.
# ---------------------------------------------------------------------------------------------


def _is_number(consts: Mapping[str, Any], name: str) -> bool:
    value = consts.get(name, ...)
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _sum_back(body: str, param: str, *others: str) -> Template:
    """``unbroadcast(body, param)``, or ``body`` when every other operand is a literal number."""

    def build(consts: Mapping[str, Any]) -> str:
        if all(_is_number(consts, name) for name in others):
            return body
        return f"unbroadcast({body}, {param})"

    return build


def _spread(body: str, *others: str) -> Template:
    """``broadcast_like(body, y)``, or ``body`` when every other operand is a literal number."""

    def build(consts: Mapping[str, Any]) -> str:
        if all(_is_number(consts, name) for name in others):
            return body
        return f"broadcast_like({body}, y)"

    return build


def _is_literal(consts: Mapping[str, Any], name: str, value: Any) -> bool:
    return name in consts and consts[name] is value


def _axis_args(consts: Mapping[str, Any]) -> str:
    """The ``axis, keepdims`` arguments a helper undoing a reduction needs, as few as possible:
    none when the reduction kept its dimensions or reduced everything."""
    if _is_literal(consts, "axis", None) or _is_literal(consts, "keepdims", True):
        return ""
    if _is_literal(consts, "keepdims", False):
        return ", axis"
    return ", axis, keepdims"


def _tie_args(consts: Mapping[str, Any]) -> str:
    """The ``axis, keepdims`` arguments of ``tie_weights``: it counts ties per reduced group,
    so only a reduction of everything can omit them."""
    if _is_literal(consts, "axis", None):
        return ""
    if _is_literal(consts, "keepdims", False):
        return ", axis"
    return ", axis, keepdims"


def _axis_keywords(consts: Mapping[str, Any]) -> str:
    """The ``axis=, keepdims=`` keywords of a reduction, omitting literal defaults."""
    text = ""
    if not _is_literal(consts, "axis", None):
        text += ", axis=axis"
    if not _is_literal(consts, "keepdims", False):
        text += ", keepdims=keepdims"
    return text


#: NumPy's positional order: ``np.sum(x, 1, None, None, True)`` binds like NumPy does.
#: ``dtype`` carries no derivative; ``out`` has no rule (an array written in place).
_SUM_SIGNATURE = "a, axis=None, dtype=None, out=None, keepdims=False"
_MAX_SIGNATURE = "a, axis=None, out=None, keepdims=False"


def _keepdims_keyword(consts: Mapping[str, Any]) -> str:
    """``, keepdims=keepdims`` unless the reduction drops its axes (the literal default)."""
    return "" if _is_literal(consts, "keepdims", False) else ", keepdims=keepdims"


def _fill(template: str) -> Template:
    """A reduction's template: ``{axis}``, ``{ties}``, ``{kw}`` and ``{kd}`` stand for the
    arguments of ``_axis_args``, ``_tie_args``, ``_axis_keywords`` and ``_keepdims_keyword``."""
    return lambda consts: template.format(axis=_axis_args(consts), ties=_tie_args(consts),
                                          kw=_axis_keywords(consts), kd=_keepdims_keyword(consts))


def _reduction(funcs: object, vjp: str, jvp: str, batch_vjp: str, batch_jvp: str,
               signature: str = _MAX_SIGNATURE) -> None:
    """Register a reduction ``f(a, axis=None, ..., keepdims=False)`` (see ``_fill``)."""
    zero = {"dtype": None} if "dtype" in signature else {}
    defrule(funcs, signature, vjp={"a": _fill(vjp), **zero}, jvp={"a": _fill(jvp), **zero},
            batch_vjp={"a": _fill(batch_vjp), **zero}, batch_jvp={"a": _fill(batch_jvp), **zero})


# ---------------------------------------------------------------------------------------------
# Operators.
# ---------------------------------------------------------------------------------------------

defrule(np.add, "x1, x2",
        vjp={"x1": _sum_back("dy", "x1", "x2"), "x2": _sum_back("dy", "x2", "x1")},
        jvp={"x1": _spread("dx1", "x2"), "x2": _spread("dx2", "x1")}, pointwise=True)
defrule(np.subtract, "x1, x2",
        vjp={"x1": _sum_back("dy", "x1", "x2"), "x2": _sum_back("-dy", "x2", "x1")},
        jvp={"x1": _spread("dx1", "x2"), "x2": _spread("-dx2", "x1")}, pointwise=True)
elementwise(np.multiply, "x1, x2", x1="x2", x2="x1")
elementwise(np.true_divide, "x1, x2", x1="1 / x2", x2="-y / x2")  # np.divide is the same
elementwise(np.power, "x1, x2", x1="x2 * x1 ** (x2 - 1)", x2="xlogy(y, x1)")
elementwise(np.negative, "x", x="-1")
elementwise(np.positive, "x", x="1")

# ---------------------------------------------------------------------------------------------
# Elementwise functions.
# ---------------------------------------------------------------------------------------------

elementwise((np.exp, math.exp), "x", x="y")
elementwise((np.log, math.log), "x", x="1 / x")
elementwise((np.log1p, math.log1p), "x", x="1 / (1 + x)")
elementwise((np.expm1, math.expm1), "x", x="y + 1")
elementwise((np.sqrt, math.sqrt), "x", x="0.5 / y")
elementwise(np.sin, "x", x="np.cos(x)")
elementwise(math.sin, "x", x="math.cos(x)")
elementwise(np.cos, "x", x="-np.sin(x)")
elementwise(math.cos, "x", x="-math.sin(x)")
elementwise((np.tan, math.tan), "x", x="1 + y ** 2")
elementwise((np.tanh, math.tanh), "x", x="1 - y ** 2")
elementwise((np.abs, abs, math.fabs), "x", x="np.sign(x)")
elementwise(np.square, "x", x="2 * x")
elementwise(float, "x", x="1")

elementwise(np.maximum, "x1, x2",
            x1="(x1 > x2) + 0.5 * (x1 == x2)", x2="(x2 > x1) + 0.5 * (x1 == x2)")
elementwise(np.minimum, "x1, x2",
            x1="(x1 < x2) + 0.5 * (x1 == x2)", x2="(x2 < x1) + 0.5 * (x1 == x2)")


def _where_zeros(other: str) -> Template:
    """The unselected branch of a tangent of ``np.where``: ``0`` when the other operand is a
    literal number (the tangent then has the result's shape already), else zeros like ``y``."""
    return lambda consts: "0" if _is_number(consts, other) else "np.zeros_like(y)"


defrule(np.where, "condition, x1, x2",
        vjp={"condition": None,
             "x1": _sum_back("np.where(condition, dy, 0)", "x1", "condition", "x2"),
             "x2": _sum_back("np.where(condition, 0, dy)", "x2", "condition", "x1")},
        jvp={"condition": None,
             "x1": lambda c: f"np.where(condition, dx1, {_where_zeros('x2')(c)})",
             "x2": lambda c: f"np.where(condition, {_where_zeros('x1')(c)}, dx2)"},
        pointwise=True)

# ---------------------------------------------------------------------------------------------
# Reductions.
# ---------------------------------------------------------------------------------------------

_reduction(np.sum, "repeat_to_shape(dy, a{axis})", "np.sum(da{kw})",
           "batch_repeat_to_shape(dy, a{axis})", "np.sum(da, axis=batch_axis(axis, a){kd})",
           _SUM_SIGNATURE)


def _mean_vjp(repeat: str) -> Template:
    return lambda c: (f"{repeat}(dy, a{_axis_args(c)}) / np.size(a)"
                      if _is_literal(c, "axis", None) else
                      f"{repeat}(dy, a{_axis_args(c)}) / reduced_size(a, axis)")


defrule(np.mean, _SUM_SIGNATURE,
        vjp={"a": _mean_vjp("repeat_to_shape"), "dtype": None},
        jvp={"a": _fill("np.mean(da{kw})"), "dtype": None},
        batch_vjp={"a": _mean_vjp("batch_repeat_to_shape"), "dtype": None},
        batch_jvp={"a": _fill("np.mean(da, axis=batch_axis(axis, a){kd})"), "dtype": None})
for _funcs in ((np.max, np.amax), (np.min, np.amin)):
    _reduction(_funcs, "repeat_to_shape(dy, a{axis}) * tie_weights(a, y{ties})",
               "np.sum(da * tie_weights(a, y{ties}){kw})",
               "batch_repeat_to_shape(dy, a{axis}) * tie_weights(a, y{ties})",
               "np.sum(da * tie_weights(a, y{ties}), axis=batch_axis(axis, a){kd})")

# ---------------------------------------------------------------------------------------------
# Products.
# ---------------------------------------------------------------------------------------------

defrule(np.matmul, "x1, x2",
        vjp={"x1": "matmul_vjp_a(dy, x1, x2)", "x2": "matmul_vjp_b(dy, x1, x2)"},
        jvp={"x1": "np.matmul(dx1, x2)", "x2": "np.matmul(x1, dx2)"},
        batch_vjp={"x1": "batch_matmul_vjp_a(dy, x1, x2)",
                   "x2": "batch_matmul_vjp_b(dy, x1, x2)"},
        batch_jvp={"x1": "batch_matmul(dx1, x2, True, False, y)",
                   "x2": "batch_matmul(x1, dx2, False, True, y)"})
defrule(np.dot, "a, b",
        vjp={"a": "dot_vjp_a(dy, a, b)", "b": "dot_vjp_b(dy, a, b)"},
        jvp={"a": "np.dot(da, b)", "b": "np.dot(a, db)"},
        batch_vjp={"a": "batch_dot_vjp_a(dy, a, b)", "b": "batch_dot_vjp_b(dy, a, b)"},
        batch_jvp={"a": "batch_dot(da, b, True, False, y)",
                   "b": "batch_dot(a, db, False, True, y)"})

# ---------------------------------------------------------------------------------------------
# Shapes.
# ---------------------------------------------------------------------------------------------


def _transpose_vjp(transpose: str) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        if _is_literal(consts, "axes", None):
            return f"{transpose}(dy)"
        axes = consts.get("axes")
        if isinstance(axes, (tuple, list)) and all(isinstance(ax, int) for ax in axes):
            inverse = [0] * len(axes)
            for i, ax in enumerate(axes):
                inverse[ax % len(axes)] = i
            return f"{transpose}(dy, {tuple(inverse)})"
        return f"{transpose}(dy, inverse_permutation(axes))"

    return build


def _transpose_jvp(transpose: str) -> Template:
    return lambda c: (f"{transpose}(da)" if _is_literal(c, "axes", None)
                      else f"{transpose}(da, axes)")


defrule(np.transpose, "a, axes=None",
        vjp={"a": _transpose_vjp("np.transpose")},
        jvp={"a": _transpose_jvp("np.transpose")},
        batch_vjp={"a": _transpose_vjp("batch_transpose")},
        batch_jvp={"a": _transpose_jvp("batch_transpose")})


def _c_order(consts: Mapping[str, Any]) -> str:
    """``, order=order`` unless the call reshapes in the default C order."""
    return "" if consts.get("order") == "C" else ", order=order"


# numpy 2 names the second parameter ``shape`` (``newshape`` is deprecated).
def _in_c_order(template: str) -> Template:
    """A batched reshape: only in C order (the batch axis stays the slowest)."""

    def build(consts: Mapping[str, Any]) -> str:
        if consts.get("order") != "C":
            raise KeyError("order")
        return template

    return build


defrule(np.reshape, "a, shape, order='C'",
        vjp={"a": lambda c: f"np.reshape(dy, np.shape(a){_c_order(c)})", "shape": None},
        jvp={"a": lambda c: f"np.reshape(da, shape{_c_order(c)})", "shape": None},
        batch_vjp={"a": _in_c_order("batch_reshape(dy, np.shape(a))"), "shape": None},
        batch_jvp={"a": _in_c_order("batch_reshape(da, shape)"), "shape": None})

# ---------------------------------------------------------------------------------------------
# Indexing: ``x[index]`` is ``operator.getitem(x, index)``. The index is written with NumPy's
# ``np.s_`` so slices keep their ``a:b:c`` syntax in the emitted code; repeated integer
# indices add up in the adjoint (``np.add.at``).
# ---------------------------------------------------------------------------------------------

defrule(operator.getitem, "a, index", name="indexing x[...]",
        vjp={"a": "index_adjoint(dy, a, np.s_[index])", "index": None},
        jvp={"a": "da[index]", "index": None},
        batch_vjp={"a": "batch_index_adjoint(dy, a, np.s_[index])", "index": None},
        batch_jvp={"a": "batch_index(da, np.s_[index])", "index": None})

# Building arrays from lists: the adjoint of the list is the list of slices.
defrule(np.stack, "arrays, axis=0", vjp={"arrays": "unstack(dy, arrays, axis)", "axis": None},
        jvp={"arrays": "np.stack(darrays, axis)", "axis": None},
        batch_vjp={"arrays": "batch_unstack(dy, arrays, axis)", "axis": None},
        batch_jvp={"arrays": "batch_stack(darrays, axis)", "axis": None})
defrule(np.array, "object, dtype=None", vjp={"object": "unstack(dy, object)", "dtype": None},
        jvp={"object": "np.array(dobject)", "dtype": None},
        batch_vjp={"object": "batch_unstack(dy, object)", "dtype": None},
        batch_jvp={"object": "batch_array(dobject)", "dtype": None})
defrule(sum, "iterable, start=0", vjp={"iterable": "spread(dy, iterable)",
                                       "start": "unbroadcast(dy, start)"},
        jvp={"iterable": "sum(diterable)", "start": "dstart"},
        batch_vjp={"iterable": "batch_spread(dy, iterable)",
                   "start": "batch_unbroadcast(dy, start)"},
        batch_jvp={"iterable": "batch_sum_items(diterable, iterable, y)",
                   "start": "batch_broadcast_like(dstart, y)"})

# A fresh copy carries its argument's derivative unchanged.
defrule(np.copy, "a, order='K', subok=False", vjp={"a": "dy", "order": None, "subok": None},
        jvp={"a": "da", "order": None, "subok": None}, pointwise=True)

# ---------------------------------------------------------------------------------------------
# Zero derivative.
# ---------------------------------------------------------------------------------------------

nondiff(
    # constructors and shapes
    np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like,
    np.full_like, np.arange, np.linspace, np.eye, np.identity, np.shape, np.size, np.ndim,
    len, int, bool, round,
    # rounding and signs
    np.sign, np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix,
    math.floor, math.ceil, math.trunc,
    # indices
    np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero,
    # predicates, comparisons and logic
    np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal,
    math.isnan, math.isinf, math.isfinite, math.isclose,
    np.greater, np.less, np.equal, np.greater_equal, np.less_equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.any, np.all,
    # random numbers
    np.random.rand, np.random.randn, np.random.random, np.random.random_sample,
    np.random.normal, np.random.uniform, np.random.standard_normal, np.random.randint,
    np.random.choice, np.random.permutation, np.random.seed, np.random.default_rng,
)

# ---------------------------------------------------------------------------------------------
# Array methods and attributes.
# ---------------------------------------------------------------------------------------------

defmethod("sum", np.sum)
defmethod("mean", np.mean)
defmethod("max", np.max)
defmethod("min", np.min)
defmethod("reshape", np.reshape, varargs="shape")
defmethod("transpose", np.transpose, varargs="axes")
defmethod("dot", np.dot)
defattribute("T", np.transpose)
