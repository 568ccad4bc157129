"""Reverse pass: the shape and text of the derivative code, and that it runs."""
import ast
import inspect
import re

import numpy as np
import pytest

import srcdiff
from srcdiff import api, emitter, parse, reverse
from tests.cases import passes

with open(inspect.getsourcefile(passes), encoding="utf-8") as _handle:
    PASSES_LINES = _handle.read().splitlines()


def function_lines(func) -> range:
    """The 1-based line numbers of ``func``'s def statement in passes.py (found by text)."""
    starts = [i for i, line in enumerate(PASSES_LINES) if line.startswith(f"def {func.__name__}(")]
    assert len(starts) == 1, func.__name__
    end = starts[0] + 1
    while end < len(PASSES_LINES) and (not PASSES_LINES[end].strip()
                                       or PASSES_LINES[end].startswith(" ")):
        end += 1
    return range(starts[0] + 1, end + 1)


def line_in(func, text: str) -> int:
    """The 1-based line of passes.py, inside ``func``, whose stripped content is ``text``."""
    found = [n for n in function_lines(func) if PASSES_LINES[n - 1].strip() == text]
    assert len(found) == 1, (text, found)
    return found[0]


def build(func, wrt=("x",), kind="grad") -> str:
    request = reverse.Request(kind, tuple(wrt), len(wrt) > 1)
    derivative = api.build_from_source(parse.parse_function(func), request)
    return emitter.render(derivative.node)


def statements(text: str) -> list[ast.stmt]:
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node.body


def assignments(text: str) -> list[tuple[str, str]]:
    """(target, value) of each assignment; ``d += v`` (an adjoint added to in place) is
    (``d``, ``d + v``)."""
    return [(s.targets[0].id, ast.unparse(s.value)) if isinstance(s, ast.Assign)
            else (s.target.id, f"{s.target.id} + {ast.unparse(s.value)}")
            for s in statements(text) if isinstance(s, ast.Assign)
            or (isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name))]


def returned(text: str) -> str:
    last = statements(text)[-1]
    assert isinstance(last, ast.Return)
    return ast.unparse(last.value)


def comments(text: str) -> list[str]:
    return [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("# ")]


CASES = [
    (passes.used_twice, ("x",)),
    (passes.unused_param, ("x", "y")),
    (passes.identities, ("x", "y")),
    (passes.has_dx, ("x",)),
    (passes.local_unbroadcast, ("x", "y")),
    (passes.local_np, ("x",)),
    (passes.local_scalar_seed, ("x",)),
    (passes.two, ("y",)),
    (passes.nograd, ("x",)),
    (passes.cut_by_stop, ("x",)),
    (passes.poly, ("x",)),
    (passes.augmented, ("x",)),
    (passes.chained, ("x", "y")),
]
IDS = [f"{func.__name__}-{'-'.join(wrt)}" for func, wrt in CASES]


# ---------------------------------------------------------------------------------------------
# adjoint accumulation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("func", "wrt"), CASES, ids=IDS)
def test_first_contribution_is_assigned_not_added_to_zero(func, wrt):
    text = build(func, wrt)
    assert "zeros_like" not in text and "np.zeros(" not in text
    bound = {p.arg for p in ast.parse(text).body[0].args.args}
    for target, value in assignments(text):
        reads = {n.id for n in ast.walk(ast.parse(value)) if isinstance(n, ast.Name)}
        if target in reads:
            # an accumulation: only after a first plain assignment, as "d = d + ..."
            assert target in bound, f"{target} = {value}"
            assert value.startswith(f"{target} + "), f"{target} = {value}"
        bound.add(target)


def test_variable_used_twice_accumulates():
    text = build(passes.used_twice)
    adjoints = [(t, v) for t, v in assignments(text) if t == "dx"]
    assert len(adjoints) == 2
    assert "dx" not in adjoints[0][1]  # b = a * x: the first contribution is assigned
    assert adjoints[1][1].startswith("dx + ")  # a = np.sin(x): the second is added
    assert "np.cos(x)" in adjoints[1][1]
    assert re.search(r"^    dx (\+= |= dx \+ )", text, re.M)
    assert returned(text) == "as_gradient(dx, x)"


