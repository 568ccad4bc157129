"""Generated-function cases of the shapes group (see tests/compiled_support.py).

Axes are literals in most cases (the templates specialise on them) and computed from the
argument in the cases marked ``var`` (``ax = x.ndim - 1``: the general templates).
"""
from __future__ import annotations

import numpy as np

from tests.compiled_support import DISTINCT, NONZERO, Arg, arr, case, shape_id

_X = arr(2, 3, 4)


def _cases(prefix: str, arg: Arg, exprs: list[str], **kw: object) -> None:
    """One case per expression of ``x``, named by the expression and the shape of ``x``."""
    for expr in exprs:
        case(f"{prefix}-{shape_id(arg.shape)}-{expr}".replace(" ", ""), "x", (arg,), expr, **kw)


# Reshaping.
_cases("shape", arr(1, 3, 1), ["np.squeeze(x)", "np.squeeze(x, 0)", "np.squeeze(x, axis=-1)",
                                "np.squeeze(x, (0, 2))", "x.squeeze()", "x.squeeze(-1)",
                                "x.squeeze(axis=(0, 2)) * 2.0"], vjp=True)
_cases("shape", arr(2, 3), ["np.expand_dims(x, 0)", "np.expand_dims(x, -1)",
                            "np.expand_dims(x, (0, 3))", "np.atleast_3d(x)", "np.atleast_2d(x)",
                            "np.atleast_1d(x)", "np.ravel(x)", "np.ravel(x, 'F')",
                            "np.ravel(x.T, order='K')", "np.ravel(x.T, 'A')", "x.ravel()",
                            "x.ravel('F')", "x.T.ravel()", "x.flatten()", "x.flatten('F')",
                            "x.T.flatten('K')"], vjp=True)
_cases("shape", arr(3), ["np.atleast_2d(x)", "np.atleast_3d(x)", "np.atleast_1d(x) * x"])
_cases("shape", Arg(()), ["np.atleast_1d(x)", "np.atleast_2d(x)", "np.squeeze(x) * x",
                          "np.expand_dims(x, 0)", "np.ravel(x)"])
case("shape-ravel-var-order", "x", (_X,), "np.ravel(x, o)", body=("o = 'CF'[x.ndim % 2]",))

# Axes.
_cases("axes", _X, ["np.swapaxes(x, 0, 2)", "np.swapaxes(x, -1, 1)", "x.swapaxes(1, 2)",
                    "x.swapaxes(-1, -3)", "np.moveaxis(x, 0, -1)", "np.moveaxis(x, -1, 0)",
                    "np.moveaxis(x, (0, 1), (2, 0))", "np.moveaxis(x, [0, 2], [-1, 0])",
                    "np.rollaxis(x, 2)", "np.rollaxis(x, 0, 3)", "np.rollaxis(x, -1, 1)",
                    "np.rollaxis(x, 1, -1)"], vjp=True)
case("axes-var", "x", (_X,),
     "np.swapaxes(x, ax, 0).ravel() + np.moveaxis(np.rollaxis(x, ax), 0, ax).ravel()",
     body=("ax = x.ndim - 1",))

# Joining lists (and tuples, and arrays of items).
for _expr in ["np.concatenate([x, y * 2.0])", "np.concatenate([x, y], axis=1)",
              "np.concatenate([y, x, y], -1)", "np.concatenate([x, y], axis=None)",
              "np.hstack([x, y])", "np.vstack([x, np.sin(y)])", "np.dstack([x, y])",
              "np.column_stack([x, y])", "np.row_stack([x, y])"]:
    case(f"join-{_expr}".replace(" ", ""), "x, y", (arr(2, 3), arr(2, 3)), _expr, wrt=(0, 1),
         vjp=_expr.startswith("np.concatenate"))
for _expr in ["np.hstack([x, y])", "np.vstack([x, y])", "np.dstack([x, y])",
              "np.column_stack([x, y])", "np.concatenate([x, y])",
              "np.hstack([x[0], y, 2.0])", "np.concatenate([x, [0.5]])"]:
    case(f"join-vec-{_expr}".replace(" ", ""), "x, y", (arr(3), arr(3)), _expr, wrt=(0, 1))
case("join-scalars", "x, y", (Arg(()), Arg(())), "np.hstack([x, y * x, x])", wrt=(0, 1))
case("join-array-of-items", "x", (arr(3, 2, 4),), "np.concatenate(x, axis=1)")
case("join-var-axis", "x, y", (arr(2, 3), arr(2, 2)), "np.concatenate([x, y], ax)",
     body=("ax = x.ndim - 1",), wrt=(0, 1))
case("join-one-active", "x", (arr(2, 3),), "np.concatenate([np.ones((1, 3)), x, x ** 2])")

# Splitting: the result is a list, unpacked or indexed.
case("split-unpack", "x", (arr(6),), "a * b", body=("a, b = np.split(x, 2)",))
case("split-unpack-axis", "x", (arr(4, 6),), "a - 2.0 * c",
     body=("a, b, c = np.split(x, 3, axis=-1)",))
