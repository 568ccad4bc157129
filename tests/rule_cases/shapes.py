"""Rule cases of the shapes group (see tests/rule_support.py).

A list argument (``np.concatenate``, ``np.hstack``...) is given as an array, a stack of items
(as the built-in cases of ``np.stack`` do): its adjoint is then an array. The ``np.split``
family is checked with equal pieces, whose list of results compares to an array.
"""
from __future__ import annotations

import numpy as np

from srcdiff import runtime
from tests.rule_support import NONZERO, Arr, case

#: (rule name, parameter or None, "vjp"/"jvp" or None) without a batched form yet.
UNBATCHED: set[tuple[str, str | None, str | None]] = {
    # A list result: its batched tangent (adjoint) is a list of batches, which
    # test_batched_forms_agree cannot compare item by item with the plain one.
    ("np.split", "ary", "jvp"), ("np.array_split", "ary", "jvp"), ("np.hsplit", "ary", "jvp"),
    ("np.vsplit", "ary", "jvp"), ("np.dsplit", "ary", "jvp"), ("split_adjoint", "g", "vjp"),
}

# Reshaping.
for _shape, _axis in [((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), -1), ((2, 1, 3), (1,)),
                      ((1,), None), ((), None)]:
    case(np.squeeze, Arr(_shape), _axis)
case(np.squeeze, Arr((1, 3, 1)), axis=(0, 2))
for _shape, _axis in [((3,), 0), ((3,), -1), ((2, 3), 1), ((2, 3), (0, 3)), ((), 0)]:
    case(np.expand_dims, Arr(_shape), _axis)
for _func in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    for _shape in [(), (3,), (2, 3), (2, 3, 4)]:
        case(_func, Arr(_shape))
for _shape in [(), (3,), (2, 3, 4)]:
    case(np.ravel, Arr(_shape))
for _order in ["F", "A", "K"]:
    case(np.ravel, Arr((2, 3, 4)), _order)
case(np.ravel, Arr((2, 3)), order="F")

# Axes.
for _shape, _a1, _a2 in [((2, 3), 0, 1), ((2, 3, 4), 0, 2), ((2, 3, 4), -1, 1),
                         ((2, 3, 4), 1, 1), ((2, 3), np.int64(1), 0)]:
    case(np.swapaxes, Arr(_shape), _a1, _a2)
for _src, _dst in [(0, -1), (-1, 0), (1, 2), ((0, 1), (2, 0)), ([0, 2], [1, 0])]:
    case(np.moveaxis, Arr((2, 3, 4)), _src, _dst)
for _axis, _start in [(2, 0), (0, 3), (1, -1), (-1, 1), (1, 2), (0, 1), (2, -3)]:
    case(np.rollaxis, Arr((2, 3, 4)), _axis, _start)
case(np.rollaxis, Arr((2, 3, 4)), 2)

# Joining (a stack of items stands for the list) and splitting.
for _shape, _axis in [((3, 2, 4), 0), ((3, 2, 4), 1), ((3, 2, 4), -1), ((3, 2, 4), None),
                      ((2, 3), 0), ((2, 3), None), ((3, 2, 4), np.int64(1))]:
    case(np.concatenate, Arr(_shape), _axis)
case(np.concatenate, Arr((2, 3, 2)), axis=-2)
for _func in [np.hstack, np.vstack, np.dstack, np.column_stack]:
    for _shape in [(3,), (3, 2), (2, 3, 4), (2, 3, 4, 2)]:
        if _func is np.column_stack and len(_shape) > 3:
            continue
        case(_func, Arr(_shape))
case(np.row_stack, Arr((3, 2)))  # deprecated alias of np.vstack (a DeprecationWarning)
for _shape, _ios, _axis in [((6,), 3, 0), ((6,), 1, 0), ((4, 6), 2, 1), ((4, 6), 2, -1),
                            ((4, 6), 2, -2), ((2, 6, 2), 3, 1), ((4, 6), 2, np.int64(0))]:
    case(np.split, Arr(_shape), _ios, _axis)
    case(np.array_split, Arr(_shape), _ios, _axis)
case(np.split, Arr((6, 2)), 2)
case(np.array_split, Arr((6,)), indices_or_sections=2)
case(np.hsplit, Arr((6,)), 2)
case(np.hsplit, Arr((2, 6)), 3)
case(np.vsplit, Arr((4, 3)), 2)
case(np.vsplit, Arr((4, 3, 2)), 4)
case(np.dsplit, Arr((2, 3, 4)), 2)

