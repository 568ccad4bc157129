"""Rules for srcdiff's own runtime helpers, so that generated code can be differentiated
again (``jvp(grad(f))``, ``hessian``).

Most helpers are linear in their first argument: their forward template applies the helper
to the tangent. Helpers that only read a value's shape, or are piecewise constant, have no
derivative. A helper without a reverse template here can be differentiated in forward mode
only; reverse mode then reports it clearly.
"""
from __future__ import annotations

from srcdiff import runtime as rt
from srcdiff.rules.registry import defrule, nondiff

nondiff(rt.scalar_seed, rt.zero_gradient, rt.reduced_size, rt.tie_weights,
        rt.inverse_permutation, rt.shape_only, rt.zero_items, rt.zero_tangents)

defrule(rt.unbroadcast, "g, like",
        vjp={"g": "broadcast_like(dy, g)", "like": None},
        jvp={"g": "unbroadcast(dg, like)", "like": None},
        batch_vjp={"g": "batch_broadcast_like(dy, g)", "like": None},
        batch_jvp={"g": "batch_unbroadcast(dg, like)", "like": None})
# Linear in g, times a count that depends on shapes only: its own adjoint and tangent.
defrule(rt.unbroadcast_uniform, "g, like, other",
        vjp={"g": "unbroadcast_uniform(dy, like, other)", "like": None, "other": None},
        jvp={"g": "unbroadcast_uniform(dg, like, other)", "like": None, "other": None},
        batch_vjp={"g": "unbroadcast_uniform(dy, like, other)", "like": None, "other": None},
        batch_jvp={"g": "unbroadcast_uniform(dg, like, other)", "like": None, "other": None})
defrule(rt.sum_to_number, "g",
        vjp={"g": "broadcast_like(dy, g)"}, jvp={"g": "sum_to_number(dg)"},
        batch_vjp={"g": "batch_broadcast_like(dy, g)"}, batch_jvp={"g": "batch_sum_to(dg, y)"})
defrule(rt.broadcast_like, "t, like",
        vjp={"t": "unbroadcast(dy, t)", "like": None},
        jvp={"t": "broadcast_like(dt, like)", "like": None},
        batch_vjp={"t": "batch_unbroadcast(dy, t)", "like": None},
        batch_jvp={"t": "batch_broadcast_like(dt, like)", "like": None})
defrule(rt.repeat_to_shape, "g, like, axis=None, keepdims=False",
        vjp={"g": "sum_to(dy, g, axis, keepdims)", "like": None, "axis": None,
             "keepdims": None},
        jvp={"g": "repeat_to_shape(dg, like, axis, keepdims)", "like": None, "axis": None,
             "keepdims": None},
        batch_vjp={"g": "batch_sum_to(dy, g, axis, keepdims)", "like": None, "axis": None,
                   "keepdims": None},
        batch_jvp={"g": "batch_repeat_to_shape(dg, like, axis, keepdims)", "like": None,
                   "axis": None, "keepdims": None})
defrule(rt.as_cotangent, "ct, out",
        vjp={"ct": "dy", "out": None}, jvp={"ct": "as_cotangent(dct, out)", "out": None},
        batch_vjp={"ct": "dy", "out": None},
        batch_jvp={"ct": "batch_as_cotangent(dct, out)", "out": None})
defrule(rt.as_gradient, "g, like",
        vjp={"g": "as_gradient(dy, g)", "like": None},
        jvp={"g": "as_gradient(dg, like)", "like": None},
        batch_vjp={"g": "batch_as_gradient(dy, g)", "like": None},
        batch_jvp={"g": "batch_as_gradient(dg, like)", "like": None})
defrule(rt.as_tangent, "t, like",
        vjp={"like": None},
        jvp={"t": "as_tangent(dt, like)", "like": None},
        batch_jvp={"t": "batch_as_tangent(dt, like)", "like": None})
defrule(rt.index_adjoint, "g, like, index",
        vjp={"g": "dy[index]", "like": None, "index": None},
        jvp={"g": "index_adjoint(dg, like, index)", "like": None, "index": None},
        batch_vjp={"g": "batch_index(dy, index)", "like": None, "index": None},
        batch_jvp={"g": "batch_index_adjoint(dg, like, index)", "like": None, "index": None})
