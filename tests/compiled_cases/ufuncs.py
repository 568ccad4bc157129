"""Generated-function cases of the ufuncs group (see tests/compiled_support.py)."""
from __future__ import annotations

import math

import numpy as np

from tests.compiled_support import NONZERO, POS, REAL, UNIT, Arg, arr, case, shape_id

ACOSH = (1.2, 3.0)
WIDE = (-9.0, 9.0)  # several periods of mod/fmod

# ---------------------------------------------------------------------------------------------
# Unary functions: arrays (with the vjp test), Python floats, NumPy scalars.
# ---------------------------------------------------------------------------------------------

UNARY = {"exp2": REAL, "log2": POS, "log10": POS, "cbrt": NONZERO, "reciprocal": NONZERO,
         "fabs": NONZERO, "arcsin": UNIT, "arccos": UNIT, "arctan": REAL, "sinh": REAL,
         "cosh": REAL, "arcsinh": REAL, "arccosh": ACOSH, "arctanh": UNIT, "deg2rad": REAL,
         "rad2deg": REAL, "degrees": REAL, "radians": REAL, "sinc": REAL, "real": REAL,
         "conj": REAL, "conjugate": REAL}
for _fn, _dom in UNARY.items():
    case(f"uf-{_fn}-2x3", "x", (arr(2, 3, domain=_dom),), f"np.{_fn}(x)", vjp=True)
    case(f"uf-{_fn}-float", "x", (Arg((), _dom),), f"np.{_fn}(x) * x")
case("uf-exp2-np", "x", (Arg((), REAL, "np"),), "np.exp2(x)")
case("uf-arctanh-0d", "x", (Arg((), UNIT, "0d"),), "np.arctanh(x)")
case("uf-sinc-f32", "x", (arr(2, 3, dtype=np.float32),), "np.sinc(x)", vjp=True)
case("uf-log2-f32", "x", (arr(3, domain=POS, dtype=np.float32),), "np.log2(x) * x")
case("uf-sinc-at-zero", "x", (arr(3),), "np.sinc(x * np.array([0.0, 1.0, 1.0]))")
case("uf-chain", "x", (arr(2, 3, domain=UNIT),),
     "np.arcsin(np.tanh(x)) * np.cosh(np.arctan(x)) + np.log10(np.cosh(x))")

MATH = {"log2": POS, "log10": POS, "asin": UNIT, "acos": UNIT, "atan": REAL, "sinh": REAL,
        "cosh": REAL, "asinh": REAL, "acosh": ACOSH, "atanh": UNIT, "degrees": REAL,
        "radians": REAL}
MATH.update({name: dom for name, dom in (("exp2", REAL), ("cbrt", NONZERO))
             if hasattr(math, name)})
for _fn, _dom in MATH.items():
    case(f"uf-math-{_fn}", "x", (Arg((), _dom),), f"math.{_fn}(x)", ct=False)
    case(f"uf-math-{_fn}-np", "x", (Arg((), _dom, "np"),), f"math.{_fn}(x) * x", ct=False)

# ---------------------------------------------------------------------------------------------
# Binary functions, with broadcasting.
# ---------------------------------------------------------------------------------------------

PAIRS = [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((), (3,)), ((4,), (3, 4))]
BINARY = {"float_power": (POS, REAL), "mod": (WIDE, NONZERO), "remainder": (WIDE, NONZERO),
          "fmod": (WIDE, NONZERO), "arctan2": (REAL, NONZERO), "hypot": (REAL, NONZERO),
          "logaddexp": (REAL, REAL), "logaddexp2": (REAL, REAL), "fmax": (REAL, REAL),
          "fmin": (REAL, REAL), "copysign": (NONZERO, NONZERO)}
for _fn, (_dx, _dy) in BINARY.items():
    for _sx, _sy in PAIRS:
        case(f"uf-{_fn}-{shape_id(_sx)}-{shape_id(_sy)}", "x, y", (Arg(_sx, _dx), Arg(_sy, _dy)),
             f"np.{_fn}(x, y)", wrt=(0, 1), vjp=_sx == (3, 1))
    case(f"uf-{_fn}-float", "x, y", (Arg((), _dx), Arg((), _dy)), f"np.{_fn}(x, y)",
         wrt=(0, 1))
case("uf-float_power-lit", "x", (arr(2, 3, domain=POS),), "np.float_power(x, 2.5)", vjp=True)
case("uf-mod-lit", "x", (arr(2, 3, domain=WIDE),), "np.mod(x, 0.75)", vjp=True)
case("uf-fmod-lit", "x", (arr(2, 3, domain=NONZERO),), "np.fmod(7.5, x)", vjp=True)
case("uf-hypot-lit", "x", (arr(3),), "np.hypot(x, 2.0)")
case("uf-logaddexp-self", "x", (arr(2, 3),), "np.logaddexp(x, 2 * x)")
case("uf-fmax-nan", "x, y", (arr(3), arr(3)),
     "np.fmax(x, np.where(np.array([True, False, True]), y, np.nan))", wrt=(0, 1))
case("uf-fmin-nan", "x, y", (arr(3), arr(3)),
     "np.fmin(np.where(np.array([True, True, False]), x, np.nan), y)", wrt=(0, 1))
