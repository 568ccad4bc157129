"""Derivative rules of NumPy's reduction functions (see :mod:`srcdiff.rules.registry` for the
template vocabulary and :mod:`srcdiff.rules.numpy_rules` for the conventions).

Rules: ``np.prod``, ``np.var``, ``np.std``, ``np.nanmax``, ``np.nanmin``, ``np.nansum``,
``np.nanmean``, ``np.cumsum``, ``np.cumprod``, ``np.average``, ``np.ptp``, ``np.linalg.norm``,
the array methods ``prod var std cumsum cumprod`` (and ``all any``, no derivative), and the
rules of the runtime helpers their derivatives call (so that Hessians work).

Signatures are NumPy's positional ones (``np.var(a, axis, dtype, out, ddof, keepdims)``);
``axis`` may be None, an int, negative, or a tuple; ``keepdims`` is honoured. ``dtype`` has
no derivative; ``out``, ``initial``, ``where`` and the keyword-only ``mean``/``correction``
are not covered (a derivative through such a call is reported). ``ddof`` and ``ord`` are not
differentiable.

Conventions where the function is not differentiable (or a formula would divide by zero):

* ``np.prod``: the derivative is the product of the *other* entries, computed from products
  on both sides of each entry (no division), so it is exact when entries are zero (one zero:
  only that entry gets a nonzero derivative; two or more: all zero). Its second derivative
  (``prod_others_jvp``) is exact too, at ``n * n`` memory per reduced group.
* ``np.cumprod``: exact at zeros, in linear time (before the first zero of a scan the usual
  ``y_i / a_j``, from the first zero on only that zero's entry contributes). Its second
  derivative (``cumprod_hvp``/``cumprod_mixed``) is exact at zeros (``n * n`` memory per
  scan). Third derivatives of ``prod``/``cumprod`` are not provided (reported).
* ``np.var``: smooth. ``np.std`` where the variance is 0: derivative 0 (PyTorch's choice; the
  one-sided derivatives are infinite), and second derivative 0 there too.
* ``np.nanmax``/``np.nanmin``/``np.nansum``/``np.nanmean``: NaN entries get derivative 0; a
  slice of NaNs only gives 0 everywhere; ties of the max/min split evenly (as ``np.max``).
* ``np.ptp``: max minus min, ties split evenly; where every entry of a group ties (ptp 0) the
  derivative is 0.
* ``np.average``: differentiable in ``a`` and ``weights`` (same shape as ``a``, or the shape of
  ``a`` along ``axis`` as NumPy allows); only ``returned=False``: a literal ``returned=True``
  has no derivative (reported), a non-literal one is checked when the derivative runs.
* ``np.linalg.norm``: 0 where the norm is 0 (the minimal subgradient; JAX gives NaN there,
  PyTorch 0), and second derivative 0 there too. Entries at 0 get ``sign(0) = 0`` (1-norm;
  p-norms with p < 1, whose one-sided derivatives are infinite there). ``ord=0`` (a count)
  has derivative 0. inf/-inf norms and matrix 1/-1/inf/-inf norms: ties split evenly.
  Matrix 2/-2: the singular vectors of the extreme singular value, ties split evenly;
  nuclear norm ``U @ Vh`` of the reduced SVD; singular values equal to 0 contribute nothing.
  Second derivatives: exact for the 2-norm, Frobenius and p-norms (NaN at zero entries when
  1 < p < 2, where it is infinite), zero for the piecewise linear norms; none for the
  nuclear and spectral matrix norms (reported when compiling for ``ord='nuc'``, or
  ``ord=2``/``-2`` with a literal 2-tuple ``axis``; otherwise a ValueError when the second
  derivative runs).
* Ties are detected by exact equality: values that tie mathematically but differ by rounding
  (column sums of ``|x|`` in another order, say) are not ties.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from srcdiff import runtime as rt
from srcdiff.rules.numpy_rules import (
    _MAX_SIGNATURE,
    _SUM_SIGNATURE,
    _axis_args,
    _axis_keywords,
    _is_literal,
    _keepdims_keyword,
    _tie_args,
)
from srcdiff.rules.registry import Template, defmethod, defrule, nondiff

nondiff(rt.nan_tie_weights, rt.nanmean_weights, rt.ptp_weights, rt.not_returned)


def _axis_only(consts: Mapping[str, Any]) -> str:
    """``, axis`` unless the reduction is over every axis (a literal None)."""
    return "" if _is_literal(consts, "axis", None) else ", axis"


def _count(consts: Mapping[str, Any]) -> str:
    """The number of entries of ``a`` that each result combines."""
    return "np.size(a)" if _is_literal(consts, "axis", None) else "reduced_size(a, axis)"


def _fields(consts: Mapping[str, Any]) -> dict[str, str]:
    return {"axis": _axis_args(consts), "ties": _tie_args(consts), "kw": _axis_keywords(consts),
            "kd": _keepdims_keyword(consts), "ax": _axis_only(consts), "n": _count(consts)}


def _fill(template: str) -> Template:
    """A reduction's template: ``{axis}``, ``{ties}``, ``{kw}``, ``{kd}`` as in numpy_rules'
    ``_fill``; ``{ax}`` is ``, axis`` (or nothing for a literal None); ``{n}`` the number of
    entries of ``a`` each result combines."""
    return lambda consts: template.format(**_fields(consts))


def _reduction(funcs: object, signature: str, vjp: str, jvp: str, batch_vjp: str,
               batch_jvp: str) -> None:
    """A reduction ``f(a, axis, ...)`` differentiable in ``a`` only (``dtype`` has a zero
    derivative)."""
    zero = {"dtype": None} if "dtype" in signature else {}
    defrule(funcs, signature, vjp={"a": _fill(vjp), **zero}, jvp={"a": _fill(jvp), **zero},
            batch_vjp={"a": _fill(batch_vjp), **zero}, batch_jvp={"a": _fill(batch_jvp), **zero})


# ---------------------------------------------------------------------------------------------
# Products.
# ---------------------------------------------------------------------------------------------

_reduction(np.prod, _SUM_SIGNATURE,
           "repeat_to_shape(dy, a{axis}) * prod_others(a{ax})",
           "np.sum(da * prod_others(a{ax}){kw})",
           "batch_repeat_to_shape(dy, a{axis}) * prod_others(a{ax})",
           "np.sum(da * prod_others(a{ax}), axis=batch_axis(axis, a){kd})")

# prod_others: its Jacobian (products of all entries but two) is symmetric.
defrule(rt.prod_others, "a, axis=None",
        vjp={"a": "prod_others_jvp(dy, a, axis)", "axis": None},
        jvp={"a": "prod_others_jvp(da, a, axis)", "axis": None},
        batch_vjp={"a": "prod_others_jvp(dy, a, axis)", "axis": None},
        batch_jvp={"a": "prod_others_jvp(da, a, axis)", "axis": None})
defrule(rt.prod_others_jvp, "t, a, axis=None",  # third derivatives (in a): not provided
        vjp={"t": "prod_others_jvp(dy, a, axis)", "axis": None},
        jvp={"t": "prod_others_jvp(dt, a, axis)", "axis": None},
        batch_vjp={"t": "prod_others_jvp(dy, a, axis)", "axis": None},
        batch_jvp={"t": "prod_others_jvp(dt, a, axis)", "axis": None})

# ---------------------------------------------------------------------------------------------
# Moments.
# ---------------------------------------------------------------------------------------------

_VAR_SIGNATURE = "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False"

#: One over the result ``y``, and 0 where ``y`` is 0 (then the derivative of this derivative
#: is 0 there too): the derivative of a standard deviation or a norm at 0 is 0.
_RECIPROCAL = "np.where(y == 0, 0, 1 / np.where(y == 0, 1, y))"


def _centered(consts: Mapping[str, Any]) -> str:
    """``a`` minus its mean over the reduced axes (kept, so it broadcasts against ``a``)."""
    if _is_literal(consts, "axis", None):
        return "(a - np.mean(a, keepdims=True))"
    return "(a - np.mean(a, axis=axis, keepdims=True))"


def _moment(template: str) -> Template:
    """``{c}`` is ``a`` centered, ``{r}`` the safe reciprocal of ``y`` (0 where ``y`` is 0),
    the other fields as in ``_fill``."""
    return lambda consts: template.format(
        c=_centered(consts), r=_RECIPROCAL,
        **_fields(consts))


def _moment_rule(funcs: object, vjp: str, jvp: str, batch_vjp: str, batch_jvp: str) -> None:
    defrule(funcs, _VAR_SIGNATURE,
            vjp={"a": _moment(vjp), "dtype": None}, jvp={"a": _moment(jvp), "dtype": None},
            batch_vjp={"a": _moment(batch_vjp), "dtype": None},
            batch_jvp={"a": _moment(batch_jvp), "dtype": None})


_moment_rule(np.var,
             "repeat_to_shape(dy, a{axis}) * {c} * (2 / ({n} - ddof))",
             "np.sum(da * {c}{kw}) * (2 / ({n} - ddof))",
             "batch_repeat_to_shape(dy, a{axis}) * {c} * (2 / ({n} - ddof))",
             "np.sum(da * {c}, axis=batch_axis(axis, a){kd}) * (2 / ({n} - ddof))")
_moment_rule(np.std,
             "repeat_to_shape(dy * {r}, a{axis}) * {c} / ({n} - ddof)",
             "np.sum(da * {c}{kw}) * {r} / ({n} - ddof)",
             "batch_repeat_to_shape(dy * {r}, a{axis}) * {c} / ({n} - ddof)",
             "np.sum(da * {c}, axis=batch_axis(axis, a){kd}) * {r} / ({n} - ddof)")

# ---------------------------------------------------------------------------------------------
# NaN-ignoring reductions: NaN entries get a zero derivative.
# ---------------------------------------------------------------------------------------------

_reduction(np.nansum, _SUM_SIGNATURE,
           "repeat_to_shape(dy, a{axis}) * ~np.isnan(a)",
           "np.sum(np.where(np.isnan(a), 0, da){kw})",
           "batch_repeat_to_shape(dy, a{axis}) * ~np.isnan(a)",
           "np.sum(np.where(np.isnan(a), 0, da), axis=batch_axis(axis, a){kd})")
_reduction(np.nanmean, _SUM_SIGNATURE,
           "repeat_to_shape(dy, a{axis}) * nanmean_weights(a{ax})",
           "np.sum(np.where(np.isnan(a), 0, da) * nanmean_weights(a{ax}){kw})",
           "batch_repeat_to_shape(dy, a{axis}) * nanmean_weights(a{ax})",
           "np.sum(np.where(np.isnan(a), 0, da) * nanmean_weights(a{ax}), "
           "axis=batch_axis(axis, a){kd})")
for _func in (np.nanmax, np.nanmin):
    _reduction(_func, _MAX_SIGNATURE,
               "repeat_to_shape(dy, a{axis}) * nan_tie_weights(a, y{ties})",
               "np.sum(np.where(np.isnan(a), 0, da) * nan_tie_weights(a, y{ties}){kw})",
               "batch_repeat_to_shape(dy, a{axis}) * nan_tie_weights(a, y{ties})",
               "np.sum(np.where(np.isnan(a), 0, da) * nan_tie_weights(a, y{ties}), "
               "axis=batch_axis(axis, a){kd})")
_reduction(np.ptp, _MAX_SIGNATURE,
           "repeat_to_shape(dy, a{axis}) * ptp_weights(a{ax})",
           "np.sum(da * ptp_weights(a{ax}){kw})",
           "batch_repeat_to_shape(dy, a{axis}) * ptp_weights(a{ax})",
           "np.sum(da * ptp_weights(a{ax}), axis=batch_axis(axis, a){kd})")

# ---------------------------------------------------------------------------------------------
# Weighted average: y = sum(W a) / sum(W), W the weights broadcast to a's shape.
# ---------------------------------------------------------------------------------------------


def _average(forms: tuple[str, str], param: str) -> Template:
    """An ``np.average`` template: ``forms`` is (with weights, with literal ``weights=None``);
    in the first, ``{W}`` stands for the weights at ``a``'s shape, ``{S}`` their sum per
    result, ``{d}`` ``a`` minus the average. Only ``returned=False``: a literal True has no
    derivative, a value that is not a literal is checked when the derivative runs."""

    def build(consts: Mapping[str, Any]) -> str:
        if consts.get("returned") is True:
            raise KeyError(param)
        weighted, plain = forms
        if _is_literal(consts, "weights", None) and plain:
            text = plain
        else:
            weights = "full_weights(weights, weights, a, axis)"
            text = weighted.format(W=weights, S=f"np.sum({weights}{_axis_keywords(consts)})",
                                   d="(a - repeat_to_shape(y, a{axis}))")
        text = text.format(**_fields(consts))
        if consts.get("returned", "?") is not False:
            text = f"not_returned(returned) * ({text})"  # checked first
        return text

    return build


_AVERAGE = {  # mode: parameter: (with weights, with weights=None)
    "vjp": {"a": ("repeat_to_shape(dy / {S}, a{{axis}}) * {W}",
                  "repeat_to_shape(dy, a{axis}) / {n}"),
            "weights": ("weights_adjoint(repeat_to_shape(dy / {S}, a{{axis}}) * {d}, weights, "
                        "a, axis)", "")},
    "jvp": {"a": ("np.sum(da * {W}{{kw}}) / {S}", "np.mean(da{kw})"),
            "weights": ("np.sum(full_weights(dweights, weights, a, axis) * {d}{{kw}}) / {S}",
                        "")},
    "batch_vjp": {"a": ("batch_repeat_to_shape(dy / {S}, a{{axis}}) * {W}",
                        "batch_repeat_to_shape(dy, a{axis}) / {n}"),
                  "weights": ("weights_adjoint(batch_repeat_to_shape(dy / {S}, a{{axis}}) * {d}, "
                              "weights, a, axis)", "")},
    "batch_jvp": {"a": ("np.sum(da * {W}, axis=batch_axis(axis, a){{kd}}) / {S}",
                        "np.mean(da, axis=batch_axis(axis, a){kd})"),
                  "weights": ("np.sum(full_weights(dweights, weights, a, axis) * {d}, "
                              "axis=batch_axis(axis, a){{kd}}) / {S}", "")},
}
defrule(np.average, "a, axis=None, weights=None, returned=False, keepdims=False",
        **{mode: {"a": _average(table["a"], "a"), "weights": _average(table["weights"], "weights"),
                  "returned": None}
           for mode, table in _AVERAGE.items()})

# full_weights(t, weights, a, axis) is linear in t (the weights or a tangent of them).
defrule(rt.full_weights, "t, weights, a, axis=None",
        vjp={"t": "weights_adjoint(dy, weights, a, axis)", "weights": None, "a": None,
             "axis": None},
        jvp={"t": "full_weights(dt, weights, a, axis)", "weights": None, "a": None,
             "axis": None},
        batch_vjp={"t": "weights_adjoint(dy, weights, a, axis)", "weights": None, "a": None,
                   "axis": None},
        batch_jvp={"t": "full_weights(dt, weights, a, axis)", "weights": None, "a": None,
                   "axis": None})
defrule(rt.weights_adjoint, "g, weights, a, axis=None",
        vjp={"g": "full_weights(dy, weights, a, axis)", "weights": None, "a": None,
             "axis": None},
        jvp={"g": "weights_adjoint(dg, weights, a, axis)", "weights": None, "a": None,
             "axis": None},
        batch_vjp={"g": "full_weights(dy, weights, a, axis)", "weights": None, "a": None,
                   "axis": None},
        batch_jvp={"g": "weights_adjoint(dg, weights, a, axis)", "weights": None, "a": None,
                   "axis": None})

# ---------------------------------------------------------------------------------------------
# Cumulative sums and products (axis None flattens).
# ---------------------------------------------------------------------------------------------

_SCAN_SIGNATURE = "a, axis=None, dtype=None, out=None"
defrule(np.cumsum, _SCAN_SIGNATURE,
        vjp={"a": "cumsum_vjp(dy, a, axis)", "dtype": None},
        jvp={"a": "np.cumsum(da, axis)", "dtype": None},
        batch_vjp={"a": "cumsum_vjp(dy, a, axis)", "dtype": None},
        batch_jvp={"a": "cumsum_along(da, a, axis)", "dtype": None})
defrule(rt.cumsum_vjp, "g, like, axis=None",
        vjp={"g": "cumsum_along(dy, like, axis)", "like": None, "axis": None},
        jvp={"g": "cumsum_vjp(dg, like, axis)", "like": None, "axis": None},
        batch_vjp={"g": "cumsum_along(dy, like, axis)", "like": None, "axis": None},
        batch_jvp={"g": "cumsum_vjp(dg, like, axis)", "like": None, "axis": None})
defrule(rt.cumsum_along, "t, like, axis=None",
        vjp={"t": "cumsum_vjp(dy, like, axis)", "like": None, "axis": None},
        jvp={"t": "cumsum_along(dt, like, axis)", "like": None, "axis": None},
        batch_vjp={"t": "cumsum_vjp(dy, like, axis)", "like": None, "axis": None},
        batch_jvp={"t": "cumsum_along(dt, like, axis)", "like": None, "axis": None})


def _same(vjp: Mapping[str, str | None], jvp: Mapping[str, str | None]) -> dict[str, Any]:
    """Plain and batched templates alike: the helpers accept a batch axis in the seed."""
    return {"vjp": vjp, "jvp": jvp, "batch_vjp": vjp, "batch_jvp": jvp}


defrule(np.cumprod, _SCAN_SIGNATURE,
        **_same({"a": "cumprod_vjp(dy, a, axis)", "dtype": None},
                {"a": "cumprod_jvp(da, a, axis)", "dtype": None}))
defrule(rt.cumprod_jvp, "t, a, axis=None",
        **_same({"t": "cumprod_vjp(dy, a, axis)", "a": "cumprod_mixed(dy, t, a, axis)",
                 "axis": None},
                {"t": "cumprod_jvp(dt, a, axis)", "a": "cumprod_hvp(t, da, a, axis)",
                 "axis": None}))
defrule(rt.cumprod_vjp, "g, a, axis=None",
        **_same({"g": "cumprod_jvp(dy, a, axis)", "a": "cumprod_mixed(g, dy, a, axis)",
                 "axis": None},
                {"g": "cumprod_vjp(dg, a, axis)", "a": "cumprod_mixed(g, da, a, axis)",
                 "axis": None}))
# Second derivatives: bilinear in their first two arguments; third derivatives (in a) are
# not provided.
defrule(rt.cumprod_hvp, "t, s, a, axis=None",
        **_same({"t": "cumprod_mixed(dy, s, a, axis)", "s": "cumprod_mixed(dy, t, a, axis)",
                 "axis": None},
                {"t": "cumprod_hvp(dt, s, a, axis)", "s": "cumprod_hvp(t, ds, a, axis)",
                 "axis": None}))
defrule(rt.cumprod_mixed, "g, t, a, axis=None",
        **_same({"g": "cumprod_hvp(t, dy, a, axis)", "t": "cumprod_mixed(g, dy, a, axis)",
                 "axis": None},
                {"g": "cumprod_mixed(dg, t, a, axis)", "t": "cumprod_mixed(g, dt, a, axis)",
                 "axis": None}))

# ---------------------------------------------------------------------------------------------
# np.linalg.norm: the 2-norm and Frobenius norm in plain NumPy (so that their Hessians go
# through the rules of np.where, np.sum...), every other order through norm_grad.
# ---------------------------------------------------------------------------------------------


def _euclidean(consts: Mapping[str, Any]) -> bool:
    """Whether the norm is the square root of a sum of squares whatever the shape of ``x``:
    ord None or 'fro', or ord 2 along one literal axis."""
    if "ord" not in consts:
        return False
    ord_, axis = consts["ord"], consts.get("axis", "?")
    if ord_ is None or ord_ in ("fro", "f"):
        return True
    single = (isinstance(axis, int) and not isinstance(axis, bool)) or \
        (isinstance(axis, tuple) and len(axis) == 1)
    return ord_ == 2 and not isinstance(ord_, bool) and single


def _norm(euclidean: str, general: str) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        text = euclidean if _euclidean(consts) else general
        return text.format(r=_RECIPROCAL, **_fields(consts))

    return build


defrule(np.linalg.norm, "x, ord=None, axis=None, keepdims=False",
        vjp={"x": _norm("repeat_to_shape(dy * {r}, x{axis}) * x",
                        "repeat_to_shape(dy, x{axis}) * norm_grad(x, ord, axis)")},
        jvp={"x": _norm("np.sum(dx * x{kw}) * {r}",
                        "np.sum(dx * norm_grad(x, ord, axis){kw})")},
        batch_vjp={"x": _norm("batch_repeat_to_shape(dy * {r}, x{axis}) * x",
                              "batch_repeat_to_shape(dy, x{axis}) * norm_grad(x, ord, axis)")},
        batch_jvp={"x": _norm("np.sum(dx * x, axis=batch_axis(axis, x){kd}) * {r}",
                              "np.sum(dx * norm_grad(x, ord, axis), axis=batch_axis(axis, x)"
                              "{kd})")})


def _norm_second(template: str) -> Template:
    """A second derivative of a norm: refused (KeyError) for the nuclear and spectral matrix
    norms when the call says so literally; ``norm_hvp`` refuses them at run time otherwise."""

    def build(consts: Mapping[str, Any]) -> str:
        ord_, axis = consts.get("ord"), consts.get("axis")
        matrix = isinstance(axis, tuple) and len(axis) == 2
        if ord_ == "nuc" or (matrix and ord_ in (2, -2) and not isinstance(ord_, bool)):
            raise KeyError("x")
        return template

    return build


# norm_grad's Jacobian is each norm's Hessian: symmetric. Third derivatives: not provided.
defrule(rt.norm_grad, "x, ord=None, axis=None",
        **_same({"x": _norm_second("norm_hvp(dy, x, ord, axis)")},
                {"x": _norm_second("norm_hvp(dx, x, ord, axis)")}))
defrule(rt.norm_hvp, "t, x, ord=None, axis=None",
        **_same({"t": "norm_hvp(dy, x, ord, axis)"}, {"t": "norm_hvp(dt, x, ord, axis)"}))

# ---------------------------------------------------------------------------------------------
# Array methods (x.ptp() is gone in NumPy 2).
# ---------------------------------------------------------------------------------------------

defmethod("prod", np.prod)
defmethod("var", np.var)
defmethod("std", np.std)
defmethod("cumsum", np.cumsum)
defmethod("cumprod", np.cumprod)
defmethod("all", np.all)  # np.all and np.any have no derivative (numpy_rules)
defmethod("any", np.any)
