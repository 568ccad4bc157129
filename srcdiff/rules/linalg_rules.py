"""Derivative rules of NumPy's products and linear algebra (see :mod:`srcdiff.rules.registry`
for the template vocabulary and :mod:`srcdiff.rules.numpy_rules` for the conventions).

Products: ``np.vdot``, ``np.inner``, ``np.outer``, ``np.tensordot``, ``np.einsum``,
``np.kron``, ``np.cross``. Linear algebra, on a matrix or a stack of matrices (leading axes)
as NumPy allows: ``np.linalg.inv``, ``solve``, ``det``, ``slogdet``, ``cholesky``, ``eigh``,
``eigvalsh``, ``svd``, ``pinv``, ``qr`` and ``matrix_power``.

Templates are built from NumPy calls and small linear helpers of :mod:`srcdiff.runtime`
(``matrix_transpose``, ``diag_embed``, ``symmetrize``...), each with its own rule, so that the
generated derivative can be differentiated again (Hessians). The formulas are the standard
matrix derivatives (Giles 2008; Murray 2016 for Cholesky; Townsend for the SVD).

Conventions, and where the derivative is not defined:

* real arrays only (``np.vdot`` does not conjugate);
* ``np.einsum``: up to 8 operands, subscripts a string (implicit output, ``...`` and
  repeated labels allowed; a literal string gives readable ``np.einsum`` adjoints, a runtime
  string goes through ``runtime.einsum_adjoint``); the sublist form ``np.einsum(a, [0, 1])``
  has no derivative; ``np.outer`` and ``np.vdot`` flatten their operands as NumPy does;
* ``np.cross``: vectors of 2 or 3 components (a 2-vector has a zero third component), any
  ``axisa``/``axisb``/``axisc``/``axis``;
* ``inv``, ``solve``, ``det``, ``slogdet``, ``pinv`` (full rank), ``matrix_power`` (negative
  powers), ``cholesky`` and ``qr`` (nonzero diagonal of R) need nonsingular matrices: at a
  singular one NumPy raises ``LinAlgError`` (``det``'s derivative is computed through the
  inverse, so it is not given at singular matrices either);
* ``slogdet`` returns ``(sign, logabsdet)``: the sign has zero derivative;
* ``eigh``, ``eigvalsh`` and ``cholesky`` read one triangle of their argument (``UPLO``;
  ``cholesky(..., upper=True)`` the upper one) and their derivative is the derivative of that
  function of the argument: zero with respect to the other triangle. Differentiate with
  respect to a symmetric matrix by building it in the code (``S = M + M.T``);
* ``eigh``: distinct eigenvalues are assumed (the eigenvector derivative is infinite at a tie);
  ``svd``: distinct, nonzero singular values; both are defined for the eigenvectors/singular
  vectors NumPy returns, whose signs are arbitrary: only functions invariant under those sign
  flips (``v @ np.diag(w) @ v.T``, ``u @ vh``, ``np.abs(v)``) are meaningful;
* ``svd(a, full_matrices=True)`` (the default) is differentiated for square matrices only
  (a non-square one raises ValueError at run time: its extra singular vectors are not
  unique); ``hermitian=True`` (``svd``, ``pinv``) is not supported;
* ``qr``: square or tall matrices, modes 'reduced' and 'r' ('complete' for square ones);
* ``pinv``: full rank is assumed; ``rcond``/``rtol`` have zero derivative;
* the adjoints of ``np.tensordot``, ``np.inner``, ``np.kron``, ``np.cross`` and of an einsum
  whose subscripts are only known at run time are helpers (``einsum_adjoint``, ``kron_vjp``,
  ``cross_vjp``) with forward rules only: Hessians (forward over reverse) work, reverse over
  reverse reports that they have no reverse derivative;
* tuple results (``slogdet``, ``eigh``, ``svd``, ``qr``): an unused item has no adjoint
  (``None``, zero); their forward templates return a tuple of tangents, their batched forms
  tuples of batches (``slogdet`` has no batched forward form: the rule harness batches a tuple
  as one array, and checks it).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from srcdiff import runtime as rt
from srcdiff.rules.registry import Template, defrule, nondiff

# ---------------------------------------------------------------------------------------------
# Helpers of templates.
# ---------------------------------------------------------------------------------------------

SLOTS = tuple(f"x{j}" for j in range(8))  # the operands of np.einsum
_EINSUM_SIGNATURE = "subscripts, " + ", ".join(f"{x}=None" for x in SLOTS) + ", optimize=False"


def _literal(consts: Mapping[str, Any], name: str, value: Any) -> bool:
    return name in consts and consts[name] is value


def _format(template: str, **parts: str) -> str:
    """``template`` with ``{name}`` replaced by ``parts[name]`` (other braces left alone)."""
    for name, text in parts.items():
        template = template.replace("{" + name + "}", text)
    return template


# ---------------------------------------------------------------------------------------------
# Products.
# ---------------------------------------------------------------------------------------------

defrule(np.vdot, "a, b",
        vjp={"a": "np.reshape(dy * np.reshape(b, -1), np.shape(a))",
             "b": "np.reshape(dy * np.reshape(a, -1), np.shape(b))"},
        jvp={"a": "np.vdot(da, b)", "b": "np.vdot(a, db)"},
        batch_vjp={"a": "batch_reshape(np.einsum('z,i->zi', dy, np.reshape(b, -1)), np.shape(a))",
                   "b": "batch_reshape(np.einsum('z,i->zi', dy, np.reshape(a, -1)), np.shape(b))"},
        batch_jvp={"a": "batch_reshape(da, -1) @ np.reshape(b, -1)",
                   "b": "batch_reshape(db, -1) @ np.reshape(a, -1)"})
defrule(np.outer, "a, b",
        vjp={"a": "np.reshape(dy @ np.reshape(b, -1), np.shape(a))",
             "b": "np.reshape(np.reshape(a, -1) @ dy, np.shape(b))"},
        jvp={"a": "np.outer(da, b)", "b": "np.outer(a, db)"},
        batch_vjp={"a": "batch_reshape(dy @ np.reshape(b, -1), np.shape(a))",
                   "b": "batch_reshape(np.reshape(a, -1) @ dy, np.shape(b))"},
        batch_jvp={"a": "np.einsum('zi,j->zij', batch_reshape(da, -1), np.reshape(b, -1))",
                   "b": "np.einsum('i,zj->zij', np.reshape(a, -1), batch_reshape(db, -1))"})


def _by_subscripts(subscripts: str, func: str) -> dict[str, dict[str, Template]]:
    """The tables of a product of two operands that is an einsum whose subscripts
    ``subscripts`` (an expression over ``a``, ``b``) are known once the shapes are."""
    return {
        "vjp": {"a": f"einsum_adjoint(dy, {subscripts}, 0, np.shape(a), None, b)",
                "b": f"einsum_adjoint(dy, {subscripts}, 1, np.shape(b), a)"},
        "jvp": {"a": f"{func.format(a='da', b='b')}", "b": f"{func.format(a='a', b='db')}"},
        "batch_vjp": {
            "a": f"einsum_adjoint(dy, {subscripts}, 0, np.shape(a), None, b, batched=-1)",
            "b": f"einsum_adjoint(dy, {subscripts}, 1, np.shape(b), a, batched=-1)"},
        "batch_jvp": {"a": f"einsum_replace({subscripts}, 0, da, None, b, batched=0)",
                      "b": f"einsum_replace({subscripts}, 1, db, a, batched=1)"},
    }


_INNER = _by_subscripts("inner_subscripts(a, b)", "np.inner({a}, {b})")
defrule(np.inner, "a, b", **_INNER)
_TENSORDOT = _by_subscripts("tensordot_subscripts(a, b, axes)", "np.tensordot({a}, {b}, axes)")
defrule(np.tensordot, "a, b, axes=2",
        **{mode: {**table, "axes": None} for mode, table in _TENSORDOT.items()})

defrule(np.kron, "a, b",
        vjp={"a": "kron_vjp(dy, 0, np.shape(a), None, b)",
             "b": "kron_vjp(dy, 1, np.shape(b), a)"},
        jvp={"a": "np.kron(da, b)", "b": "np.kron(a, db)"},
        batch_vjp={"a": "kron_vjp(dy, 0, np.shape(a), None, b, 1)",
                   "b": "kron_vjp(dy, 1, np.shape(b), a, None, 1)"},
        batch_jvp={"a": "batch_kron(da, b, True, False)", "b": "batch_kron(a, db, False, True)"})

_CROSS_AXES = ("axisa", "axisb", "axisc", "axis")
_CROSS_DEFAULTS = {"axisa": -1, "axisb": -1, "axisc": -1, "axis": None}


def _cross(template: str) -> Template:
    """A template of ``np.cross``: ``{axes}`` stands for the axis arguments, left out when
    they are the literal defaults."""

    def build(consts: Mapping[str, Any]) -> str:
        default = all(name in consts and consts[name] == value and
                      type(consts[name]) is type(value)
                      for name, value in _CROSS_DEFAULTS.items())
        return _format(template, axes="" if default else ", " + ", ".join(_CROSS_AXES))

    return build


_CROSS_NONE = dict.fromkeys(_CROSS_AXES)
defrule(np.cross, "a, b, axisa=-1, axisb=-1, axisc=-1, axis=None",
        vjp={"a": _cross("cross_vjp(dy, 0, np.shape(a), None, b{axes})"),
             "b": _cross("cross_vjp(dy, 1, np.shape(b), a, None{axes})"), **_CROSS_NONE},
        jvp={"a": _cross("np.cross(da, b{axes})"), "b": _cross("np.cross(a, db{axes})"),
             **_CROSS_NONE},
        batch_vjp={"a": _cross("cross_vjp(dy, 0, np.shape(a), None, b{axes}, batched=1)"),
                   "b": _cross("cross_vjp(dy, 1, np.shape(b), a, None{axes}, batched=1)"),
                   **_CROSS_NONE},
        batch_jvp={"a": _cross("batch_cross(da, b, True, False{axes})"),
                   "b": _cross("batch_cross(a, db, False, True{axes})"), **_CROSS_NONE})


# np.einsum(subscripts, *operands): the operands are the parameters x0..x7.
def _einsum_literal(consts: Mapping[str, Any], j: int) -> int | None:
    """The number of operands when the subscripts are a literal string naming operand ``j``
    and they parse, else None (the runtime helpers then build the subscripts)."""
    subscripts = consts.get("subscripts")
    if not isinstance(subscripts, str):
        return None
    count = rt.einsum_count(subscripts)
    if count > len(SLOTS):
        raise KeyError(f"x{j}")  # more operands than the rule has parameters
    if j >= count:
        return None
    try:
        rt.einsum_labels(subscripts, count)
    except (ValueError, IndexError):
        return None
    return count


def _optimize(consts: Mapping[str, Any]) -> str:
    return "" if _literal(consts, "optimize", False) else ", optimize=optimize"


def _slots(j: int, value: str, count: int = len(SLOTS)) -> str:
    """The operands ``x0, ..., x{count-1}`` with slot ``j`` holding ``value``."""
    return ", ".join(value if i == j else x for i, x in enumerate(SLOTS[:count]))


def _einsum_vjp(j: int, batched: bool) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        count = _einsum_literal(consts, j)
        batch = ", batched=-1" if batched else ""
        if count is None:
            return (f"einsum_adjoint(dy, subscripts, {j}, np.shape(x{j}), "
                    f"{_slots(j, 'None')}{_optimize(consts)}{batch})")
        spec, sources = rt.einsum_adjoint_plan(consts["subscripts"], j, count,
                                               -1 if batched else None)
        operands = []
        for source in sources:
            if source[0] == "g":
                operands.append("dy")
            elif source[0] == "x":
                operands.append(f"x{source[1]}")
            elif source[0] == "ones":
                operands.append(f"np.ones(np.shape(x{j}))")
            else:
                operands.append(f"np.eye(np.shape(x{j})[{source[1]}])")
        helper = "batch_unbroadcast" if batched else "unbroadcast"
        return (f"{helper}(np.einsum({spec!r}, {', '.join(operands)}{_optimize(consts)}), "
                f"x{j})")

    return build


def _einsum_jvp(j: int, batched: bool) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        count = _einsum_literal(consts, j)
        if count is None:
            batch = f", batched={j}" if batched else ""
            return (f"einsum_replace(subscripts, {j}, dx{j}, {_slots(j, 'None')}"
                    f"{_optimize(consts)}{batch})")
        spec = rt.einsum_batch_spec(consts["subscripts"], count, j) if batched else None
        subscripts = repr(spec) if batched else "subscripts"
        return f"np.einsum({subscripts}, {_slots(j, f'dx{j}', count)}{_optimize(consts)})"

    return build


defrule(np.einsum, _EINSUM_SIGNATURE,
        vjp={**{x: _einsum_vjp(j, False) for j, x in enumerate(SLOTS)}, "optimize": None},
        jvp={**{x: _einsum_jvp(j, False) for j, x in enumerate(SLOTS)}, "optimize": None},
        batch_vjp={**{x: _einsum_vjp(j, True) for j, x in enumerate(SLOTS)}, "optimize": None},
        batch_jvp={**{x: _einsum_jvp(j, True) for j, x in enumerate(SLOTS)}, "optimize": None})

# ---------------------------------------------------------------------------------------------
# Linear algebra on (stacks of) matrices.
# ---------------------------------------------------------------------------------------------

_INV_VJP = "-(matrix_transpose(y) @ dy @ matrix_transpose(y))"
_INV_JVP = "-(y @ da @ y)"
defrule(np.linalg.inv, "a", name="np.linalg.inv", vjp={"a": _INV_VJP}, jvp={"a": _INV_JVP},
        batch_vjp={"a": _INV_VJP}, batch_jvp={"a": _INV_JVP})

def _batched_items(template: str) -> str:
    """The batched form of a template over the adjoint of a tuple result: a tuple of batches,
    whose items without adjoint get a batch of zeros."""
    return template.replace("tuple_item(", "batch_tuple_item(")


_DET_VJP = "np.einsum('...,...ji->...ij', dy * y, np.linalg.inv(a))"
_DET_JVP = "y * np.einsum('...ji,...ij->...', np.linalg.inv(a), da)"
defrule(np.linalg.det, "a", name="np.linalg.det", vjp={"a": _DET_VJP}, jvp={"a": _DET_JVP},
        batch_vjp={"a": _DET_VJP}, batch_jvp={"a": _DET_JVP})

_SLOGDET_VJP = "np.einsum('...,...ji->...ij', tuple_item(dy, 1, y[1]), np.linalg.inv(a))"
defrule(np.linalg.slogdet, "a", name="np.linalg.slogdet",
        vjp={"a": _SLOGDET_VJP}, jvp={"a": "slogdet_jvp(da, a, y)"},
        batch_vjp={"a": _batched_items(_SLOGDET_VJP)}, batch_jvp={})

# x = solve(a, b): b is a vector when 1-D, else a (stack of) matrices; as_columns makes both
# a stack of matrices. db = solve(a.T, dy), da = -db x.T.
_SOLVE_DB = "np.linalg.solve(matrix_transpose(a), as_columns(dy, b))"
_SOLVE_VJP = {"a": f"{{u}}(-({_SOLVE_DB} @ matrix_transpose(as_columns(y, b))), a)",
              "b": f"{{u}}(from_columns({_SOLVE_DB}, b), b)"}
defrule(np.linalg.solve, "a, b", name="np.linalg.solve",
        vjp={p: t.format(u="unbroadcast") for p, t in _SOLVE_VJP.items()},
        jvp={"a": "from_columns(-np.linalg.solve(a, da @ as_columns(y, b)), b)",
             "b": "from_columns(np.linalg.solve(a, as_columns(db, b)), b)"},
        batch_vjp={p: t.format(u="batch_unbroadcast") for p, t in _SOLVE_VJP.items()},
        batch_jvp={"a": "from_columns(-np.linalg.solve(a, lift(da, as_columns(y, b)) "
                        "@ as_columns(y, b)), b)",
                   "b": "from_columns(np.linalg.solve(a, lift(as_columns(db, b), "
                        "as_columns(y, b))), b)"})

# matrix_power(a, n): the derivative of a matrix function f in direction e is the upper right
# block of f([[a, e], [0, a]]) (for every integer n, negative ones included).
_POWER_VJP = "upper_right(np.linalg.matrix_power(block2(matrix_transpose(a), dy), n))"
_POWER_JVP = "upper_right(np.linalg.matrix_power(block2(a, da), n))"
defrule(np.linalg.matrix_power, "a, n", name="np.linalg.matrix_power",
        vjp={"a": _POWER_VJP, "n": None},
        jvp={"a": _POWER_JVP, "n": None}, batch_vjp={"a": _POWER_VJP, "n": None},
        batch_jvp={"a": _POWER_JVP, "n": None})

# pinv (constant rank): dP = -P dA P + P P' dA' (I - A P) + (I - P A) dA' P' P.
_PINV_VJP = ("-(matrix_transpose(y) @ dy @ matrix_transpose(y)) "
             "+ (matrix_transpose(dy) - a @ (y @ matrix_transpose(dy))) "
             "@ (y @ matrix_transpose(y)) "
             "+ (matrix_transpose(y) @ y) @ (matrix_transpose(dy) - (matrix_transpose(dy) @ y) "
             "@ a)")
_PINV_JVP = ("-(y @ da @ y) + (y @ matrix_transpose(y)) "
             "@ (matrix_transpose(da) - (matrix_transpose(da) @ a) @ y) "
             "+ (matrix_transpose(da) - y @ (a @ matrix_transpose(da))) "
             "@ (matrix_transpose(y) @ y)")


def _pinv(template: str) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        if _literal(consts, "hermitian", False):
            return template
        if _literal(consts, "hermitian", True):
            raise KeyError("a")  # reads one triangle only: not supported
        return f"checked({template}, hermitian_problem(hermitian, 'np.linalg.pinv'))"

    return build


_PINV_ZERO = {"rcond": None, "hermitian": None, "rtol": None}
defrule(np.linalg.pinv, "a, rcond=None, hermitian=False, rtol=None", name="np.linalg.pinv",
        vjp={"a": _pinv(_PINV_VJP), **_PINV_ZERO}, jvp={"a": _pinv(_PINV_JVP), **_PINV_ZERO},
        batch_vjp={"a": _pinv(_PINV_VJP), **_PINV_ZERO},
        batch_jvp={"a": _pinv(_PINV_JVP), **_PINV_ZERO})

# cholesky: A = L L', L lower. dL = L Phi(L^-1 dS L^-T) with Phi the lower triangle with halved
# diagonal and dS the symmetric matrix NumPy factors (one triangle mirrored); adjoint
# G = L^-T Phi(L' dL_bar) L^-1, folded onto that triangle. With upper=True the result is L'
# and the upper triangle is read.
_CHOL_VJP = ("symmetrize_adjoint(matrix_transpose(np.linalg.solve(matrix_transpose({L}), "
             "matrix_transpose(np.linalg.solve(matrix_transpose({L}), "
             "lower_half(matrix_transpose({L}) @ {G}))))), {UPLO})")
_CHOL_JVP = ("{L} @ lower_half(np.linalg.solve({L}, matrix_transpose(np.linalg.solve({L}, "
             "symmetrize(da, {UPLO})))))")
_CHOL_LOWER = {"vjp": _format(_CHOL_VJP, L="y", G="dy", UPLO="'L'"),
               "jvp": _format(_CHOL_JVP, L="y", UPLO="'L'")}
_CHOL_UPPER = {"vjp": _format(_CHOL_VJP, L="matrix_transpose(y)", G="matrix_transpose(dy)",
                              UPLO="'U'"),
               "jvp": "matrix_transpose(" + _format(_CHOL_JVP, L="matrix_transpose(y)",
                                                    UPLO="'U'") + ")"}


def _cholesky(mode: str) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        if _literal(consts, "upper", False):
            return _CHOL_LOWER[mode]
        if _literal(consts, "upper", True):
            return _CHOL_UPPER[mode]
        return f"({_CHOL_UPPER[mode]}) if upper else ({_CHOL_LOWER[mode]})"

    return build


defrule(np.linalg.cholesky, "a, upper=False", name="np.linalg.cholesky",
        vjp={"a": _cholesky("vjp"), "upper": None}, jvp={"a": _cholesky("jvp"), "upper": None},
        batch_vjp={"a": _cholesky("vjp"), "upper": None},
        batch_jvp={"a": _cholesky("jvp"), "upper": None})

# eigh: (w, v) with S = v diag(w) v'. dw = diag(P), dv = v (F * P), P = v' dS v, F the
# reciprocal eigenvalue gaps; adjoint v (diag(w_bar) + F * (v' v_bar)) v', folded onto the
# triangle that was read.
_EIGH_VJP = ("symmetrize_adjoint(y[1] @ (diag_embed(tuple_item(dy, 0, y[0])) "
             "+ eig_gaps(y[0]) * (matrix_transpose(y[1]) @ tuple_item(dy, 1, y[1]))) "
             "@ matrix_transpose(y[1]), UPLO)")
defrule(np.linalg.eigh, "a, UPLO='L'", name="np.linalg.eigh",
        vjp={"a": _EIGH_VJP, "UPLO": None}, jvp={"a": "eigh_jvp(da, y, UPLO)", "UPLO": None},
        batch_vjp={"a": _batched_items(_EIGH_VJP), "UPLO": None},
        batch_jvp={"a": "eigh_jvp(da, y, UPLO)", "UPLO": None})
_EIGVALSH_VJP = ("symmetrize_adjoint(np.linalg.eigh(a, UPLO)[1] @ diag_embed(dy) "
                 "@ matrix_transpose(np.linalg.eigh(a, UPLO)[1]), UPLO)")
_EIGVALSH_JVP = "eigvalsh_jvp(da, a, UPLO)"
defrule(np.linalg.eigvalsh, "a, UPLO='L'", name="np.linalg.eigvalsh",
        vjp={"a": _EIGVALSH_VJP, "UPLO": None}, jvp={"a": _EIGVALSH_JVP, "UPLO": None},
        batch_vjp={"a": _EIGVALSH_VJP, "UPLO": None},
        batch_jvp={"a": _EIGVALSH_JVP, "UPLO": None})

# svd (Townsend): with J = F * (u' u_bar - u_bar' u), K = F * (v' v_bar - v_bar' v), F the
# reciprocal gaps of s**2: a_bar = u (J S + diag(s_bar) + S K) v' + (I - u u') u_bar S^-1 v'
# + u S^-1 v_bar' (I - v v'). Items: u = y[0], s = y[1], vh = y[2] = v'.
# ``{first}`` marks the operand evaluated first: a run-time check (``checked``) wraps it when
# literal arguments do not already rule out an unsupported form.
_SVD_UV_VJP = _format(
    "{first} @ ((eig_gaps({S} * {S}) * ({X} - matrix_transpose({X}))) @ diag_embed({S}) "
    "+ diag_embed({GS}) + diag_embed({S}) @ (eig_gaps({S} * {S}) * ({Y} - matrix_transpose({Y})))"
    ") @ {VH} "
    "+ {U} @ diag_embed(1 / {S}) @ ({GVH} - {GVH} @ matrix_transpose({VH}) @ {VH}) "
    "+ ({GU} - {U} @ {X}) @ diag_embed(1 / {S}) @ {VH}",
    X="(matrix_transpose({U}) @ {GU})", Y="({VH} @ matrix_transpose({GVH}))")
_SVD_UV_VJP = _format(_SVD_UV_VJP, U="y[0]", S="y[1]", VH="y[2]", GU="tuple_item(dy, 0, y[0])",
                      GS="tuple_item(dy, 1, y[1])", GVH="tuple_item(dy, 2, y[2])")
_SVD_TEMPLATES = {  # (mode, compute_uv): (template, first operand)
    ("vjp", True): (_SVD_UV_VJP, "y[0]"),
    ("jvp", True): ("svd_jvp({first}, y)", "da"),
    ("vjp", False): ("{first}[0] @ diag_embed(dy) @ np.linalg.svd(a, full_matrices=False)[2]",
                     "np.linalg.svd(a, full_matrices=False)"),
    ("jvp", False): ("singular_values_jvp({first}, a)", "da"),
}


def _svd_one(mode: str, uv: bool, consts: Mapping[str, Any]) -> str:
    template, first = _SVD_TEMPLATES[mode, uv]
    if _literal(consts, "hermitian", False) and (not uv or
                                                 _literal(consts, "full_matrices", False)):
        return _format(template, first=first)
    problem = ("svd_problem(a, full_matrices, hermitian)" if uv else
               "hermitian_problem(hermitian, 'np.linalg.svd')")
    return _format(template, first=f"checked({first}, {problem})")


def _svd(mode: str, batched: bool) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        if _literal(consts, "hermitian", True):
            raise KeyError("a")  # reads one triangle only: not supported
        if _literal(consts, "compute_uv", False):
            text = _svd_one(mode, False, consts)
        elif _literal(consts, "compute_uv", True):
            text = _svd_one(mode, True, consts)
        else:
            text = (f"({_svd_one(mode, True, consts)}) if compute_uv else "
                    f"({_svd_one(mode, False, consts)})")
        return _batched_items(text) if batched else text

    return build


_SVD_ZERO = {"full_matrices": None, "compute_uv": None, "hermitian": None}
defrule(np.linalg.svd, "a, full_matrices=True, compute_uv=True, hermitian=False",
        name="np.linalg.svd",
        vjp={"a": _svd("vjp", False), **_SVD_ZERO}, jvp={"a": _svd("jvp", False), **_SVD_ZERO},
        batch_vjp={"a": _svd("vjp", True), **_SVD_ZERO},
        batch_jvp={"a": _svd("jvp", True), **_SVD_ZERO})

# qr (square or tall, R invertible): a_bar = (q_bar + q copyltu(M)) r^-T with
# M = r r_bar' - q_bar' q and copyltu(M) = symmetrize(M, 'L'). Mode 'r' returns r alone
# (q_bar = 0). The shapes and the mode are checked at run time (qr_problem).
_QR_CHECK = "qr_problem(a, mode)"
_QR_TEMPLATES = {  # (mode, r only)
    ("vjp", False): (
        f"matrix_transpose(np.linalg.solve(checked(y[1], {_QR_CHECK}), matrix_transpose("
        "tuple_item(dy, 0, y[0]) + y[0] @ symmetrize(y[1] @ matrix_transpose("
        "tuple_item(dy, 1, y[1])) - matrix_transpose(tuple_item(dy, 0, y[0])) @ y[0], 'L'))))"),
    ("jvp", False): f"qr_jvp(checked(da, {_QR_CHECK}), y)",
    ("vjp", True): (
        f"matrix_transpose(np.linalg.solve(checked(y, {_QR_CHECK}), matrix_transpose("
        "np.linalg.qr(a)[0] @ symmetrize(y @ matrix_transpose(dy), 'L'))))"),
    ("jvp", True): f"qr_jvp(checked(da, {_QR_CHECK}), np.linalg.qr(a))[1]",
}


def _qr(mode: str, batched: bool) -> Template:
    def build(consts: Mapping[str, Any]) -> str:
        kind = consts.get("mode", ...)
        if kind == "raw":
            raise KeyError("a")  # LAPACK's raw Householder form: not supported
        if kind == "r":
            text = _QR_TEMPLATES[mode, True]
        elif kind in ("reduced", "complete"):
            text = _QR_TEMPLATES[mode, False]
        else:
            text = (f"({_QR_TEMPLATES[mode, True]}) if mode == 'r' else "
                    f"({_QR_TEMPLATES[mode, False]})")
        return _batched_items(text) if batched else text

    return build


defrule(np.linalg.qr, "a, mode='reduced'", name="np.linalg.qr",
        vjp={"a": _qr("vjp", False), "mode": None}, jvp={"a": _qr("jvp", False), "mode": None},
        batch_vjp={"a": _qr("vjp", True), "mode": None},
        batch_jvp={"a": _qr("jvp", True), "mode": None})

# ---------------------------------------------------------------------------------------------
# Rules of the runtime helpers these templates call (so that derivatives can be
# differentiated again).
# ---------------------------------------------------------------------------------------------


def _linear(func: object, signature: str, vjp: str, jvp: str) -> None:
    """A helper linear in its first parameter whose other parameters are constants; the
    batched forms are the plain ones (the helper acts on trailing axes)."""
    params = [p.split("=")[0].strip() for p in signature.split(",")]
    zero = dict.fromkeys(params[1:])
    first = params[0]
    defrule(func, signature, vjp={first: vjp, **zero}, jvp={first: jvp, **zero},
            batch_vjp={first: vjp, **zero}, batch_jvp={first: jvp, **zero})


_linear(rt.matrix_transpose, "x", "matrix_transpose(dy)", "matrix_transpose(dx)")
_linear(rt.diag_part, "x", "diag_embed(dy)", "diag_part(dx)")
_linear(rt.diag_embed, "v", "diag_part(dy)", "diag_embed(dv)")
_linear(rt.lower_half, "x", "lower_half(dy)", "lower_half(dx)")
_linear(rt.symmetrize, "x, UPLO='L'", "symmetrize_adjoint(dy, UPLO)", "symmetrize(dx, UPLO)")
_linear(rt.symmetrize_adjoint, "g, UPLO='L'", "symmetrize(dy, UPLO)",
        "symmetrize_adjoint(dg, UPLO)")
_linear(rt.pair_diff, "w", "pair_diff_adjoint(dy)", "pair_diff(dw)")
_linear(rt.pair_diff_adjoint, "g", "pair_diff(dy)", "pair_diff_adjoint(dg)")
_linear(rt.as_columns, "v, b", "from_columns(dy, b)", "as_columns(dv, b)")
_linear(rt.from_columns, "v, b", "as_columns(dy, b)", "from_columns(dv, b)")
_linear(rt.block_diag_sum, "m", "block2(dy, np.zeros_like(dy))", "block_diag_sum(dm)")
_linear(rt.upper_right, "m", "block2(np.zeros_like(dy), dy)", "upper_right(dm)")
_linear(rt.checked, "x, problem", "dy", "dx")
defrule(rt.eig_gaps, "w", vjp={"w": "pair_diff_adjoint(-(y * y) * dy)"},
        jvp={"w": "-(y * y) * pair_diff(dw)"}, batch_vjp={"w": "pair_diff_adjoint(-(y * y) * dy)"},
        batch_jvp={"w": "-(y * y) * pair_diff(dw)"})
defrule(rt.block2, "x, e",
        vjp={"x": "unbroadcast(block_diag_sum(dy), x)", "e": "unbroadcast(upper_right(dy), e)"},
        jvp={"x": "block2(dx, np.zeros_like(e))", "e": "block2(np.zeros_like(x), de)"},
        batch_vjp={"x": "batch_unbroadcast(block_diag_sum(dy), x)",
                   "e": "batch_unbroadcast(upper_right(dy), e)"},
        batch_jvp={"x": "block2(lift(dx, y), np.zeros_like(e))",
                   "e": "block2(np.zeros_like(x), lift(de, y))"})
defrule(rt.tuple_item, "g, k, like",
        vjp={"g": "index_adjoint(dy, g, k)", "k": None, "like": None},
        jvp={"g": "tuple_item(dg, k, like)", "k": None, "like": None},
        batch_vjp={"g": "batch_index_adjoint(dy, g, k)", "k": None, "like": None},
        batch_jvp={"g": "batch_tuple_item(dg, k, like)", "k": None, "like": None})
# The compiler's own tuple_slot (the adjoint of an item of a tuple result), forward only:
# Hessians through a tuple result of which one item is used.
defrule(rt.tuple_slot, "g, k, size", vjp={"k": None, "size": None},
        jvp={"g": "tuple_slot(dg, k, size)", "k": None, "size": None},
        batch_jvp={"g": "tuple_slot(dg, k, size)", "k": None, "size": None})


# The adjoints of products are linear in the adjoint and in each other operand (the operand
# whose adjoint they are is None in its slot, its shape given apart): forward rules only.
def _slot_rule(func: object, signature: str, linear: tuple[str, ...], batched: str,
               batch_values: Mapping[str, str]) -> None:
    """Forward rules of a helper ``func(...)`` linear in each parameter of ``linear``: its
    tangent along one of them is the helper with the tangent in that parameter's place; the
    batched tangent passes ``batched=<batch_values[param]>``."""
    params = [p.split("=")[0].strip() for p in signature.split(",")]
    zero = {p: None for p in params if p not in linear}

    def call(param: str, batch: str | None) -> str:
        args = [f"d{p}" if p == param else p for p in params]
        if batch is not None:
            args[params.index(batched)] = batch_values[param]
        return f"{func.__name__}({', '.join(args)})"

    defrule(func, signature, vjp=dict(zero),
            jvp={**{p: call(p, None) for p in linear}, **zero},
            batch_jvp={**{p: call(p, "batched") for p in linear}, **zero})


_SLOT_DEFAULTS = ", ".join(f"{x}=None" for x in SLOTS)
_slot_rule(rt.einsum_adjoint, f"g, subscripts, k, shape, {_SLOT_DEFAULTS}, optimize=False, "
           "batched=None", ("g", *SLOTS), "batched",
           {"g": "-1", **{x: str(j) for j, x in enumerate(SLOTS)}})
_slot_rule(rt.einsum_replace, f"subscripts, k, t, {_SLOT_DEFAULTS}, optimize=False, "
           "batched=None", ("t", *SLOTS), "batched",
           {"t": "k", **{x: str(j) for j, x in enumerate(SLOTS)}})
_slot_rule(rt.kron_vjp, "g, k, shape, a=None, b=None, batched=0", ("g", "a", "b"), "batched",
           {"g": "1", "a": "2", "b": "2"})
_slot_rule(rt.cross_vjp, "g, k, shape, a=None, b=None, axisa=-1, axisb=-1, axisc=-1, "
           "axis=None, batched=0", ("g", "a", "b"), "batched", {"g": "1", "a": "2", "b": "2"})

nondiff(rt.svd_problem, rt.qr_problem, rt.hermitian_problem, rt.tensordot_subscripts,
        rt.inner_subscripts, rt.einsum_labels, rt.einsum_count, rt.einsum_adjoint_plan,
        rt.einsum_batch_spec, rt.kron_layout, rt.cross_axes)