case("uf-fmin-lit", "x", (arr(2, 3),), "np.fmin(x, 0.1)")
case("uf-copysign-lit", "x", (arr(2, 3, domain=NONZERO),), "np.copysign(x, -1.0) * x")
case("uf-ldexp", "x", (arr(2, 3),), "np.ldexp(x, np.array([1, -2, 3]))", vjp=True)
case("uf-ldexp-int", "x", (Arg(()),), "np.ldexp(x, 3)")
case("uf-ldexp-broadcast", "x", (arr(3, 1),), "np.ldexp(x, np.array([[0, 1, 2, -1]]))",
     vjp=True)
case("uf-heaviside", "x, y", (arr(4), Arg(())),
     "np.heaviside(x * np.array([0.0, 1.0, 1.0, 0.0]), y) * x", wrt=(0, 1))
case("uf-heaviside-2x3", "x, y", (arr(2, 3), arr(3)), "np.heaviside(x, y) + y", wrt=(0, 1),
     vjp=True)

MATH_BINARY = {"atan2": (REAL, NONZERO), "hypot": (REAL, NONZERO), "pow": (POS, REAL),
               "copysign": (NONZERO, NONZERO), "fmod": (WIDE, NONZERO),
               "remainder": (WIDE, NONZERO)}
for _fn, (_dx, _dy) in MATH_BINARY.items():
    case(f"uf-math-{_fn}", "x, y", (Arg((), _dx), Arg((), _dy)), f"math.{_fn}(x, y)",
         wrt=(0, 1), ct=False)
case("uf-math-pow-lit", "x", (Arg((), POS),), "math.pow(x, 3.5) + math.pow(2.0, x)", ct=False)
case("uf-math-mix", "x, y", (Arg((), POS), Arg((), NONZERO)),
     "math.atan2(math.sinh(x), y) * math.hypot(x, math.log2(x))", wrt=(0, 1), ct=False)

# ---------------------------------------------------------------------------------------------
# np.clip and the methods and attributes.
# ---------------------------------------------------------------------------------------------

_LO, _HI = (-1.5, -0.2), (0.2, 1.5)
for _expr in ["np.clip(x, -0.5, 0.5)", "np.clip(x, None, 0.3)", "np.clip(x, -0.3, None)",
              "np.clip(x, a_min=-1.0, a_max=0.5)", "x.clip(-0.5, 0.7)", "x.clip(None, 0.0)",
              "np.clip(x, 1.0, -1.0)"]:
    case(f"uf-{_expr}".replace(" ", ""), "x", (arr(2, 3),), _expr, vjp=True)
case("uf-clip-float", "x", (Arg(()),), "np.clip(x, -0.5, 0.5) * x")
case("uf-clip-float-inside", "x", (Arg((), (-0.4, 0.4)),), "np.clip(x, -0.5, 0.5) * x")
for _sa, _sl, _sh in [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((3,), (2, 3), ()),
                      ((), (3,), (2, 1))]:
    case(f"uf-clip-{shape_id(_sa)}-{shape_id(_sl)}-{shape_id(_sh)}", "x, lo, hi",
         (Arg(_sa), Arg(_sl, _LO), Arg(_sh, _HI)), "np.clip(x, lo, hi)", wrt=(0, 1, 2),
         vjp=_sa == (2, 3))
case("uf-clip-lo-only", "x, lo", (arr(2, 3), arr(3, domain=_LO)), "np.clip(x, lo, None)",
     wrt=(0, 1), vjp=True)
case("uf-clip-hi-only", "x, hi", (arr(2, 3), arr(2, 1, domain=_HI)), "x.clip(None, hi)",
     wrt=(0, 1), vjp=True)
case("uf-clip-crossing", "x, lo, hi", (arr(2, 3), arr(2, 3), arr(2, 3)), "np.clip(x, lo, hi)",
     wrt=(0, 1, 2), vjp=True)
case("uf-clip-bound-var-none", "x, lo", (arr(2, 3), arr(3, domain=_LO)),
     "np.clip(x, lo, hi)", body=("hi = None",), wrt=(0, 1))
case("uf-clip-method-arrays", "x, lo", (arr(2, 3), arr(3, domain=_LO)), "x.clip(lo, 0.5)",
     wrt=(0, 1))
case("uf-clip-method-min", "x", (arr(2, 3),), "x.clip(min=0.1)", vjp=True)
case("uf-clip-method-max", "x, hi", (arr(2, 3), arr(3, domain=_HI)), "x.clip(max=hi)",
     wrt=(0, 1), vjp=True)
case("uf-clip-keywords", "x, lo, hi", (arr(2, 3), arr(2, 1, domain=_LO), arr(3, domain=_HI)),
     "np.clip(x, min=lo, max=hi)", wrt=(0, 1, 2), vjp=True)
case("uf-clip-keyword-lit", "x, lo", (arr(2, 3), arr(3, domain=_LO)),
     "np.clip(x, min=lo, max=0.4) + x.clip(min=-0.1, max=0.1)", wrt=(0, 1))
case("uf-conj-method", "x", (arr(2, 3),), "x.conj() * x.conjugate()", vjp=True)
case("uf-real-attr", "x", (arr(2, 3),), "x.real * np.exp(x) + x.imag", vjp=True)
case("uf-real-attr-float", "x", (Arg(()),), "x.real ** 2 + x.imag")
case("uf-imag-zero", "x", (arr(3),), "np.imag(x) + np.real(x) * 2.0")
case("uf-nondiff-mix", "x, y", (arr(2, 3, domain=NONZERO), arr(3, domain=NONZERO)),
     "x * np.signbit(y) + np.floor_divide(x, y) + np.isneginf(x) * x + np.isreal(x) * y",
     wrt=(0, 1))
