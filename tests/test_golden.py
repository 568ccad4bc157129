"""Golden files: the exact code srcdiff emits for representative functions.

A change to the generated code shows up here as a diff; regenerate with
``python tests/regenerate_golden.py`` and review ``git diff tests/golden``.
Beyond exact text, each golden output is read as a reviewer would: every assignment is used,
no arithmetic identities remain, adjoints are named ``d<name>``, and it computes the right
numbers.
"""
import ast
import re

import numpy as np
import pytest

import srcdiff
from srcdiff import runtime
from tests.cases import golden_cases
from tests.cases.golden_cases import CASES
from tests.golden_support import STANDALONE, emitted_text, golden_path, standalone_text

IDS = [name for name, *_ in CASES]


@pytest.mark.parametrize(("name", "func", "kind", "wrt"), CASES, ids=IDS)
def test_emitted_code_matches_golden(name, func, kind, wrt):
    expected = golden_path(name).read_text()
    assert emitted_text(func, kind, wrt) == expected, (
        f"emitted code of {name} changed; run `python tests/regenerate_golden.py` and review "
        "`git diff tests/golden`")


def _function(name: str) -> ast.FunctionDef:
    """The derivative function of a golden file (the first; callees' follow it)."""
    tree = ast.parse(golden_path(name).read_text())
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


@pytest.mark.parametrize("name", IDS)
def test_no_unused_assignment(name):
    """Every assigned name is read later: by a later line, or anywhere in the loop around it
    (the next iteration reads what this one leaves)."""
    node = _function(name)

    def reads(tree):
        return [(n.lineno, n.id) for n in ast.walk(tree)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]

    def check(body, loops):
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                for target in ast.walk(stmt.targets[0]):
                    if not isinstance(target, ast.Name):
                        continue
                    later = any(line > stmt.lineno and read == target.id
                                for line, read in reads(node))
                    in_loop = any(read == target.id for loop in loops for _, read in reads(loop))
                    assert later or in_loop, (
                        f"{name}: {target.id} is assigned on line {stmt.lineno}, never read")
            elif isinstance(stmt, ast.If):
                check(stmt.body, loops)
                check(stmt.orelse, loops)
            elif isinstance(stmt, (ast.For, ast.While)):
                check(stmt.body, loops + [stmt])

    check(node.body, [])


def _is_number(node: ast.AST, value: float) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
        and node.value == value


@pytest.mark.parametrize("name", IDS)
def test_no_arithmetic_identities(name):
    text = golden_path(name).read_text()
    assert "+ 0.0" not in text and "* 1.0" not in text
    for node in ast.walk(_function(name)):
        if isinstance(node, ast.BinOp):
            op, left, right = node.op, node.left, node.right
            assert not (isinstance(op, (ast.Add, ast.Sub)) and _is_number(right, 0)), name
            assert not (isinstance(op, ast.Add) and _is_number(left, 0)), name
            assert not (isinstance(op, (ast.Mult, ast.Div, ast.Pow)) and _is_number(right, 1))
            assert not (isinstance(op, ast.Mult) and _is_number(left, 1)), name


def _assignments(body, rerun=True):
    """Every single-name assignment of ``body``, nested blocks included, in order (a loop's
    restore ``a, b = stack.pop()`` is not an adjoint). Without ``rerun``, not those of a
    ``for`` loop: in the backward sweep, that is a checkpointed loop running a segment again
    (its primal statements)."""
    for stmt in body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            yield stmt
        elif isinstance(stmt, (ast.If, ast.For, ast.While)):
            if isinstance(stmt, ast.For) and not rerun:
                continue
            yield from _assignments(stmt.body, rerun)
            yield from _assignments(stmt.orelse, rerun)


REVERSE_IDS = [name for name, _, kind, _ in CASES if kind != "jvp"]
FORWARD_IDS = [name for name, _, kind, _ in CASES if kind == "jvp"]


