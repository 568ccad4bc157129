"""Second derivatives through the linalg rules, and the checks the rule harness cannot make.

* Hessians (forward over reverse, vectorised where every rule has a batched form) of
  functions of the group, against central differences of ``srcdiff.grad`` and symmetric;
* the rules with tuple results whose items differ in shape (``eigh``, ``svd`` with
  ``compute_uv=True``, ``qr`` of a tall matrix): reverse templates against central
  differences, the dot-product test against the forward templates, exact shapes, with
  cotangents of which some items are ``None`` (unused outputs);
* the forward-only rules of the helpers that adjoints of products call (``einsum_adjoint``,
  ``einsum_replace``, ``kron_vjp``, ``cross_vjp``, ``tuple_slot``): against central
  differences, and their batched forms item by item;
* clear refusals of the forms that have no derivative.
"""
from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import srcdiff
from srcdiff import runtime
from srcdiff.rules import lookup, registry
from tests.rule_cases.linalg import Mat

RNG = np.random.default_rng(2024)


def normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------------------------------------
# Functions whose Hessians are checked.
# ---------------------------------------------------------------------------------------------


def det(M):
    A = 0.5 * M + 3 * np.eye(3)
    return np.linalg.det(A) ** 2


def inverse_quadratic_form(b, M):
    A = 0.5 * M + 3 * np.eye(3)
    return b @ np.linalg.inv(A) @ b


def slogdet(M):
    A = 0.5 * M + 3 * np.eye(3)
    sign, logdet = np.linalg.slogdet(A)
    return logdet ** 2 + np.exp(logdet)


def tensordot(x, y):
    return np.sum(np.tensordot(x, y, axes=([0, 2], [1, 0])) ** 2)


def einsum(x, y):
    z = np.einsum('ij,jk->ik', x, y)
    return np.einsum('ii', z) ** 2 + np.einsum('...ij,...ij', z, np.tanh(z))


def einsum_runtime_subscripts(x, y):
    s = 'ij,j' + 'k'
    return np.sum(np.einsum(s, x, y) ** 3)


def solve(M, b):
    A = 0.5 * M + 3 * np.eye(3)
    x = np.linalg.solve(A, b)
    return np.sum(x ** 2) + np.sum(np.linalg.solve(A, np.outer(b, b)) ** 2)


def stacked_solve(M, b):
    A = 0.5 * M + 3 * np.eye(3)
    return np.sum(np.linalg.solve(A, b) ** 2)


def cholesky(M):
    S = M @ M.T + 3 * np.eye(3)
    return np.sum(np.linalg.cholesky(S) ** 3)


def eigenvalues(M):
    S = M + M.T
    w, v = np.linalg.eigh(S)
    return np.sum(w ** 3) + np.sum(np.linalg.eigvalsh(S) ** 2)


def singular_values(M):
    return np.sum(np.linalg.svd(M, compute_uv=False) ** 3)


def power_and_pinv(M):
    A = 0.5 * M + 3 * np.eye(3)
    return np.sum(np.linalg.matrix_power(A, 3) ** 2) + np.sum(np.linalg.pinv(A) ** 2)


def small_products(x, y):
    return (np.sum(np.kron(x, y) ** 2) + np.sum(np.cross(x, y) ** 2)
            + np.sum(np.inner(x, y) ** 2) + np.vdot(x, x) * np.sum(np.outer(x, y) ** 3))


def qr_r(M):
    return np.sum(np.linalg.qr(M, mode='r') ** 2)


def eigh_one_output(M):
    S = M + M.T
    w, v = np.linalg.eigh(S)
    return np.array([1.0, -2.0, 3.0]) @ (v * v) @ np.array([0.5, 1.0, -1.5])


def eigh_both_outputs(M):
    S = M + M.T
    w, v = np.linalg.eigh(S)
    return np.sum(v @ np.diag(w ** 2) @ v.T)


