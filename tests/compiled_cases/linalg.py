"""Generated-function cases of the linalg group (see tests/compiled_support.py).

Matrices are drawn in [-2, 2] and made well conditioned in the case's body: ``A = 0.5 * M +
3 * np.eye(n)``, symmetric positive definite ``S = M @ M.T + n * np.eye(n)``, symmetric
``S = M + M.T`` (differentiating with respect to ``M`` respects the symmetry). Outputs of
eigenvectors, singular vectors and QR factors are invariant under their sign flips.
"""
from __future__ import annotations

import numpy as np

from tests.compiled_support import Arg, arr, case

# ---------------------------------------------------------------------------------------------
# Products.
# ---------------------------------------------------------------------------------------------

case("la-vdot", "x, y", (arr(2, 3), arr(6)), "np.vdot(x, y)", wrt=(0, 1))
case("la-vdot-same", "x", (arr(2, 3),), "np.vdot(x, x)")
case("la-outer", "x, y", (arr(3), arr(2, 2)), "np.outer(x, y)", wrt=(0, 1), vjp=True)
case("la-outer-scalar", "x, y", (Arg(()), arr(3)), "np.outer(x, y)", wrt=(0, 1))
case("la-inner-vectors", "x, y", (arr(3), arr(3)), "np.inner(x, y)", wrt=(0, 1))
case("la-inner", "x, y", (arr(2, 3), arr(4, 3)), "np.inner(x, y)", wrt=(0, 1), vjp=True)
case("la-inner-scalar", "x, y", (Arg(()), arr(2, 3)), "np.inner(x, y)", wrt=(0, 1))
case("la-tensordot", "x, y", (arr(2, 3, 4), arr(3, 4, 5)), "np.tensordot(x, y)", wrt=(0, 1),
     vjp=True)
case("la-tensordot-1", "x, y", (arr(2, 3), arr(3, 4)), "np.tensordot(x, y, 1)", wrt=(0, 1))
case("la-tensordot-0", "x, y", (arr(2), arr(3)), "np.tensordot(x, y, axes=0)", wrt=(0, 1))
case("la-tensordot-ints", "x, y", (arr(2, 3), arr(4, 2)), "np.tensordot(x, y, (0, 1))",
     wrt=(0, 1))
case("la-tensordot-lists", "x, y", (arr(3, 2, 4), arr(4, 3, 5)),
     "np.tensordot(x, y, axes=([0, 2], [1, 0]))", wrt=(0, 1), vjp=True)
case("la-tensordot-tuples", "x, y", (arr(3, 2, 4), arr(4, 3, 5)),
     "np.tensordot(x, y, axes=((0, 2), (1, 0)))", wrt=(0, 1))
for _id, _expr, _args in [
    ("matmul", "np.einsum('ij,jk->ik', x, y)", (arr(2, 3), arr(3, 4))),
    ("implicit", "np.einsum('ij,jk', x, y)", (arr(2, 3), arr(3, 4))),
    ("implicit-order", "np.einsum('Ab,bC', x, y)", (arr(2, 3), arr(3, 4))),
    ("diagonal", "np.einsum('ii->i', x)", (arr(3, 3),)),
    ("trace", "np.einsum('ii', x)", (arr(3, 3),)),
    ("sum", "np.einsum('ij->', x) * x", (arr(2, 3),)),
    ("transpose", "np.einsum('ijk->kji', x)", (arr(2, 3, 4),)),
    ("ellipsis", "np.einsum('...ij,...jk->...ik', x, y)", (arr(2, 2, 3), arr(3, 4))),
    ("ellipsis-implicit", "np.einsum('...ij,...jk', x, y)", (arr(3, 4), arr(2, 4, 2))),
    ("broadcast-label", "np.einsum('ij,ij->ij', x, y)", (arr(1, 3), arr(2, 3))),
    ("batch-matmul", "np.einsum('bij,bjk->bik', x, y, optimize=True)",
     (arr(2, 2, 3), arr(2, 3, 2))),
    ("repeated", "np.einsum('iij->j', x)", (arr(3, 3, 2),)),
    ("three", "np.einsum('i,i,i', x, y, z)", (arr(3), arr(3), arr(3))),
    ("four", "np.einsum('ij,jk,kl,l->i', x, y, z, w)", (arr(2, 3), arr(3, 2), arr(2, 2), arr(2))),
    ("same-operand", "np.einsum('ij,ij->', x, x)", (arr(2, 3),)),
    ("literal-operand", "np.einsum('i,->i', x, 2.5)", (arr(3),)),
]:
    _names = "xyzw"[:len(_args)]
    case(f"la-einsum-{_id}", ", ".join(_names), _args, _expr,
         wrt=tuple(range(len(_args))) if len(_args) > 1 else 0, vjp=_id == "matmul")
