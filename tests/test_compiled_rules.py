"""Every NumPy/math rule, end to end through the compiler.

``tests/test_rules.py`` runs each rule's templates alone; here each rule is reached the way a
user reaches it: a session fixture writes one module of generated functions (one per case,
with literal ``axis``/``keepdims``/``axes``/shape arguments in the source), imports it, and
for every case

1. ``srcdiff.check_grad`` passes with its default tolerances;
2. ``srcdiff.grad`` returns, per ``wrt`` argument, exactly its type, shape and dtype (a Python
   float for a float, a NumPy scalar for a NumPy scalar, float32 for float32);
3. for the cases marked ``vjp``, ``srcdiff.vjp`` of the inner, non-scalar expression with the
   cotangent ``ct`` equals the gradient of ``np.sum(expression * ct)``.

A non-scalar expression ``E`` becomes the scalar ``np.sum(E * ct)``, ``ct`` being
a fixed random array that is a parameter, never differentiated. Inputs are drawn with
``np.random.default_rng`` seeded by the case id, inside each rule's domain and away from its
non-differentiable points.
"""
from __future__ import annotations

import ast
import builtins
import importlib.util
import math
import operator
import sys
import zlib
from typing import Any

import numpy as np
import pytest

import srcdiff
from srcdiff.rules import ATTRIBUTES, BINARY_OPERATORS, METHODS, UNARY_OPERATORS, registered
from tests.compiled_support import (
    CASES,
    DISTINCT,
    NONZERO,
    ONEHOT,
    POS,
    REAL,
    SIGN,
    UNIT,
    Arg,
    Case,
    arr,
    case,
    shape_id,
)

MODULE = "cr_cases"

# ---------------------------------------------------------------------------------------------
# Operators.
# ---------------------------------------------------------------------------------------------

BROADCAST_PAIRS = [((), (3,)), ((3,), ()), ((3, 1), (1, 4)), ((4,), (3, 4)), ((3, 4), (4,)),
                   ((2, 3), (2, 3))]
BINARY = {  # symbol: (name, domain of x, domain of y)
    "+": ("add", REAL, REAL), "-": ("sub", REAL, REAL), "*": ("mul", REAL, REAL),
    "/": ("div", REAL, NONZERO), "**": ("pow", POS, REAL),
}
for _sym, (_name, _dx, _dy) in BINARY.items():
    for _sx, _sy in BROADCAST_PAIRS:
        case(f"op-{_name}-{shape_id(_sx)}-{shape_id(_sy)}", "x, y",
             (Arg(_sx, _dx), Arg(_sy, _dy)), f"x {_sym} y", wrt=(0, 1),
             vjp=_sx == (3, 1) or _sx == (4,))

_X23 = arr(2, 3)
_F64 = Arg((), REAL, "np")
for _id, _expr, _dom in [
    ("square", "x ** 2", REAL), ("cube", "x ** 3", REAL), ("pow3.5", "x ** 3.5", POS),
    ("pow-neg", "x ** -1.5", POS), ("exp2", "2.0 ** x", REAL), ("neg", "-x", REAL),
    ("pos", "+x", REAL), ("mul-lit", "x * 2.5", REAL), ("lit-mul", "2.5 * x", REAL),
    ("lit-sub", "3 - x", REAL), ("sub-lit", "x - 0.5", REAL), ("add-lit", "x + 1", REAL),
    ("lit-add", "1.5 + x", REAL), ("div-lit", "x / 4", REAL), ("lit-div", "2.0 / x", NONZERO),
    ("self-mul", "x * x", REAL), ("self-mix", "x * x - x / 3 + x", REAL),
]:
    case(f"op-{_id}", "x", (arr(2, 3, domain=_dom),), _expr, vjp=True)
    case(f"op-{_id}-float", "x", (Arg((), _dom),), _expr)
case("op-self-pow", "x", (arr(3, domain=POS),), "x ** x")
case("op-pow-chain", "x, y", (arr(3, domain=POS), arr(3)), "(x * y) ** 2 / x", wrt=(0, 1))