defrule(rt.zero_slot, "g, index",
        vjp={"g": "zero_slot(dy, index)", "index": None},
        jvp={"g": "zero_slot(dg, index)", "index": None},
        batch_vjp={"g": "batch_zero_slot(dy, index)", "index": None},
        batch_jvp={"g": "batch_zero_slot(dg, index)", "index": None})
defrule(rt.set_slot, "t, index, value",
        vjp={"t": "zero_slot(dy, index)", "index": None, "value": "unbroadcast(dy[index], value)"},
        jvp={"t": "set_slot(dt, index, np.zeros_like(value))", "index": None,
             "value": "set_slot(np.zeros_like(t), index, dvalue)"},
        batch_vjp={"t": "batch_zero_slot(dy, index)", "index": None,
                   "value": "batch_unbroadcast(batch_index(dy, index), value)"},
        batch_jvp={"t": "batch_zero_slot(dt, index)", "index": None,
                   "value": "batch_set_slot(batch_zeros(t, len(dvalue)), index, dvalue)"})
defrule(rt.xlogy, "x1, x2",
        vjp={"x1": "unbroadcast(dy * np.log(x2), x1)", "x2": "unbroadcast(dy * x1 / x2, x2)"},
        jvp={"x1": "xlogy(dx1, x2)", "x2": "dx2 * x1 / x2"}, pointwise=True)
defrule(rt.unstack, "g, like, axis=0",
        vjp={"like": None, "axis": None},
        jvp={"g": "unstack(dg, like, axis)", "like": None, "axis": None})
defrule(rt.spread, "g, like",
        vjp={"like": None},
        jvp={"g": "spread(dg, like)", "like": None})

# The adjoints of products: bilinear in (adjoint, other operand); the operand whose adjoint
# they are enters only through its shape. In the adjoint they are linear in, their own
# adjoint is the product again (the transpose of a transpose).
defrule(rt.matmul_vjp_a, "g, a, b",
        vjp={"g": "np.matmul(dy, b)", "a": None},
        jvp={"g": "matmul_vjp_a(dg, a, b)", "a": None, "b": "matmul_vjp_a(g, a, db)"},
        batch_vjp={"g": "batch_matmul(dy, b, True, False, g)", "a": None},
        batch_jvp={"g": "batch_matmul_vjp_a(dg, a, b)", "a": None,
                   "b": "batch_matmul_vjp_a(g, a, db, False, True)"})
defrule(rt.matmul_vjp_b, "g, a, b",
        vjp={"g": "np.matmul(a, dy)", "b": None},
        jvp={"g": "matmul_vjp_b(dg, a, b)", "a": "matmul_vjp_b(g, da, b)", "b": None},
        batch_vjp={"g": "batch_matmul(a, dy, False, True, g)", "b": None},
        batch_jvp={"g": "batch_matmul_vjp_b(dg, a, b)",
                   "a": "batch_matmul_vjp_b(g, da, b, False, True)", "b": None})
# Their batched forms in the other operand (a batch of b in dot_vjp_a) are not written yet.
defrule(rt.dot_vjp_a, "g, a, b",
        vjp={"g": "np.dot(dy, b)", "a": None},
        jvp={"g": "dot_vjp_a(dg, a, b)", "a": None, "b": "dot_vjp_a(g, a, db)"},
        batch_vjp={"g": "batch_dot(dy, b, True, False, g)", "a": None},
        batch_jvp={"g": "batch_dot_vjp_a(dg, a, b)", "a": None})
defrule(rt.dot_vjp_b, "g, a, b",
        vjp={"g": "np.dot(a, dy)", "b": None},
        jvp={"g": "dot_vjp_b(dg, a, b)", "a": "dot_vjp_b(g, da, b)", "b": None},
        batch_vjp={"g": "batch_dot(a, dy, False, True, g)", "b": None},
        batch_jvp={"g": "batch_dot_vjp_b(dg, a, b)", "b": None})
