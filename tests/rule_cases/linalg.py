"""Rule cases of the linalg group (see tests/rule_support.py).

Matrices are drawn well conditioned (``Mat``): ``U diag(s) V'`` with random orthonormal
``U``, ``V`` and distinct ``s`` in [1, 3], symmetric ones ``U diag(w) U'`` with distinct ``w``
(``kind='sym'``; positive for ``'spd'``). Tuple results whose items have different shapes
(``eigh``, ``svd`` with ``compute_uv=True``, ``qr``) cannot be drawn a cotangent by this
harness, nor can it batch a tuple (the compiler batches one as a tuple of batches):
``tests/test_hessian_linalg.py`` checks them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff import runtime
from tests import rule_support
from tests.rule_support import Arr, case


def _orthonormal(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(n, k)))
    return q * np.sign(np.diagonal(r))


@dataclass(frozen=True, repr=False)
class Mat(Arr):
    """A random well-conditioned matrix (or stack): ``kind`` 'general', 'sym' (symmetric,
    distinct eigenvalues of both signs) or 'spd' (symmetric positive definite)."""

    kind: str = "general"

    def draw(self, rng: np.random.Generator) -> Any:
        *stack, m, n = self.shape
        out = np.empty(self.shape)
        for index in np.ndindex(*stack):
            k = min(m, n)
            s = np.linspace(1.0, 3.0, k) + rng.uniform(0, 0.3, k)
            u = _orthonormal(rng, m, k)
            if self.kind == "general":
                out[index] = u @ np.diag(s) @ _orthonormal(rng, n, k).T
            else:
                w = s if self.kind == "spd" else s * rng.permutation([(-1) ** i for i in range(k)])
                out[index] = u @ np.diag(w) @ u.T
        return out

    def __repr__(self) -> str:
        return self.kind[0] + "x".join(map(str, self.shape))


@dataclass(frozen=True, repr=False)
class Distinct(Arr):
    """Well separated values (no ties): a permutation of ``1, 2, ..., n`` per vector."""

    def draw(self, rng: np.random.Generator) -> Any:
        n = self.shape[-1]
        out = np.empty(self.shape)
        for index in np.ndindex(*self.shape[:-1]):
            out[index] = rng.permutation(np.arange(1.0, n + 1)) + rng.uniform(0, 0.2, n)
        return out

    def __repr__(self) -> str:
        return "d" + "x".join(map(str, self.shape))


# ---------------------------------------------------------------------------------------------
# Products.
# ---------------------------------------------------------------------------------------------

for _a, _b in [((3,), (3,)), ((2, 3), (6,)), ((2, 3), (3, 2))]:
    case(np.vdot, Arr(_a), Arr(_b))
for _a, _b in [((3,), (4,)), ((2, 3), (2,)), ((), (3,))]:
    case(np.outer, Arr(_a), Arr(_b))
for _a, _b in [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)), ((), (2, 3)), ((2, 3), ()),
               ((2, 2, 3), (4, 3))]:
    case(np.inner, Arr(_a), Arr(_b))
case(np.tensordot, Arr((2, 3, 4)), Arr((3, 4, 5)))
case(np.tensordot, Arr((2, 3)), Arr((3, 4)), 1)
case(np.tensordot, Arr((2,)), Arr((3,)), axes=0)
case(np.tensordot, Arr((2, 3)), Arr((4, 2)), (0, 1))
case(np.tensordot, Arr((3, 2, 4)), Arr((4, 3, 5)), ((0, 2), (1, 0)))
case(np.tensordot, Arr((3, 2, 4)), Arr((4, 3, 5)), [[0, 2], [1, 0]])  # not a literal
for _subscripts, _shapes in [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("i,i", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]), ("...ij,...jk", [(3, 4), (2, 4, 2)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ijk->kji", [(2, 3, 4)]), ("iij->j", [(3, 3, 2)]), ("...i->...", [(2, 3, 4)]),
    ("i,i,i", [(3,), (3,), (3,)]), ("Ab,bC", [(2, 3), (3, 4)]), ("ii,ij->j", [(3, 3), (3, 2)]),
    ("i...,i...->...", [(3, 2), (3, 1)]), (" ij , jk -> ki ", [(2, 3), (3, 4)]),
    ("a,b,c,d,e,f,g,h->abcdefgh", [(2,)] * 8),
]:
    case(np.einsum, _subscripts, *[Arr(s) for s in _shapes])
case(np.einsum, "ij,jk->ik", Arr((2, 3)), Arr((3, 4)), optimize=True)
case(np.einsum, "i,->i", Arr((3,)), 2.5)  # a literal operand
for _a, _b in [((2,), (3,)), ((2, 3), (2, 2)), ((2,), (2, 3)), ((), (2,)), ((2, 1, 2), (3, 2))]:
    case(np.kron, Arr(_a), Arr(_b))
for _a, _b, _kw in [((3,), (3,), {}), ((2, 3), (3,), {}), ((2,), (2,), {}), ((2,), (3,), {}),
                    ((4, 2), (2,), {}), ((3,), (4, 2), {}), ((3, 2), (2, 3), {"axisa": 0}),
                    ((3, 2), (3, 2), {"axis": 0}), ((2, 3), (2, 3), {"axisc": 0}),
                    ((2, 2), (2, 2), {"axisa": 0, "axisb": -2})]:
    case(np.cross, Arr(_a), Arr(_b), **_kw)

# ---------------------------------------------------------------------------------------------
# Linear algebra.
# ---------------------------------------------------------------------------------------------

for _shape in [(2, 2), (3, 3), (2, 3, 3)]:
    case(np.linalg.inv, Mat(_shape))
    case(np.linalg.det, Mat(_shape))
    case(np.linalg.slogdet, Mat(_shape))
    case(np.linalg.cholesky, Mat(_shape, kind="spd"))
    case(np.linalg.eigvalsh, Mat(_shape, kind="sym"))
    case(np.linalg.svd, Mat(_shape), compute_uv=False)
    case(np.linalg.matrix_power, Mat(_shape), 3)
    case(np.linalg.pinv, Mat(_shape))
case(np.linalg.cholesky, Mat((3, 3), kind="spd"), upper=True)
case(np.linalg.cholesky, Mat((2, 3, 3), kind="spd"), upper=True)
case(np.linalg.eigvalsh, Mat((3, 3), kind="sym"), "U")
case(np.linalg.eigvalsh, Mat((2, 3, 3), kind="sym"), UPLO="U")
case(np.linalg.svd, Mat((4, 3)), False, False)
case(np.linalg.svd, Mat((3, 4)), compute_uv=False, hermitian=False)
case(np.linalg.qr, Mat((4, 3)), "r")
case(np.linalg.qr, Mat((2, 3, 3)), mode="r")
for _n in (-2, 0, 1, 2):
    case(np.linalg.matrix_power, Mat((3, 3)), _n)
case(np.linalg.pinv, Mat((4, 3)))
case(np.linalg.pinv, Mat((3, 4)), hermitian=False)
case(np.linalg.pinv, Mat((2, 4, 3)), 1e-15)
for _a, _b in [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 2)),
               ((3, 3), (2, 3, 2)), ((2, 3, 3), (3, 2)), ((1, 3, 3), (2, 3, 1))]:
    case(np.linalg.solve, Mat(_a), Arr(_b))

# ---------------------------------------------------------------------------------------------
# The runtime helpers the templates call.
# ---------------------------------------------------------------------------------------------

for _shape in [(3, 3), (2, 3, 4)]:
    case(runtime.matrix_transpose, Arr(_shape))
    case(runtime.diag_part, Arr(_shape[:-1] + (_shape[-2],)))
    case(runtime.lower_half, Arr(_shape[:-1] + (_shape[-2],)))
    for _uplo in ("L", "U"):
        case(runtime.symmetrize, Arr(_shape[:-1] + (_shape[-2],)), _uplo)
        case(runtime.symmetrize_adjoint, Arr(_shape[:-1] + (_shape[-2],)), _uplo)
    case(runtime.pair_diff_adjoint, Arr(_shape[:-1] + (_shape[-2],)))
    case(runtime.block_diag_sum, Arr(_shape[:-2] + (4, 4)))
    case(runtime.upper_right, Arr(_shape[:-2] + (4, 4)))
for _shape in [(3,), (2, 4)]:
    case(runtime.diag_embed, Arr(_shape))
    case(runtime.pair_diff, Arr(_shape))
    case(runtime.eig_gaps, Distinct(_shape))
case(runtime.as_columns, Arr((2, 3)), Arr((3,)))
case(runtime.as_columns, Arr((2, 3)), Arr((3, 2)))
case(runtime.from_columns, Arr((2, 3, 1)), Arr((3,)))
case(runtime.from_columns, Arr((2, 3)), Arr((3, 2)))
case(runtime.block2, Arr((2, 2)), Arr((2, 2)))
case(runtime.block2, Arr((2, 2)), Arr((3, 2, 2)))
case(runtime.block2, Arr((3, 2, 2)), Arr((2, 2)))
case(runtime.checked, Arr((2, 3)), None)
case(runtime.tuple_item, Arr((2, 3)), 1, Arr((3,)))

if getattr(rule_support, "TUPLE_RESULTS", False):
    # Tuple results with items of different shapes: once the harness draws a tuple of
    # cotangents for a tuple result (and batches tuples as tuples of batches).
    for _shape in [(2, 2), (3, 3), (2, 3, 3)]:
        case(np.linalg.eigh, Mat(_shape, kind="sym"))
        case(np.linalg.svd, Mat(_shape))
        case(np.linalg.qr, Mat(_shape))
    case(np.linalg.eigh, Mat((3, 3), kind="sym"), "U")
    case(np.linalg.svd, Mat((4, 3)), full_matrices=False)
    case(np.linalg.svd, Mat((2, 3, 4)), False, True, False)
    case(np.linalg.qr, Mat((4, 3)))
    case(np.linalg.qr, Mat((2, 4, 3)), "reduced")
    case(np.linalg.qr, Mat((3, 3)), mode="complete")

#: (rule name, parameter or None, "vjp"/"jvp" or None) without a batched form yet.
UNBATCHED: set[tuple[str, str | None, str | None]] = {
    # A tuple result: the compiler batches tangents as a tuple of batches, this harness as one
    # array, so the batched forward form of slogdet (the one tuple rule it can draw
    # cotangents for) is left out.
    ("np.linalg.slogdet", "a", "jvp"),
}
