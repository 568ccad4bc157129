"""Rule cases of the reductions group (see tests/rule_support.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff import runtime
from tests.rule_support import AXES, POS, REAL, Arr, case

#: (rule name, parameter or None, "vjp"/"jvp" or None) without a batched form yet.
UNBATCHED: set[tuple[str, str | None, str | None]] = set()


@dataclass(frozen=True)
class Marked(Arr):
    """A random array with the entries at ``at`` (flat indices, taken modulo the size) set to
    ``value``: exact zeros for np.prod/np.cumprod, NaNs for the nan-reductions."""

    at: tuple[int, ...] = ()
    value: float = 0.0

    def draw(self, rng: np.random.Generator) -> Any:
        x = np.array(rng.uniform(*self.domain, self.shape), dtype=float)
        flat = x.reshape(-1)
        for k in self.at:
            flat[k % flat.size] = self.value
        return x

    def __repr__(self) -> str:
        return f"{super().__repr__()}{'nan' if np.isnan(self.value) else 'z'}{self.at}"


def nans(*shape: int) -> Marked:
    """An array with NaNs spread so that no slice along any axis is all NaN."""
    return Marked(shape, REAL, at=tuple(range(1, int(np.prod(shape)), 5)), value=np.nan)


def zeros(shape: tuple[int, ...], *at: int) -> Marked:
    return Marked(shape, REAL, at=at, value=0.0)


# Every reduction over every axis form, as REDUCTIONS in tests/test_rules.py.
REDUCTIONS = [(np.prod, REAL), (np.var, REAL), (np.std, REAL), (np.nanmax, REAL),
              (np.nanmin, REAL), (np.nansum, REAL), (np.nanmean, REAL), (np.ptp, REAL),
              (np.average, REAL), (np.linalg.norm, REAL)]
for f, dom in REDUCTIONS:
    first = "x" if f is np.linalg.norm else "a"
    for ax in AXES:
        if f is np.linalg.norm and ax is not None and np.ndim(ax) and len(ax) == 3:
            continue  # a norm reduces one or two axes
        for kd in (False, True):
            case(f, Arr((2, 3, 4), dom), axis=ax, keepdims=kd)
    case(f, Arr((3,), dom))
    case(f, Arr((2, 3), dom), axis=1)
    case(f, Arr((2, 3, 4), dom), axis=np.int64(-2))     # a non-literal axis
    if f is not np.linalg.norm:
        case(f, Arr((), dom))
        case(f, Arr((2, 3), dom))

# Positional NumPy signatures.
case(np.prod, Arr((2, 3, 4)), 1, None, None, True)
case(np.prod, Arr((2, 3, 4)), (0, 2), np.float64)
case(np.var, Arr((2, 3, 4)), 1, None, None, 1)
case(np.var, Arr((2, 3, 4)), (0, 2), None, None, 2, True)
case(np.std, Arr((2, 3, 4)), -1, None, None, 1, True)
case(np.std, Arr((3,)), ddof=1)
case(np.var, Arr((2, 3, 4)), ddof=np.int64(1), axis=(1,))  # a non-literal ddof
case(np.nanmax, Arr((2, 3)), 0, None, True)
case(np.ptp, Arr((2, 3, 4)), (1, 2), None, True)
case(np.average, Arr((2, 3, 4)), 1, None, False)

# Zeros in products: one, two, three per group.
for _at in [(0,), (4,), (1, 3), (0, 2, 5)]:
    case(np.prod, zeros((6,), *_at))
    case(np.prod, zeros((2, 6), *_at), axis=1)
    case(np.cumprod, zeros((6,), *_at))
    case(np.cumprod, zeros((2, 6), *_at), axis=1)
case(np.prod, zeros((2, 3, 4), 0, 5, 13), axis=(0, 2), keepdims=True)
case(np.prod, zeros((2, 3, 4), 7, 8), axis=-1)
case(np.cumprod, zeros((2, 3, 4), 0, 5, 13), axis=0)

# NaN entries.
for f in (np.nanmax, np.nanmin, np.nansum, np.nanmean):
    case(f, nans(2, 3, 4))
    case(f, nans(2, 3, 4), axis=1)
    case(f, nans(2, 3, 4), axis=(0, 2), keepdims=True)
    case(f, nans(2, 3, 4), axis=-1, keepdims=True)
    case(f, nans(7,))

# Cumulative sums and products: axis None flattens.
for f in (np.cumsum, np.cumprod):
    for ax in (None, 0, 1, 2, -1, -2):
        case(f, Arr((2, 3, 4)), axis=ax)
    case(f, Arr(()))
    case(f, Arr((3,)))
    case(f, Arr((2, 3)), 0, np.float64)
    case(f, Arr((2, 3, 4)), np.int64(1))                   # a non-literal axis

# Weighted averages: weights shaped like a, or like a along axis; both differentiable.
for _a, _w, _ax in [((2, 3, 4), (2, 3, 4), None), ((2, 3, 4), (2, 3, 4), 1),
                    ((2, 3, 4), (3,), 1), ((2, 3, 4), (4,), -1), ((2, 3, 4), (4, 2), (2, 0)),
                    ((2, 3, 4), (2, 4), (0, -1)), ((2, 3, 4), (2, 3, 4), (0, 2)),
                    ((3,), (3,), None), ((2, 3), (2,), 0)]:
    case(np.average, Arr(_a), _ax, Arr(_w, POS))
    case(np.average, Arr(_a), axis=_ax, weights=Arr(_w, POS), keepdims=True)
case(np.average, Arr((2, 3, 4)), axis=1, weights=Arr((3,), POS), returned=False)
case(np.average, Arr((2, 3, 4)), np.int64(1), Arr((3,), POS))

# Norms: every vector and matrix order, axis None/int/2-tuple, keepdims.
_INF = np.inf
for _o in [None, 2, 1, _INF, -_INF, 0, 3, 1.5, 0.5, -1.5]:
    case(np.linalg.norm, Arr((5,)), _o)
    case(np.linalg.norm, Arr((2, 3, 4)), _o, 1)
    case(np.linalg.norm, Arr((2, 3, 4)), ord=_o, axis=-1, keepdims=True)
for _o in [None, "fro", "nuc", 1, -1, _INF, -_INF, 2, -2]:
    case(np.linalg.norm, Arr((3, 4)), _o)
    case(np.linalg.norm, Arr((3, 4)), _o, None, True)
    case(np.linalg.norm, Arr((2, 3, 4)), _o, (2, 0))
    case(np.linalg.norm, Arr((2, 3, 4)), ord=_o, axis=(0, 1), keepdims=True)
case(np.linalg.norm, Arr((2, 3, 4)), None, (1,))
case(np.linalg.norm, Arr((2, 3, 4)), 2, (1,))

# srcdiff's own helpers (the second derivatives).
for _ax in (None, 1, (0, 2)):
    case(runtime.prod_others, Arr((2, 3, 4)), _ax)
    case(runtime.prod_others_jvp, Arr((2, 3, 4)), Arr((2, 3, 4)), _ax)
case(runtime.prod_others, zeros((2, 5), 1, 3), 1)
case(runtime.prod_others, zeros((5,), 2))
case(runtime.prod_others_jvp, Arr((2, 5)), zeros((2, 5), 1, 3, 6), 1)
for _ax, _out in [(None, (24,)), (1, (2, 3, 4)), (-1, (2, 3, 4))]:
    case(runtime.cumsum_vjp, Arr(_out), Arr((2, 3, 4)), _ax)
    case(runtime.cumsum_along, Arr((2, 3, 4)), Arr((2, 3, 4)), _ax)
    case(runtime.cumprod_jvp, Arr((2, 3, 4)), Arr((2, 3, 4)), _ax)
    case(runtime.cumprod_vjp, Arr(_out), Arr((2, 3, 4)), _ax)
    case(runtime.cumprod_hvp, Arr((2, 3, 4)), Arr((2, 3, 4)), Arr((2, 3, 4)), _ax)
    case(runtime.cumprod_mixed, Arr(_out), Arr((2, 3, 4)), Arr((2, 3, 4)), _ax)
for _at in [(1,), (1, 3), (0, 2, 4)]:
    case(runtime.cumprod_jvp, Arr((2, 5)), zeros((2, 5), *_at), 1)
    case(runtime.cumprod_vjp, Arr((2, 5)), zeros((2, 5), *_at), 1)
    case(runtime.cumprod_hvp, Arr((2, 5)), Arr((2, 5)), zeros((2, 5), *_at), 1)
    case(runtime.cumprod_mixed, Arr((2, 5)), Arr((2, 5)), zeros((2, 5), *_at), 1)
for _w, _ax in [((2, 3, 4), None), ((3,), 1), ((4, 2), (2, 0))]:
    case(runtime.full_weights, Arr(_w), Arr(_w, POS), Arr((2, 3, 4)), _ax)
    case(runtime.weights_adjoint, Arr((2, 3, 4)), Arr(_w, POS), Arr((2, 3, 4)), _ax)
for _shape, _o, _ax in [((5,), None, None), ((5,), 2, None), ((5,), 3, None),
                        ((5,), 1.5, None), ((5,), 0.5, None), ((5,), -1.5, None),
                        ((5,), 1, None), ((5,), _INF, None), ((2, 3, 4), None, None),
                        ((2, 3, 4), 2, 1), ((2, 3, 4), 3, -1), ((3, 4), "fro", None),
                        ((2, 3, 4), "fro", (2, 0)), ((2, 3, 4), 1, (0, 1)),
                        ((2, 3, 4), -_INF, (1, 2))]:
    case(runtime.norm_grad, Arr(_shape), _o, _ax)
    case(runtime.norm_hvp, Arr(_shape), Arr(_shape), _o, _ax)
