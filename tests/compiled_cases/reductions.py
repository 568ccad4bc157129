"""Generated-function cases of the reductions group (see tests/compiled_support.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tests.compiled_support import DISTINCT, NONZERO, POS, REAL, Arg, arr, case, shape_id


@dataclass(frozen=True)
class Marked(Arg):
    """An array drawn in ``domain`` with the entries at ``at`` (flat indices) set to
    ``value``: exact zeros for products, NaNs for the nan-reductions."""

    at: tuple[int, ...] = ()
    value: float = 0.0

    def draw(self, rng: np.random.Generator) -> Any:
        x = np.array(super().draw(rng), dtype=self.dtype)
        flat = x.reshape(-1)
        for k in self.at:
            flat[k] = self.value
        return x


def with_nans(*shape: int, domain: Any = REAL) -> Marked:
    """NaNs at every fifth entry: no slice along any axis of (2, 3, 4) is all NaN."""
    return Marked(shape, domain, "array", at=tuple(range(1, int(np.prod(shape)), 5)),
                  value=np.nan)


def with_zeros(shape: tuple[int, ...], *at: int) -> Marked:
    return Marked(shape, REAL, "array", at=at, value=0.0)


# ---------------------------------------------------------------------------------------------
# Every axis form and keepdims, on shape (2, 3, 4) (as the REDUCTIONS loop of
# tests/test_compiled_rules.py).
# ---------------------------------------------------------------------------------------------

AXES = [None, 0, 1, 2, -1, -2, (0, 1), (0, 2), (-1, 0), (0, 1, 2)]
REDUCTIONS = {  # call: the argument drawn
    "np.prod": arr(2, 3, 4, domain=NONZERO), "x.prod": arr(2, 3, 4, domain=NONZERO),
    "np.var": arr(2, 3, 4), "x.var": arr(2, 3, 4), "np.std": arr(2, 3, 4),
    "x.std": arr(2, 3, 4), "np.nanmax": with_nans(2, 3, 4, domain=DISTINCT),
    "np.nanmin": with_nans(2, 3, 4, domain=DISTINCT), "np.nansum": with_nans(2, 3, 4),
    "np.nanmean": with_nans(2, 3, 4), "np.ptp": arr(2, 3, 4, domain=DISTINCT),
    "np.average": arr(2, 3, 4),
}
for _red, _arg in REDUCTIONS.items():
    _call = _red + ("(x, " if _red.startswith("np.") else "(")
    for _axis in AXES:
        for _keep in (False, True):
            case(f"rd-{_red}-{_axis}-{_keep}".replace(" ", ""), "x", (_arg,),
                 f"{_call}axis={_axis}, keepdims={_keep})",
                 vjp=_keep and _axis in (None, (0, 2)) or not _keep and _axis == (-1, 0))
for _red in ("np.nanmax", "np.nanmin", "np.nansum", "np.nanmean"):  # without NaNs
    case(f"rd-{_red}-plain", "x", (arr(2, 3, 4, domain=DISTINCT),), f"{_red}(x, 1)", vjp=True)

for _expr, _arg in [
    ("np.prod(x)", arr(2, 3, 4, domain=NONZERO)), ("np.prod(x, 1, None, None, True)", POS),
    ("np.prod(x, (0, 2), np.float64)", POS), ("x.prod(1)", POS), ("x.prod()", POS),
    ("np.var(x, 1, None, None, 1)", REAL), ("np.var(x, (0, 2), None, None, 2, True)", REAL),
    ("x.var(ddof=1)", REAL), ("x.var(-1, None, None, 1, True)", REAL), ("x.var()", REAL),
    ("np.std(x, -1, None, None, 1, True)", REAL), ("x.std(1, ddof=1)", REAL), ("x.std()", REAL),
    ("np.std(x, axis=(1, 2), ddof=2)", REAL), ("np.nanmax(x, 0, None, True)", DISTINCT),
    ("np.ptp(x, (1, 2), None, True)", DISTINCT), ("np.ptp(x)", DISTINCT),
    ("np.average(x, 1)", REAL), ("np.average(x, (0, 2), None, False)", REAL),
]:
    _a = _arg if isinstance(_arg, Arg) else arr(2, 3, 4, domain=_arg)
    case(f"rd-{_expr}".replace(" ", ""), "x", (_a,), _expr, vjp=True)
for _fn, _dom in [("prod", NONZERO), ("var", REAL), ("std", REAL), ("ptp", DISTINCT)]:
    for _shape in [(), (3,)]:
        _kind = "float" if _shape == () else "array"
        case(f"rd-{_fn}-{shape_id(_shape)}", "x", (Arg(_shape, _dom, _kind),),
             f"np.{_fn}(x) * x")
case("rd-var-float32", "x", (arr(2, 3, 4, dtype=np.float32),), "x.var(axis=1)", vjp=True)
case("rd-std-of-ddof1-chain", "x", (arr(5, 3),),
     "np.std(x, axis=0, ddof=1) / np.mean(x ** 2, axis=0)")
case("rd-std-zero-variance", "x", (arr(3),), "np.std(x * 0.0 + x[0]) + np.sum(x)", ct=False)

# Zeros in products: the derivative of the product of the others, with no division.
for _at in [(0,), (5,), (1, 3), (0, 2, 4)]:
    _id = "-".join(map(str, _at))
    case(f"rd-prod-zeros-{_id}", "x", (with_zeros((6,), *_at),), "np.prod(x)", ct=False)
    case(f"rd-prod-zeros-axis-{_id}", "x", (with_zeros((2, 6), *_at),), "x.prod(axis=1)",
         vjp=True)
    case(f"rd-cumprod-zeros-{_id}", "x", (with_zeros((6,), *_at),), "np.cumprod(x)", vjp=True)
    case(f"rd-cumprod-zeros-axis-{_id}", "x", (with_zeros((2, 6), *_at),),
         "np.sin(x.cumprod(1))", vjp=True)
case("rd-prod-zeros-keepdims", "x", (with_zeros((2, 3, 4), 0, 5, 13),),
     "np.prod(x, axis=(0, 2), keepdims=True)", vjp=True)

# ---------------------------------------------------------------------------------------------
# Cumulative sums and products: axis None flattens.
# ---------------------------------------------------------------------------------------------

for _fn, _dom in [("cumsum", REAL), ("cumprod", NONZERO)]:
    for _axis in [None, 0, 1, 2, -1, -2]:
        case(f"rd-{_fn}-{_axis}", "x", (arr(2, 3, 4, domain=_dom),),
             f"np.{_fn}(x, axis={_axis})", vjp=_axis in (None, -1))
        case(f"rd-x.{_fn}-{_axis}", "x", (arr(2, 3, 4, domain=_dom),),
             f"x.{_fn}({_axis})")
    case(f"rd-{_fn}-positional", "x", (arr(2, 3, domain=_dom),), f"np.{_fn}(x, 0, np.float64)")
    case(f"rd-x.{_fn}-flat", "x", (arr(2, 3, domain=_dom),), f"x.{_fn}()", vjp=True)
    case(f"rd-{_fn}-float", "x", (Arg((), _dom),), f"np.{_fn}(x) * x")
    case(f"rd-{_fn}-1d", "x", (arr(5, domain=_dom),), f"np.{_fn}(x)", vjp=True)
case("rd-cumsum-then-tanh", "x", (arr(2, 5),), "np.tanh(np.cumsum(x, axis=1)) ** 2", vjp=True)
case("rd-cumsum-f32", "x", (arr(2, 3, dtype=np.float32),), "np.cumsum(x, axis=1)", vjp=True)

# ---------------------------------------------------------------------------------------------
# Weighted averages, differentiated in both the values and the weights.
# ---------------------------------------------------------------------------------------------

for _sw, _axis in [((2, 3, 4), None), ((2, 3, 4), 1), ((3,), 1), ((4,), -1), ((4, 2), (2, 0)),
                   ((2, 4), (0, -1)), ((2, 3, 4), (0, 2))]:
    for _keep in (False, True):
        case(f"rd-average-w{shape_id(_sw)}-{_axis}-{_keep}".replace(" ", ""), "x, w",
             (arr(2, 3, 4), arr(*_sw, domain=POS)),
             f"np.average(x, axis={_axis}, weights=w, keepdims={_keep})", wrt=(0, 1),
             vjp=_keep)
case("rd-average-positional", "x, w", (arr(2, 3), arr(3, domain=POS)),
     "np.average(x, 1, w, False)", wrt=(0, 1), vjp=True)
case("rd-average-weights-only", "x, w", (arr(4), arr(4, domain=POS)),
     "np.average(x ** 2, weights=w * w)", wrt=1, ct=False)

# ---------------------------------------------------------------------------------------------
# Norms: vector orders, matrix orders, axis None/int/2-tuple, keepdims.
# ---------------------------------------------------------------------------------------------

for _ord in ["None", "2", "1", "np.inf", "-np.inf", "0", "3", "0.5", "-1.5"]:
    case(f"rd-norm-vec-{_ord}", "x", (arr(5, domain=NONZERO),), f"np.linalg.norm(x, {_ord})",
         ct=False)
    case(f"rd-norm-vec-axis-{_ord}", "x", (arr(2, 3, 4, domain=NONZERO),),
         f"np.linalg.norm(x, {_ord}, axis=1)", vjp=_ord in ("2", "np.inf"))
    case(f"rd-norm-vec-keepdims-{_ord}", "x", (arr(2, 3, 4, domain=NONZERO),),
         f"np.linalg.norm(x, ord={_ord}, axis=-1, keepdims=True)")
for _ord in ["None", "'fro'", "'nuc'", "1", "-1", "np.inf", "-np.inf", "2", "-2"]:
    case(f"rd-norm-mat-{_ord}", "x", (arr(3, 4, domain=NONZERO),),
         f"np.linalg.norm(x, {_ord})", ct=False)
    case(f"rd-norm-mat-axes-{_ord}", "x", (arr(2, 3, 4, domain=NONZERO),),
         f"np.linalg.norm(x, {_ord}, (2, 0))", vjp=_ord in ("'fro'", "2"))
    case(f"rd-norm-mat-keepdims-{_ord}", "x", (arr(2, 3, 4, domain=NONZERO),),
         f"np.linalg.norm(x, ord={_ord}, axis=(0, 1), keepdims=True)")
case("rd-norm-flat", "x", (arr(2, 3, 4),), "np.linalg.norm(x)", ct=False)
case("rd-norm-flat-keepdims", "x", (arr(2, 3, 4),), "np.linalg.norm(x, keepdims=True)",
     vjp=True)
case("rd-norm-float32", "x", (arr(2, 3, dtype=np.float32),), "np.linalg.norm(x, axis=1)",
     vjp=True)
case("rd-norm-normalize", "x", (arr(3, 4),),
     "x / np.linalg.norm(x, axis=1, keepdims=True)", vjp=True)
case("rd-norm-at-zero", "x", (arr(3),), "np.linalg.norm(x * 0.0) + np.sum(x)", ct=False)

# ---------------------------------------------------------------------------------------------
# A stable log-sum-exp: large inputs, the max subtracted; its derivative stays finite.
# ---------------------------------------------------------------------------------------------

case("rd-logsumexp", "x", (arr(6),), "m + np.log(np.sum(np.exp(z - m)))", ct=False,
     body=("z = 1000.0 + x", "m = np.max(z)"))
case("rd-logsumexp-axis", "x", (arr(2, 3, 4),),
     "m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))", vjp=True,
     body=("z = 1000.0 + 5.0 * x", "m = np.max(z, axis=1, keepdims=True)"))
case("rd-logsumexp-tuple-axis", "x", (arr(2, 3, 4),),
     "m[0, :, 0] + np.log(np.sum(np.exp(z - m), axis=(0, 2)))",
     body=("z = x - 1000.0", "m = np.max(z, axis=(0, 2), keepdims=True)"))

# x.all() and x.any() carry no derivative.
case("rd-all-any", "x", (arr(2, 3, domain=NONZERO),), "x * x.all() + x.any(axis=0) * x",
     vjp=True)
