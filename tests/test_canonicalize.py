"""The canonicalize pass: lowering of ``break``/``continue`` and of early returns.

Execution equivalence: each function below (a source string) is run as written and after
``canonicalize``; both must give the same result (or raise the same exception) on every
input, and the lowered tree must hold no ``break`` or ``continue``. Then end to end: the
functions of tests/cases/loop_exits.py are differentiated and checked against central finite
differences, on inputs that exit on the first iteration, never, and in between.
"""
import ast
import contextlib
import textwrap

import numpy as np
import pytest

import srcdiff
from srcdiff import fence
from srcdiff.canonicalize import canonicalize
from srcdiff.parse import parse_file
from tests.cases import loop_exits as le

NAMESPACE = {"np": np, "nullcontext": contextlib.nullcontext}


def compiled(tree: ast.Module, name: str):
    namespace = dict(NAMESPACE)
    exec(compile(tree, "<test_canonicalize>", "exec"), namespace)  # noqa: S102
    return namespace[name]


def lower(source: str) -> tuple[ast.FunctionDef, object]:
    """The canonicalized function definition of ``source``, and the function it defines."""
    tree = ast.parse(textwrap.dedent(source))
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef)
    assert canonicalize(func) is func
    ast.fix_missing_locations(tree)
    return func, compiled(tree, func.name)


def original(source: str):
    tree = ast.parse(textwrap.dedent(source))
    return compiled(tree, tree.body[0].name)  # type: ignore[attr-defined]


def outcome(func, args):
    """What calling ``func`` gives: its value, or the type of the exception it raised."""
    try:
        value = func(*args)
    except Exception as error:  # noqa: BLE001
        return ("raised", type(error))
    return ("value", value)


