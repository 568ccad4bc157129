"""The case table of ``tests/test_rules.py``: argument specs and ``case()``.

The built-in rules' cases are in ``test_rules.py``; each group of NumPy rules adds its own in
``tests/rule_cases/<group>.py`` (imported by ``test_rules.py`` before it collects them).
A case is ``case(func, *positional, **keyword)``: ``Arr``/``Cond`` arguments are drawn at
random (each differentiable ``Arr`` is checked), anything else is passed as it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: The harness draws a tuple of cotangents for a tuple result (and batches of tuples as
#: tuples of batches).
TUPLE_RESULTS = True

REAL = (-2.0, 2.0)
POS = (0.5, 2.0)
UNIT = (-0.9, 0.9)
NONZERO = "nonzero"  # |x| in [0.2, 2], random sign: away from the kink of abs


@dataclass(frozen=True)
class Arr:
    """A random float argument: a Python float for shape () unless ``zero_d``."""

    shape: tuple[int, ...]
    domain: Any = REAL
    zero_d: bool = False

    def draw(self, rng: np.random.Generator) -> Any:
        if self.domain == NONZERO:
            x = rng.uniform(0.2, 2.0, self.shape) * rng.choice([-1.0, 1.0], self.shape)
        else:
            x = rng.uniform(*self.domain, self.shape)
        return float(x) if self.shape == () and not self.zero_d else x

    def __repr__(self) -> str:
        return "x".join(map(str, self.shape)) or ("0d" if self.zero_d else "s")


@dataclass(frozen=True)
class Cond:
    """A random boolean argument."""

    shape: tuple[int, ...]

    def draw(self, rng: np.random.Generator) -> Any:
        return rng.uniform(size=self.shape) < 0.5

    def __repr__(self) -> str:
        return "c" + ("x".join(map(str, self.shape)) or "s")


def _draw(value: Any, rng: np.random.Generator) -> Any:
    return value.draw(rng) if isinstance(value, (Arr, Cond)) else value


def _name(func: Any) -> str:
    module = getattr(func, "__module__", "") or ""
    prefix = "math." if module == "math" else "" if module == "builtins" else "np."
    return prefix + func.__name__


# ---------------------------------------------------------------------------------------------
# The case table: (function, positional arguments, keyword arguments).
# ---------------------------------------------------------------------------------------------

CASES: list[tuple[Any, tuple, dict]] = []


def case(func: Any, *pos: Any, **kw: Any) -> None:
    CASES.append((func, pos, kw))


SHAPES = [(), (3,), (2, 3)]
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((), (3,)), ((3,), ()),
                 ((3, 1), (1, 4)), ((1, 4), (3, 1)), ((4,), (3, 4)), ((3, 4), (4,))]
AXES = [None, 0, 1, 2, -1, -2, (0, 1), (0, 2), (-1, 0), (0, 1, 2)]
MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
                 ((1, 2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4))]
DOT_SHAPES = MATMUL_SHAPES + [((), ()), ((), (3,)), ((2, 3), ()), ((2, 3, 4), (4,)),
                              ((2, 3), (4, 3, 5))]
