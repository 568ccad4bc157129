"""Analyze pass: which values are active (need an adjoint)."""
import ast

from srcdiff import analyze, fence, normalize, parse
from srcdiff.ir import NormalFunction
from tests.cases import passes


def normal(func) -> NormalFunction:
    source = parse.parse_function(func)
    fence.check(source)
    return normalize.normalize(source)


def activity(func, wrt):
    fn = normal(func)
    return fn, analyze.activity(fn, list(wrt))


def target(fn: NormalFunction, user_name: str) -> str:
    (name,) = [s.target for s in fn.body if s.user_name == user_name]
    return name


def test_values_not_depending_on_wrt_are_not_active():
    fn, act = activity(passes.partly, ["x"])
    a = target(fn, "a")  # a = y * 2.0
    assert a not in act.varied
    assert a in act.useful  # the output depends on it, but not through x
    assert a not in act.active
    assert "y" not in act.active
    assert target(fn, "b") in act.active
    assert "x" in act.active


def test_values_not_reaching_the_output_are_not_active():
    fn, act = activity(passes.partly, ["x"])
    for name in ("unused", "c"):  # unused = np.exp(x); c = unused * y: never returned
        assert target(fn, name) in act.varied
        assert target(fn, name) not in act.useful
        assert target(fn, name) not in act.active


def test_active_is_varied_and_useful():
    fn, act = activity(passes.partly, ["x"])
    assert act.active == act.varied & act.useful
    assert act.active == {"x", target(fn, "b"), fn.result.value.id}


def test_stop_gradient_cuts_activity():
    fn, act = activity(passes.cut_by_stop, ["x"])
    s, t = target(fn, "s"), target(fn, "t")
    assert s not in act.varied and t not in act.varied
    assert s not in act.active and t not in act.active
    assert "x" in act.active  # still active through the second factor of t * x


def test_stop_gradient_of_an_expression_cuts_only_the_copy():
    fn, act = activity(passes.stopped, ["x"])  # s = stop_gradient(x * 2.0)
    s = target(fn, "s")
    (inner,) = [st.target for st in fn.body if ast.unparse(st.value) == "x * 2.0"]
    assert inner in act.varied  # x * 2.0 depends on x ...
    assert inner not in act.useful  # ... but reaches the output only through the stop
    assert s not in act.varied


def test_no_grad_cuts_activity():
    fn, act = activity(passes.cut_by_no_grad, ["x"])
    n = target(fn, "n")
    inside = [s.target for s in fn.body if s.no_grad]
    assert n in inside and len(inside) == 2  # x * x and np.sum(...)
    assert not set(inside) & act.varied
    assert not set(inside) & act.active
    assert "x" in act.active


def test_no_grad_cuts_activity_of_later_uses():
    fn, act = activity(passes.nograd, ["x"])
    m, c = target(fn, "m"), target(fn, "c")
    assert m not in act.active and c not in act.active
    second_y = [s.target for s in fn.body if s.user_name == "y"][1]  # y = y - c
    assert second_y in act.active


def test_zero_derivative_functions_cut_activity():
    fn, act = activity(passes.cut_by_zero_derivative, ["x"])
    for name in ("sign_x", "mask", "zeros"):  # np.sign, x > 0.0, np.zeros_like
        assert target(fn, name) not in act.varied, name
        assert target(fn, name) not in act.active, name
    g = target(fn, "g")  # np.where(mask, sign_x, zeros): nothing varied flows in
    assert g not in act.varied
    assert "x" in act.active  # through g * x


def test_flowing_args_of_zero_derivative_operations_are_empty():
    fn = normal(passes.cut_by_zero_derivative)
    for name in ("sign_x", "mask", "zeros"):
        (stmt,) = [s for s in fn.body if s.target == name]
        assert analyze.flowing_args(stmt) == {}
    (where,) = [s for s in fn.body if s.target == "g"]
    assert set(analyze.flowing_args(where)) == {"x1", "x2"}  # not the condition


def test_wrt_subset_second_parameter_only():
    fn, act = activity(passes.two, ["y"])
    a, b = target(fn, "a"), target(fn, "b")  # a = x * 2.0; b = y * 3.0
    assert "x" not in act.active and a not in act.active
    assert "y" in act.active and b in act.active
    assert fn.result.value.id in act.active


def test_wrt_subset_first_parameter_only():
    fn, act = activity(passes.two, ["x"])
    a, b = target(fn, "a"), target(fn, "b")
    assert "x" in act.active and a in act.active
    assert "y" not in act.active and b not in act.active


def test_wrt_both_parameters():
    fn, act = activity(passes.two, ["x", "y"])
    assert {"x", "y", target(fn, "a"), target(fn, "b")} <= act.active


def test_parameter_the_output_does_not_depend_on_is_not_active():
    fn, act = activity(passes.unused_param, ["x", "y"])
    assert "y" in act.varied and "y" not in act.useful and "y" not in act.active
    assert "x" in act.active


# ---------------------------------------------------------------------------------------------
# shapes (what srcdiff/lazy.py reads)
# ---------------------------------------------------------------------------------------------


def test_shapes_classes_scalars_and_integers():
    from srcdiff.ir import assignments
    from tests.cases import shaped

    fn = normal(shaped.shapes_of)
    facts = analyze.shapes(fn)
    names = {s.user_name: s.target for s in assignments(fn.body) if s.user_name}

    def target(_, user_name):
        return names[user_name]

    a, b, c = (target(fn, name) for name in ("a", "b", "c"))
    assert facts.same(a, "x") and facts.same(b, "x") and facts.witness(b) == "x"
    assert not facts.same(c, "x") and not facts.same(c, "y")
    assert {target(fn, "n"), target(fn, "s")} <= facts.scalars
    assert target(fn, "m") not in facts.scalars and c not in facts.scalars
    assert {"i", "total"} <= facts.scalars  # a loop counter; a sum of numbers, by induction
    assert {"i", target(fn, "n")} <= facts.integers and "total" not in facts.integers
    assert "total" not in facts.classes  # a loop rebinds it: a witness must hold one value
    assert facts.same(target(fn, "k"), "k")  # k = k * 2 outside a loop is a new name
    assert "x" not in facts.scalars and "y" not in facts.scalars  # arguments may be anything