def test_square_accumulates_both_operands():
    text = build(passes.unused_param, ("x", "y"))  # np.sum(x * x)
    adjoints = [v for t, v in assignments(text) if t == "dx"]
    assert len(adjoints) == 2
    assert adjoints[1].startswith("dx + ")


def test_parameter_without_influence_gets_zero_gradient():
    text = build(passes.unused_param, ("x", "y"))
    assert returned(text) == "(as_gradient(dx, x), zero_gradient(y))"
    assert "dy" not in {t for t, _ in assignments(text)}


def test_wrt_subset_differentiates_only_that_parameter():
    text = build(passes.two, ("y",))
    assert returned(text) == "as_gradient(dy, y)"
    targets = {t for t, _ in assignments(text)}
    assert "dy" in targets and "db" in targets
    assert "dx" not in targets and "da" not in targets  # x and a are constants here


# ---------------------------------------------------------------------------------------------
# readable text
# ---------------------------------------------------------------------------------------------

IDENTITIES = [
    r"\+\s*0(\.0*)?(?![\d.eE])",
    r"(?<![\w.])0(\.0*)?\s*\+",
    r"(?<!\*)\*\s*1(\.0*)?(?![\d.eE])",
    r"(?<![\w.])1(\.0*)?\s*\*(?!\*)",
    r"\*\*\s*1(\.0*)?(?![\d.eE])",
    r"-\s*0(\.0*)?(?![\d.eE])",
    r"\*\s*\(1(\.0*)?\s*/",
    r"--",
]


@pytest.mark.parametrize(("func", "wrt"), CASES, ids=IDS)
def test_no_arithmetic_identities_in_the_text(func, wrt):
    code = "\n".join(line for line in build(func, wrt).splitlines()
                     if not line.strip().startswith(("#", '"""')))
    for pattern in IDENTITIES:
        match = re.search(pattern, code)
        assert match is None, f"{pattern!r} matches {code[match.start() - 30:match.end() + 30]!r}"


def test_power_rules_read_like_math():
    text = build(passes.identities, ("x", "y"))
    assert "* 2 * x" in text  # d/dx x ** 2, not 2 * x ** (2 - 1) or 2 * x ** 1
    assert "* 3 * (x * x)" in text  # small powers as products
    assert "x ** (" not in text and "x ** 1" not in text


def test_each_adjoint_block_is_preceded_by_its_source_comment():
    text = build(passes.used_twice)
    expected = [line_in(passes.used_twice, t)
                for t in ("return np.sum(b)", "b = a * x", "a = np.sin(x)")]
    assert comments(text) == [f"passes.py:{n}: {PASSES_LINES[n - 1].strip()}"
                              for n in expected]
    lines = text.splitlines()
    # the backward sweep starts with a comment, and each comment is followed by code
    first_adjoint = next(i for i, line in enumerate(lines) if re.match(r"    d\w* = ", line))
    assert lines[first_adjoint - 1].strip().startswith("# passes.py:")
    for i, line in enumerate(lines):
        if line.strip().startswith("#"):
            assert lines[i + 1].strip() and not lines[i + 1].strip().startswith(("#", "return"))
    # comments sit at the function body's indentation
    assert all(line.startswith("    # ") for line in lines if line.strip().startswith("#"))


@pytest.mark.parametrize(("func", "wrt"), CASES, ids=IDS)
def test_comments_name_the_right_lines(func, wrt):
    text = build(func, wrt)
    found = comments(text)
    assert found
    numbers = []
    for entry in found:
        match = re.fullmatch(r"passes\.py:(\d+): (.*)", entry)
        assert match, entry
        number = int(match.group(1))
        assert PASSES_LINES[number - 1].strip() == match.group(2)
        numbers.append(number)
    assert numbers == sorted(numbers, reverse=True)  # the backward sweep runs upwards
    assert len(set(numbers)) == len(numbers)
    body = function_lines(func)
    assert all(n in body and n != body[0] for n in numbers)