# ---------------------------------------------------------------------------------------------
# Elementwise functions.
# ---------------------------------------------------------------------------------------------

UNARY = {"exp": REAL, "log": POS, "log1p": POS, "expm1": REAL, "sqrt": POS, "sin": REAL,
         "cos": REAL, "tan": UNIT, "tanh": REAL, "abs": NONZERO, "square": REAL}
for _fn, _dom in UNARY.items():
    for _shape in [(), (3,), (2, 3)]:
        case(f"np-{_fn}-{shape_id(_shape)}", "x",
             (Arg(_shape, _dom, "float" if _shape == () else "array"),), f"np.{_fn}(x)",
             vjp=_shape == (2, 3))
case("np-sign", "x", (arr(2, 3, domain=NONZERO),), "np.sign(x) * x", vjp=True)
case("np-sign-float", "x", (Arg((), NONZERO),), "np.sign(x) * x")
case("np-tanh-chain", "x", (_X23,), "np.exp(np.sin(x)) * np.tanh(x)")
case("builtin-abs", "x", (arr(2, 3, domain=NONZERO),), "abs(x)", vjp=True)
case("builtin-abs-float", "x", (Arg((), NONZERO),), "abs(x) * x")
case("builtin-float", "x", (Arg(()),), "float(x) ** 2", ct=False)
case("builtin-float-np", "x", (_F64,), "float(x) * x", ct=False)
for _expr in ["np.add(x, y)", "np.subtract(x, y)", "np.multiply(x, y)", "np.divide(x, y)",
              "np.true_divide(x, y)", "np.negative(x) * y", "np.positive(x) - y"]:
    case(f"np-{_expr}".replace(" ", ""), "x, y", (arr(3, 1), arr(1, 4, domain=NONZERO)), _expr,
         wrt=(0, 1), vjp=True)

for _fn in ("maximum", "minimum"):
    for _sx, _sy in [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((), (3,)), ((4,), (3, 4))]:
        case(f"np-{_fn}-{shape_id(_sx)}-{shape_id(_sy)}", "x, y", (Arg(_sx), Arg(_sy)),
             f"np.{_fn}(x, y)", wrt=(0, 1), vjp=_sx == (3, 1))
    case(f"np-{_fn}-lit", "x", (_X23,), f"np.{_fn}(x, 0.25)")
for _sx, _sy in [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((3,), ())]:
    case(f"np-power-{shape_id(_sx)}-{shape_id(_sy)}", "x, y", (Arg(_sx, POS), Arg(_sy)),
         "np.power(x, y)", wrt=(0, 1), vjp=_sx == (3, 1))
case("np-power-lit", "x", (arr(2, 3, domain=POS),), "np.power(x, 1.5)")

for _sx, _sy in [((2, 3), (2, 3)), ((3,), (2, 3)), ((2, 3), ())]:
    case(f"np-where-{shape_id(_sx)}-{shape_id(_sy)}", "x, y",
         (Arg(_sx, NONZERO), Arg(_sy)), "np.where(x > 0, x, y)", wrt=(0, 1), vjp=True)
case("np-where-lit", "x", (arr(2, 3, domain=NONZERO),), "np.where(x > 0, x * x, 0.0)",
     vjp=True)
case("np-where-lit-first", "x", (arr(2, 3, domain=NONZERO),), "np.where(x < 0, 1.0, np.exp(x))")

# ---------------------------------------------------------------------------------------------
# Reductions, on shape (2, 3, 4).
# ---------------------------------------------------------------------------------------------

AXES = [None, 0, 1, 2, -1, -2, (0, 1), (0, 2), (-1, 0), (0, 1, 2)]
REDUCTIONS = ["np.sum", "np.mean", "np.max", "np.min", "np.amax", "np.amin",
              "x.sum", "x.mean", "x.max", "x.min"]