case("split-index", "x", (arr(6, 2),), "np.sin(parts[1])", body=("parts = np.split(x, 3)",))
case("split-indices", "x", (arr(7),), "a[0] * c + np.sum(b)",
     body=("a, b, c = np.split(x, [2, 5])",))
case("split-unused-piece", "x", (arr(4, 2),), "b ** 2", body=("a, b = np.split(x, 2)",))
case("split-array", "x", (arr(7, 2),), "np.sum(a) * b[0] + c[-1]",
     body=("a, b, c = np.array_split(x, 3)",))
case("split-array-var", "x", (arr(3, 5),), "a[:, :2] * np.tanh(b)",
     body=("ax = x.ndim - 1", "a, b = np.array_split(x, 2, ax)"))
case("split-h", "x", (arr(2, 6),), "a * b", body=("a, b = np.hsplit(x, 2)",))
case("split-h-vec", "x", (arr(6),), "a * b", body=("a, b = np.hsplit(x, 2)",))
case("split-v", "x", (arr(4, 3),), "a + b * b", body=("a, b = np.vsplit(x, 2)",))
case("split-d", "x", (arr(2, 3, 4),), "a * b", body=("a, b = np.dsplit(x, 2)",))
case("split-then-join", "x", (arr(6),), "np.concatenate([b, a * a])",
     body=("a, b = np.split(x, 2)",))

# Repeating, reordering.
_cases("repeat", arr(2, 3), ["np.tile(x, 2)", "np.tile(x, (2, 1))", "np.tile(x, (3, 1, 2))",
                             "np.repeat(x, 2)", "np.repeat(x, 2, axis=0)",
                             "np.repeat(x, [1, 0, 3], -1)", "x.repeat(2)", "x.repeat(3, 1)",
                             "np.flip(x)", "np.flip(x, 0)", "np.flip(x, axis=-1)",
                             "np.fliplr(x)", "np.flipud(x)", "np.roll(x, 2)",
                             "np.roll(x, -1, axis=1)", "np.roll(x, (1, 2), (0, 1))",
                             "np.rot90(x)", "np.rot90(x, 2)", "np.rot90(x, -1, (1, 0))"],
       vjp=True)
_cases("repeat", _X, ["np.tile(x, (2, 1, 1, 2))", "np.flip(x, (0, 2))", "np.flipud(x)",
                      "np.fliplr(x)", "np.roll(x, 3, -2)", "np.rot90(x, 1, (0, 2))",
                      "np.repeat(x, 2, axis=-2)"])
_cases("repeat", Arg(()), ["np.tile(x, 3)", "np.repeat(x, 2)"])
case("repeat-var", "x", (arr(2, 3),),
     "np.sum(np.repeat(x, n, ax)) * np.roll(np.flip(x, ax), n, ax) + np.rot90(x, n)",
     body=("ax = x.ndim - 1", "n = x.shape[0]"))

# Diagonals and triangles.
_cases("diag", arr(3), ["np.diag(x)", "np.diag(x, 1)", "np.diag(x, k=-2)", "np.diagflat(x)",
                        "np.diagflat(x, -1)", "np.triu(x)", "np.tril(x, -1)"], vjp=True)
_cases("diag", arr(3, 4), ["np.diag(x)", "np.diag(x, 1)", "np.diag(x, -2)", "np.diagonal(x)",
                           "np.diagonal(x, -1)", "x.diagonal(2)", "x.diagonal()",
                           "np.diagflat(x, 1)", "np.triu(x)", "np.triu(x, 1)",
                           "np.tril(x, k=-1)", "np.tril(x)"], vjp=True)
_cases("diag", _X, ["np.diagonal(x, 0, 1, 2)", "np.diagonal(x, 1, -1, 0)",
                    "x.diagonal(-1, 2, 1)", "np.trace(x, 0, 1, 2)",
                    "np.trace(x, axis1=-1, axis2=0)", "x.trace(1, 0, 2)", "np.triu(x, -1)",
                    "np.tril(x)"], vjp=True)
_cases("diag-trace", arr(3, 4), ["np.trace(x)", "np.trace(x, 1)", "x.trace()",
                                 "x.trace(-2) * np.trace(x)"], ct=False)
case("diag-var", "x", (arr(3, 3),),
     "np.diag(np.diag(x, k), k) + np.tril(x, k) + np.sum(np.diagonal(x, k))",
     body=("k = x.shape[0] - 2",))

