"""Optimize pass: arithmetic identities, small powers, trimmed helper calls, dead code, adjoint
copies, accumulation in place."""
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
    "a * (2 * b)",
    "-a",
    "a * b",
    "1 / a",
    "a + 1",
])
def test_simplify_leaves_other_expressions_alone(text):
    assert simplified(text) == ast.unparse(ast.parse(text, mode="eval").body)


def with_products(text: str) -> str:
    return ast.unparse(optimize.products(optimize.simplify(ast.parse(text, mode="eval").body)))


@pytest.mark.parametrize(("before", "after"), [
    ("a ** 2", "a * a"),
    ("a ** 3", "a * a * a"),
    ("2 * x ** (3 - 1)", "2 * (x * x)"),
    ("a ** 4", "a ** 4"),
    ("a ** 2.0", "a ** 2.0"),  # a float power of an integer array is a float array
    ("(a + b) ** 2", "(a + b) ** 2"),  # computed once, not twice
])
def test_small_integer_powers_are_products(before, after):
    assert with_products(before) == after


def test_a_number_factor_moves_left():
    # when dy is one number (an adjoint left lazy), dy * 2 is one too: one array product
    assert with_products("dy * (2 * x)") == "dy * 2 * x"
    assert with_products("dy * (2.5 * (x * x))") == "dy * 2.5 * (x * x)"
    assert with_products("dy * (x * 2)") == "dy * (x * 2)"


def test_products_leave_the_users_statements_alone():
    stmt = ast.parse("y = x ** 3").body[0]
    stmt.srcdiff_primal = True
    assert ast.unparse(optimize.products(stmt)) == "y = x ** 3"


def test_simplify_keeps_values():
    env = {"a": 1.75, "b": -0.5, "x": 3.0}
    for text in ["a * (1 / b)", "x ** (2 - 1)", "a * -1", "--a", "a + -b", "0 - a",
                 "(a + 0) * (b * 1) - 0.0"]:
        assert eval(simplified(text), env) == eval(text, env), text
    for text in ["a ** 2", "a ** 3", "x * (2 * a)"]:
        assert eval(with_products(text), env) == pytest.approx(eval(text, env), rel=1e-15)


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


def test_seed_keeps_its_name():
    body = [_adjoint("dresult = 1.0"), _adjoint("dz = dresult"), _adjoint("dx = dz * 2"),
            ast.parse("return dx").body[0]]
    kept = optimize.propagate_adjoint_copies(body, params=set())
    assert [ast.unparse(s) for s in optimize.substitute_adjoint_copies(kept)] == [
        "dresult = 1.0", "dx = dresult * 2", "return dx"]


def test_adjoint_copied_to_two_names_keeps_its_own():
    # y = a + b: both adjoints are dy; the reader sees dy, not da standing for db too
    body = [_adjoint("dy = dz * 2"), _adjoint("da = dy"), _adjoint("db = dy"),
            _adjoint("da = da + db * 3"), ast.parse("return da").body[0]]
    kept = optimize.propagate_adjoint_copies(body, params=set())
    assert [ast.unparse(s) for s in optimize.substitute_adjoint_copies(kept)] == [
        "dy = dz * 2", "da = dy + dy * 3", "return da"]  # (da = dy; da = da + ...: folded)


def test_copy_inside_a_loop_is_not_substituted():
    body = ast.parse("while s:\n    dh_2 = dh\n    dh = dh_2 * 2\nreturn dh").body
    assert optimize.substitute_adjoint_copies(body) == body


# ---------------------------------------------------------------------------------------------
# accumulation in place
# ---------------------------------------------------------------------------------------------


def in_place(text: str) -> list[str]:
    node = function(text)
    for stmt in ast.walk(node):
        if isinstance(stmt, ast.Assign):
            stmt.srcdiff_adjoint = True
    optimize.accumulate_in_place(node, {"np": "np", "index_adjoint": "index_adjoint"})
    return ast.unparse(node).splitlines()[1:]


def test_zeros_of_an_argument_are_added_to_in_place():
    assert in_place(
        "def f(x, W, s):\n"
        "    dW = np.zeros_like(W)\n"
        "    dx = np.zeros_like(x)\n"
        "    for i in range(3):\n"
        "        dW = dW + g(i)\n"
        "        dx = dx + index_adjoint(s, x, i)\n"
        "        dx = dx + index_adjoint(s, x, i + 1)\n"
        "        dx = dx + index_adjoint(s, x, k)\n"
        "    return (dW, dx)\n") == [
        "    dW = np.zeros_like(W)",
        "    dx = np.zeros_like(x)",
        "    for i in range(3):",
        "        dW += g(i)",
        "        dx[i] += s",
        "        dx[i + 1] += s",
        "        dx += index_adjoint(s, x, k)",  # k may repeat an element: the helper adds
        "    return (dW, dx)"]


def test_an_adjoint_read_or_aliased_is_not_changed_in_place():
    assert in_place(
        "def f(x, y):\n"
        "    dx = np.zeros_like(x)\n"
        "    dy = dx\n"
        "    dx = dx + y\n"                       # dy is the same array: no +=
        "    dz = y * 2\n"
        "    dz = dz + y\n"                       # a fresh product: +=
        "    dw = dz\n"
        "    dz = dz + y\n"                       # read by dw = dz: no +=
        "    return (dx, dy, dz, dw)\n") == [
        "    dx = np.zeros_like(x)",
        "    dy = dx",
        "    dx = dx + y",
        "    dz = y * 2",
        "    dz += y",
        "    dw = dz",
        "    dz = dz + y",
        "    return (dx, dy, dz, dw)"]


def test_a_loop_reading_the_adjoint_keeps_it_out_of_place():
    assert in_place(
        "def f(x, y):\n"
        "    dx = np.zeros_like(x)\n"
        "    while s:\n"
        "        dx = dx + y\n"
        "        t = dx * 2\n"                     # the next iteration's dx += would change t
        "    return dx\n") == [
        "    dx = np.zeros_like(x)",
        "    while s:",
        "        dx = dx + y",
        "        t = dx * 2",
        "    return dx"]


def test_zeros_of_a_local_value_are_not_assumed_floating():
    assert in_place(
        "def f(x):\n"
        "    n = len(x)\n"
        "    dn = np.zeros_like(n)\n"              # an integer: += of a float would fail
        "    dn = dn + x\n"
        "    return dn\n")[2] == "    dn = dn + x"


def test_a_copy_folds_into_the_next_binding_of_its_target():
    body = [_adjoint("dh = dresult"), _adjoint("dy = dresult"),
            _adjoint("dh = repeat_to_shape(dh, h)"), ast.parse("return (dh, dy)").body[0]]
    assert [ast.unparse(s) for s in optimize.fold_copies_into_rebinding(body)] == [
        "dy = dresult", "dh = repeat_to_shape(dresult, h)", "return (dh, dy)"]
    read_between = [_adjoint("dh = dresult"), _adjoint("dy = dh * 2"),
                    _adjoint("dh = repeat_to_shape(dh, h)")]
    assert len(optimize.fold_copies_into_rebinding(read_between)) == 3