case("la-einsum-variable-subscripts", "x, y", (arr(2, 3), arr(3, 4)), "np.einsum(s, x, y)",
     body=("s = 'ij,jk->' + 'ik'",), wrt=(0, 1))
case("la-kron", "x, y", (arr(2, 2), arr(3)), "np.kron(x, y)", wrt=(0, 1), vjp=True)
case("la-kron-vectors", "x, y", (arr(2), arr(3)), "np.kron(x, y)", wrt=(0, 1))
case("la-cross", "x, y", (arr(3), arr(3)), "np.cross(x, y)", wrt=(0, 1))
case("la-cross-broadcast", "x, y", (arr(4, 3), arr(3)), "np.cross(x, y)", wrt=(0, 1), vjp=True)
case("la-cross-axes", "x, y", (arr(3, 2), arr(2, 3)), "np.cross(x, y, axisa=0, axisc=0)",
     wrt=(0, 1))
case("la-cross-mixed", "x, y", (arr(2), arr(3)), "np.cross(x, y)", wrt=(0, 1))

# ---------------------------------------------------------------------------------------------
# Linear algebra.
# ---------------------------------------------------------------------------------------------

_GENERAL = "A = 0.5 * M + 3 * np.eye(M.shape[-1])"
_SPD = "S = M @ np.einsum('...ij->...ji', M) + M.shape[-1] * np.eye(M.shape[-1])"
_SYM = "S = M + np.einsum('...ij->...ji', M)"
for _n, _shape in [("2x2", (2, 2)), ("3x3", (3, 3)), ("2x3x3", (2, 3, 3))]:
    _m = arr(*_shape)
    case(f"la-inv-{_n}", "M", (_m,), "np.linalg.inv(A)", body=(_GENERAL,), vjp=True)
    case(f"la-det-{_n}", "M", (_m,), "np.linalg.det(A)", body=(_GENERAL,))
    case(f"la-slogdet-{_n}", "M", (_m,), "l * s", body=(_GENERAL, "s, l = np.linalg.slogdet(A)"))
    case(f"la-cholesky-{_n}", "M", (_m,), "np.linalg.cholesky(S)", body=(_SPD,), vjp=True)
    case(f"la-cholesky-upper-{_n}", "M", (_m,), "np.linalg.cholesky(S, upper=True)",
         body=(_SPD,))
    case(f"la-eigvalsh-{_n}", "M", (_m,), "np.linalg.eigvalsh(S)", body=(_SYM,))
    case(f"la-eigh-values-{_n}", "M", (_m,), "w", body=(_SYM, "w, v = np.linalg.eigh(S)"))
    case(f"la-eigh-expm-{_n}", "M", (_m,), "np.einsum('...ij,...j,...kj->...ik', v, np.exp(w), v)",
         body=(_SYM, "w, v = np.linalg.eigh(S)"))
    case(f"la-eigh-abs-{_n}", "M", (_m,), "np.abs(v)", body=(_SYM, "w, v = np.linalg.eigh(S)"))
    case(f"la-svd-values-{_n}", "M", (_m,), "np.linalg.svd(M, compute_uv=False)")
    case(f"la-svd-{_n}", "M", (_m,), "u @ vh * s[..., :1, None]",
         body=("u, s, vh = np.linalg.svd(M)",))
    case(f"la-qr-{_n}", "M", (_m,), "np.einsum('...ij,...jj->...ij', q, r) + np.abs(r)",
         body=(_GENERAL, "q, r = np.linalg.qr(A)"))
    case(f"la-matrix_power-{_n}", "M", (_m,), "np.linalg.matrix_power(A, 3)", body=(_GENERAL,))
    case(f"la-pinv-{_n}", "M", (_m,), "np.linalg.pinv(A)", body=(_GENERAL,))
