"""Normalize pass: one operation per statement, single assignment, readable names."""
import ast

import numpy as np
import pytest

from srcdiff import fence, normalize, parse
from srcdiff.ir import NormalFunction
from tests.cases import passes


def normal(func) -> NormalFunction:
    source = parse.parse_function(func)
    fence.check(source)
    return normalize.normalize(source)


def listing(fn: NormalFunction) -> list[tuple[str, str]]:
    return [(stmt.target, ast.unparse(stmt.value)) for stmt in fn.body]


def targets(fn: NormalFunction) -> list[str]:
    return [stmt.target for stmt in fn.body]


def by_user_name(fn: NormalFunction, name: str) -> list[str]:
    return [stmt.target for stmt in fn.body if stmt.user_name == name]


# ---------------------------------------------------------------------------------------------
# shape of the normal form
# ---------------------------------------------------------------------------------------------


def is_global_ref(node: ast.expr, local_names: set[str]) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id not in local_names


def is_atom(node: ast.expr, local_names: set[str]) -> bool:
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Tuple):
        return all(is_atom(e, local_names) for e in node.elts)
    return isinstance(node, ast.Attribute) and is_global_ref(node, local_names)


def is_index(node: ast.expr, local_names: set[str]) -> bool:
    if isinstance(node, ast.Slice):
        return all(part is None or is_atom(part, local_names)
                   for part in (node.lower, node.upper, node.step))
    if isinstance(node, ast.Tuple):
        return all(is_index(e, local_names) for e in node.elts)
    return is_atom(node, local_names)


def is_one_operation(node: ast.expr, local_names: set[str]) -> bool:
    def atom(n: ast.expr) -> bool:
        return is_atom(n, local_names)

    if atom(node):
        return True
    if isinstance(node, ast.BinOp):
        return atom(node.left) and atom(node.right)
    if isinstance(node, ast.UnaryOp):
        return atom(node.operand)
    if isinstance(node, ast.Compare):
        return atom(node.left) and all(atom(c) for c in node.comparators)
    if isinstance(node, ast.Attribute):
        return atom(node.value)
    if isinstance(node, ast.Subscript):
        return atom(node.value) and is_index(node.slice, local_names)
    if isinstance(node, ast.Call):
        func = node.func
        callee_ok = is_global_ref(func, local_names) or (
            isinstance(func, ast.Attribute) and atom(func.value))
        return callee_ok and all(atom(a) for a in node.args) \
            and all(atom(k.value) for k in node.keywords)
    return False


NORMAL_FORM_CASES = [
    passes.poly, passes.rebind, passes.collide, passes.augmented, passes.stopped,
    passes.nograd, passes.chained, passes.methods_and_attributes, passes.comparisons,
    passes.indexing, passes.partly, passes.cut_by_zero_derivative, passes.identities,
]


@pytest.mark.parametrize("func", NORMAL_FORM_CASES, ids=lambda f: f.__name__)
def test_each_statement_is_one_operation_on_atoms(func):
    fn = normal(func)
    local_names = set(fn.params) | set(targets(fn))
    for stmt in fn.body:
        assert is_one_operation(stmt.value, local_names), ast.unparse(stmt.value)
    assert is_atom(fn.result.value, local_names)


@pytest.mark.parametrize("func", NORMAL_FORM_CASES, ids=lambda f: f.__name__)
def test_single_assignment(func):
    fn = normal(func)
    names = targets(fn)
    assert len(names) == len(set(names))
    assert not set(names) & set(fn.params)
    # every name is bound before it is read
    bound = set(fn.params)
    for stmt in fn.body:
        reads = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
        assert reads - fn.globals <= bound, ast.unparse(stmt.value)
        bound.add(stmt.target)


def test_reassignment_gets_fresh_versions():
    fn = normal(passes.rebind)
    first, second = fn.body
    assert first.target != second.target
    assert "x" not in (first.target, second.target)
    assert ast.unparse(first.value) == "x * 2"
    assert ast.unparse(second.value) == f"{first.target} * 2"
    assert ast.unparse(fn.result.value) == second.target
    assert by_user_name(fn, "x") == [first.target, second.target]