HESSIANS = [  # (function, arguments, wrt, has a batched form)
    (det, (normal(3, 3),), 0, True),
    (inverse_quadratic_form, (normal(3), normal(3, 3)), 0, True),
    (inverse_quadratic_form, (normal(3), normal(3, 3)), 1, True),
    (slogdet, (normal(3, 3),), 0, False),
    (tensordot, (normal(3, 2, 4), normal(4, 3, 2)), 0, True),
    (tensordot, (normal(3, 2, 4), normal(4, 3, 2)), 1, True),
    (einsum, (normal(2, 3), normal(3, 2)), 0, True),
    (einsum, (normal(2, 3), normal(3, 2)), 1, True),
    (einsum_runtime_subscripts, (normal(2, 3), normal(3, 2)), 0, True),
    (solve, (normal(3, 3), normal(3)), 0, True),
    (solve, (normal(3, 3), normal(3)), 1, True),
    (stacked_solve, (normal(2, 3, 3), normal(3, 2)), 0, True),
    (stacked_solve, (normal(2, 3, 3), normal(3, 2)), 1, True),
    (cholesky, (normal(3, 3),), 0, True),
    (eigenvalues, (normal(3, 3),), 0, True),
    (singular_values, (normal(4, 3),), 0, True),
    (power_and_pinv, (normal(3, 3),), 0, True),
    (eigh_one_output, (normal(3, 3),), 0, True),
    (small_products, (normal(3), normal(3)), 0, True),
    (small_products, (normal(3), normal(3)), 1, True),
    (qr_r, (normal(4, 3),), 0, True),
]


def finite_jacobian(f, x, eps=1e-6):
    out = np.asarray(f(x), dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        columns.append((np.asarray(f(x + step)) - np.asarray(f(x - step))).ravel() / (2 * eps))
    return np.array(columns).T.reshape(out.shape + x.shape)


@pytest.mark.parametrize("func, args, wrt, batched", HESSIANS,
                         ids=[f"{f.__name__}-{w}" for f, _, w, _ in HESSIANS])
def test_hessian(func, args, wrt, batched):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.cross of 2-vectors
        H = srcdiff.hessian(func, wrt=wrt)(*args)
        x = args[wrt]
        flat = H.reshape(x.size, x.size)
        np.testing.assert_allclose(flat, flat.T, rtol=1e-9, atol=1e-9 * np.max(np.abs(flat)))

        def gradient_at(value):
            moved = list(args)
            moved[wrt] = value
            return srcdiff.grad(func, wrt=wrt)(*moved)

        numeric = finite_jacobian(gradient_at, x)
        np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-6 * np.max(np.abs(numeric)))
        if batched:  # the vectorised path builds (and is what hessian ran)
            vectorised = srcdiff.jacobian(srcdiff.grad(func, wrt=wrt), wrt=wrt, mode="forward",
                                          vectorize=True)(*args)
            np.testing.assert_allclose(vectorised, H, rtol=1e-12, atol=1e-12)


def test_hessian_through_two_items_of_a_tuple_result_is_refused_clearly():
    """A compiler limitation: the adjoint of a tuple of which several items are used is summed
    with ``add_items``, which forward mode cannot differentiate yet (it would add tangent tuples
    with ``+``). The error names it; nothing wrong is computed."""
    with pytest.raises(srcdiff.SrcdiffError, match="add_items"):
        srcdiff.hessian(eigh_both_outputs)(normal(3, 3))
    srcdiff.check_grad(eigh_both_outputs, normal(3, 3))  # first derivatives are fine


# ---------------------------------------------------------------------------------------------
# Rules with tuple results whose items differ in shape.
# ---------------------------------------------------------------------------------------------


def _consts(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items()
            if v is None or isinstance(v, (bool, int, float, str, tuple))}


def _evaluate(func, mode, args, result, seed, general=False):
    rule = lookup(func)
    if not general:
        return registry.evaluate(rule, mode, "a", args, result, seed)
    template = rule.template(mode, "a", {})  # as if no argument were a literal
    env = {name: getattr(runtime, name) for name in runtime.HELPER_NAMES}
    env.update(registry.TEMPLATE_MODULES, **args, y=result)
    env["dy" if mode == "vjp" else "da"] = seed
    return eval(compile(ast.Expression(ast.fix_missing_locations(template)), "<rule>", "eval"),
                env)


TUPLE_CASES = [  # (function, matrix, keyword arguments, items given a cotangent)
    (np.linalg.eigh, Mat((3, 3), kind="sym"), {}, (0, 1)),
    (np.linalg.eigh, Mat((2, 2), kind="sym"), {}, (1,)),
    (np.linalg.eigh, Mat((2, 3, 3), kind="sym"), {"UPLO": "U"}, (0, 1)),
    (np.linalg.eigh, Mat((3, 3), kind="sym"), {"UPLO": "U"}, (0,)),
    (np.linalg.svd, Mat((3, 3)), {}, (0, 1, 2)),
    (np.linalg.svd, Mat((4, 3)), {"full_matrices": False}, (0, 1, 2)),
    (np.linalg.svd, Mat((3, 4)), {"full_matrices": False}, (0, 2)),
    (np.linalg.svd, Mat((2, 4, 3)), {"full_matrices": False, "hermitian": False}, (1,)),
    (np.linalg.svd, Mat((2, 3, 3)), {"compute_uv": True}, (0, 1, 2)),
    (np.linalg.qr, Mat((4, 3)), {}, (0, 1)),
    (np.linalg.qr, Mat((2, 4, 3)), {"mode": "reduced"}, (0,)),
    (np.linalg.qr, Mat((3, 3)), {}, (1,)),
    (np.linalg.qr, Mat((2, 3, 3)), {"mode": "complete"}, (0, 1)),
]


