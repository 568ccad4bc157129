"""Errors: every unsupported construct is reported when the derivative is built, at its exact
file:line:column, with what it is and a hint; misuse of the operators raises SrcdiffError."""
from __future__ import annotations

import importlib.util
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import srcdiff

CASES_FILE = str(Path(__file__).resolve().parent / "cases" / "unsupported.py")
LINES = Path(CASES_FILE).read_text(encoding="utf-8").splitlines()


def _load_cases():
    spec = importlib.util.spec_from_file_location("srcdiff_test_cases_unsupported", CASES_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


unsupported = _load_cases()


def locate(function: str, snippet: str) -> tuple[int, int]:
    """1-based (line, column) of the first ``snippet`` at or after the def of ``function``."""
    header = re.compile(rf"\s*(async\s+)?def {function}\(|{function} = ")
    start = next(i for i, text in enumerate(LINES) if header.match(text))
    for index in range(start, len(LINES)):
        column = LINES[index].find(snippet)
        if column >= 0:
            return index + 1, column + 1
    raise AssertionError(f"{snippet!r} not found after the def of {function}")


@dataclass(frozen=True)
class Case:
    function: str  # the function of tests/cases/unsupported.py to differentiate
    snippet: str  # the text the error must point at (its first character)
    construct: str  # must appear in the description of the construct


CASES = [
    Case("returns_in_loop", "return x", "'return' inside a 'for' loop"),
    Case("try_except", "try:", "'try'"),
    Case("with_open", "with open", "'with' block"),
    Case("lambda_expression", "lambda t", "lambda"),
    Case("list_comprehension", "[t * 2.0", "list comprehension"),
    Case("generator_expression", "(t * 2.0", "generator expression"),
    Case("global_write", "global COUNTER", "'global'"),
    # The outer function is differentiated: the nested def holding the 'nonlocal' is reported.
    Case("nonlocal_outer", "nonlocal scale", "'nonlocal' statement"),
    # The inner function itself is differentiated: its 'nonlocal' statement is reported.
    Case("nonlocal_inner", "nonlocal scale", "'nonlocal'"),
    Case("star_args", "rest)", "'*rest' parameter"),
    Case("star_kwargs", "options)", "'**options' parameter"),
    Case("yield_value", "yield x", "'yield'"),
    Case("async_function", "async def", "'async def"),
    Case("no_rule_call", "np.i0(x)", "np.i0"),
    Case("recursive_call", "recursive_call(x * 2.0)", "recursive call to 'recursive_call'"),
    Case("mod_operator", "x % 2.0", "operator %"),
    Case("writes_argument", "x[0]", "assignment into the argument 'x'"),
    Case("tuple_unpacking", "divmod(x, 2.0)", "no derivative rule for divmod"),
    Case("decorated_nested_def", "staticmethod", "decorated nested function"),
    Case("module_lambda", "lambda x", "lambda"),
    Case("attribute_write", "holder.flags", "assignment to an attribute"),
    Case("list_method", "items.extend", "expression statement"),
    Case("set_display", "{1.0, 2.0}", "set display"),
]

X = np.array([1.0, 2.0, 3.0])


def report_line(message: str, line: int, column: int) -> str:
    """The line of an error message that locates a problem at ``line:column``."""
    prefix = f"{CASES_FILE}:{line}:{column}: "
    found = [text for text in message.splitlines() if text.startswith(prefix)]
    assert found, f"no problem located at {prefix!r} in:\n{message}"
    return found[0]


def check_problem(error: srcdiff.UnsupportedSyntaxError, problem, function: str,
                  snippet: str, construct: str) -> None:
    line, column = locate(function, snippet)
    message = str(error)
    assert construct in report_line(message, line, column)
    assert (problem.filename, problem.line, problem.column) == (CASES_FILE, line, column)
    assert construct in problem.construct
    assert problem.hint
    assert LINES[line - 1].strip() in message


@pytest.mark.parametrize("case", CASES, ids=[c.function for c in CASES])
def test_unsupported_construct_is_located_and_explained(case: Case) -> None:
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as info:
        srcdiff.emit(getattr(unsupported, case.function))
    error = info.value
    assert len(error.problems) == 1, str(error)
    check_problem(error, error.problems[0], case.function, case.snippet, case.construct)
    assert "hint: " in str(error)
    assert isinstance(error, srcdiff.SrcdiffError)
    if case.function != "module_lambda":  # a lambda's name is '<lambda>'
        assert f"'{case.function}'" in str(error).splitlines()[0]


def test_async_def_hint_is_about_async_code() -> None:
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as info:
        srcdiff.emit(unsupported.async_function)
    hint = info.value.problems[0].hint
    assert "async" in hint and "lambda" not in hint


@pytest.mark.parametrize("case", CASES, ids=[c.function for c in CASES])
def test_grad_call_builds_and_raises_the_same_report(case: Case) -> None:
    func = getattr(unsupported, case.function)
    df = srcdiff.grad(func)  # nothing is built yet
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as by_call:
        df(X)
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as by_emit:
        srcdiff.emit(func)
    assert by_call.value.problems == by_emit.value.problems
    assert str(by_call.value) == str(by_emit.value)


@pytest.mark.parametrize("operator", ["grad", "value_and_grad", "vjp"])
def test_every_operator_reports_unsupported_constructs(operator: str) -> None:
    derivative = getattr(srcdiff, operator)(unsupported.try_except)
    args = (X, np.ones(3)) if operator == "vjp" else (X,)
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as info:
        derivative(*args)
    line, column = locate("try_except", "try:")
    assert "'try' statement" in report_line(str(info.value), line, column)


def test_all_problems_of_a_function_are_reported_at_once() -> None:
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as info:
        srcdiff.emit(unsupported.three_problems)
    error = info.value
    expected = [("try:", "'try' statement"), ("lambda t", "lambda"),
                ("[t * t for t in x]", "list comprehension")]
    assert len(error.problems) == 3, str(error)
    for problem, (snippet, construct) in zip(error.problems, expected, strict=True):
        check_problem(error, problem, "three_problems", snippet, construct)
    assert "3 unsupported constructs" in str(error)
    assert str(error).count("hint: ") == 3


def test_missing_derivative_rules_are_all_reported() -> None:
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as info:
        srcdiff.emit(unsupported.two_missing_rules)
    problems = info.value.problems
    assert len(problems) == 2, str(info.value)
    i0_line, _ = locate("two_missing_rules", "np.i0(x)")
    unwrap_line, _ = locate("two_missing_rules", "np.unwrap(y)")
    assert {(p.line, "np.i0" in p.construct) for p in problems} == {
        (i0_line, True), (unwrap_line, False)}
    assert any("np.unwrap" in p.construct for p in problems)


def test_syntax_problems_and_missing_rules_come_in_one_error() -> None:
    """A rejected statement does not hide the missing rules of the lines around it, and
    values it binds do not cascade into errors of their own."""
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as info:
        srcdiff.emit(unsupported.syntax_and_rules)
    error = info.value
    expected = [("try:", "'try' statement"), ("np.i0(x)", "np.i0"),
                ('{"y": y}', "dict display"), ("np.convolve(y, x)", "np.convolve")]
    assert len(error.problems) == len(expected), str(error)
    for problem, (snippet, construct) in zip(error.problems, expected, strict=True):
        check_problem(error, problem, "syntax_and_rules", snippet, construct)


def test_problems_are_listed_in_source_order() -> None:
    with pytest.raises(srcdiff.UnsupportedSyntaxError) as info:
        srcdiff.emit(unsupported.two_missing_rules)
    lines = [(p.line, p.column) for p in info.value.problems]
    assert lines == sorted(lines)
    check_problem(info.value, info.value.problems[0], "two_missing_rules", "np.i0(x)",
                  "np.i0")
    check_problem(info.value, info.value.problems[1], "two_missing_rules", "np.unwrap(y)",
                  "np.unwrap")


def test_building_never_executes_the_function() -> None:
    unsupported.CALLS.clear()
    with pytest.raises(srcdiff.UnsupportedSyntaxError):
        srcdiff.emit(unsupported.never_executed)
    df = srcdiff.grad(unsupported.never_executed)
    with pytest.raises(srcdiff.UnsupportedSyntaxError):
        df(X)
    assert unsupported.CALLS == []
    # The body really would have run _record_call: the check above is not vacuous.
    assert unsupported.never_executed(1.0) == 9.0
    assert unsupported.CALLS == ["called"]
    unsupported.CALLS.clear()


# ---------------------------------------------------------------------------------------------
# SrcdiffError that is not about syntax: misuse of the operators.
# ---------------------------------------------------------------------------------------------

def two_params(x, y):
    return np.sum(x * y)


def square_sum(x):
    return np.sum(x * x)


def doubled(x):
    return x * 2.0


def sine(x):
    return np.sin(x)


def scaled(x, n):
    return x * n


def _plain_srcdiff_error(excinfo) -> srcdiff.SrcdiffError:
    error = excinfo.value
    assert not isinstance(error, srcdiff.UnsupportedSyntaxError)
    return error


@pytest.mark.parametrize("use", ["call", "emit"])
def test_wrt_naming_a_missing_parameter(use: str) -> None:
    with pytest.raises(srcdiff.SrcdiffError) as info:
        if use == "call":
            srcdiff.grad(two_params, wrt="z")(1.0, 2.0)
        else:
            srcdiff.emit(two_params, wrt="z")
    message = str(_plain_srcdiff_error(info))
    assert "'z'" in message and "two_params" in message


@pytest.mark.parametrize("wrt", [2, -3, (0, 5)])
@pytest.mark.parametrize("use", ["call", "emit"])
def test_wrt_index_out_of_range(use: str, wrt) -> None:
    with pytest.raises(srcdiff.SrcdiffError) as info:
        if use == "call":
            srcdiff.grad(two_params, wrt=wrt)(1.0, 2.0)
        else:
            srcdiff.emit(two_params, wrt=wrt)
    message = str(_plain_srcdiff_error(info))
    bad = wrt[1] if isinstance(wrt, tuple) else wrt
    assert str(bad) in message and "range" in message and "two_params" in message


@pytest.mark.parametrize(("value", "word"), [
    (2, "integer"),
    (True, "boolean"),
    (np.arange(3), "int"),
    (np.array([True, False]), "bool"),
    (1.0 + 2.0j, "complex"),
    (np.ones(3, dtype=complex), "complex"),
    ("abc", "str"),
], ids=["int", "bool", "int-array", "bool-array", "complex", "complex-array", "str"])
def test_differentiating_with_respect_to_a_non_float_value(value, word: str) -> None:
    with pytest.raises(srcdiff.SrcdiffError) as info:
        srcdiff.grad(square_sum)(value)
    message = str(_plain_srcdiff_error(info))
    assert "'x'" in message and word in message and "square_sum" in message
    assert "float" in message  # says what to pass instead


def test_non_float_argument_is_named_by_its_parameter() -> None:
    with pytest.raises(srcdiff.SrcdiffError) as info:
        srcdiff.grad(two_params, wrt=(0, 1))(np.ones(3), np.arange(3))
    assert "'y'" in str(_plain_srcdiff_error(info))


def test_integer_arguments_not_differentiated_are_accepted() -> None:
    assert srcdiff.grad(scaled, wrt=0)(1.5, 2) == 2.0
    np.testing.assert_array_equal(srcdiff.grad(two_params, wrt=0)(np.ones(3), np.arange(3)),
                                  [0.0, 1.0, 2.0])


@pytest.mark.parametrize("func", [doubled, sine], ids=["operators-only", "numpy-call"])
def test_grad_of_a_non_scalar_output_points_to_vjp(func) -> None:
    with pytest.raises(srcdiff.NonScalarOutputError) as info:
        srcdiff.grad(func)(np.ones(3))
    assert isinstance(info.value, srcdiff.SrcdiffError)
    assert "vjp" in str(info.value)
    assert "(3,)" in str(info.value)  # names the shape it got


def test_grad_of_a_size_one_output_is_fine() -> None:
    assert srcdiff.grad(doubled)(np.ones(1)).tolist() == [2.0]


@pytest.mark.parametrize("builtin", [np.frexp, len, math.gamma],
                         ids=["ufunc", "builtin", "C extension"])
def test_functions_without_source_code(builtin) -> None:
    with pytest.raises(srcdiff.SrcdiffError) as info:
        srcdiff.grad(builtin)  # refused at once, located at this call
    message = str(_plain_srcdiff_error(info))
    assert "source" in message and "srcdiff.defrule" in message
    assert f"{__file__}:" in message
    with pytest.raises(srcdiff.SrcdiffError):
        srcdiff.emit(builtin)


def test_a_builtin_with_a_rule_is_differentiated_by_its_rule() -> None:
    x = np.array([0.1, 0.5])
    np.testing.assert_allclose(srcdiff.jacobian(np.sin)(x), np.diag(np.cos(x)), rtol=1e-15)
    assert srcdiff.grad(np.sum)(x).tolist() == [1.0, 1.0]


def test_function_created_by_exec_has_no_source() -> None:
    namespace: dict = {"np": np}
    exec("def made_at_runtime(x):\n    return np.sum(x * x)\n", namespace)  # noqa: S102
    func = namespace["made_at_runtime"]
    assert func(np.ones(2)) == 2.0
    with pytest.raises(srcdiff.SrcdiffError) as info:
        srcdiff.grad(func)(np.ones(2))
    message = str(_plain_srcdiff_error(info))
    assert "made_at_runtime" in message and "source" in message
    with pytest.raises(srcdiff.SrcdiffError):
        srcdiff.emit(func)


def test_error_hierarchy() -> None:
    assert issubclass(srcdiff.UnsupportedSyntaxError, srcdiff.SrcdiffError)
    assert issubclass(srcdiff.NonScalarOutputError, srcdiff.SrcdiffError)
    assert issubclass(srcdiff.GradientCheckError, srcdiff.SrcdiffError)