# Repeating, reordering.
for _shape, _reps in [((3,), 2), ((3,), (2, 1)), ((2, 3), (2, 2)), ((2, 3), 3),
                      ((2, 1, 3), (2, 1, 2)), ((), 3), ((2, 3), [1, 2])]:
    case(np.tile, Arr(_shape), _reps)
for _shape, _repeats, _axis in [((3,), 2, None), ((2, 3), 2, None), ((2, 3), 2, 1),
                                ((2, 3), [1, 0, 2], -1), ((2, 3), [2, 3], 0), ((), 3, None),
                                ((2, 3), np.array([1, 2, 0]), 1)]:
    case(np.repeat, Arr(_shape), _repeats, _axis)
case(np.repeat, Arr((2, 3)), 2, axis=np.int64(0))
for _shape, _axis in [((4,), None), ((2, 3), None), ((2, 3), 0), ((2, 3, 4), -1),
                      ((2, 3, 4), (0, 2)), ((2, 3, 4), [1, -1])]:
    case(np.flip, Arr(_shape), _axis)
for _shape in [(2, 3), (2, 3, 4)]:
    case(np.fliplr, Arr(_shape))
    case(np.flipud, Arr(_shape))
case(np.flipud, Arr((4,)))
for _shape, _shift, _axis in [((5,), 2, None), ((5,), -1, 0), ((2, 3), 4, None),
                              ((2, 3), 1, 1), ((2, 3, 4), (1, -2), (0, 2)),
                              ((2, 3, 4), [1, 2], [2, 2]), ((2, 3), np.int64(2), -1),
                              ((2, 3), (1, 2), None)]:
    case(np.roll, Arr(_shape), _shift, _axis)
for _shape, _k, _axes in [((2, 3), 1, (0, 1)), ((2, 3), 2, (0, 1)), ((2, 3), -1, (1, 0)),
                          ((2, 3, 4), 3, (0, 2)), ((2, 3, 4), 1, (-1, -2)),
                          ((2, 3, 4), 1, [1, 2])]:
    case(np.rot90, Arr(_shape), _k, _axes)
case(np.rot90, Arr((2, 3)))

# Diagonals and triangles.
for _shape, _k in [((3,), 0), ((3,), 1), ((3,), -2), ((3, 3), 0), ((3, 4), 1), ((4, 3), -1),
                   ((3, 4), -2), ((3, 3), np.int64(1))]:
    case(np.diag, Arr(_shape), _k)
for _shape, _args in [((3, 3), ()), ((3, 4), (1,)), ((4, 3), (-1,)), ((2, 3, 4), (0, 1, 2)),
                      ((2, 3, 4), (1, -1, 0)), ((2, 3, 4), (-1, 2, 0)),
                      ((2, 3, 4, 2), (0, -1, 1))]:
    case(np.diagonal, Arr(_shape), *_args)
for _shape, _k in [((3,), 0), ((2, 2), 1), ((3,), -1), ((2, 3), np.int64(2))]:
    case(np.diagflat, Arr(_shape), _k)
for _shape, _args in [((3, 3), ()), ((3, 4), (1,)), ((4, 3), (-2,)), ((2, 3, 4), (0, 1, 2)),
                      ((2, 3, 4), (1, -1, 0)), ((2, 3, 4, 2), (-1, 0, 3))]:
    case(np.trace, Arr(_shape), *_args)
for _func in (np.triu, np.tril):
    for _shape, _k in [((3, 3), 0), ((3, 4), 1), ((4, 3), -1), ((2, 3, 3), 0), ((3,), 0),
                       ((4,), -1), ((3, 3), np.int64(-1))]:
        case(_func, Arr(_shape), _k)

# Padding: the linear modes, constant_values of each form np.pad reads.
for _shape, _width in [((3,), 2), ((3,), (1, 2)), ((2, 3), ((1, 0), (2, 1))), ((2, 3), (1,)),
                       ((2, 3), [[0, 1], [2, 0]]), ((2, 3, 2), 1)]:
    case(np.pad, Arr(_shape), _width)