for _red in REDUCTIONS:
    _dom = DISTINCT if _red[-3:] in ("max", "min") else REAL
    _call = _red + ("(x, " if _red.startswith("np.") else "(")
    for _axis in AXES:
        for _keep in (False, True):
            case(f"red-{_red}-{_axis}-{_keep}".replace(" ", ""), "x", (arr(2, 3, 4, domain=_dom),),
                 f"{_call}axis={_axis}, keepdims={_keep})",
                 vjp=_keep and _axis in (None, 1, (0, 2)) or not _keep and _axis == (-1, 0))
for _expr, _dom in [
    ("np.sum(x, 1)", REAL), ("np.sum(x, (0, 2))", REAL), ("np.mean(x, -1)", REAL),
    ("np.max(x, 0)", DISTINCT), ("np.amin(x, (2, 0))", DISTINCT),
    ("np.min(x, 1, None, True)", DISTINCT), ("np.sum(x, 1, None)", REAL),
    ("np.sum(x, 1, np.float64)", REAL), ("np.mean(x, (0, 2), None, None, True)", REAL),
    ("x.max(1, None, True)", DISTINCT), ("np.sum(x, axis=1, dtype=np.float64)", REAL),
    ("np.sum(x, 1, keepdims=True)", REAL), ("x.sum(1)", REAL), ("x.mean((0, 1))", REAL),
    ("x.max(2)", DISTINCT), ("x.min(-2)", DISTINCT), ("x.max(0, keepdims=True)", DISTINCT),
    ("np.sum(x)", REAL), ("np.mean(x)", REAL), ("np.max(x)", DISTINCT), ("np.amin(x)", DISTINCT),
    ("x.sum()", REAL), ("x.mean()", REAL), ("x.max()", DISTINCT), ("x.min()", DISTINCT),
    ("np.sum(x, axis=(2, 0))", REAL), ("np.mean(x, axis=(1, 2))", REAL),
]:
    case(f"red-{_expr}".replace(" ", ""), "x", (arr(2, 3, 4, domain=_dom),), _expr, vjp=True)
case("red-sum-of-square", "x", (arr(2, 3, 4),), "np.sum(x * x, axis=2) - x.mean(-1)")
case("red-mean-float32", "x", (arr(2, 3, 4, dtype=np.float32),),
     "np.mean(x, axis=(0, 2), keepdims=True)", vjp=True)
case("red-max-float32", "x", (arr(2, 3, 4, domain=DISTINCT, dtype=np.float32),),
     "x.max(axis=1)", vjp=True)

# ---------------------------------------------------------------------------------------------
# Products.
# ---------------------------------------------------------------------------------------------

PRODUCT_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                  ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
                  ((1, 2, 3), (5, 3, 4))]
PRODUCTS = {"dot": "np.dot(x, y)", "matmul": "np.matmul(x, y)", "at": "x @ y",
            "method": "x.dot(y)"}
for _pname, _expr in PRODUCTS.items():
    for _sx, _sy in PRODUCT_SHAPES:
        case(f"prod-{_pname}-{shape_id(_sx)}-{shape_id(_sy)}", "x, y", (Arg(_sx), Arg(_sy)),
             _expr, wrt=(0, 1), vjp=len(_sx) == 2 or len(_sx) == 3 and _sx[0] == 1)
case("prod-chain", "x, y, z", (arr(2, 3), arr(3, 4), arr(4)), "x @ y @ z", wrt=(0, 1, 2))
case("prod-dot-scalar", "x, y", (Arg(()), arr(3)), "np.dot(x, y)", wrt=(0, 1))

# ---------------------------------------------------------------------------------------------
# Shapes.
# ---------------------------------------------------------------------------------------------