def test_temporaries_are_named_after_what_they_hold():
    assert listing(normal(passes.poly)) == [
        ("x_plus_2", "x + 2"),
        ("x_plus_2_pow_2", "x_plus_2 ** 2"),
        ("product", "3 * x_plus_2_pow_2"),
        ("z", "np.mean(product)"),
    ]
    named = dict((value, target) for target, value in listing(normal(passes.used_twice)))
    assert named["np.sin(x)"] == "a"  # the user's own name, when there is one
    named = dict((value, target) for target, value in listing(normal(passes.augmented)))
    assert named[f"np.sin({by_user_name(normal(passes.augmented), 'y')[1]})"] == "sin_y_2"


def test_first_binding_keeps_the_user_name():
    fn = normal(passes.partly)
    assert [by_user_name(fn, n) for n in "abc"] == [["a"], ["b"], ["c"]]
    assert by_user_name(fn, "unused") == ["unused"]


def test_names_never_collide_with_user_names():
    fn = normal(passes.collide)
    user = {"x", "x_plus_2", "x_2", "y"}
    # the user's own first bindings
    assert by_user_name(fn, "x_plus_2") == ["x_plus_2"]
    assert by_user_name(fn, "x_2") == ["x_2"]
    assert by_user_name(fn, "y") == ["y"]
    # the rebinding of x is not called x_2, the temporary for x + 2 is not called x_plus_2
    (x_version,) = by_user_name(fn, "x")
    assert x_version not in user
    temporary = [s.target for s in fn.body if ast.unparse(s.value) == "x + 2"]
    assert len(temporary) == 1 and temporary[0] not in user
    values = dict(listing(fn))
    assert values["y"] == f"{temporary[0]} * x_2"
    assert values[x_version] == "x * y"
    assert len(set(targets(fn))) == len(fn.body)


@pytest.mark.parametrize("func", NORMAL_FORM_CASES, ids=lambda f: f.__name__)
def test_deterministic(func):
    first, second = normal(func), normal(func)
    assert listing(first) == listing(second)
    assert ast.unparse(first.result.value) == ast.unparse(second.result.value)
    assert [s.op.kind for s in first.body] == [s.op.kind for s in second.body]


def test_no_grad_statements_are_flagged():
    fn = normal(passes.nograd)
    flagged = {s.user_name: s.no_grad for s in fn.body if s.user_name in ("m", "c")}
    assert flagged == {"m": True, "c": True}
    others = [s for s in fn.body if s.user_name not in ("m", "c")]
    assert others and not any(s.no_grad for s in others)
    assert dict(listing(fn))["m"] == "np.max(x)"


def test_stop_gradient_is_a_stop_operation():
    fn = normal(passes.stopped)
    (stop,) = [s for s in fn.body if s.user_name == "s"]
    assert stop.op.kind == "stop"
    assert stop.op.zero
    # the stopped value is computed by a separate statement; the stop itself copies it
    assert isinstance(stop.value, ast.Name)
    (inner,) = [s for s in fn.body if s.target == stop.value.id]
    assert ast.unparse(inner.value) == "x * 2.0"
    assert "srcdiff" not in ast.unparse(stop.value)
    assert all(s.op.kind != "stop" for s in fn.body if s is not stop)


def test_augmented_assignment():
    fn = normal(passes.augmented)
    versions = by_user_name(fn, "y")
    assert len(versions) == 5 and len(set(versions)) == 5
    values = dict(listing(fn))
    assert values[versions[0]] == "x * 1.5"
    assert values[versions[1]] == f"{versions[0]} + x"
    assert values[versions[2]].startswith(f"{versions[1]} * ")
    assert values[versions[3]] == f"{versions[2]} - 1.0"
    assert values[versions[4]] == f"{versions[3]} / 2.0"
    lines = [s.origin.line for s in fn.body if s.user_name == "y"]
    assert lines == sorted(lines) and len(set(lines)) == 5


