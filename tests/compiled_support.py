"""The case table of ``tests/test_compiled_rules.py``: argument specs and ``case()``.

Each group of NumPy rules adds its generated functions in ``tests/compiled_cases/<group>.py``
(imported by ``test_compiled_rules.py``): ``case(id, "x, y", (arr(2, 3), Arg(())), "expr")``
with a unique id; see ``Case`` for ``wrt``, ``body``, ``ct`` and ``vjp``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

REAL = (-2.0, 2.0)
POS = (0.5, 2.0)
UNIT = (-0.9, 0.9)
NONZERO = "nonzero"  # |x| in [0.5, 2], random sign
DISTINCT = "distinct"  # a permutation of well separated values: no ties for max/min
SIGN = "sign"  # +-1 labels
ONEHOT = "onehot"  # one-hot rows


@dataclass(frozen=True)
class Arg:
    """A random argument. Shape () gives a Python float unless ``kind`` is 'np' (a NumPy
    scalar of ``dtype``) or '0d' (a 0-d array)."""

    shape: tuple[int, ...] = ()
    domain: Any = REAL
    kind: str = "float"
    dtype: Any = np.float64

    def draw(self, rng: np.random.Generator) -> Any:
        size = math.prod(self.shape)
        if self.domain == NONZERO:
            x = rng.uniform(0.5, 2.0, self.shape) * rng.choice([-1.0, 1.0], self.shape)
        elif self.domain == DISTINCT:
            x = rng.permutation(np.linspace(-2.0, 2.0, size)).reshape(self.shape)
        elif self.domain == SIGN:
            x = rng.choice([-1.0, 1.0], self.shape)
        elif self.domain == ONEHOT:
            x = np.eye(self.shape[-1])[rng.integers(0, self.shape[-1], self.shape[:-1])]
        else:
            x = rng.uniform(*self.domain, self.shape)
        x = np.asarray(x, dtype=self.dtype)
        if self.shape == () and self.kind == "float":
            return float(x)
        if self.shape == () and self.kind == "np":
            return np.dtype(self.dtype).type(x)
        return x


@dataclass(frozen=True)
class Case:
    """One generated function: ``body`` statements, then ``out``.

    With ``ct`` the function is ``f(*params, ct)`` returning ``np.sum(out * ct)``, and
    ``v(*params)`` returns ``out`` itself (for the vjp test); without it
    ``out`` must be a scalar and is returned.
    """

    id: str
    params: tuple[str, ...]
    args: tuple[Arg, ...]
    out: str
    wrt: int | tuple[int, ...] = 0
    body: tuple[str, ...] = ()
    ct: bool = True
    vjp: bool = False
    index: int = field(default=0, compare=False)

    @property
    def wrt_indices(self) -> tuple[int, ...]:
        return self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)

    @property
    def f_name(self) -> str:
        return f"f{self.index:03d}"

    @property
    def v_name(self) -> str:
        return f"v{self.index:03d}"


CASES: list[Case] = []


def case(id_: str, params: str, args: tuple[Arg, ...], out: str, **kw: Any) -> None:
    names = tuple(p.strip() for p in params.split(","))
    assert len(names) == len(args), id_
    CASES.append(Case(id_, names, args, out, index=len(CASES), **kw))


def shape_id(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "s"


def arr(*shape: int, domain: Any = REAL, dtype: Any = np.float64) -> Arg:
    return Arg(shape, domain, "array", dtype)