for _expr in ["x.T", "np.transpose(x)", "np.transpose(x, (1, 2, 0))",
              "np.transpose(x, axes=(2, 0, 1))", "np.transpose(x, (-1, 0, 1))",
              "x.transpose(2, 0, 1)", "x.transpose((1, 2, 0))", "x.transpose()",
              "np.reshape(x, (6, 4))", "np.reshape(x, (4, -1))", "x.reshape(4, 6)",
              "x.reshape((4, 6))", "x.reshape(-1)", "x.reshape(2, 12)", "x.T.reshape(4, 6)"]:
    case(f"shape-{_expr}".replace(" ", ""), "x", (arr(2, 3, 4),), _expr, vjp=True)
case("shape-T-2d", "x", (_X23,), "x.T", vjp=True)
case("shape-T-1d", "x", (arr(3),), "x.T * x", vjp=True)
case("shape-T-matmul", "x, y", (arr(3, 2), arr(3, 4)), "x.T @ y", wrt=(0, 1))

# ---------------------------------------------------------------------------------------------
# Zero-derivative creation mixed with differentiated values.
# ---------------------------------------------------------------------------------------------

case("zero-zeros_like", "x", (_X23,), "np.zeros_like(x) + x * 2", vjp=True)
case("zero-ones", "x", (arr(3),), "np.ones(3) * x", vjp=True)
case("zero-ones-broadcast", "x", (arr(2, 1),), "np.ones(3) * x", vjp=True)
case("zero-ones-float", "x", (Arg(()),), "np.ones(3) * x")
case("zero-full", "x", (_X23,), "np.full((2, 3), 2.0) * x", vjp=True)
case("zero-full-broadcast", "x", (arr(3),), "np.full((2, 3), 2.0) * x", vjp=True)
case("zero-zeros-add", "x", (arr(3),), "np.zeros((2, 3)) + x")
case("zero-ones_like", "x", (_X23,), "np.ones_like(x) * np.exp(x)")

# ---------------------------------------------------------------------------------------------
# math on Python floats, NumPy scalars, 0-d arrays and float32.
# ---------------------------------------------------------------------------------------------

MATH = {"exp": REAL, "log": POS, "sin": REAL, "cos": REAL, "tan": UNIT, "tanh": REAL,
        "sqrt": POS, "log1p": POS, "expm1": REAL}
for _fn, _dom in MATH.items():
    case(f"math-{_fn}", "x", (Arg((), _dom),), f"math.{_fn}(x)", ct=False)
case("math-chain", "x, y", (Arg((), POS), Arg(())), "math.log(x) * math.sin(y) + x * y",
     wrt=(0, 1), ct=False)
case("math-fabs", "x", (Arg((), NONZERO),), "math.fabs(x)", ct=False)
case("math-with-np", "x", (Arg((), POS),), "np.sin(math.sqrt(x))", ct=False)

case("scalar-np-exp", "x", (_F64,), "np.exp(x)")
case("scalar-np-float-mix", "x, y", (Arg(()), _F64), "np.tanh(x) * y", wrt=(0, 1))
case("scalar-np-array-mix", "x, y", (_F64, arr(3)), "np.sin(x * y)", wrt=(0, 1), vjp=True)
case("scalar-np-float32", "x", (Arg((), REAL, "np", np.float32),), "np.exp(x) * x")
case("scalar-float-sum", "x", (Arg(()),), "np.sum(x * x)")
case("scalar-0d", "x", (Arg((), REAL, "0d"),), "np.sin(x)")
case("scalar-0d-mix", "x, y", (Arg((), REAL, "0d"), arr(2, 3)), "np.maximum(x, y) * x",
     wrt=(0, 1))
case("scalar-float-max", "x, y", (Arg(()), _F64), "np.maximum(x, y)", wrt=(0, 1))

