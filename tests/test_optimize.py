"""Optimize pass: arithmetic identities, trimmed helper calls, dead code."""
import ast

import pytest

from srcdiff import optimize
from srcdiff.reverse import COMMENT_MARKER, comment


def simplified(text: str) -> str:
    return ast.unparse(optimize.simplify(ast.parse(text, mode="eval").body))


@pytest.mark.parametrize(("before", "after"), [
    ("a * 1", "a"),
    ("1 * a", "a"),
    ("a + 0", "a"),
    ("0 + a", "a"),
    ("a - 0", "a"),
    ("a ** 1", "a"),
    ("a / 1", "a"),
    ("a * (1 / b)", "a / b"),
    ("a * -1", "-a"),
    ("-1 * a", "-a"),
    ("--a", "a"),
    ("2 - 1", "1"),
    ("1 - 2", "-1"),
    ("2 * 3", "6"),
    ("x ** (2 - 1)", "x"),
    ("1.0 * a", "a"),
    ("a * 1.0", "a"),
    ("a + 0.0", "a"),
    ("0.0 + a", "a"),
    ("a - 0.0", "a"),
    ("0 - a", "-a"),
    ("a + -b", "a - b"),
    ("x * (0.5 * 2)", "x"),
    ("f(a * 1, b + 0)", "f(a, b)"),
    ("(a + 0) * (b * 1)", "a * b"),
])
def test_simplify_removes_identities(before, after):
    assert simplified(before) == after


@pytest.mark.parametrize("text", [
    "a * 2",
    "a / b",
    "0.5 * a",
    "a * 1.5",
    "a - b",
    "a ** 2",
    "2 ** a",
    "-a",
    "a * b",
    "1 / a",
    "a + 1",
])
def test_simplify_leaves_other_expressions_alone(text):
    assert simplified(text) == ast.unparse(ast.parse(text, mode="eval").body)


def test_simplify_keeps_values():
    env = {"a": 1.75, "b": -0.5, "x": 3.0}
    for text in ["a * (1 / b)", "x ** (2 - 1)", "a * -1", "--a", "a + -b", "0 - a",
                 "(a + 0) * (b * 1) - 0.0"]:
        assert eval(simplified(text), env) == eval(text, env), text


def test_simplify_works_inside_statements():
    tree = ast.parse("dx = dy * (2 * x ** (2 - 1)) + 0.0")
    optimize.simplify(tree)
    assert ast.unparse(tree) == "dx = dy * (2 * x)"


# ---------------------------------------------------------------------------------------------
# dead code
# ---------------------------------------------------------------------------------------------


def assign(text: str, pure: bool | None) -> ast.Assign:
    stmt = ast.parse(text).body[0]
    assert isinstance(stmt, ast.Assign)
    if pure is not None:
        stmt.srcdiff_pure = pure
    return stmt


def rendered(body: list[ast.stmt]) -> list[str]:
    return [ast.unparse(stmt) for stmt in body]


def note(text: str) -> str:
    return f"{COMMENT_MARKER}({text!r})"


def test_dead_code_removes_unused_pure_assignments():
    body = [
        comment("first"),
        assign("a = x * 2", pure=True),
        assign("t = x + 1", pure=True),
        assign("b = t * 3", pure=True),  # unused: b goes, then t (read only by b)
        ast.parse("return a").body[0],
    ]
    assert rendered(optimize.eliminate_dead_code(body)) == [
        note("first"), "a = x * 2", "return a"]


def test_dead_code_keeps_impure_assignments_and_what_they_read():
    body = [
        assign("t = x + 1", pure=True),
        assign("c = g(t)", pure=False),  # unused but may have effects
        assign("d = h(x)", pure=None),  # no marker at all: treated as impure
        assign("a = x * 2", pure=True),
        ast.parse("return a").body[0],
    ]
    assert rendered(optimize.eliminate_dead_code(body)) == [
        "t = x + 1", "c = g(t)", "d = h(x)", "a = x * 2", "return a"]


def test_dead_code_drops_comments_left_without_code():
    body = [
        comment("first"),
        assign("a = x * 2", pure=True),
        comment("second"),
        assign("b = a * 3", pure=True),  # dead: "second" is left with nothing under it
        comment("third"),
        assign("c = g(x)", pure=False),
        comment("fourth"),
        assign("e = a * 4", pure=True),  # dead, and "fourth" is followed by the return
        ast.parse("return a").body[0],
    ]
    assert rendered(optimize.eliminate_dead_code(body)) == [
        note("first"), "a = x * 2", note("third"), "c = g(x)", "return a"]