# Padding.
_cases("pad", arr(2, 3), ["np.pad(x, 1)", "np.pad(x, (1, 2))", "np.pad(x, ((0, 1), (2, 0)))",
                          "np.pad(x, 1, constant_values=2.0)", "np.pad(x, 2, 'edge')",
                          "np.pad(x, 1, 'wrap')", "np.pad(x, (2, 1), mode='reflect')",
                          "np.pad(x, 2, 'reflect', reflect_type='odd')",
                          "np.pad(x, ((3, 1), (1, 4)), 'symmetric')",
                          "np.pad(x, 2, 'linear_ramp', end_values=1.0)",
                          "np.pad(x, ((1, 2), (2, 1)), 'mean')",
                          "np.pad(x, 2, 'mean', stat_length=1)"], vjp=True)
case("pad-fill", "x, c", (arr(2, 3), Arg(())), "np.pad(x * c, 1, constant_values=c)",
     wrt=(0, 1))
case("pad-fill-pairs", "x, c", (arr(2, 3), arr(2, 2)),
     "np.pad(x, ((1, 0), (2, 1)), 'constant', constant_values=c)", wrt=(0, 1))
case("pad-var-mode", "x", (arr(3, 2),), "np.pad(x, 2, mode)",
     body=("mode = ('edge', 'wrap')[x.ndim % 2]",))

# Selecting.
_cases("take", arr(2, 3), ["np.take(x, [0, 5, 5])", "np.take(x, 4)",
                           "np.take(x, [2, 0, 2], axis=1)", "np.take(x, [[1, 0], [1, 1]], 0)",
                           "np.take(x, [-1, 7], 1, mode='wrap')",
                           "np.take(x, [9, -3], mode='clip')", "x.take([1, 1, 4])",
                           "x.take([0, 2], -1)", "x.take([1], axis=0)"], vjp=True)
case("take-along", "x", (arr(2, 3),), "np.take_along_axis(x, np.array([[2, 2], [0, 1]]), 1)")
case("take-along-0", "x", (arr(2, 3),), "np.take_along_axis(x, np.array([[1, 0, 1]]), axis=0)")
case("take-along-none", "x", (arr(2, 3),), "np.take_along_axis(x, np.array([5, 0, 0]), None)")
case("take-along-argsort", "x", (arr(3, 4, domain=DISTINCT),),
     "np.take_along_axis(x, np.argsort(x, axis=-1), -1)", vjp=True)
_cases("sort", arr(3, 4, domain=DISTINCT), ["np.sort(x)", "np.sort(x, 0)", "np.sort(x, None)",
                                             "np.sort(x, axis=-1, kind='stable')"], vjp=True)
case("sort-var", "x", (arr(2, 3, 4, domain=DISTINCT),), "np.sort(x, ax)[..., :2]",
     body=("ax = x.ndim - 2",))
case("sort-median", "x", (arr(5, domain=DISTINCT),), "np.sort(x)[2]", ct=False)

# Broadcasting, conversion and casts.
case("broadcast_to", "x", (arr(3),), "np.broadcast_to(x, (2, 3))", vjp=True)
case("broadcast_to-col", "x", (arr(2, 1),), "np.broadcast_to(x, (4, 2, 3)) * 2.0", vjp=True)
case("broadcast_to-float", "x", (Arg(()),), "np.broadcast_to(x, (3,))")
case("asarray", "x", (arr(2, 3),), "np.asarray(x) ** 2", vjp=True)
case("asarray-float", "x", (Arg(()),), "np.asarray(x) * x")
case("asarray-list", "x, y", (arr(3), arr(3)), "np.asarray([x, y * x])", wrt=(0, 1), vjp=True)
case("asarray-dtype", "x", (arr(2, 3),), "np.asarray(x, dtype=np.float64) * x")
case("asarray-int", "x", (arr(2, 3),), "np.asarray(x, int) * x")
case("astype-f64", "x", (arr(2, 3, dtype=np.float32),), "x.astype(np.float64) * 2.0")
case("astype-float", "x", (arr(2, 3),), "x.astype(float) * x", vjp=True)
case("astype-int", "x", (arr(2, 3),), "x.astype(int) * x + x.astype(bool)")
case("full_like", "x, c", (arr(2, 3), Arg(())), "np.full_like(x, c) * x", wrt=(0, 1), vjp=True)
case("full_like-row", "x, c", (arr(2, 3), arr(3)), "np.full_like(x, c) ** 2", wrt=(0, 1))
case("full_like-shape", "x, c", (arr(2, 3), Arg(())), "np.full_like(x, c, shape=(4,)) * c",
     wrt=1)
case("full_like-int", "x, c", (arr(2, 3), Arg(())), "np.full_like(x, c, dtype=int) * c", wrt=1)
case("copy-method", "x", (arr(3, 4),), "x.copy() * x", vjp=True)
case("copy-method-order", "x", (arr(3, 4),), "np.sin(x.copy('F'))")

# Composites.
case("shape-mix", "x, w", (arr(4, 3, domain=NONZERO), arr(3)),
     "np.trace(p @ np.rot90(p)) * np.sort(np.ravel(h))[-1]", wrt=(0, 1), ct=False,
     body=("h = np.tanh(np.concatenate([x, w[None]]) * w)", "p = np.pad(h, 1)"))