# Indexing: integers, negative, slices with steps, ..., None/np.newaxis, repeated integer
# arrays (their adjoints add up), boolean masks; on two shapes each where the index allows.
for _shape in [(4,), (5, 2)]:
    _s = shape_id(_shape)
    case(f"index-int-{_s}", "x", (arr(*_shape),), "x[1] * x[0]")
    case(f"index-negative-{_s}", "x", (arr(*_shape),), "x[-1] ** 2")
    case(f"index-slice-{_s}", "x", (arr(*_shape),), "np.tanh(x[1:3])")
    case(f"index-step-{_s}", "x", (arr(*_shape),), "x[::2] * x[1::2][0]")
    case(f"index-newaxis-{_s}", "x", (arr(*_shape),), "x[None] * x[np.newaxis, 0]")
    case(f"index-repeated-{_s}", "x", (arr(*_shape),), "x[[0, 0, 2]] ** 2")
    case(f"index-ellipsis-{_s}", "x", (arr(*_shape),), "x[..., 0] * 3.0")
case("index-2d", "x", (arr(3, 4),), "x[1, -1] * x[:, 1:] + x[2, ::-2][0]")
case("copy", "x", (arr(3, 4),), "np.copy(x) * x")
case("stack-list", "x, y", (arr(3), arr(3)), "np.stack([x, y * 2.0], axis=1)", wrt=(0, 1))
case("array-of-scalars", "x", (arr(3),), "np.array([x[0], x[1] * x[2], 2.0])")
case("sum-of-list", "x, y", (arr(2, 3), arr(3)), "sum([x, y, x * y])", wrt=(0, 1))
case("index-mask-sum", "x", (arr(3, 4),), "np.sum(x[x > 0] ** 2)", ct=False)
case("index-by-parameter-value", "x", (arr(6),), "x[x.shape[0] - 2] * x[1:x.shape[0]:2]")

_F32 = np.float32
case("f32-tanh", "x", (arr(2, 3, dtype=_F32),), "np.tanh(x)", vjp=True)
case("f32-mul", "x, y", (arr(3, 1, dtype=_F32), arr(1, 4, dtype=_F32)), "x * y", wrt=(0, 1),
     vjp=True)
case("f32-div-exp", "x, y", (arr(2, 3, dtype=_F32), arr(3, domain=NONZERO, dtype=_F32)),
     "np.exp(x) / y", wrt=(0, 1))
case("f32-sum", "x", (arr(2, 3, 4, dtype=_F32),), "np.sum(x, axis=1, keepdims=True)")
case("f32-matmul", "x, y", (arr(2, 3, dtype=_F32), arr(3, 4, dtype=_F32)), "x @ y",
     wrt=(0, 1), vjp=True)
case("f32-reshape", "x", (arr(2, 3, 4, dtype=_F32),), "x.reshape(-1) ** 2")

# ---------------------------------------------------------------------------------------------
# Composite functions.
# ---------------------------------------------------------------------------------------------

case("net-two-layer", "x, W1, b1, W2", (arr(5, 3), arr(3, 4), arr(4), arr(4, 2)),
     "h @ W2", body=("h = np.tanh(x @ W1 + b1)",), wrt=(1, 2, 3), vjp=True)
case("net-two-layer-onestmt", "x, W1, b1, W2", (arr(5, 3), arr(3, 4), arr(4), arr(4, 2)),
     "np.tanh(x @ W1 + b1) @ W2", wrt=(0, 1, 2, 3))
_LOGREG = (arr(3), arr(6, 3), arr(6, domain=SIGN))
case("logreg", "w, X, y", _LOGREG, "np.mean(np.log1p(np.exp(-y * (X @ w))))", ct=False)
case("logreg-wrt-w-X", "w, X, y", _LOGREG, "np.mean(np.log1p(np.exp(-y * (X @ w))))",
     wrt=(0, 1), ct=False)
case("softmax-xent", "z, t", (arr(4, 3), arr(4, 3, domain=ONEHOT)),
     "-np.mean(np.sum(t * (s - lse), axis=1))", ct=False,
     body=("m = np.max(z, axis=1, keepdims=True)", "s = z - m",
           "lse = np.log(np.sum(np.exp(s), axis=1, keepdims=True))"))