case(np.pad, Arr((2, 3)), 1, constant_values=Arr(()))
case(np.pad, Arr((2, 3)), 1, "constant", constant_values=Arr((2,)))
case(np.pad, Arr((2, 3)), ((1, 2), (0, 1)), constant_values=Arr((2, 2)))
case(np.pad, Arr((2, 3)), 1, constant_values=Arr((2, 1)))
for _mode in ["edge", "wrap", "reflect", "symmetric", "linear_ramp", "mean"]:
    case(np.pad, Arr((3,)), (2, 4), _mode)
    case(np.pad, Arr((3, 4)), ((1, 2), (3, 0)), _mode)
case(np.pad, Arr((3, 4)), 2, "reflect", reflect_type="odd")
case(np.pad, Arr((3, 4)), ((4, 1), (1, 5)), "symmetric", reflect_type="odd")
case(np.pad, Arr((4, 3)), 2, "mean", stat_length=2)
case(np.pad, Arr((4, 3)), ((1, 2), (2, 1)), "mean", stat_length=((1, 3), (2, 2)))
case(np.pad, Arr((4, 3)), 1, "linear_ramp", end_values=(1.0, -2.0))

# Selecting.
for _shape, _indices, _axis in [((5,), [0, 3, 3], None), ((2, 3), [5, 0, 0], None),
                                ((2, 3), 4, None), ((2, 3), [2, 0], 1), ((2, 3), [1, 1], 0),
                                ((2, 3, 4), [[0, 3], [3, 1]], -1), ((2, 3), 2, 1),
                                ((2, 3), [-1, 0], np.int64(1))]:
    case(np.take, Arr(_shape), _indices, _axis)
case(np.take, Arr((2, 3)), [5, -4, 0], 1, mode="wrap")
case(np.take, Arr((2, 3)), [7, -1, 0], mode="clip")
case(np.take, Arr((4,)), np.array([[0, 1], [1, 3]]))
for _shape, _indices, _axis in [((2, 3), [[0, 2, 2], [1, 0, 1]], 1),
                                ((2, 3), [[1, 0, 0]], 0), ((2, 3), [[1], [0]], 1),
                                ((4,), [3, 3, 0], None), ((2, 3), [5, 0, 1, 1], None),
                                ((2, 3, 4), np.zeros((2, 1, 4), int), -2),
                                ((2, 3), [[0, 2, 2], [1, 0, 1]], np.int64(-1))]:
    case(np.take_along_axis, Arr(_shape), np.array(_indices), _axis)
for _shape, _axis in [((5,), -1), ((2, 3), 0), ((2, 3), -1), ((2, 3, 4), 1), ((2, 3), None),
                      ((2, 3, 4), np.int64(2))]:
    case(np.sort, Arr(_shape), _axis)
case(np.sort, Arr((4, 3)), kind="stable")

# Broadcasting, conversion and casts.
for _shape, _to in [((), (2, 3)), ((3,), (2, 3)), ((2, 1), (2, 3)), ((1, 3), (4, 2, 3)),
                    ((2, 3), (2, 3)), ((3,), [2, 3])]:
    case(np.broadcast_to, Arr(_shape), _to)
for _shape in [(), (3,), (2, 3)]:
    case(np.asarray, Arr(_shape))
case(np.asarray, Arr((3, 2)), np.float64)
case(np.asarray, Arr((3, 2)), int)
case(np.asarray, Arr((3, 2), NONZERO), dtype=bool)
case(np.asarray, Arr((3, 2)), "float64")
case(np.ndarray.astype, Arr((2, 3)), np.float64)
case(np.ndarray.astype, Arr((2, 3)), float)
case(np.ndarray.astype, Arr((2, 3)), np.int32)
case(np.ndarray.astype, Arr((2, 3)), "float64", copy=False)
for _shape, _fill in [((2, 3), ()), ((2, 3), (3,)), ((2, 3), (2, 1)), ((), ())]:
    case(np.full_like, Arr(_shape), Arr(_fill))
case(np.full_like, np.zeros((2, 3), int), Arr(()))  # an integer result: zero derivative
case(np.full_like, Arr((2, 3)), Arr(()), shape=(4,))