@pytest.mark.parametrize("name", FORWARD_IDS)
def test_tangents_are_named_after_their_primal(name):
    node = _function(name)
    params = {a.arg for a in node.args.args}
    targets = {t.id for stmt in ast.walk(node) if isinstance(stmt, ast.Assign)
               for t in ast.walk(stmt.targets[0]) if isinstance(t, ast.Name)}
    tangents = {t for t in targets if t.startswith("d")}
    assert tangents, name
    for tangent in tangents:
        assert tangent[1:] in targets | params, f"{name}: {tangent} names no primal value"


def _normal_names(func) -> set[str]:
    """The values the normalized function binds: the forward sweep drops those that the
    derivative reads only for their shapes, but their adjoints keep their names."""
    from srcdiff import canonicalize, fence, normalize, parse
    from srcdiff.ir import assignments

    if hasattr(func, "__srcdiff_kind__"):  # a derivative: its values are in its golden text
        return set()
    source = parse.parse_function(func)
    canonicalize.canonicalize(source.node)
    _, rejected = fence.find(source)
    return {s.target for s in assignments(normalize.normalize(source, rejected).body)}


@pytest.mark.parametrize("name", REVERSE_IDS)
def test_adjoints_are_named_after_their_primal(name):
    node = _function(name)
    primal = {a.arg for a in node.args.args}
    primal |= _normal_names(next(func for case, func, *_ in CASES if case == name))
    top = node.body
    # the seed: ``scalar_seed(...)``, or ``1.0`` when the output is known to be one number
    seeds = [i for i, s in enumerate(top) if isinstance(s, ast.Assign) and (
             (isinstance(s.value, ast.Call) and getattr(s.value.func, "id", "") == "scalar_seed")
             or (isinstance(s.value, ast.Constant) and s.value.value == 1.0
                 and s.targets[0].id.startswith("d")))]
    # the last seed starts the backward sweep (a derivative of a derivative runs the inner
    # gradient's code, seed included, in its forward sweep)
    seed = seeds[-1] if seeds else None
    if seed is None:  # vjp: the seed is the last parameter, the backward sweep starts after
        seed = next(i for i, s in enumerate(top) if isinstance(s, ast.Assign)
                    and {n.id for n in ast.walk(s.value) if isinstance(n, ast.Name)}
                    & {node.args.args[-1].arg})
    for stmt in _assignments(top[:seed]):
        primal.add(stmt.targets[0].id)
    for stmt in _assignments(top[seed:], rerun=False):
        (target,) = stmt.targets
        if target.id in primal and not target.id.startswith("d"):
            continue  # a checkpointed loop's bookkeeping (where its next segment ends)
        assert re.fullmatch(r"d\w+", target.id), f"{name}: adjoint {target.id!r}"
        # d<name>, or d<name>_<n> when d<name> is itself a value (a derivative's derivative)
        base = target.id[1:]
        assert base in primal or re.sub(r"_\d+$", "", base) in primal, (
            f"{name}: adjoint {target.id!r} does not name a primal value")