case("mse", "w, b, X, y", (arr(3), Arg(()), arr(6, 3), arr(6)),
     "np.mean((X @ w + b - y) ** 2)", wrt=(0, 1), ct=False)

import tests.compiled_cases  # noqa: E402,F401  (each group of rules adds its cases)

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"

# ---------------------------------------------------------------------------------------------
# The generated module.
# ---------------------------------------------------------------------------------------------


def operand(expr: str) -> str:
    """``expr`` as the left operand of ``*``: parenthesised unless it is a call, name,
    attribute or subscript."""
    node = ast.parse(expr, mode="eval").body
    simple = isinstance(node, (ast.Call, ast.Name, ast.Attribute, ast.Subscript))
    return expr if simple else f"({expr})"


def function_source(c: Case) -> str:
    params = ", ".join(c.params)
    body = "".join(f"    {s}\n" for s in c.body)
    if not c.ct:
        return f"def {c.f_name}({params}):\n{body}    return {c.out}\n\n\n"
    return (f"def {c.f_name}({params}, ct):\n{body}"
            f"    return np.sum({operand(c.out)} * ct)\n\n\n"
            f"def {c.v_name}({params}):\n{body}    return {c.out}\n\n\n")


def module_source() -> str:
    header = '"""Generated by tests/test_compiled_rules.py."""\nimport math\n\nimport numpy as np\n'
    return header + "\n\n" + "".join(function_source(c) for c in CASES)