def test_origins_are_the_user_statements():
    fn = normal(passes.poly)
    source = parse.parse_function(passes.poly)
    line = source.node.body[0].lineno
    assert {s.origin.line for s in fn.body} == {line}
    assert fn.body[0].origin.source_line.strip() == "z = np.mean(3 * (x + 2) ** 2)"


def test_operations_are_resolved():
    fn = normal(passes.comparisons)
    ops = {s.target: s.op for s in fn.body}
    assert ops["pos"].zero  # a comparison carries no derivative
    assert ops["y"].what == "np.where" and ops["y"].rule is not None
    # arguments bound to the rule's parameter names, as atoms
    assert {k: ast.unparse(v) for k, v in ops["y"].args.items()} == {
        "condition": "pos", "x1": "x", "x2": "k_times_x"}
    # omitted optional arguments get the rule's defaults
    assert {k: ast.unparse(v) for k, v in ops["result"].args.items()} == {
        "a": "diff", "axis": "None", "dtype": "None", "out": "None", "keepdims": "False"}
    assert fn.globals == {"np"}


def test_builtin_calls_are_resolved_to_their_rules():
    fn = normal(passes.uses_builtins)
    (call,) = [s for s in fn.body if ast.unparse(s.value) == "abs(x)"]
    assert call.op.rule is not None, "builtin abs() was not resolved to its derivative rule"
    assert not call.op.zero
    assert {k: ast.unparse(v) for k, v in call.op.args.items()} == {"x": "x"}


# ---------------------------------------------------------------------------------------------
# execution equivalence: the normal form computes what the user's function computes
# ---------------------------------------------------------------------------------------------


def as_python(fn: NormalFunction, globals_: dict):
    body: list[ast.stmt] = [ast.Assign([ast.Name(s.target, ast.Store())], s.value)
                            for s in fn.body]
    body.append(ast.Return(fn.result.value))
    node = ast.FunctionDef(name=fn.name, args=fn.args, body=body, decorator_list=[],
                           returns=None, type_comment=None, type_params=[])
    module = ast.fix_missing_locations(ast.Module([node], type_ignores=[]))
    namespace: dict = {}
    exec(compile(module, f"<normal form of {fn.name}>", "exec"), globals_, namespace)
    return namespace[fn.name]


POSITIVE = "positive"
EQUIVALENCE_CASES = [
    (passes.poly, [(3,)]),
    (passes.rebind, [(2, 3)]),
    (passes.collide, [(4,)]),
    (passes.augmented, [(3,)]),
    (passes.stopped, [(3,)]),
    (passes.nograd, [(2, 2)]),
    (passes.chained, [(3,), (3,)]),
    (passes.methods_and_attributes, [(3, 3)]),
    (passes.comparisons, [(5,)]),
    (passes.indexing, [(4,)]),
    (passes.identities, [(3,), POSITIVE]),
    (passes.partly, [(3,), (3,)]),
]


@pytest.mark.parametrize(("func", "shapes"), EQUIVALENCE_CASES,
                         ids=[f.__name__ for f, _ in EQUIVALENCE_CASES])
def test_normal_form_computes_the_same_values(func, shapes):
    rebuilt = as_python(normal(func), func.__globals__)
    rng = np.random.default_rng(1234)
    for _ in range(3):
        args = [rng.uniform(0.5, 2.0, 3) if shape == POSITIVE else rng.standard_normal(shape)
                for shape in shapes]
        expected = func(*[np.copy(a) for a in args])
        got = rebuilt(*[np.copy(a) for a in args])
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_array_equal(got, expected)


def test_rebuilt_function_does_not_touch_the_module():
    before = set(vars(passes))
    as_python(normal(passes.poly), passes.poly.__globals__)
    assert set(vars(passes)) == before