def same(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return type(a) is type(b) and a == b


def exits_in(node: ast.AST) -> list[ast.AST]:
    return [n for n in ast.walk(node) if isinstance(n, (ast.Break, ast.Continue))]


# ---------------------------------------------------------------------------------------------
# Execution equivalence.
# ---------------------------------------------------------------------------------------------

X5 = np.array([0.5, -1.5, 2.0, 0.25, -0.75])
ROWS = np.array([[1.0, -2.0, 0.5], [0.3, 0.4, -0.1], [-1.0, -1.0, -1.0], [2.0, 1.0, 3.0]])
POSITIVE = np.array([1.0, 2.0, 3.0])

#: name -> (source, inputs). The comments name the path each input takes.
EQUIVALENCE = {
    "range_break": ("""
        def f(x, limit):
            total = 0.0
            for k in range(len(x)):
                total = total + x[k] * x[k]
                if total > limit:
                    break
            return total, k
        """, [(X5, -1.0),  # break on the first iteration
              (X5, 1e9),  # never break: k ends at len(x) - 1, not len(x)
              (X5, 2.0), (X5, 6.0)]),
    "continue_every_iteration": ("""
        def f(x, c):
            total = 0.0
            count = 0
            for v in x:
                count = count + 1
                if v < c:
                    continue
                total = total + v
            return total, count
        """, [(X5, 1e9),  # continue on every iteration
              (X5, -1e9),  # never continue
              (X5, 0.0)]),
    "nested_loops_inner_break": ("""
        def f(X, limit):
            total = 0.0
            for row in X:
                for v in row:
                    if v > limit:
                        break
                    total = total + v
                total = total * 2.0
            return total, row[0], v
        """, [(ROWS, -1e9), (ROWS, 1e9), (ROWS, 0.45), (ROWS, 0.0)]),
    "break_in_nested_ifs": ("""
        def f(x, a, b):
            total = 0.0
            for i in range(len(x)):
                if x[i] > a:
                    if x[i] > b:
                        total = total - 100.0
                        break
                    total = total + 1.0
                elif x[i] < -a:
                    total = total * 3.0
                total = total + x[i]
            return total, i
        """, [(X5, 0.0, 1.0), (X5, 0.0, 10.0), (X5, -10.0, -5.0), (X5, 0.4, 0.45)]),
    "continue_and_break": ("""
        def f(x, low, high):
            total = 0.0
            seen = 0
            for v in x:
                seen = seen + 1
                if v < low:
                    continue
                if v > high:
                    break
                total = total + v
            return total, seen
        """, [(X5, -1.0, 1.0), (X5, -10.0, 10.0), (X5, 10.0, 20.0), (X5, -10.0, -5.0)]),
    "while_break": ("""
        def f(x, limit):
            i = 0
            total = 0.0
            while i < len(x):
                total = total + x[i]
                i = i + 1
                if total > limit:
                    break
            return total, i
        """, [(X5, -1e9), (X5, 1e9), (X5, 1.0)]),
    "while_test_not_evaluated_after_break": ("""
        def f(x):
            i = 0
            while x[i] > 0:
                i = i + 1
                if i == len(x):
                    break
            return i
        """, [(POSITIVE,),  # breaks: evaluating x[i] again would raise IndexError
              (np.array([1.0, -1.0, 2.0]),)]),
    "negative_step_range_break": ("""
        def f(x, cutoff):
            acc = 0.0
            for i in range(len(x) - 1, -1, -2):
                acc = acc * 0.5 + x[i]
                if x[i] < cutoff:
                    break
            return acc, i
        """, [(X5, 10.0), (X5, -10.0), (X5, 0.0)]),
    "array_rows_break": ("""
        def f(X, threshold):
            total = 0.0
            for row in X:
                total = total + float(np.sum(row))
                if total > threshold:
                    break
            return total, float(np.sum(row))
        """, [(ROWS, -1e9), (ROWS, 1e9), (ROWS, 0.5)]),
    "enumerate_continue": ("""
        def f(X):
            total = 0.0
            for i, row in enumerate(X):
                if np.sum(row) < 0:
                    continue
                total = total + i * float(np.sum(row))
            return total, i
        """, [(ROWS,), (-ROWS,), (np.abs(ROWS),)]),
    "enumerate_and_zip_break": ("""
        def f(x, y, limit):
            total = 0.0
            for a, b in zip(x, y):
                if a * b < limit:
                    break
                total = total + a * b
            for i, v in enumerate(y):
                total = total + i * v
                if v > -limit:
                    break
            return total, a, b, i
        """, [(X5, POSITIVE, -1.0), (X5, X5[::-1], -1e9), (POSITIVE, X5, 1e9)]),
    "reversed_break": ("""
        def f(x, n, cutoff):
            total = 0.0
            for i in reversed(range(2, n)):
                total = total + x[i]
                if total < cutoff:
                    break
            for v in reversed(x):
                if v > cutoff:
                    break
                total = total + v
            for j in reversed(range(n)):
                if j < n - 2:
                    break
            return total, i, v, j
        """, [(X5, 5, 0.0), (X5, 5, -1e9), (X5, 4, 1e9), (X5, 3, 0.3)]),
    "continue_needs_a_flag": ("""
        def f(x, a):
            total = 0.0
            for v in x:
                if v > 0:
                    if v > a:
                        continue
                    total = total + 1.0
                total = total + v
            return total
        """, [(X5, 0.3), (X5, 100.0), (X5, -100.0)]),
    "loop_variable_value": ("""
        def f(n, stop_at):
            k = -1
            for k in range(n):
                if k == stop_at:
                    break
                k = k * 100  # rebinding the loop variable changes nothing of the iteration
            return k
        """, [(0, 0),  # no iteration: k keeps its value
              (5, 99), (5, 2), (5, 0)]),
    "bounds_evaluated_once": ("""
        def f(n, start):
            total = 0
            for i in range(start, n, 2):
                n = n - 1
                start = start + 5
                total = total + i
                if total > 30:
                    break
            return total, n, start, i
        """, [(10, 0), (40, 1), (30, 3)]),
    "exits_everywhere": ("""
        def f(x):
            count = 0
            for _ in range(5):  # an unconditional break
                count = count + 1
                break
            for v in x:  # a continue that skips nothing
                count = count + 1
                continue
            while True:
                count = count + 1
                if count > 20:
                    break
            for v in x:  # a break inside a 'with' block
                with nullcontext():
                    if v > 1.0:
                        break
                    count = count + 1
                count = count + 10
            return count
        """, [(X5,), (POSITIVE,), (-POSITIVE,)]),
    "dynamic_step_range": ("""
        def f(x, step):
            total = 0.0
            for i in range(0, len(x), step):
                if x[i] < 0:
                    break
                total = total + x[i]
            return total, i
        """, [(X5, 1), (X5, 2), (POSITIVE, 1), (POSITIVE, -1),
              (X5, 0)]),  # step 0: range raises ValueError
    "kept_for_keeps_the_loop_variables": ("""
        def f(X, limit):
            total = 0.0
            for i, row in enumerate(X, 1):
                total = total + i * float(np.sum(row))
                if total > limit:
                    break
            return total, i, float(np.sum(row))
        """, [(ROWS, -1e9), (ROWS, 1e9), (ROWS, 0.5)]),
    "names_taken_by_the_user": ("""
        def f(x, stopped, skip):
            k_next = 1.0
            index = 2.0
            items = 3.0
            iteration = 0
            for k in range(len(x)):
                if x[k] > stopped:
                    break
                if x[k] < skip:
                    if x[k] < skip - 1.0:
                        continue
                    iteration = iteration + 100
                k_next = k_next + x[k]
            for index in x[::-1]:
                if index > stopped:
                    break
                items = items + index
            return k_next, index, items, iteration, k
        """, [(X5, 1.0, 0.0), (X5, 1e9, -1e9), (X5, -1e9, 0.0)]),
    "loop_in_loop_both_exit": ("""
        def f(X, a):
            total = 0.0
            for i in range(len(X)):
                if X[i][0] < -a:
                    continue
                for j in range(len(X[i])):
                    if X[i][j] > a:
                        break
                    if X[i][j] < 0:
                        continue
                    total = total + X[i][j]
                if total > 3 * a:
                    break
                total = total + i
            return total, i, j
        """, [(ROWS, 0.45), (ROWS, 10.0), (ROWS, 0.05), (ROWS, 1.5)]),
}

EQUIVALENCE_CASES = [pytest.param(name, index, id=f"{name}-{index}")
                     for name, (_, inputs) in EQUIVALENCE.items()
                     for index in range(len(inputs))]


@pytest.mark.parametrize("name, index", EQUIVALENCE_CASES)
def test_lowered_function_computes_the_same(name, index):
    source, inputs = EQUIVALENCE[name]
    node, lowered = lower(source)
    assert not exits_in(node), ast.unparse(node)
    args = inputs[index]
    expected, got = outcome(original(source), args), outcome(lowered, args)
    assert same(expected, got), (expected, got, ast.unparse(node))


def test_equivalence_cases_take_each_path():
    """The inputs above are not vacuous: breaking on the first iteration, never breaking and
    continuing on every iteration all happen."""
    assert original(EQUIVALENCE["range_break"][0])(X5, -1.0)[1] == 0
    assert original(EQUIVALENCE["range_break"][0])(X5, 1e9)[1] == len(X5) - 1
    assert original(EQUIVALENCE["continue_every_iteration"][0])(X5, 1e9) == (0.0, len(X5))
    assert original(EQUIVALENCE["while_break"][0])(X5, -1e9) == (X5[0], 1)
    assert original(EQUIVALENCE["loop_variable_value"][0])(5, 99) == 400
    with pytest.raises(ValueError):
        original(EQUIVALENCE["dynamic_step_range"][0])(X5, 0)


def test_no_exit_of_a_supported_loop_survives():
    for source, _ in EQUIVALENCE.values():
        node, _ = lower(source)
        assert not exits_in(node)
        assert not any(isinstance(n, ast.For) and n.orelse for n in ast.walk(node))


# ---------------------------------------------------------------------------------------------
# What the lowering produces.
# ---------------------------------------------------------------------------------------------

NEWTON = """
def newton(a, x, tol):
    for k in range(50):
        step = (x * x - a) / (2.0 * x)
        x = x - step
        if abs(step) < tol:
            break
    return x
"""


def test_break_in_a_range_loop_becomes_a_counted_while_loop():
    node, lowered = lower(NEWTON)
    assert ast.unparse(node) == textwrap.dedent("""\
        def newton(a, x, tol):
            stopped = False
            k_next = 0
            while not stopped and k_next < 50:
                k = k_next
                k_next = k_next + 1
                step = (x * x - a) / (2.0 * x)
                x = x - step
                if abs(step) < tol:
                    stopped = True
            return x""")
    assert abs(lowered(2.0, 1.0, 1e-12) - 2.0 ** 0.5) < 1e-12


def test_user_statements_keep_their_lines_and_new_ones_take_the_exits():
    tree = ast.parse(NEWTON)
    func = tree.body[0]
    loop, back = func.body[0], func.body[1]
    step_line, break_line = loop.body[0].lineno, loop.body[2].body[0].lineno
    kept = [loop.body[0], loop.body[1], loop.body[2], back]
    canonicalize(func)
    start, counter, while_loop, returned = func.body
    assert returned is back
    assert [s.lineno for s in (start, counter, while_loop)] == [loop.lineno] * 3
    assert while_loop.test.lineno == loop.lineno
    header = while_loop.body[:2]
    assert [s.lineno for s in header] == [loop.lineno] * 2
    assert while_loop.body[2:] == kept[:3]  # the very same nodes
    assert while_loop.body[2].lineno == step_line
    stop = while_loop.body[4].body[0]
    assert ast.unparse(stop) == "stopped = True"
    assert (stop.lineno, stop.col_offset) == (break_line, 12)
    for node in ast.walk(func):
        if "lineno" in node._attributes:
            assert getattr(node, "lineno", None) is not None, ast.dump(node)


def test_continue_guards_the_rest_of_the_iteration():
    node, _ = lower("""
        def f(x):
            total = 0.0
            for v in x:
                if v < 0:
                    continue
                total = total + v
            return total
        """)
    loop = node.body[1]
    assert isinstance(loop, ast.For)  # continue alone keeps the 'for'
    assert ast.unparse(loop) == textwrap.dedent("""\
        for v in x:
            if v < 0:
                pass
            else:
                total = total + v""")


def test_exits_that_do_not_always_leave_use_flags():
    node, _ = lower("""
        def f(x, a):
            total = 0.0
            for v in x:
                if v > a:
                    if v > 2 * a:
                        break
                    if v < 3 * a:
                        continue
                    total = total - 1.0
                total = total + v
            return total
        """)
    assert ast.unparse(node.body[-2]) == textwrap.dedent("""\
        while not stopped and index < len(x):
            v = x[index]
            index = index + 1
            skip = False
            if v > a:
                if v > 2 * a:
                    stopped = True
                elif v < 3 * a:
                    skip = True
                else:
                    total = total - 1.0
            if not (stopped or skip):
                total = total + v""")


def test_while_loop_test_keeps_the_users_test_after_the_flag():
    node, _ = lower(EQUIVALENCE["while_break"][0])
    loop = next(n for n in node.body if isinstance(n, ast.While))
    assert ast.unparse(loop.test) == "not stopped and i < len(x)"
    node, _ = lower(EQUIVALENCE["exits_everywhere"][0])
    assert "while not stopped_2:" in ast.unparse(node)  # 'while True' loses the True


def test_array_loops_are_indexed():
    node, _ = lower(EQUIVALENCE["enumerate_and_zip_break"][0])
    text = ast.unparse(node)
    assert "a = x[index]" in text and "b = y[index]" in text
    assert "i = index_2" in text and "v = y[index_2]" in text


def test_flag_names_avoid_the_users_names():
    node, _ = lower(EQUIVALENCE["names_taken_by_the_user"][0])
    text = ast.unparse(node)
    for name in ("stopped_2 = False", "skip_2 = False", "k_next_2 = 0", "index_2 = 0",
                 "stopped_3 = False"):
        assert name in text, text


def test_bounds_the_body_rebinds_are_evaluated_once():
    node, _ = lower(EQUIVALENCE["bounds_evaluated_once"][0])
    text = ast.unparse(node)
    assert "i_next = start" in text and "i_end = n" in text
    assert "i_next < i_end" in text


def test_a_range_with_a_computed_step_is_indexed():
    node, _ = lower(EQUIVALENCE["dynamic_step_range"][0])
    assert [ast.unparse(s) for s in node.body[1:4]] == [
        "stopped = False", "items = range(0, len(x), step)", "index = 0"]
    assert "i = items[index]" in ast.unparse(node)


def test_loops_that_cannot_be_counted_keep_their_for():
    node, _ = lower(EQUIVALENCE["kept_for_keeps_the_loop_variables"][0])
    loop = node.body[2]
    assert isinstance(loop, ast.For)
    assert ast.unparse(loop) == textwrap.dedent("""\
        for i_item, row_item in enumerate(X, 1):
            if not stopped:
                i = i_item
                row = row_item
                total = total + i * float(np.sum(row))
                if total > limit:
                    stopped = True""")
    node, lowered = lower("""
        def f(x, len):
            total = 0.0
            for v in x:
                if v > len:
                    break
                total = total + v
            return total
        """)
    assert isinstance(node.body[2], ast.For)  # 'len' is not the builtin here
    assert lowered(X5, 1.0) == -1.0


def test_for_else_and_try_are_left_for_the_fence():
    node, _ = lower("""
        def f(x):
            for v in x:
                if v > 0:
                    break
            else:
                v = 0.0
            for v in x:
                try:
                    break
                except ValueError:
                    pass
            return v
        """)
    assert len(exits_in(node)) == 2
    assert isinstance(node.body[0], ast.For) and node.body[0].orelse


def test_fence_reports_a_return_in_a_loop_that_breaks_against_the_for(tmp_path):
    path = tmp_path / "returns_in_loop.py"
    path.write_text(textwrap.dedent("""\
        def f(x):
            for v in x:
                if v > 1.0:
                    break
                if v < 0.0:
                    return v
            return x[0]
        """))
    sources, _ = parse_file(str(path))
    source = sources["f"]
    canonicalize(source.node)
    problems, _ = fence.find(source)
    assert [p.construct for p in problems] == ["'return' inside a 'for' loop"]
    assert problems[0].line == 6


# ---------------------------------------------------------------------------------------------
# Early returns, alone and with loop exits.
# ---------------------------------------------------------------------------------------------

EARLY_RETURN = """
def f(x, limit):
    if x[0] > limit:
        return -1.0
    total = 0.0
    for v in x:
        if v > limit:
            break
        total = total + v
    if total < 0:
        return total * 2.0
    return total
"""


def test_early_returns_move_the_rest_into_the_other_branch():
    node, _ = lower("""
        def f(x):
            if x > 0:
                return x * 2.0
            y = x - 1.0
            return y
        """)
    assert ast.unparse(node) == textwrap.dedent("""\
        def f(x):
            if x > 0:
                return x * 2.0
            else:
                y = x - 1.0
                return y""")


@pytest.mark.parametrize("args", [(X5, 0.0), (X5, 0.4), (X5, 10.0), (-POSITIVE, 10.0)])
def test_early_returns_and_loop_exits_together(args):
    node, lowered = lower(EARLY_RETURN)
    assert not exits_in(node)
    assert isinstance(node.body[-1], ast.If) and node.body[-1].orelse  # the rest moved
    assert same(outcome(original(EARLY_RETURN), args), outcome(lowered, args))


# ---------------------------------------------------------------------------------------------
# End to end: gradients through loops that exit early (tests/cases/loop_exits.py).
# ---------------------------------------------------------------------------------------------

#: How far every exit condition of a test input stays from its threshold.
MARGIN = 0.05


def draw(shape, seed, cond=None, low=None, high=None):
    """The first standard normal draw (of a fixed-seed sequence) that satisfies ``cond``,
    or uniform draws in [low, high)."""
    rng = np.random.default_rng(seed)
    for _ in range(10_000):
        x = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
        if cond is None or cond(x):
            return x
    raise AssertionError("no draw satisfies the condition")


def away(values, *thresholds):
    """Every value at least MARGIN from every threshold."""
    values = np.asarray(values, dtype=float)
    return all(np.all(np.abs(values - t) > MARGIN) for t in thresholds)


def middle(values, exits_above=True):
    """A threshold that ``values[0]`` does not cross but a later value does (exiting when a
    value is above it, or below it), at least MARGIN from every value."""
    values = np.asarray(values, dtype=float).ravel()
    first = values[0]
    ordered = np.unique(values[values > first] if exits_above else values[values < first])
    ordered = np.concatenate([[first], ordered] if exits_above else [ordered, [first]])
    gaps = [(ordered[i] + ordered[i + 1]) / 2.0 for i in range(len(ordered) - 1)
            if ordered[i + 1] - ordered[i] > 2 * MARGIN]
    assert gaps, "no threshold between the values"
    return float(gaps[len(gaps) // 2])


def check(func, *args, wrt=0):
    """check_grad, and the gradient has the shape (and, for a float, the type) of its input."""
    error = srcdiff.check_grad(func, *args, wrt=wrt)
    assert np.isfinite(error)
    gradient = srcdiff.grad(func, wrt=wrt)(*args)
    if isinstance(args[wrt], float):
        assert type(gradient) is float
    else:
        assert np.shape(gradient) == np.shape(args[wrt])


def newton_steps(a, x, tol):
    """How many iterations newton_sqrt runs."""
    for k in range(50):
        step = (x * x - a) / (2.0 * x)
        x = x - step
        if np.max(np.abs(step)) < tol:
            return k + 1
    return 50


@pytest.mark.parametrize("tol, runs", [(1e3, 1), (1e-8, None), (0.0, 50)],
                         ids=["break-first", "break-converged", "never-break"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("wrt", [0, 1])
def test_newton_iteration(tol, runs, seed, wrt):
    a = draw((4,), seed, low=0.5, high=4.0)
    x = draw((4,), seed + 10, low=0.8, high=2.0)
    steps = newton_steps(a, x, tol)
    assert steps == runs if runs is not None else 1 < steps < 50
    check(le.newton_sqrt, a, x, tol, wrt=wrt)


@pytest.mark.parametrize("sign", [None, -1.0, 1.0], ids=["mixed", "all-skipped", "none-skipped"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sum_skipping_negatives(sign, seed):
    x = draw((6,), seed, lambda v: away(v, 0.0))
    if sign is not None:
        x = sign * np.abs(x)
    check(le.sum_skipping_negatives, x)


def while_trajectory(x):
    y, sums = x, []
    for _ in range(30):
        y = np.sin(y) * 1.5 + 0.5 * x
        sums.append(float(np.sum(y * y)))
    return sums


@pytest.mark.parametrize("where", ["first", "middle", "never"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_while_loop_with_break(where, seed):
    x = draw((3,), seed) * 0.5
    sums = while_trajectory(x)
    limit = {"first": lambda: min(sums) - 1.0, "middle": lambda: middle(sums),
             "never": lambda: max(sums) + 1.0}[where]()
    assert away(sums, limit)
    breaks = [i for i, s in enumerate(sums) if s > limit]
    assert {"first": breaks[:1] == [0], "middle": bool(breaks) and breaks[0] > 0,
            "never": not breaks}[where]
    check(le.while_until_large, x, limit)


@pytest.mark.parametrize("where", ["first", "middle", "never"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("wrt", [0, 1])
def test_rows_until_threshold(where, seed, wrt):
    X, w = draw((5, 3), seed) + 1.0, draw((3,), seed + 20, low=0.2, high=1.0)
    running = np.cumsum([np.sum(np.tanh(row * w)) for row in X])
    threshold = {"first": lambda: running[0] - 1.0, "middle": lambda: middle(running),
                 "never": lambda: float(np.max(running)) + 1.0}[where]()
    assert away(running, threshold)
    check(le.rows_until_threshold, X, w, threshold, wrt=wrt)


@pytest.mark.parametrize("sign", [None, -1.0, 1.0], ids=["mixed", "all-skipped", "none-skipped"])
@pytest.mark.parametrize("seed", [0, 1])
def test_enumerate_with_continue(sign, seed):
    X = draw((4, 3), seed, lambda m: away(np.sum(m, axis=1), 0.0))
    if sign is not None:
        X = X * (sign * np.sign(np.sum(X, axis=1)))[:, None]
    check(le.enumerate_skipping_rows, X)


@pytest.mark.parametrize("where", ["first", "middle", "never"])
@pytest.mark.parametrize("seed", [0, 1])
def test_negative_step_range_with_break(where, seed):
    x = draw((6,), seed)
    cutoff = {"first": lambda: float(x[-1]) + 1.0,  # x[-1] is the first entry visited
              "middle": lambda: middle(x[::-1], exits_above=False),
              "never": lambda: float(np.min(x)) - 1.0}[where]()
    assert away(x, cutoff)
    check(le.backwards_until_small, x, cutoff)


@pytest.mark.parametrize("where", ["first", "middle", "never"])
@pytest.mark.parametrize("seed", [0, 1])
def test_nested_loops_break_inner(where, seed):
    X = draw((3, 4), seed)
    limit = {"first": lambda: float(np.min(X)) - 1.0, "middle": lambda: middle(X),
             "never": lambda: float(np.max(X)) + 1.0}[where]()
    assert away(X, limit)
    check(le.nested_break_inner, X, limit)


@pytest.mark.parametrize("low, high", [(-0.5, 1.0), (-10.0, 10.0), (10.0, 20.0),
                                       (-10.0, -5.0), (0.0, 0.5)],
                         ids=["both", "neither", "skip-all", "break-first", "narrow"])
@pytest.mark.parametrize("seed", [0, 1])
def test_continue_and_break_in_one_loop(low, high, seed):
    x = draw((7,), seed, lambda v: away(v, low, high))
    check(le.skip_and_stop, x, low, high)


@pytest.mark.parametrize("w", [5.0, 0.8, 0.1], ids=["break-early", "between", "never-break"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("wrt", [0, 1])
def test_break_in_nested_ifs(w, seed, wrt):
    x = draw((6,), seed, lambda v: away(v, 0.0) and v[0] > 0.5)
    h, compared = 0.0, []
    for v in x:  # the values break_in_nested_ifs compares with 2.0
        if v > 0:
            h = h + v * w
            compared.append(h)
            if h > 2.0:
                break
        else:
            h = h - np.sin(v) * w
        h = np.tanh(h) + 0.1 * w
    assert away(compared, 2.0)
    if w == 5.0:
        assert compared[0] > 2.0
    if w == 0.1:
        assert max(compared) < 2.0
    check(le.break_in_nested_ifs, x, w, wrt=wrt)


@pytest.mark.parametrize("step", [1, 2, 3])
@pytest.mark.parametrize("cutoff", [10.0, -10.0, -0.5], ids=["break-first", "never", "middle"])
@pytest.mark.parametrize("seed", [0, 1])
def test_range_with_a_step_parameter(step, cutoff, seed):
    x = draw((7,), seed, lambda v: away(v, cutoff))
    check(le.strided_until_small, x, step, cutoff)
