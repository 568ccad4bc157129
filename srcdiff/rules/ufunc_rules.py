"""Derivative rules of NumPy's elementwise functions (ufuncs and their ``math`` twins) beyond
the arithmetic and the basic ones of :mod:`srcdiff.rules.numpy_rules` (see
:mod:`srcdiff.rules.registry` for the template vocabulary).

Every function here is elementwise, so its rule is given by its partial derivatives
(``elementwise``): adjoints are summed back to each operand's shape and tangents have the
result's shape when operands broadcast, and the batched forms follow from the plain ones.
``np.clip`` states its batched forms itself (its general templates call a helper).
The rules assume real floating inputs (as all of srcdiff's rules do): ``np.real`` and
``np.conj`` are the identity, ``np.imag`` (zeros for real input) has zero derivative.

Conventions where the derivative is not defined (chosen as JAX, PyTorch or autograd do):

* ``np.fmax``/``np.fmin`` split a tie evenly, as ``np.maximum``/``np.minimum`` do; where one
  operand is NaN the result is the other one, which gets the whole derivative (both NaN:
  neither gets any);
* ``np.clip(a, a_min, a_max)``: ``a`` gets the derivative where ``a_min <= a <= a_max``,
  *boundaries included* (as PyTorch's ``clamp``); a bound gets it where it binds strictly
  (``a < a_min``, ``a > a_max``); where ``a_min > a_max`` the result is ``a_max`` (NumPy's
  order: ``minimum(maximum(a, a_min), a_max)``) and only ``a_max`` gets it. A bound ``None``
  never binds. The derivatives always sum to one.
* ``np.copysign(x1, x2)`` has derivative ``+-1`` wrt ``x1`` (+1 where the signs of ``x1``
  and ``x2`` agree, by their sign bits) and 0 at ``x1 == 0`` (the kink of ``|x1|``, as for
  ``np.abs``); wrt ``x2`` it is 0 (piecewise constant);
* ``np.mod``/``np.remainder``, ``np.fmod``, ``math.fmod``, ``math.remainder``: ``y = x1 -
  n * x2`` for the integer ``n`` that the function picks (``floor``, ``trunc`` or nearest
  of ``x1 / x2``), so the partials are ``1`` and ``-n``, ``n`` recovered exactly as
  ``round((x1 - y) / x2)``; the jumps where ``n`` changes are ignored;
* ``np.hypot``/``math.hypot`` have derivative 0 at ``(0, 0)`` (``hypot(x, 0)`` is ``|x|``);
* ``np.arctan2``/``math.atan2`` are nan at ``(0, 0)``, as JAX and PyTorch give; the jump
  along the branch cut ``x1 == 0, x2 < 0`` is ignored;
* ``np.sinc`` has derivative 0 at 0 (its limit);
* ``np.ldexp(x1, x2)``: the integer exponent ``x2`` carries no derivative;
* ``np.heaviside(x1, x2)`` has zero derivative wrt ``x1``; it is ``x2`` where ``x1 == 0``,
  so its derivative wrt ``x2`` is ``x1 == 0``;
* ``np.float_power`` and ``math.pow`` follow ``np.power``: the partial wrt the exponent is
  ``xlogy(y, x1)``, 0 where ``y`` is 0;
* ``cbrt``, ``reciprocal``, ``arcsin``... give inf or nan where their derivative is infinite
  or undefined (at 0, at +-1): no value is made up there;
* rounding (``np.floor``... in :mod:`srcdiff.rules.numpy_rules`), ``np.floor_divide``,
  ``np.signbit`` and the predicates ``np.isreal``, ``np.isneginf``... have zero derivative.

``math.hypot`` is covered with two coordinates (the rule refuses other counts). ``np.clip``
also takes NumPy's keyword aliases ``min=``/``max=`` (``x.clip(min=0)``); with
``out=`` its derivative refuses to run (``runtime.clip_partial`` raises), the array written in
place being invisible to the compiler.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from srcdiff import runtime as rt
from srcdiff.rules.registry import (
    Template,
    defattribute,
    defmethod,
    defrule,
    elementwise,
    nondiff,
)

#: ``math.log(2.0)`` and ``math.log(10.0)`` as templates write them (a Python float keeps a
#: float32 array float32).
_LN2 = "math.log(2.0)"
_LN10 = "math.log(10.0)"

# ---------------------------------------------------------------------------------------------
# Unary functions.
# ---------------------------------------------------------------------------------------------

elementwise(np.exp2, "x", x=f"y * {_LN2}")
elementwise(np.log2, "x", x=f"1 / (x * {_LN2})")
elementwise(math.log2, "x", x=f"1 / (x * {_LN2})")
elementwise(np.log10, "x", x=f"1 / (x * {_LN10})")
elementwise(math.log10, "x", x=f"1 / (x * {_LN10})")
elementwise(np.cbrt, "x", x="1 / (3 * y ** 2)")
elementwise(np.reciprocal, "x", x="-y ** 2")
elementwise(np.fabs, "x", x="np.sign(x)")
elementwise(np.arcsin, "x", x="1 / np.sqrt(1 - x ** 2)")
elementwise(math.asin, "x", x="1 / math.sqrt(1 - x ** 2)")
elementwise(np.arccos, "x", x="-1 / np.sqrt(1 - x ** 2)")
elementwise(math.acos, "x", x="-1 / math.sqrt(1 - x ** 2)")
elementwise((np.arctan, math.atan), "x", x="1 / (1 + x ** 2)")
elementwise(np.sinh, "x", x="np.cosh(x)")
elementwise(math.sinh, "x", x="math.cosh(x)")
elementwise(np.cosh, "x", x="np.sinh(x)")
elementwise(math.cosh, "x", x="math.sinh(x)")
elementwise(np.arcsinh, "x", x="1 / np.sqrt(x ** 2 + 1)")
elementwise(math.asinh, "x", x="1 / math.sqrt(x ** 2 + 1)")
elementwise(np.arccosh, "x", x="1 / np.sqrt((x - 1) * (x + 1))")
elementwise(math.acosh, "x", x="1 / math.sqrt((x - 1) * (x + 1))")
elementwise((np.arctanh, math.atanh), "x", x="1 / (1 - x ** 2)")
# np.radians is np.deg2rad's twin (a distinct ufunc object), np.degrees np.rad2deg's.
for _func in (np.deg2rad, np.radians, math.radians):
    elementwise(_func, "x", x="math.pi / 180")
for _func in (np.rad2deg, np.degrees, math.degrees):
    elementwise(_func, "x", x="180 / math.pi")
# sinc(x) = sin(pi x) / (pi x): derivative (cos(pi x) - sinc(x)) / x, its limit 0 at 0.
elementwise(np.sinc, "x", x="(np.cos(np.pi * x) - y) / (x + (x == 0))")
if hasattr(math, "exp2"):  # Python 3.11
    elementwise(math.exp2, "x", x=f"y * {_LN2}")
if hasattr(math, "cbrt"):  # Python 3.11
    elementwise(math.cbrt, "x", x="1 / (3 * y ** 2)")

# Real input: the real part and the conjugate are the identity, the imaginary part is zeros.
elementwise(np.real, "val", val="1")
elementwise(np.conjugate, "x", x="1")  # np.conj is np.conjugate

# ---------------------------------------------------------------------------------------------
# Binary functions.
# ---------------------------------------------------------------------------------------------

elementwise(np.float_power, "x1, x2", x1="x2 * np.float_power(x1, x2 - 1)", x2="xlogy(y, x1)")
elementwise(math.pow, "x1, x2", x1="x2 * np.power(x1, x2 - 1)", x2="xlogy(y, x1)")
# y = x1 - n * x2 with n an integer (see the module docstring): n = round((x1 - y) / x2).
for _func in (np.remainder, np.fmod):  # np.mod is np.remainder
    elementwise(_func, "x1, x2", x1="1", x2="-np.round((x1 - y) / x2)")
elementwise(math.fmod, "x1, x2", x1="1", x2="-math.floor((x1 - y) / x2 + 0.5)")
elementwise(math.remainder, "x1, x2", x1="1", x2="-math.floor((x1 - y) / x2 + 0.5)")
elementwise(np.arctan2, "x1, x2", x1="x2 / (x1 ** 2 + x2 ** 2)", x2="-x1 / (x1 ** 2 + x2 ** 2)")
elementwise(math.atan2, "x1, x2", x1="x2 / (x1 ** 2 + x2 ** 2)", x2="-x1 / (x1 ** 2 + x2 ** 2)")
# (y == 0) turns the 0 / 0 at the origin into 0 / 1.
elementwise((np.hypot, math.hypot), "x1, x2", x1="x1 / (y + (y == 0))", x2="x2 / (y + (y == 0))")
elementwise(np.logaddexp, "x1, x2", x1="np.exp(x1 - y)", x2="np.exp(x2 - y)")
elementwise(np.logaddexp2, "x1, x2", x1="np.exp2(x1 - y)", x2="np.exp2(x2 - y)")
# The operand equal to the result gets the derivative; a tie (x1 == x2) splits it; a NaN
# operand is never equal to the result.
for _func in (np.fmax, np.fmin):
    elementwise(_func, "x1, x2",
                x1="(x1 == y) - 0.5 * (x1 == x2)", x2="(x2 == y) - 0.5 * (x1 == x2)")
elementwise(np.copysign, "x1, x2", x1="np.sign(x1) * np.sign(y)", x2=None)
elementwise(math.copysign, "x1, x2", x1="(x1 != 0) * math.copysign(1.0, x1 * y)", x2=None)
elementwise(np.ldexp, "x1, x2", x1="np.ldexp(1.0, x2)", x2=None)
elementwise(np.heaviside, "x1, x2", x1=None, x2="x1 == 0")

# ---------------------------------------------------------------------------------------------
# np.clip(a, a_min, a_max), also with NumPy's keyword aliases min= and max= (the only ones of
# ndarray.clip). A partial is written out when the bounds it reads are literals (numbers or
# None), else it calls runtime.clip_partial, which resolves the aliases and a None bound at
# run time (and refuses out=).
# ---------------------------------------------------------------------------------------------

#: The parameters of each bound: NumPy's name and its keyword alias (never both given).
_LOWER, _UPPER = ("a_min", "min"), ("a_max", "max")


def _literal(consts: Mapping[str, Any], name: str) -> bool:
    """Whether ``name`` is a literal number or None (its None-ness is known)."""
    if name not in consts:
        return False
    value = consts[name]
    return value is None or (isinstance(value, (int, float, np.number))
                             and not isinstance(value, bool))


def _known_bound(consts: Mapping[str, Any], slots: tuple[str, str]) -> tuple[bool, str | None]:
    """Whether a bound's two parameters are both literals, and then the one that holds the
    bound (None when the bound is None)."""
    if not all(_literal(consts, slot) for slot in slots):
        return False, None
    return True, next((slot for slot in slots if consts[slot] is not None), None)


def _clip_weight(param: str, consts: Mapping[str, Any]) -> str:
    """The partial of ``np.clip`` wrt ``param``: a mask with the result's shape (``"1"`` when
    it is one everywhere)."""
    which = "a" if param == "a" else "a_min" if param in _LOWER else "a_max"
    helper = f"clip_partial(a, a_min, a_max, {which!r}, min, max, out)"
    if not ("out" in consts and consts["out"] is None):
        return helper
    lo_known, lo = _known_bound(consts, _LOWER)
    hi_known, hi = _known_bound(consts, _UPPER)
    if which == "a":
        if not (lo_known and hi_known):
            return helper
        if lo is not None and hi is not None and consts[lo] > consts[hi]:
            return "0"
        terms = ([f"({param} >= {lo})"] if lo else []) + ([f"({param} <= {hi})"] if hi else [])
        return " * ".join(terms) or "1"
    if which == "a_min":
        if not hi_known:
            return helper
        return f"(a < {param})" if hi is None else f"((a < {param}) * ({param} <= {hi}))"
    if not lo_known:
        return helper
    return f"({param} < a)" if lo is None else f"({param} < np.fmax(a, {lo}))"


def _bounds_are_literal(consts: Mapping[str, Any]) -> bool:
    return all(_literal(consts, name) for name in _LOWER + _UPPER)


def _clip_vjp(param: str, batched: bool) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        weight = _clip_weight(param, consts)
        body = "dy" if weight == "1" else f"dy * {weight}"
        if param == "a" and _bounds_are_literal(consts):
            return body  # the bounds are numbers: the result has the shape of a
        return f"{'batch_unbroadcast' if batched else 'unbroadcast'}({body}, {param})"

    return build


def _clip_jvp(param: str, batched: bool) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        weight = _clip_weight(param, consts)
        tangent = f"lift(d{param}, y)" if batched else f"d{param}"
        # the weight has the result's shape, and so has the tangent (unless it is "1": then
        # the bounds are numbers, and the tangent of a has the result's shape already)
        return tangent if weight == "1" else f"{tangent} * {weight}"

    return build


_CLIP_PARAMS = ("a", "a_min", "a_max", "min", "max")
# ``out`` has no derivative entry: an argument written in place (clip_partial refuses it).
defrule(np.clip, "a, a_min=None, a_max=None, out=None, min=None, max=None",
        vjp={p: _clip_vjp(p, False) for p in _CLIP_PARAMS},
        jvp={p: _clip_jvp(p, False) for p in _CLIP_PARAMS},
        batch_vjp={p: _clip_vjp(p, True) for p in _CLIP_PARAMS},
        batch_jvp={p: _clip_jvp(p, True) for p in _CLIP_PARAMS})
nondiff(rt.clip_partial)

# ---------------------------------------------------------------------------------------------
# Zero derivative: integer division, sign bits, predicates, the imaginary part of real input.
# ---------------------------------------------------------------------------------------------

nondiff(np.floor_divide, np.signbit, np.isreal, np.iscomplex, np.isrealobj, np.iscomplexobj,
        np.isneginf, np.isposinf, np.imag)

# ---------------------------------------------------------------------------------------------
# Array methods and attributes.
# ---------------------------------------------------------------------------------------------

defmethod("clip", np.clip)
defmethod("conj", np.conjugate)
defmethod("conjugate", np.conjugate)
defattribute("real", np.real)
defattribute("imag", np.imag)