@pytest.fixture(scope="session")
def cases_module(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("compiled_rules") / f"{MODULE}.py"
    path.write_text(module_source(), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(MODULE, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(MODULE, None)


def draw(c: Case, module: Any) -> tuple[list[Any], Any]:
    """The case's arguments (with ``ct`` last when the case has one) and ``ct``."""
    rng = np.random.default_rng(zlib.crc32(c.id.encode()))
    args = [a.draw(rng) for a in c.args]
    if not c.ct:
        return args, None
    out = np.asarray(getattr(module, c.v_name)(*args))
    dtype = np.float32 if out.dtype == np.float32 else np.float64
    ct = rng.standard_normal(out.shape).astype(dtype)
    return [*args, ct], ct


def as_tuple(result: Any, c: Case) -> tuple[Any, ...]:
    return result if isinstance(c.wrt, tuple) else (result,)


def assert_like(g: Any, arg: Any, what: str) -> None:
    """``g`` has exactly the type, shape and dtype of the argument ``arg``."""
    if isinstance(arg, np.ndarray):
        assert isinstance(g, np.ndarray), f"{what}: {type(g).__name__}, expected ndarray"
        assert g.shape == arg.shape, f"{what}: shape {g.shape}, expected {arg.shape}"
        assert g.dtype == arg.dtype, f"{what}: dtype {g.dtype}, expected {arg.dtype}"
    else:
        assert type(g) is type(arg), f"{what}: {type(g).__name__}, expected {type(arg).__name__}"


IDS = [c.id for c in CASES]


@pytest.mark.parametrize("c", CASES, ids=IDS)
def test_check_grad(c: Case, cases_module: Any) -> None:
    f = getattr(cases_module, c.f_name)
    args, _ = draw(c, cases_module)
    error = srcdiff.check_grad(f, *args, wrt=c.wrt)
    assert np.isfinite(error)


@pytest.mark.parametrize("c", CASES, ids=IDS)
def test_gradient_type_shape_dtype(c: Case, cases_module: Any) -> None:
    f = getattr(cases_module, c.f_name)
    args, _ = draw(c, cases_module)
    grads = as_tuple(srcdiff.grad(f, wrt=c.wrt)(*args), c)
    assert len(grads) == len(c.wrt_indices)
    for index, g in zip(c.wrt_indices, grads, strict=True):
        assert_like(g, args[index], f"gradient wrt {c.params[index]}")


VJP_CASES = [c for c in CASES if c.vjp]


@pytest.mark.parametrize("c", VJP_CASES, ids=[c.id for c in VJP_CASES])
def test_vjp_matches_grad_of_ct_sum(c: Case, cases_module: Any) -> None:
    args, ct = draw(c, cases_module)
    inner = getattr(cases_module, c.v_name)
    from_vjp = as_tuple(srcdiff.vjp(inner, wrt=c.wrt)(*args[:-1], ct), c)
    from_grad = as_tuple(srcdiff.grad(getattr(cases_module, c.f_name), wrt=c.wrt)(*args), c)
    tight = {"rtol": 1e-6, "atol": 1e-6} if ct.dtype == np.float32 else \
        {"rtol": 1e-12, "atol": 1e-14}
    for index, v, g in zip(c.wrt_indices, from_vjp, from_grad, strict=True):
        assert_like(v, args[index], f"vjp wrt {c.params[index]}")
        np.testing.assert_allclose(v, g, **tight, err_msg=f"wrt {c.params[index]}")


def _dotted(node: ast.Attribute, modules: dict[str, Any]) -> Any:
    """The object ``np.linalg.inv`` (any chain of attributes of a module) names, or None."""
    base = node.value
    if isinstance(base, ast.Name):
        owner = modules.get(base.id)
    elif isinstance(base, ast.Attribute):
        owner = _dotted(base, modules)
    else:
        return None
    return None if owner is None else getattr(owner, node.attr, None)


def referenced(text: str) -> set[int]:
    """The ids of the callables a module's source reaches: ``np.``/``math.`` attributes,
    builtins, operators, array methods and attributes."""
    modules = {"np": np, "math": math}
    found: list[Any] = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node, modules)
            if dotted is not None:
                found.append(dotted)
            elif node.attr in METHODS:
                found.append(METHODS[node.attr].func)
            elif node.attr in ATTRIBUTES:
                found.append(ATTRIBUTES[node.attr])
        elif isinstance(node, ast.Subscript):
            found.append(operator.getitem)
        elif isinstance(node, ast.Name) and hasattr(builtins, node.id):
            found.append(getattr(builtins, node.id))
        elif isinstance(node, ast.BinOp):
            found.append(BINARY_OPERATORS.get(type(node.op)))
        elif isinstance(node, ast.UnaryOp):
            found.append(UNARY_OPERATORS.get(type(node.op)))
    return {id(f) for f in found}


def test_every_rule_is_reached() -> None:
    """Every differentiable rule, method and attribute of the table has a case."""
    ids = referenced(module_source())
    missing = [f"{rule.name} ({func!r})" for func, rule in registered()
               if not rule.zero and id(func) not in ids
               and getattr(func, "__module__", "") != "srcdiff.runtime"]  # srcdiff's own
    assert not missing, missing
    text = module_source()
    for name in METHODS:
        assert f"x.{name}(" in text, name
    for name in ATTRIBUTES:
        assert f"x.{name}" in text, name


# ---------------------------------------------------------------------------------------------
# Regression: a source line longer than the printer's width.
# ---------------------------------------------------------------------------------------------

LONG_LINE = '''import numpy as np


def long_line(x, ct):
    return np.sum(np.sum(x, axis=(0, 2), keepdims=True) * ct)
'''


def test_long_source_line(tmp_path: Any) -> None:
    """The ``# file:line: source`` comment of a long statement exceeds the printer's width: it
    must still become a comment, not a call left in the derivative."""
    path = tmp_path / "long_line_case.py"
    path.write_text(LONG_LINE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("long_line_case", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["long_line_case"] = module
    try:
        spec.loader.exec_module(module)
        rng = np.random.default_rng(7)
        x, ct = rng.standard_normal((2, 3, 4)), rng.standard_normal((1, 3, 1))
        assert "__srcdiff_comment__" not in srcdiff.emit(module.long_line)
        g = srcdiff.grad(module.long_line)(x, ct)
        np.testing.assert_allclose(g, np.broadcast_to(ct, x.shape), rtol=1e-14)
    finally:
        sys.modules.pop("long_line_case", None)