def test_statements_in_no_grad_or_stopped_get_no_comment():
    text = build(passes.nograd)
    numbers = {int(c.split(":")[1]) for c in comments(text)}
    assert line_in(passes.nograd, "m = np.max(x)") not in numbers
    assert line_in(passes.nograd, "c = m * 2.0") not in numbers
    # (the adjoint of `y = y - c` is the identity: no code, no comment)
    assert line_in(passes.nograd, "y = x * 3.0") in numbers
    text = build(passes.cut_by_stop)
    numbers = {int(c.split(":")[1]) for c in comments(text)}
    assert line_in(passes.cut_by_stop, "s = srcdiff.stop_gradient(x)") not in numbers
    assert line_in(passes.cut_by_stop, "t = s * 2.0") not in numbers


@pytest.mark.parametrize(("func", "wrt"), CASES, ids=IDS)
def test_deterministic(func, wrt):
    assert build(func, wrt) == build(func, wrt)


# ---------------------------------------------------------------------------------------------
# names: user variables never collide with generated ones
# ---------------------------------------------------------------------------------------------


def test_user_variable_named_dx_keeps_its_value():
    text = build(passes.has_dx)
    assert ("dx", "x * 2.0") in assignments(text)  # the user's dx, untouched
    adjoint = re.fullmatch(r"as_gradient\((\w+), x\)", returned(text)).group(1)
    assert adjoint != "dx"
    # the user's dx is never overwritten by an adjoint
    assert [v for t, v in assignments(text) if t == "dx"] == ["x * 2.0"]


def test_user_local_named_like_a_helper_is_not_shadowed():
    text = build(passes.local_unbroadcast, ("x", "y"))
    assert ("unbroadcast", "x * y") in assignments(text)
    calls = {ast.unparse(n.func) for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call)}
    assert "unbroadcast" not in calls  # the helper is called under another name


def test_user_local_named_np_is_not_used_as_numpy():
    text = build(passes.local_np)
    assert ("np", "numpy.sin(x)") in assignments(text)
    attributes = {ast.unparse(n) for n in ast.walk(ast.parse(text))
                  if isinstance(n, ast.Attribute)}
    assert "np.cos" not in attributes  # the template's np, renamed


NUMERIC_CASES = [
    (passes.has_dx, 0, [(4,)]),
    (passes.local_unbroadcast, (0, 1), [(3,), (3,)]),
    (passes.local_unbroadcast, (0, 1), [(2, 3), (3,)]),
    (passes.local_np, 0, [(2, 3)]),
    (passes.local_scalar_seed, 0, [(3,)]),
    (passes.used_twice, 0, [(3,)]),
    (passes.identities, (0, 1), [(3,), "positive"]),
    (passes.two, 1, [(3,), (3,)]),
    (passes.uses_builtins, 0, [(3,)]),  # the builtin abs() has a rule
]


@pytest.mark.parametrize(("func", "wrt", "shapes"), NUMERIC_CASES,
                         ids=[f"{f.__name__}-{s}" for f, _, s in NUMERIC_CASES])
def test_generated_code_computes_the_gradient(func, wrt, shapes):
    rng = np.random.default_rng(7)
    args = [rng.uniform(0.5, 2.0, 3) if shape == "positive" else rng.standard_normal(shape)
            for shape in shapes]
    before = func(*args)
    assert srcdiff.check_grad(func, *args, wrt=wrt) >= 0.0
    gradient = srcdiff.grad(func, wrt=wrt)(*args)
    for value, arg in zip(gradient if isinstance(wrt, tuple) else (gradient,),
                          [args[i] for i in (wrt if isinstance(wrt, tuple) else (wrt,))],
                          strict=True):
        assert np.shape(value) == np.shape(arg)
        assert np.all(np.isfinite(value))
    assert func(*args) == before  # the derivative did not disturb the function's globals


def test_grad_of_local_np_matches_the_closed_form():
    x = np.array([0.3, -1.2, 2.0])
    # f(x) = sum(sin(x) * x): f' = cos(x) * x + sin(x)
    np.testing.assert_allclose(srcdiff.grad(passes.local_np)(x), np.cos(x) * x + np.sin(x),
                               rtol=1e-12, atol=0)


def test_grad_of_has_dx_matches_the_closed_form():
    x = np.array([0.3, -1.2, 2.0])
    # f(x) = sum(2 x * x): f' = 4 x
    np.testing.assert_allclose(srcdiff.grad(passes.has_dx)(x), 4.0 * x, rtol=1e-12, atol=0)