def test_dead_code_drops_a_trailing_comment():
    body = [assign("a = x * 2", pure=True), ast.parse("return a").body[0], comment("end")]
    assert rendered(optimize.eliminate_dead_code(body)) == ["a = x * 2", "return a"]


def test_dead_code_keeps_a_rebinding_read_before_it():
    body = [
        assign("dx = x * 2", pure=True),
        assign("dx = dx + 1", pure=True),
        assign("dy = x * 5", pure=True),
        assign("dy = x * 7", pure=True),  # the first dy is overwritten unread
        ast.parse("return dx + dy").body[0],
    ]
    assert rendered(optimize.eliminate_dead_code(body)) == [
        "dx = x * 2", "dx = dx + 1", "dy = x * 7", "return dx + dy"]


# ---------------------------------------------------------------------------------------------
# trimmed helper calls
# ---------------------------------------------------------------------------------------------


def function(text: str) -> ast.FunctionDef:
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_optimize_drops_default_keyword_arguments_of_helpers():
    node = function(
        "def f(g, a):\n"
        "    r = repeat_to_shape(g, a, axis=None, keepdims=False)\n"
        "    return r\n")
    optimize.optimize(node, {"repeat_to_shape": "repeat_to_shape"})
    assert ast.unparse(node.body[0]) == "r = repeat_to_shape(g, a)"


def test_optimize_keeps_keyword_arguments_that_differ_from_the_default():
    node = function(
        "def f(g, a):\n"
        "    r = repeat_to_shape(g, a, axis=0, keepdims=False)\n"
        "    s = repeat_to_shape(r, a, axis=None, keepdims=True)\n"
        "    t = repeat_to_shape(s, a, keepdims=0)\n"
        "    return t\n")
    optimize.optimize(node, {"repeat_to_shape": "repeat_to_shape"})
    assert [ast.unparse(stmt) for stmt in node.body[:3]] == [
        "r = repeat_to_shape(g, a, axis=0)",
        "s = repeat_to_shape(r, a, keepdims=True)",
        "t = repeat_to_shape(s, a, keepdims=0)",  # 0 is not the default False
    ]


def test_optimize_trims_helpers_under_their_alias_only():
    node = function(
        "def f(g, a):\n"
        "    r = repeat_to_shape_2(g, a, axis=None)\n"
        "    s = repeat_to_shape(r, a, axis=None)\n"
        "    t = np.sum(s, axis=None)\n"
        "    return t\n")
    optimize.optimize(node, {"repeat_to_shape": "repeat_to_shape_2"})
    assert [ast.unparse(stmt) for stmt in node.body[:3]] == [
        "r = repeat_to_shape_2(g, a)",
        "s = repeat_to_shape(r, a, axis=None)",  # a user function of that name: untouched
        "t = np.sum(s, axis=None)",
    ]


def _adjoint(text: str) -> ast.stmt:
    stmt = ast.parse(text).body[0]
    stmt.srcdiff_adjoint = True
    return stmt


def test_adjoint_copy_is_folded_into_its_definition():
    body = [_adjoint("dy = dz * 2"), _adjoint("dy = dy + dz"), _adjoint("dx = dy"),
            ast.parse("return dx").body[0]]
    folded = optimize.propagate_adjoint_copies(body, params=set())
    assert [ast.unparse(s) for s in folded] == ["dx = dz * 2", "dx = dx + dz", "return dx"]


def test_adjoint_copy_is_kept_when_either_name_is_still_needed():
    used_later = [_adjoint("dy = dz * 2"), _adjoint("dx = dy"),
                  ast.parse("return (dx, dy)").body[0]]
    assert len(optimize.propagate_adjoint_copies(used_later, params=set())) == 3
    target_defined = [_adjoint("dx = dz"), _adjoint("dy = dz * 2"),
                      ast.parse("dx = dy").body[0], ast.parse("return dx").body[0]]
    assert len(optimize.propagate_adjoint_copies(target_defined, params=set())) == 4
    seed_parameter = [_adjoint("dx = dresult"), ast.parse("return dx").body[0]]
    assert len(optimize.propagate_adjoint_copies(seed_parameter, params={"dresult"})) == 2