@pytest.mark.parametrize(("name", "func", "kind", "wrt"), CASES, ids=IDS)
def test_golden_code_computes_the_gradient(name, func, kind, wrt):
    """Run the pinned text itself and compare with srcdiff.grad and finite differences."""
    rng = np.random.default_rng(7)
    args = _arguments(name, rng)
    namespace = dict(vars(golden_cases))  # the user's helpers the derivative calls
    namespace["np"] = np
    namespace.update({n: getattr(runtime, n) for n in runtime.HELPER_NAMES})
    exec(compile(golden_path(name).read_text(), str(golden_path(name)), "exec"), namespace)
    generated = namespace[_function(name).name]
    if kind == "jvp":
        indices = wrt if isinstance(wrt, tuple) else (wrt,)
        tangents = tuple(rng.standard_normal(np.shape(args[i])) for i in indices)
        tangent = tangents if isinstance(wrt, tuple) else tangents[0]
        got_value, got = generated(*args, tangent)
        value, expected = srcdiff.jvp(func, wrt=wrt)(*args, tangent)
        assert got_value == value
        np.testing.assert_array_equal(got, expected)
        srcdiff.check_grad(func, *args, wrt=wrt)
        return
    if kind == "vjp":
        ct = rng.standard_normal(np.shape(func(*args)))
        got = generated(*args, ct)
        expected = srcdiff.vjp(func, wrt=wrt)(*args, ct)
    elif name == "second_order_sin_cubed":  # the second derivative, in closed form
        (x,) = args
        got = generated(*args)
        expected = srcdiff.grad(func, wrt=wrt)(*args)
        assert got == pytest.approx(-x**3 * np.sin(x) + 6 * x**2 * np.cos(x)
                                    + 6 * x * np.sin(x), rel=1e-12)
    else:
        got = generated(*args)
        expected = srcdiff.grad(func, wrt=wrt)(*args)
        if name == "controlled":  # stopped values are constants: compare with the formula
            x, scale = args
            norm = np.sqrt(np.sum(x * x))
            by_hand = (x * x * scale / norm, np.sum(x * x * x) / norm)
            for g, h in zip(expected, by_hand, strict=True):
                np.testing.assert_allclose(g, h, rtol=1e-12)
        else:
            srcdiff.check_grad(func, *args, wrt=wrt)
    for g, e in zip(got if isinstance(wrt, tuple) else (got,),
                    expected if isinstance(wrt, tuple) else (expected,), strict=True):
        np.testing.assert_array_equal(g, e)


def _arguments(name, rng):
    normal = rng.standard_normal
    if name == "seeds_mean":
        return (normal(3),)
    if name == "seeds_q_vjp":
        return (normal(2), normal(2))
    if name in ("two_layer_network", "forward_two_layer_network"):
        return (normal((4, 3)), normal((3, 5)), normal(5), normal((5, 2)), normal(2))
    if name == "logistic_loss":
        return (normal(3), normal((6, 3)), np.sign(normal(6)))
    if name == "softmax_cross_entropy":
        return (normal((4, 3)), np.eye(3)[[0, 2, 1, 1]])
    if name == "rebinding":
        return (normal((2, 3)),)
    if name == "controlled":
        return (normal(3), 1.5)
    if name == "piecewise_branches":
        return (float(normal()), float(normal()))
    if name in ("rnn_for_loop", "forward_rnn_for_loop", "rnn_for_loop_checkpointed"):
        return (0.5 * normal((3, 3)), normal((3, 2)), normal((4, 2)), normal(3))
    if name in ("newton_while_loop", "newton_while_loop_checkpointed"):
        return (2.0 + abs(float(normal())), 1e-12)
    if name == "helper_calls":
        return (normal((4, 3)), normal((2, 4)), normal(3))
    if name == "subscript_assignment":
        return (normal(5),)
    if name == "second_order_sin_cubed":
        return (0.7,)
    if name == "while_loop_with_break":
        return (2.0 + abs(float(normal())), 1e-10)
    if name == "lazy_sum_adjoint":
        return (normal(4), normal(4))
    if name == "scalar_loop_in_place":
        return (normal(5),)
    if name == "seed_from_a_shape_witness":
        return (normal(3), normal((6, 3)), np.sign(normal(6)), 0.1)
    raise AssertionError(f"no arguments for {name}")


def test_standalone_module_matches_golden():
    """The whole module ``srcdiff emit`` writes: header, copied helpers, gradient."""
    assert standalone_text() == golden_path(STANDALONE).read_text(), (
        "run `python tests/regenerate_golden.py` and review `git diff tests/golden`")
    tree = ast.parse(golden_path(STANDALONE).read_text())
    imports = [ast.unparse(s) for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    assert imports == ["import numpy as np"]