def _tuple_setup(func, matrix, kwargs, items):
    rng = np.random.default_rng(7)
    a = matrix.draw(rng)
    rule = lookup(func)
    args = rule.bind([a], kwargs)
    y = func(a, **kwargs)
    seed = tuple(rng.normal(size=np.shape(item)) if k in items else None
                 for k, item in enumerate(y))
    return rule, a, args, y, seed, rng


def _pairing(seed, values) -> float:
    return sum(float(np.sum(s * v)) for s, v in zip(seed, values, strict=True) if s is not None)


@pytest.mark.parametrize("func, matrix, kwargs, items", TUPLE_CASES,
                         ids=[f"{f.__name__}-{m!r}-{kw}-{it}" for f, m, kw, it in TUPLE_CASES])
def test_tuple_result_rule(func, matrix, kwargs, items):
    rule, a, args, y, seed, rng = _tuple_setup(func, matrix, kwargs, items)
    g = registry.evaluate(rule, "vjp", "a", args, y, seed)
    direction = rng.normal(size=a.shape)
    t = registry.evaluate(rule, "jvp", "a", args, y, direction)
    assert np.shape(g) == a.shape
    assert isinstance(t, tuple) and len(t) == len(y)
    assert all(np.shape(ti) == np.shape(yi) for ti, yi in zip(t, y, strict=True))
    lhs, rhs = float(np.sum(g * direction)), _pairing(seed, t)
    assert abs(lhs - rhs) <= 1e-10 * max(abs(lhs), abs(rhs), 1.0), "dot-product test"
    eps = 1e-6
    numeric = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (_pairing(seed, func(plus, **kwargs))
                          - _pairing(seed, func(minus, **kwargs))) / (2 * eps)
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-6)
    # the general template (no literal arguments) agrees with the specialised one
    general_g = _evaluate(func, "vjp", args, y, seed, general=True)
    general_t = _evaluate(func, "jvp", args, y, direction, general=True)
    np.testing.assert_allclose(general_g, g, rtol=1e-13, atol=1e-13)
    for general, special in zip(general_t, t, strict=True):
        np.testing.assert_allclose(general, special, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("func, matrix, kwargs, items", TUPLE_CASES,
                         ids=[f"{f.__name__}-{m!r}-{kw}-{it}" for f, m, kw, it in TUPLE_CASES])
def test_tuple_result_batched_forms(func, matrix, kwargs, items):
    """Batches of cotangents are tuples of batches (None for an item without one); batches
    of tangents give tuples of batches."""
    rule, a, args, y, _, rng = _tuple_setup(func, matrix, kwargs, items)
    seeds = tuple(rng.normal(size=(3,) + np.shape(item)) if k in items else None
                  for k, item in enumerate(y))
    directions = rng.normal(size=(3,) + a.shape)
    rows = registry.evaluate(rule, "batch_vjp", "a", args, y, seeds)
    columns = registry.evaluate(rule, "batch_jvp", "a", args, y, directions)
    assert np.shape(rows) == (3,) + a.shape and isinstance(columns, tuple)
    for k in range(3):
        seed = tuple(None if s is None else s[k] for s in seeds)
        single = registry.evaluate(rule, "vjp", "a", args, y, seed)
        np.testing.assert_allclose(rows[k], single, rtol=1e-12, atol=1e-13)
        tangent = registry.evaluate(rule, "jvp", "a", args, y, directions[k])
        for batch, item in zip(columns, tangent, strict=True):
            np.testing.assert_allclose(batch[k], item, rtol=1e-12, atol=1e-13)


def test_slogdet_has_no_batched_forward_form():
    with pytest.raises(KeyError):
        lookup(np.linalg.slogdet).template("batch_jvp", "a", {})


# ---------------------------------------------------------------------------------------------
# Forward-only rules of helpers.
# ---------------------------------------------------------------------------------------------

HELPER_CASES = [  # (helper, keyword arguments)
    (runtime.einsum_adjoint, {"g": normal(2, 4), "subscripts": "ij,jk->ik", "k": 0,
                              "shape": (2, 3), "x1": normal(3, 4)}),
    (runtime.einsum_adjoint, {"g": normal(3), "subscripts": "ij,j,i->i", "k": 1, "shape": (4,),
                              "x0": normal(3, 4), "x2": normal(3)}),
    (runtime.einsum_adjoint, {"g": normal(3), "subscripts": "ii->i", "k": 0, "shape": (3, 3)}),
    (runtime.einsum_adjoint, {"g": normal(2, 2, 4), "subscripts": "...ij,...jk", "k": 1,
                              "shape": (3, 4), "x0": normal(2, 2, 3), "optimize": True}),
    (runtime.einsum_replace, {"subscripts": "ij,jk->ik", "k": 1, "t": normal(3, 4),
                              "x0": normal(2, 3)}),
    (runtime.einsum_replace, {"subscripts": "i,i,i", "k": 2, "t": normal(3), "x0": normal(3),
                              "x1": normal(3)}),
    (runtime.kron_vjp, {"g": normal(4, 6), "k": 0, "shape": (2, 2), "b": normal(2, 3)}),
    (runtime.kron_vjp, {"g": normal(2, 6), "k": 1, "shape": (2, 3), "a": normal(2)}),
    (runtime.cross_vjp, {"g": normal(4, 3), "k": 0, "shape": (4, 3), "b": normal(3)}),
    (runtime.cross_vjp, {"g": normal(3), "k": 1, "shape": (3,), "a": normal(2)}),
    (runtime.cross_vjp, {"g": normal(2, 3), "k": 0, "shape": (3, 2), "b": normal(2, 3),
                         "axisa": 0}),
    (runtime.tuple_slot, {"g": normal(2, 3), "k": 1, "size": 3}),
    (runtime.matrix_transpose, {"x": normal(2, 3, 4)}),
    (runtime.diag_part, {"x": normal(2, 3, 3)}),
    (runtime.diag_embed, {"v": normal(2, 3)}),
    (runtime.lower_half, {"x": normal(3, 3)}),
    (runtime.symmetrize, {"x": normal(3, 3), "UPLO": "U"}),
    (runtime.symmetrize_adjoint, {"g": normal(2, 3, 3), "UPLO": "L"}),
    (runtime.pair_diff, {"w": normal(3)}),
    (runtime.pair_diff_adjoint, {"g": normal(3, 3)}),
    (runtime.eig_gaps, {"w": np.array([[1.0, 2.5, 4.0], [0.5, -1.0, 2.0]])}),
    (runtime.as_columns, {"v": normal(2, 3), "b": normal(3)}),
    (runtime.from_columns, {"v": normal(2, 3, 1), "b": normal(3)}),
    (runtime.block2, {"x": normal(2, 2), "e": normal(3, 2, 2)}),
    (runtime.block_diag_sum, {"m": normal(4, 4)}),
    (runtime.upper_right, {"m": normal(2, 4, 4)}),
    (runtime.checked, {"x": normal(3), "problem": None}),
    (runtime.tuple_item, {"g": normal(2, 3), "k": 1, "like": normal(3)}),
]


def _flat(value: Any) -> np.ndarray:
    if isinstance(value, tuple):
        return np.concatenate([np.ravel(v) for v in value if v is not None])
    return np.ravel(np.asarray(value, dtype=float))


HELPER_PARAMS = [(f, kw, p) for f, kw in HELPER_CASES for p, t in lookup(f).jvp.items()
                 if t is not None and kw.get(p) is not None]


@pytest.mark.parametrize("func, kwargs, param", HELPER_PARAMS,
                         ids=[f"{f.__name__}-{p}-{i}" for i, (f, _, p) in enumerate(HELPER_PARAMS)])
def test_forward_rule_of_helper(func, kwargs, param):
    rule = lookup(func)
    args = rule.bind([], kwargs)
    result = func(**kwargs)
    rng = np.random.default_rng(3)
    direction = rng.normal(size=np.shape(args[param]))
    tangent = registry.evaluate(rule, "jvp", param, args, result, direction)
    eps = 1e-6
    moved = [_flat(func(**{**kwargs, param: kwargs[param] + step * direction}))
             for step in (eps, -eps)]
    np.testing.assert_allclose(_flat(tangent), (moved[0] - moved[1]) / (2 * eps), rtol=1e-6,
                               atol=1e-8)
    batch = rng.normal(size=(3,) + np.shape(args[param]))
    batched = registry.evaluate(rule, "batch_jvp", param, args, result, batch)
    for k in range(3):
        single = registry.evaluate(rule, "jvp", param, args, result, batch[k])
        if isinstance(single, tuple):
            item = tuple(None if b is None else b[k] for b in batched)
            assert [s is None for s in single] == [i is None for i in item]
            single, item = _flat(single), _flat(item)
        else:
            item = batched[k]
        np.testing.assert_allclose(item, single, rtol=1e-13, atol=1e-13)


def _linalg_helpers() -> list[Any]:
    """The helpers of the linalg section of srcdiff/runtime.py, and tuple_slot (the compiler's,
    whose forward rule the linalg rules register)."""
    text = Path(runtime.__file__).read_text(encoding="utf-8")
    section = text[text.index("# Helpers of the linalg rules"):
                   text.index("# end of the linalg helpers")]
    names = re.findall(r"^def (\w+)", section, flags=re.MULTILINE)
    return [getattr(runtime, name) for name in names] + [runtime.tuple_slot]


_SLOTS_BEYOND_TWO = {f"x{j}" for j in range(2, 8)}


def test_every_forward_rule_of_a_linalg_helper_is_checked():
    """Here against finite differences (the helpers with a reverse rule are also checked by
    the dot-product test of tests/test_rules.py); einsum's operand slots beyond the second
    are checked through the rule of np.einsum."""
    checked = {(id(f), p) for f, _, p in HELPER_PARAMS}
    for func in _linalg_helpers():
        rule = lookup(func)
        if rule is None or rule.zero:
            continue
        for param, template in rule.jvp.items():
            if template is None or param in _SLOTS_BEYOND_TWO:
                continue
            assert (id(func), param) in checked, (func.__name__, param)



# ---------------------------------------------------------------------------------------------
# Forms without a derivative: refused clearly.
# ---------------------------------------------------------------------------------------------


def svd_full(M):
    u, s, vh = np.linalg.svd(M)
    return np.sum(u[:, :2] @ vh[:2])


def svd_hermitian(M):
    return np.sum(np.linalg.svd(M, compute_uv=False, hermitian=True))


def pinv_hermitian(M):
    return np.sum(np.linalg.pinv(M, hermitian=True))


def qr_raw(M):
    h, tau = np.linalg.qr(M, mode='raw')
    return np.sum(h)


def qr_wide(M):
    q, r = np.linalg.qr(M)
    return np.sum(np.abs(r))


def einsum_sublists(x):
    return np.sum(np.einsum(x, [0, 1], [1]))


def einsum_nine(x):
    return np.einsum('i,i,i,i,i,i,i,i,i', x, x, x, x, x, x, x, x, x)


def test_svd_full_matrices_needs_a_square_matrix():
    srcdiff.check_grad(svd_full, normal(3, 3))
    with pytest.raises(ValueError, match="full_matrices=False"):
        srcdiff.grad(svd_full)(normal(4, 3))


@pytest.mark.parametrize("func", [svd_hermitian, pinv_hermitian, qr_raw, einsum_sublists,
                                  einsum_nine])
def test_unsupported_forms_are_refused_when_built(func):
    with pytest.raises(srcdiff.SrcdiffError, match="derivative"):
        srcdiff.grad(func)(normal(3, 3) if func is not einsum_nine else normal(2))


def test_qr_of_a_wide_matrix_is_refused():
    with pytest.raises(ValueError, match="square or tall"):
        srcdiff.grad(qr_wide)(normal(3, 4))


def test_einsum_adjoint_names_new_subscripts():
    """Adjoints of a literal einsum are einsums with new literal subscripts: a repeated label
    goes back onto a diagonal, a label summed away is broadcast back."""
    rule = lookup(np.einsum)

    def text(mode, param, subscripts):
        consts = {"subscripts": subscripts, "optimize": False}
        return ast.unparse(rule.template(mode, param, consts))

    assert text("vjp", "x0", "ij,jk->ik") == "unbroadcast(np.einsum('ik,jk->ij', dy, x1), x0)"
    assert text("vjp", "x0", "ii->i") == \
        "unbroadcast(np.einsum('i,ia->ia', dy, np.eye(np.shape(x0)[1])), x0)"
    assert text("vjp", "x0", "ij->") == \
        "unbroadcast(np.einsum(',ij->ij', dy, np.ones(np.shape(x0))), x0)"
    assert text("jvp", "x1", "ij,jk") == "np.einsum(subscripts, x0, dx1)"
    assert text("batch_jvp", "x1", "ij,jk") == "np.einsum('ij,ajk->aik', x0, dx1)"
    assert text("vjp", "x1", "...ij,...jk") == \
        "unbroadcast(np.einsum('...ik,...ij->...jk', dy, x0), x1)"
