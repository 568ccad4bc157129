"""Every NumPy/math derivative rule, checked on concrete values.

For every differentiable (rule, parameter) pair of the case table, on random float64 inputs:

1. the reverse template matches central finite differences of ``sum(seed * f(args))``;
2. the dot-product test ``<vjp(u), v> == <u, jvp(v)>`` holds to 1e-10 relative;
3. the adjoint has exactly the parameter's shape, the tangent exactly the result's;
4. the general template (no literal arguments known) agrees with the specialised one.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import math
import operator
from typing import Any

import numpy as np
import pytest

import srcdiff.rules
from srcdiff import runtime
from srcdiff.rules import registry
from tests.rule_support import (
    AXES,
    BINARY_SHAPES,
    CASES,
    DOT_SHAPES,
    MATMUL_SHAPES,
    NONZERO,
    POS,
    REAL,
    SHAPES,
    UNIT,
    Arr,
    Cond,
    _draw,
    _name,
    case,
)

EPS = 1e-6
RTOL = ATOL = 1e-6
DOT_RTOL = 1e-10

UNARY = [(np.exp, REAL), (np.log, POS), (np.log1p, (-0.5, 2.0)), (np.expm1, REAL),
         (np.sqrt, POS), (np.sin, REAL), (np.cos, REAL), (np.tan, UNIT), (np.tanh, REAL),
         (np.abs, NONZERO), (abs, NONZERO), (np.square, REAL), (np.negative, REAL),
         (np.positive, REAL)]
MATH = [(math.exp, REAL), (math.log, POS), (math.log1p, (-0.5, 2.0)), (math.expm1, REAL),
        (math.sqrt, POS), (math.sin, REAL), (math.cos, REAL), (math.tan, UNIT),
        (math.tanh, REAL), (math.fabs, NONZERO), (float, REAL)]
BINARY = [(np.add, REAL, REAL), (np.subtract, REAL, REAL), (np.multiply, REAL, REAL),
          (np.true_divide, REAL, NONZERO), (np.power, POS, REAL),
          (np.maximum, REAL, REAL), (np.minimum, REAL, REAL)]
REDUCTIONS = [np.sum, np.mean, np.max, np.min, np.amax, np.amin]

for f, dom in UNARY:
    for s in SHAPES:
        case(f, Arr(s, dom))
    case(f, Arr((), dom, zero_d=True))
for f, dom in MATH:
    case(f, Arr((), dom))
for f, dom1, dom2 in BINARY:
    for s1, s2 in BINARY_SHAPES:
        case(f, Arr(s1, dom1), Arr(s2, dom2))
    case(f, Arr((), dom1, zero_d=True), Arr((2, 3), dom2))
case(np.multiply, Arr((2, 3)), 2.5)                # literal operands: no unbroadcast
case(np.add, 1.0, Arr((2, 3)))
case(np.subtract, 1, Arr((3,)))
case(np.true_divide, 1.0, Arr((2, 3), NONZERO))
case(np.power, Arr((2, 3), POS), 3)
case(np.power, Arr((2, 3), POS), 0.5)
case(np.power, 2.0, Arr((2, 3)))
case(np.maximum, Arr((2, 3)), 0.0)
for sc, s1, s2 in [((3,), (3,), (3,)), ((2, 3), (2, 3), (2, 3)), ((3, 1), (1, 4), (4,)),
                   ((3, 4), (), (4,)), ((4,), (3, 4), ()), ((), (3,), (3,)),
                   ((2, 3), (3,), (2, 1))]:
    case(np.where, Cond(sc), Arr(s1), Arr(s2))
case(np.where, Cond((2, 3)), Arr((2, 3)), 0.0)
case(np.where, Cond((2, 3)), 0.0, Arr((3,)))
for f in REDUCTIONS:
    for ax in AXES:
        for kd in (False, True):
            case(f, Arr((2, 3, 4)), axis=ax, keepdims=kd)
    case(f, Arr(()))
    case(f, Arr((3,)))
    case(f, Arr((2, 3)), axis=1)
    case(f, Arr((2, 3, 4)), axis=np.int64(-2))     # a non-literal axis
for s1, s2 in MATMUL_SHAPES:
    case(np.matmul, Arr(s1), Arr(s2))
for s1, s2 in DOT_SHAPES:
    case(np.dot, Arr(s1), Arr(s2))
# Indexing x[index]: integers, slices, ..., None, repeated integer arrays, boolean masks.
for _shape, _index in [((4,), 1), ((4,), -1), ((4,), slice(1, 3)), ((5,), slice(None, None, 2)),
                       ((2, 3), (1, -1)), ((2, 3), (slice(None), slice(1, None))),
                       ((2, 3), (Ellipsis, 0)), ((2, 3), (None, slice(None), 1)),
                       ((5,), [0, 0, 2]), ((3,), np.array([True, False, True])),
                       ((2, 3), np.array([[True, False, True], [False, True, True]]))]:
    case(operator.getitem, Arr(_shape), _index)
# srcdiff's own helpers (so generated code can be differentiated again).
case(runtime.unbroadcast, Arr((3, 4)), Arr((4,)))
case(runtime.unbroadcast, Arr((2, 3)), Arr((2, 1)))
case(runtime.broadcast_like, Arr((4,)), Arr((3, 4)))
case(runtime.unbroadcast_uniform, Arr(()), Arr((4,)), Arr((3, 4)))
case(runtime.sum_to_number, Arr((2, 3)))
case(runtime.sum_to_number, Arr(()))
case(runtime.unbroadcast_uniform, Arr(()), Arr((3, 1)), Arr((3,)))
case(runtime.repeat_to_shape, Arr((2, 4)), Arr((2, 3, 4)), 1)
case(runtime.repeat_to_shape, Arr(()), Arr((2, 3)))
case(runtime.repeat_to_shape, Arr((2, 1)), Arr((2, 3)), 1, True)
case(runtime.as_gradient, Arr((2, 3)), Arr((2, 3)))
case(runtime.as_cotangent, Arr((2, 3)), Arr((2, 3)))
case(runtime.index_adjoint, Arr((2,)), Arr((5,)), slice(1, 3))
case(runtime.zero_slot, Arr((5,)), slice(1, 3))
case(runtime.set_slot, Arr((5,)), 2, Arr(()))
case(runtime.xlogy, Arr((3,), POS), Arr((3,), POS))
for _a, _b in MATMUL_SHAPES:
    _g = np.shape(np.matmul(np.zeros(_a), np.zeros(_b)))
    case(runtime.matmul_vjp_a, Arr(_g), Arr(_a), Arr(_b))
    case(runtime.matmul_vjp_b, Arr(_g), Arr(_a), Arr(_b))
for _a, _b in DOT_SHAPES:
    _g = np.shape(np.dot(np.zeros(_a), np.zeros(_b)))
    case(runtime.dot_vjp_a, Arr(_g), Arr(_a), Arr(_b))
    case(runtime.dot_vjp_b, Arr(_g), Arr(_a), Arr(_b))
case(np.stack, Arr((3, 2)))
case(np.stack, Arr((3, 2)), 1)
case(np.stack, Arr((3, 2, 4)), -1)
case(np.array, Arr((2, 3)))
case(sum, Arr((3, 2)))
case(sum, Arr((3, 2)), Arr((2,)))
case(np.copy, Arr((2, 3)))
case(np.copy, Arr(()))
case(np.transpose, Arr(()))
case(np.transpose, Arr((3,)))
case(np.transpose, Arr((2, 3)))
case(np.transpose, Arr((2, 3, 4)))
case(np.transpose, Arr((2, 3, 4)), (2, 0, 1))
case(np.transpose, Arr((2, 3, 4)), axes=(-1, 0, 1))
case(np.transpose, Arr((2, 3, 4)), [1, 2, 0])      # a list is not a literal: helper path
case(np.reshape, Arr(()), (1,))
case(np.reshape, Arr((2, 3)), (3, 2))
case(np.reshape, Arr((2, 3)), (6,))
case(np.reshape, Arr((2, 3, 4)), (4, -1))
case(np.reshape, Arr((2, 3)), [3, 2])
case(np.reshape, Arr((2, 3)), (3, 2), order="F")
case(np.reshape, Arr((6,)), shape=(2, 3), order="F")


import tests.rule_cases  # noqa: E402,F401  (each group of rules adds its cases)


def _case_id(func: Any, pos: tuple, kw: dict) -> str:
    parts = [repr(v) if isinstance(v, (Arr, Cond)) else f"{v!r}" for v in pos]
    parts += [f"{k}={v!r}" for k, v in kw.items()]
    return f"{_name(func)}({','.join(parts)})".replace(" ", "")


def _active(func: Any, pos: tuple, kw: dict) -> list[str]:
    """The parameters drawn at random that the rule differentiates."""
    rule = srcdiff.rules.lookup(func)
    params = rule.bind(list(pos), kw)
    return [p for p, v in params.items()
            if isinstance(v, Arr) and rule.vjp.get(p) is not None]


PARAM_CASES = [pytest.param(f, pos, kw, p, id=f"{_case_id(f, pos, kw)}-{p}")
               for f, pos, kw in CASES for p in _active(f, pos, kw)]


# ---------------------------------------------------------------------------------------------
# Running a case.
# ---------------------------------------------------------------------------------------------


def _seed_like(y: Any, rng: np.random.Generator, lead: tuple[int, ...] = ()) -> Any:
    """A random cotangent of ``y`` (a tuple of them for a tuple result), with ``lead`` axes."""
    if isinstance(y, tuple):
        return tuple(_seed_like(item, rng, lead) for item in y)
    u = rng.normal(size=lead + np.shape(y))
    return float(u) if isinstance(y, float) and not lead else u


def _pair(u: Any, t: Any) -> Any:
    """``sum(u * t)``, item by item for tuples."""
    if isinstance(u, tuple):
        return sum(_pair(a, b) for a, b in zip(u, t, strict=True))
    return np.sum(u * t)


def _shape(value: Any) -> Any:
    return tuple(_shape(v) for v in value) if isinstance(value, tuple) else np.shape(value)


def _abs(value: Any) -> Any:
    return tuple(_abs(v) for v in value) if isinstance(value, tuple) else np.abs(value)


def _item(batch: Any, k: int) -> Any:
    return tuple(_item(b, k) for b in batch) if isinstance(batch, tuple) else batch[k]


def _setup(func: Any, pos: tuple, kw: dict, param: str):
    rng = np.random.default_rng(20240611)
    pos_v = [_draw(v, rng) for v in pos]
    kw_v = {k: _draw(v, rng) for k, v in kw.items()}
    rule = srcdiff.rules.lookup(func)
    args = rule.bind(pos_v, kw_v)
    y = func(*pos_v, **kw_v)
    x = args[param]
    y = tuple(y) if isinstance(y, tuple) else y  # NumPy's named tuples
    u = _seed_like(y, rng)
    v = rng.normal(size=np.shape(x))
    v = float(v) if isinstance(x, float) else v
    return rule, pos_v, kw_v, args, x, y, u, v


def _call_with(func: Any, rule, pos_v: list, kw_v: dict, param: str, value: Any) -> Any:
    pos_v, kw_v = list(pos_v), dict(kw_v)
    if param in kw_v:
        kw_v[param] = value
    else:
        pos_v[rule.params.index(param)] = value
    return func(*pos_v, **kw_v)


def _finite_differences(func, rule, pos_v, kw_v, param, x, u) -> Any:
    def objective(value):
        out = _call_with(func, rule, pos_v, kw_v, param, value)
        return _pair(u, tuple(out) if isinstance(out, tuple) else out)

    if isinstance(x, float):
        return (objective(x + EPS) - objective(x - EPS)) / (2 * EPS)
    grad = np.zeros(np.shape(x))
    for idx in np.ndindex(np.shape(x)):
        plus, minus = np.array(x, dtype=float), np.array(x, dtype=float)
        plus[idx] += EPS
        minus[idx] -= EPS
        grad[idx] = (objective(plus) - objective(minus)) / (2 * EPS)
    return grad


@pytest.mark.parametrize("func, pos, kw, param", PARAM_CASES)
def test_rule(func, pos, kw, param):
    rule, pos_v, kw_v, args, x, y, u, v = _setup(func, pos, kw, param)
    g = registry.evaluate(rule, "vjp", param, args, y, u)
    t = registry.evaluate(rule, "jvp", param, args, y, v)

    assert np.shape(g) == np.shape(x), "adjoint shape"
    assert _shape(t) == _shape(y), "tangent shape"
    if isinstance(x, float) and isinstance(y, float):  # math.* and builtins stay Python floats
        assert isinstance(g, float) and isinstance(t, float)

    lhs, rhs = np.sum(g * v), _pair(u, t)
    scale = max(np.sum(np.abs(g * v)), _pair(_abs(u), _abs(t)))
    assert abs(lhs - rhs) <= DOT_RTOL * scale, "dot-product test"

    numeric = _finite_differences(func, rule, pos_v, kw_v, param, x, u)
    np.testing.assert_allclose(g, numeric, rtol=RTOL, atol=ATOL)


def _evaluate_general(rule, mode, param, args, y, seed):
    """``registry.evaluate`` as if no argument were a literal: the unspecialised template."""
    template = rule.template(mode, param, {})
    env = {name: getattr(runtime, name) for name in _helpers()}
    env.update(registry.TEMPLATE_MODULES, **args, y=y)
    env["dy" if mode == "vjp" else f"d{param}"] = seed
    code = compile(ast.Expression(ast.fix_missing_locations(template)), "<rule>", "eval")
    return eval(code, env)


@pytest.mark.parametrize("func, pos, kw, param", PARAM_CASES)
def test_general_template_agrees(func, pos, kw, param):
    rule, _, _, args, _, y, u, v = _setup(func, pos, kw, param)
    for mode, seed in (("vjp", u), ("jvp", v)):
        special = registry.evaluate(rule, mode, param, args, y, seed)
        general = _evaluate_general(rule, mode, param, args, y, seed)
        assert _shape(general) == _shape(special)
        for a, b in (zip(general, special, strict=True) if isinstance(special, tuple)
                     else [(general, special)]):
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# Conventions at non-smooth points.
# ---------------------------------------------------------------------------------------------


def _vjp(func, param, *pos, seed=None, **kw):
    rule = srcdiff.rules.lookup(func)
    args = rule.bind(list(pos), kw)
    y = func(*pos, **kw)
    seed = np.ones(np.shape(y)) if seed is None else seed
    return registry.evaluate(rule, "vjp", param, args, y, seed)


def _jvp(func, param, tangent, *pos, **kw):
    rule = srcdiff.rules.lookup(func)
    args = rule.bind(list(pos), kw)
    return registry.evaluate(rule, "jvp", param, args, func(*pos, **kw), tangent)


@pytest.mark.parametrize("func", [np.max, np.amax])
def test_max_ties_split_evenly(func):
    a = np.array([1.0, 3.0, 3.0, 2.0])
    np.testing.assert_array_equal(_vjp(func, "a", a), [0, 0.5, 0.5, 0])
    assert _jvp(func, "a", np.array([0.0, 1.0, 3.0, 5.0]), a) == 2.0
    b = np.array([[1.0, 1.0, 0.0], [2.0, 0.0, 2.0], [5.0, 5.0, 5.0]])
    expected = [[0.5, 0.5, 0], [0.5, 0, 0.5], [1 / 3, 1 / 3, 1 / 3]]
    for kd in (False, True):
        np.testing.assert_allclose(_vjp(func, "a", b, axis=1, keepdims=kd), expected)


@pytest.mark.parametrize("func", [np.min, np.amin])
def test_min_ties_split_evenly(func):
    b = np.array([[1.0, 0.0], [1.0, 3.0], [4.0, 0.0]])
    np.testing.assert_allclose(_vjp(func, "a", b, axis=0), [[0.5, 0.5], [0.5, 0], [0, 0.5]])
    np.testing.assert_allclose(_vjp(func, "a", b), [[0, 0.5], [0, 0], [0, 0.5]])


def test_maximum_minimum_ties_split_evenly():
    x = np.array([0.0, 1.0, -1.0])
    np.testing.assert_array_equal(_vjp(np.maximum, "x1", x, 0.0), [0.5, 1, 0])
    np.testing.assert_array_equal(_vjp(np.minimum, "x1", x, 0.0), [0.5, 0, 1])
    assert _vjp(np.maximum, "x2", x, 0.0) == 1.5
    np.testing.assert_array_equal(_vjp(np.maximum, "x1", x, x) + _vjp(np.maximum, "x2", x, x),
                                  [1, 1, 1])


def test_abs_at_zero_is_zero():
    np.testing.assert_array_equal(_vjp(np.abs, "x", np.array([-2.0, 0.0, 3.0])), [-1, 0, 1])
    assert _vjp(abs, "x", 0.0, seed=1.0) == 0.0
    assert _vjp(math.fabs, "x", -0.0, seed=1.0) == 0.0


def test_power_at_zero_base():
    x1, x2 = np.array([0.0, 2.0, 0.0]), np.array([2.0, 3.0, 0.5])
    with np.errstate(all="raise"):
        g2 = _vjp(np.power, "x2", x1, x2)
        np.testing.assert_allclose(g2, [0.0, 8 * np.log(2.0), 0.0])
        assert _vjp(np.power, "x2", 0.0, 2.0, seed=1.0) == 0.0
        assert _jvp(np.power, "x2", 1.0, 0.0, 3.0) == 0.0
    np.testing.assert_allclose(_vjp(np.power, "x1", x1[:2], x2[:2]), [0.0, 12.0])


def test_literal_operands_skip_unbroadcast():
    rule = srcdiff.rules.lookup(np.multiply)
    assert ast.unparse(rule.template("vjp", "x1", {"x2": 2.5})) == "dy * x2"
    assert ast.unparse(rule.template("vjp", "x1", {})) == "unbroadcast(dy * x2, x1)"
    add = srcdiff.rules.lookup(np.add)
    assert ast.unparse(add.template("jvp", "x1", {"x2": 1})) == "dx1"
    assert ast.unparse(add.template("jvp", "x1", {})) == "broadcast_like(dx1, y)"


def test_specialised_templates_read_naturally():
    def text(func, mode, param, consts):
        return ast.unparse(srcdiff.rules.lookup(func).template(mode, param, consts))

    assert text(np.transpose, "vjp", "a", {"axes": None}) == "np.transpose(dy)"
    assert text(np.transpose, "vjp", "a", {"axes": (2, 0, 1)}) == "np.transpose(dy, (1, 2, 0))"
    assert text(np.sum, "vjp", "a", {"axis": None, "keepdims": False}) == "repeat_to_shape(dy, a)"
    assert text(np.sum, "jvp", "a", {"axis": 1, "keepdims": False}) == "np.sum(da, axis=axis)"
    assert text(np.mean, "vjp", "a", {"axis": None, "keepdims": False}) == \
        "repeat_to_shape(dy, a) / np.size(a)"
    assert text(np.reshape, "vjp", "a", {"order": "C"}) == "np.reshape(dy, np.shape(a))"


# ---------------------------------------------------------------------------------------------
# The registry as a whole.
# ---------------------------------------------------------------------------------------------

DIFFERENTIABLE = [np.add, np.subtract, np.multiply, np.true_divide, np.divide, np.power,
                  np.matmul, np.negative, np.positive, np.maximum, np.minimum, np.where,
                  np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.dot, np.transpose,
                  np.reshape, abs, float] + [f for f, _ in UNARY + MATH]
ZERO = [np.zeros, np.ones, np.empty, np.full, np.zeros_like, np.ones_like, np.empty_like,
        np.arange, np.linspace, np.eye, np.identity, np.shape, np.size, np.ndim, len, int, bool,
        round, np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.argmax, np.argmin,
        np.argsort, np.isnan, np.isinf, np.isfinite, np.greater, np.less, np.equal,
        np.greater_equal, np.less_equal, np.not_equal, np.logical_and, np.logical_or,
        np.logical_not, math.floor, math.ceil, math.isnan, np.random.rand, np.random.randn,
        np.random.normal, np.random.uniform, np.random.random]


def test_registered():
    for func in DIFFERENTIABLE:
        rule = srcdiff.rules.lookup(func)
        assert rule is not None and not rule.zero, func
        assert set(rule.vjp) == set(rule.jvp), func
    for func in ZERO:
        rule = srcdiff.rules.lookup(func)
        assert rule is not None and rule.zero, func
    assert srcdiff.rules.lookup(np.reshape).params[1] in inspect.signature(np.reshape).parameters


def test_every_differentiable_param_is_tested():
    tested = {(id(f), p) for f, pos, kw in CASES for p in _active(f, pos, kw)}
    for func, rule in registry.registered():
        for param, template in rule.vjp.items():
            if template is not None:
                assert (id(func), param) in tested, (rule.name, func, param)


def test_methods_and_attributes():
    for name in ("sum", "mean", "max", "min", "reshape", "transpose", "dot"):
        method = srcdiff.rules.METHODS[name]
        rule = srcdiff.rules.lookup(method.func)
        assert rule is not None and not rule.zero
        assert method.varargs is None or method.varargs in rule.params
    assert srcdiff.rules.METHODS["reshape"].varargs == "shape"
    assert srcdiff.rules.METHODS["transpose"].varargs == "axes"
    assert srcdiff.rules.ATTRIBUTES["T"] is np.transpose
    # x.transpose(1, 0) is np.transpose(x, (1, 0)); x.reshape(3, 4) is np.reshape(x, (3, 4)).
    x = np.arange(12.0).reshape(4, 3)
    g = _vjp(np.transpose, "a", x, (1, 0), seed=np.ones((3, 4)))
    assert g.shape == (4, 3)
    assert _vjp(np.reshape, "a", x, (3, 4), seed=np.ones((3, 4))).shape == (4, 3)


def _helpers() -> set[str]:
    return {name for name, obj in vars(runtime).items()
            if inspect.isfunction(obj) and obj.__module__ == runtime.__name__}


def _consts_variants(rule) -> list[dict]:
    variants = [{}, dict(rule.defaults)]
    variants += [{**rule.defaults, p: 2.0} for p in rule.params]
    rng = np.random.default_rng(0)
    for func, pos, kw in CASES:
        if srcdiff.rules.lookup(func) is rule:
            kw_v = {k: _draw(v, rng) for k, v in kw.items()}
            args = rule.bind([_draw(v, rng) for v in pos], kw_v)
            variants.append({k: v for k, v in args.items()
                             if v is None or isinstance(v, (bool, int, float, str, tuple))})
    return variants


def _check_names(node: ast.expr, allowed: set[str], where: str) -> None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            assert sub.id in allowed, f"{where}: name {sub.id!r} outside the vocabulary"
        if (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
                and sub.value.id in registry.TEMPLATE_MODULES):
            module = registry.TEMPLATE_MODULES[sub.value.id]
            assert hasattr(module, sub.attr), f"{where}: {sub.value.id}.{sub.attr} does not exist"


def test_templates_use_only_their_vocabulary():
    common = set(registry.TEMPLATE_MODULES) | _helpers() | set(registry.TEMPLATE_BUILTINS)
    for _, rule in registry.registered():
        for consts in _consts_variants(rule):
            for mode, table in (("vjp", rule.vjp), ("jvp", rule.jvp)):
                for param in table:
                    node = rule.template(mode, param, consts)
                    if node is None:
                        continue
                    own = {"dy"} if mode == "vjp" else {f"d{param}"}
                    allowed = common | set(rule.params) | {"y"} | own
                    _check_names(node, allowed, f"{rule.name} {mode} {param} {consts}")


def test_runtime_helpers_are_self_contained():
    allowed = {"np", "math"} | _helpers() | set(dir(builtins))
    for name in _helpers():
        func = getattr(runtime, name)
        assert inspect.getdoc(func), f"{name} has no docstring"
        tree = ast.parse(inspect.getsource(func))
        bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Store)}
        bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
                  for a in n.args + n.kwonlyargs + n.posonlyargs}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                assert node.id in bound | allowed | {"NonScalarOutputError"}, (name, node.id)


# ---------------------------------------------------------------------------------------------
# Batched forms: a batch of seeds gives, item by item, what the plain template gives.
# ---------------------------------------------------------------------------------------------

#: (rule, parameter, mode) that differentiate but have no batched form yet: a Jacobian
#: through them takes one pass per row or column. ``None`` stands for every parameter/mode.
UNBATCHED = {
    ("np.dot_vjp_a", "b", "jvp"), ("np.dot_vjp_b", "a", "jvp"),
    ("np.reshape", "a", None),  # in Fortran order only
}


def _unbatched(rule, param, mode) -> bool:
    from tests.rule_cases import linalg, reductions, shapes, ufuncs

    groups = (ufuncs, reductions, shapes, linalg)
    every = UNBATCHED.union(*(getattr(group, "UNBATCHED", set()) for group in groups))
    return any(name == rule.name and p in (None, param) and m in (None, mode)
               for name, p, m in every)


def _has_batched(rule, mode, param, args) -> bool:
    consts = {k: v for k, v in args.items()
              if v is None or isinstance(v, (bool, int, float, str, tuple))}
    try:
        rule.template(f"batch_{mode}", param, consts)
    except KeyError:
        return False
    return True


@pytest.mark.parametrize("func, pos, kw, param", PARAM_CASES)
def test_batched_forms_agree(func, pos, kw, param):
    rule, _, _, args, x, y, _, _ = _setup(func, pos, kw, param)
    rng = np.random.default_rng(11)
    for mode, seed_like in (("vjp", y), ("jvp", x)):
        if not _has_batched(rule, mode, param, args):
            assert _unbatched(rule, param, mode), f"{rule.name} has no batched {mode} for {param}"
            continue
        seeds = _seed_like(seed_like, rng, (3,))  # a tuple of batches for a tuple result
        batched = registry.evaluate(rule, f"batch_{mode}", param, args, y, seeds)
        like = x if mode == "vjp" else y
        expected = (tuple((3,) + np.shape(i) for i in like) if isinstance(like, tuple)
                    else (3,) + np.shape(like))
        assert _shape(batched) == expected, mode
        for k in range(3):
            seed = _item(seeds, k)
            seed = float(seed) if isinstance(seed_like, float) else seed
            single = registry.evaluate(rule, mode, param, args, y, seed)
            got = _item(batched, k)
            for a, b in (zip(got, single, strict=True) if isinstance(single, tuple)
                         else [(got, single)]):
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