case("la-quadratic-form", "M, b", (arr(3, 3), arr(3)), "b @ np.linalg.inv(A) @ b",
     body=(_GENERAL,), wrt=(0, 1))
case("la-slogdet-sign-only", "M", (arr(3, 3),), "s * np.sum(A)",
     body=(_GENERAL, "s, l = np.linalg.slogdet(A)"))
case("la-eigh-upper", "M", (arr(3, 3),), "(v * v) @ w",
     body=(_SYM, "w, v = np.linalg.eigh(S, UPLO='U')"))
case("la-eigh-triangle", "M", (arr(3, 3),), "w", body=("w, v = np.linalg.eigh(M)",))
case("la-eigh-vector-product", "M", (arr(3, 3),), "v[:, 0] * v[0, 0]",
     body=(_SYM, "w, v = np.linalg.eigh(S)"))
case("la-eigvalsh-upper", "M", (arr(3, 3),), "np.linalg.eigvalsh(M, 'U')")
case("la-svd-tall", "M", (arr(4, 3),), "u @ np.diag(s ** 2) @ vh",
     body=("u, s, vh = np.linalg.svd(M, full_matrices=False)",), vjp=True)
case("la-svd-wide", "M", (arr(3, 4),), "np.abs(u) + s + np.abs(vh[:, :3])",
     body=("u, s, vh = np.linalg.svd(M, full_matrices=False)",))
case("la-svd-values-only", "M", (arr(3, 4),), "s",
     body=("u, s, vh = np.linalg.svd(M, full_matrices=False)",))
case("la-svd-values-tall", "M", (arr(4, 3),), "np.linalg.svd(M, False, False)")
case("la-qr-tall", "M", (arr(4, 3),), "q @ np.diag(np.diag(r)) + np.abs(q)",
     body=("q, r = np.linalg.qr(M)",))
case("la-qr-r", "M", (arr(4, 3),), "np.abs(np.linalg.qr(M, mode='r'))")
case("la-pinv-tall", "M", (arr(4, 3),), "np.linalg.pinv(M)", vjp=True)
case("la-pinv-wide", "M", (arr(2, 3, 4),), "np.linalg.pinv(M)")
for _p in (-2, 0, 1, 2):
    case(f"la-matrix_power-{_p}", "M", (arr(3, 3),), f"np.linalg.matrix_power(A, {_p})",
         body=(_GENERAL,))
for _id, _sa, _sb in [("vector", (3, 3), (3,)), ("matrix", (3, 3), (3, 2)),
                      ("stack-vector", (2, 3, 3), (3,)), ("stack", (2, 3, 3), (2, 3, 2)),
                      ("broadcast-b", (3, 3), (2, 3, 2)), ("broadcast-a", (2, 3, 3), (3, 2))]:
    case(f"la-solve-{_id}", "M, b", (arr(*_sa), arr(*_sb)), "np.linalg.solve(A, b)",
         body=(_GENERAL,), wrt=(0, 1), vjp=_id == "matrix")

# float32 arguments keep their dtype through the derivative.
_M32 = arr(3, 3, dtype=np.float32)
case("la-f32-inv", "M", (_M32,), "np.linalg.inv(A)", body=(_GENERAL,), vjp=True)
case("la-f32-det", "M", (_M32,), "np.linalg.det(A)", body=(_GENERAL,))
case("la-f32-solve", "M, b", (_M32, arr(3, dtype=np.float32)), "np.linalg.solve(A, b)",
     body=(_GENERAL,), wrt=(0, 1))
case("la-f32-cholesky", "M", (_M32,), "np.linalg.cholesky(S)", body=(_SPD,))
case("la-f32-einsum", "x, y", (arr(2, 3, dtype=np.float32), arr(3, 3, dtype=np.float32)),
     "np.einsum('ij,jj->ij', x, y)", wrt=(0, 1), vjp=True)
case("la-f32-eigh", "M", (_M32,), "w", body=(_SYM, "w, v = np.linalg.eigh(S)"))
