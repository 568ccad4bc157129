"""Rule cases of the ufuncs group (see tests/rule_support.py)."""
from __future__ import annotations

import math

import numpy as np

from tests.rule_support import (
    BINARY_SHAPES,
    NONZERO,
    POS,
    REAL,
    SHAPES,
    UNIT,
    Arr,
    case,
)

#: (rule name, parameter or None, "vjp"/"jvp" or None) without a batched form yet.
UNBATCHED: set[tuple[str, str | None, str | None]] = set()

ACOSH = (1.2, 3.0)  # away from the singular derivative at 1

UNARY = [(np.exp2, REAL), (np.log2, POS), (np.log10, POS), (np.cbrt, NONZERO),
         (np.reciprocal, NONZERO), (np.fabs, NONZERO), (np.arcsin, UNIT), (np.arccos, UNIT),
         (np.arctan, REAL), (np.sinh, REAL), (np.cosh, REAL), (np.arcsinh, REAL),
         (np.arccosh, ACOSH), (np.arctanh, UNIT), (np.deg2rad, REAL), (np.rad2deg, REAL),
         (np.degrees, REAL), (np.radians, REAL), (np.sinc, REAL), (np.real, REAL),
         (np.conjugate, REAL)]
MATH = [(math.log2, POS), (math.log10, POS), (math.asin, UNIT), (math.acos, UNIT),
        (math.atan, REAL), (math.sinh, REAL), (math.cosh, REAL), (math.asinh, REAL),
        (math.acosh, ACOSH), (math.atanh, UNIT), (math.degrees, REAL), (math.radians, REAL)]
MATH += [(getattr(math, name), dom) for name, dom in (("exp2", REAL), ("cbrt", NONZERO))
         if hasattr(math, name)]
BINARY = [(np.float_power, POS, REAL), (np.remainder, REAL, NONZERO), (np.fmod, REAL, NONZERO),
          (np.arctan2, REAL, NONZERO), (np.hypot, REAL, NONZERO), (np.logaddexp, REAL, REAL),
          (np.logaddexp2, REAL, REAL), (np.fmax, REAL, REAL), (np.fmin, REAL, REAL),
          (np.copysign, NONZERO, NONZERO)]
MATH_BINARY = [(math.atan2, REAL, NONZERO), (math.hypot, REAL, NONZERO), (math.pow, POS, REAL),
               (math.copysign, NONZERO, NONZERO), (math.fmod, REAL, NONZERO),
               (math.remainder, REAL, NONZERO)]

for _f, _dom in UNARY:
    for _s in SHAPES:
        case(_f, Arr(_s, _dom))
    case(_f, Arr((), _dom, zero_d=True))
for _f, _dom in MATH:
    case(_f, Arr((), _dom))
for _f, _dom1, _dom2 in BINARY:
    for _s1, _s2 in BINARY_SHAPES:
        case(_f, Arr(_s1, _dom1), Arr(_s2, _dom2))
    case(_f, Arr((), _dom1, zero_d=True), Arr((2, 3), _dom2))
for _f, _dom1, _dom2 in MATH_BINARY:
    case(_f, Arr((), _dom1), Arr((), _dom2))

# Literal operands (no unbroadcast), and values far from the first period of mod/fmod.
case(np.float_power, Arr((2, 3), POS), 3)
case(np.float_power, 2.0, Arr((2, 3)))
case(np.remainder, Arr((2, 3), (-9.0, 9.0)), 0.7)
case(np.remainder, 5.5, Arr((3,), NONZERO))
case(np.fmod, Arr((2, 3), (-9.0, 9.0)), Arr((3,), NONZERO))
case(np.fmod, Arr((3,), (-9.0, 9.0)), -1.3)
case(math.fmod, Arr((), (-9.0, 9.0)), 0.7)
case(math.remainder, 7.5, Arr((), NONZERO))
case(np.hypot, Arr((2, 3)), 1.5)
case(np.arctan2, 1.0, Arr((3,), NONZERO))
case(np.fmax, Arr((2, 3)), 0.0)
case(np.fmin, 0.5, Arr((2, 3)))
case(np.logaddexp, Arr((2, 3)), 0.0)
case(np.copysign, Arr((2, 3), NONZERO), -1.0)
case(np.copysign, Arr((3,), NONZERO), Arr((2, 3), NONZERO))
case(math.copysign, Arr((), NONZERO), 2.0)
case(math.pow, Arr((), POS), 2.5)
# ldexp: the exponent is an integer (an int or an integer array), never differentiated.
case(np.ldexp, Arr((2, 3)), 3)
case(np.ldexp, Arr((2, 3)), np.array([1, -2, 0]))
case(np.ldexp, Arr((3, 1)), np.array([[1, -2, 0, 4]]))
case(np.ldexp, Arr(()), -1)
case(np.ldexp, Arr((), zero_d=True), np.array([2, 3]))
# heaviside: the derivative wrt the value at 0 is nonzero where x1 is exactly 0.
case(np.heaviside, np.array([0.0, 1.5, -2.0, 0.0]), Arr((4,)))
case(np.heaviside, np.array([[0.0], [-1.0]]), Arr((3,)))
case(np.heaviside, np.array([0.0, 3.0]), Arr(()))

# clip: literal bounds (numbers or None), array bounds that broadcast, bounds that cross.
for _s in SHAPES:
    case(np.clip, Arr(_s), -0.5, 0.7)
    case(np.clip, Arr(_s), None, 0.3)
    case(np.clip, Arr(_s), -0.3, None)
case(np.clip, Arr((), zero_d=True), -0.5, 0.5)
case(np.clip, Arr((2, 3)), 1.0, -1.0)                           # a_min > a_max: all a_max
_LO, _HI = (-1.5, -0.2), (0.2, 1.5)
for _sa, _sl, _sh in [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (2, 1)), ((3,), (2, 3), ()),
                      ((), (3,), (2, 1)), ((3, 1), (1, 4), (4,))]:
    case(np.clip, Arr(_sa), Arr(_sl, _LO), Arr(_sh, _HI))
case(np.clip, Arr((2, 3)), Arr((2, 3)), Arr((2, 3)))              # random order: bounds cross
case(np.clip, Arr((2, 3)), Arr((3,), _LO), None)
case(np.clip, Arr((2, 3)), None, Arr((2, 1), _HI))
case(np.clip, Arr((2, 3)), Arr((3,), _LO), 0.5)
case(np.clip, Arr((2, 3)), -0.5, Arr((2, 1), _HI))
case(np.clip, Arr(()), Arr((3,), _LO), Arr((3,), _HI))
case(np.clip, Arr((2, 3)), a_min=Arr((3,), _LO), a_max=0.4)
# NumPy's keyword aliases min= and max= (the only names of ndarray.clip's bounds).
case(np.clip, Arr((2, 3)), min=-0.5, max=0.5)
case(np.clip, Arr((2, 3)), max=0.2)
case(np.clip, Arr((2, 3)), min=Arr((3,), _LO))
case(np.clip, Arr((2, 3)), max=Arr((2, 1), _HI))
case(np.clip, Arr((2, 3)), min=Arr((3,), _LO), max=Arr((2, 1), _HI))
case(np.clip, Arr((3,)), min=-0.2, max=Arr((2, 3), _HI))
case(np.clip, Arr((3,)), min=Arr((2, 3), _LO), max=0.3)