# The runtime helpers (their rules differentiate the derivatives again).
_L3 = np.zeros((3, 2, 4))
case(runtime.unravel, Arr((24,)), np.zeros((2, 3, 4)))
case(runtime.unravel, Arr((24,)), np.zeros((2, 3, 4)), "F")
case(runtime.unravel, Arr((24,)), np.zeros((4, 3, 2)).transpose(1, 2, 0), "K")
case(runtime.ravel_like, Arr((2, 3, 4)), np.zeros((2, 3, 4)), "C")
case(runtime.ravel_like, Arr((2, 3, 4)), np.zeros((2, 3, 4)), "A")
case(runtime.ravel_like, Arr((2, 3, 4)), np.zeros((4, 3, 2)).T, "K")
case(runtime.concatenate_adjoint, Arr((2, 12)), _L3, 1)
case(runtime.concatenate_adjoint, Arr((24,)), _L3, None)
case(runtime.concatenate_adjoint, Arr((2, 12)), _L3, 0, "hstack")
case(runtime.concatenate_adjoint, Arr((2, 4, 3)), _L3, 0, "dstack")
case(runtime.concatenate_items, Arr((3, 2, 4)), _L3, -1)
case(runtime.concatenate_items, Arr((3, 2, 4)), _L3, None)
case(runtime.concatenate_items, Arr((3, 2, 4)), _L3, 0, "vstack")
case(runtime.split_adjoint, Arr((3, 2)), np.zeros(6), 3)
case(runtime.split_adjoint, Arr((2, 4, 3)), np.zeros((4, 6)), 2, 1)
case(runtime.tile_adjoint, Arr((2, 4, 3)), np.zeros((2, 3)), (2, 2, 1))
case(runtime.tile_adjoint, Arr((6,)), np.zeros(3), 2)
case(runtime.take_adjoint, Arr((3,)), np.zeros((2, 3)), [5, 0, 5])
case(runtime.take_adjoint, Arr((2, 2)), np.zeros((2, 3)), [2, -1], 1, "wrap")
case(runtime.diagonal_adjoint, Arr((3,)), np.zeros((3, 4)))
case(runtime.diagonal_adjoint, Arr((2, 3)), np.zeros((3, 2, 4)), 1, 0, 2)
case(runtime.diagonal_adjoint, Arr((2, 1)), np.zeros((3, 2, 4)), -1, 2, 0)  # trace's
case(runtime.diag_adjoint, Arr((4, 4)), np.zeros(3), 1)
case(runtime.diag_adjoint, Arr((2,)), np.zeros((3, 4)), -1)
case(runtime.pad_adjoint, Arr((5, 4)), np.zeros((2, 3)), ((1, 2), (0, 1)))
case(runtime.pad_adjoint, Arr((6, 7)), np.zeros((2, 3)), 2, "reflect", None, "odd")
case(runtime.pad_adjoint, Arr((6, 5)), np.zeros((4, 3)), 1, "mean", 2)
case(runtime.pad_tangent, Arr((2, 3)), ((1, 2), (0, 1)))
case(runtime.pad_tangent, Arr((2, 3)), 2, "symmetric")
case(runtime.pad_tangent, Arr((2, 3)), (1, 2), "wrap")
case(runtime.pad_fill_adjoint, Arr((4, 5)), np.zeros((2, 3)), 1, np.zeros(()))
case(runtime.pad_fill_adjoint, Arr((4, 5)), np.zeros((2, 3)), 1, np.zeros((2, 2)))
case(runtime.take_along_axis_adjoint, Arr((2, 3)), np.zeros((2, 3)),
     np.array([[0, 2, 2], [1, 0, 1]]), 1)
case(runtime.take_along_axis_adjoint, Arr((4,)), np.zeros((2, 3)), np.array([5, 0, 0, 1]),
     None)
case(runtime.cast_tangent, Arr((2, 3)), np.zeros((2, 3)))
case(runtime.cast_tangent, Arr((2, 3)), np.zeros((2, 3), int))
case(runtime.cast_adjoint, Arr((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)))
case(runtime.cast_adjoint, Arr((2, 3)), np.zeros((2, 3)), np.zeros((2, 3), bool))
case(runtime.triangle_adjoint, Arr((3, 3)), np.zeros(3))
case(runtime.triangle_adjoint, Arr((3, 4)), np.zeros((3, 4)), -1, False)
case(runtime.triangle_adjoint, Arr((2, 3, 3)), np.zeros((2, 3, 3)), 1)
case(runtime.refuse_out, Arr((2, 3)), None, "np.take")
