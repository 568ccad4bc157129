"""User-defined derivative rules (srcdiff.defrule, srcdiff.elementwise): used by the live
operators and read, without running the file, by ``srcdiff emit``."""
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import srcdiff
from srcdiff.cli import main

ROOT = pathlib.Path(__file__).resolve().parent.parent


@srcdiff.defrule(vjp={"x": "dy * (1 - y ** 2)"}, jvp={"x": "dx * (1 - y ** 2)"})
def opaque_tanh(x):
    out = np.empty_like(x)
    np.tanh(x, out=out)  # an expression statement writing in place: srcdiff would refuse it
    return out


@srcdiff.defrule(vjp={"a": "dy * b", "b": "dy * a", "scale": None},
                 jvp={"a": "da * b", "b": "a * db", "scale": None})
def product_of(a, b, scale=1.0):
    return float(np.prod([a, b, scale])) / scale


def uses_opaque(w, x):
    return np.sum(opaque_tanh(w * x) ** 2)


def uses_product(a, b):
    return product_of(a, b, 2.0) + product_of(b, b)


def test_a_decorated_function_is_called_and_its_rule_applied():
    w, x = np.array([0.3, -0.4, 0.8]), np.array([1.0, 2.0, -0.5])
    srcdiff.check_grad(uses_opaque, w, x)
    text = srcdiff.emit(uses_opaque)
    assert "opaque_tanh(w_times_x)" in text and "(1 - opaque_tanh" in text
    assert "vjp_opaque_tanh" not in text  # the body is never differentiated
    H = srcdiff.hessian(uses_opaque)(w, x)
    step = 1e-6
    numeric = np.array([(srcdiff.grad(uses_opaque)(w + step * e, x)
                         - srcdiff.grad(uses_opaque)(w - step * e, x)) / (2 * step)
                        for e in np.eye(3)])
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-8)


def test_a_rule_with_several_parameters_and_a_nondifferentiable_one():
    srcdiff.check_grad(uses_product, 0.7, -1.3, wrt=(0, 1))


def test_a_library_function_gets_its_rule():
    def tail(t):
        return 1.0 - math.erfc(-t)  # erfc: a stdlib function srcdiff has no rule for

    with pytest.raises(srcdiff.UnsupportedSyntaxError, match="srcdiff.defrule"):
        srcdiff.grad(tail)(0.5)
    srcdiff.elementwise(math.erfc, x="-2 / math.sqrt(math.pi) * math.exp(-x ** 2)")
    # the failed build is not cached: the new rule applies at once
    assert srcdiff.grad(tail)(0.5) == pytest.approx(-2 / math.sqrt(math.pi) * math.exp(-0.25))
    srcdiff.check_grad(tail, 0.5)


def test_a_missing_numpy_rule_points_to_defrule():
    def bessel(x):
        return np.sum(np.i0(x))

    with pytest.raises(srcdiff.UnsupportedSyntaxError) as info:
        srcdiff.grad(bessel)(np.ones(3))
    message = str(info.value)
    assert "no derivative rule for np.i0" in message
    assert "test_user_rules.py:" in message and "srcdiff.defrule" in message


@pytest.mark.parametrize("kwargs, match", [
    ({"vjp": {"x": "dy * z"}, "jvp": {"x": "dx * z"}}, "reads 'z'"),
    ({"vjp": {"x": "dy *"}, "jvp": {"x": "dx"}}, "does not parse"),
    ({"vjp": {"x": "dy"}, "jvp": {}}, "same parameters"),
    ({"vjp": {"q": "dy"}, "jvp": {"q": "dq"}}, "not parameters"),
    ({"vjp": {"x": "dy"}, "jvp": {"x": "dy"}}, "reads 'dy'"),
])
def test_bad_rules_are_refused(kwargs, match):
    def f(x):
        return x

    with pytest.raises(srcdiff.SrcdiffError, match=match):
        srcdiff.defrule(f, **kwargs)


def test_emit_reads_the_rules_of_a_file_without_running_it(tmp_path, capsys):
    out = tmp_path / "probit_grad.py"
    assert main(["emit", str(ROOT / "examples" / "custom_rules.py"), "--function",
                 "probit_loss", "--function", "tail_probability", "-o", str(out)]) == 0
    text = out.read_text()
    assert "def normal_cdf(z):" in text and "@srcdiff" not in text
    assert "2 / math.sqrt(math.pi) * math.exp(-" in text
    script = ("import sys; sys.modules['srcdiff'] = None\n"
              f"sys.path.insert(0, {str(tmp_path)!r})\n"
              "import numpy as np, probit_grad\n"
              "X = np.arange(6.0).reshape(3, 2) / 7; y = np.array([1.0, 0.0, 1.0])\n"
              "print(repr(list(probit_grad.grad_probit_loss(np.array([0.2, -0.1]), X, y))))\n"
              "print(repr(probit_grad.grad_tail_probability(1.0)))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    lines = result.stdout.splitlines()
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import custom_rules
    finally:
        sys.path.pop(0)
    X = np.arange(6.0).reshape(3, 2) / 7
    y = np.array([1.0, 0.0, 1.0])
    expected = srcdiff.grad(custom_rules.probit_loss)(np.array([0.2, -0.1]), X, y)
    np.testing.assert_allclose(eval(lines[0]), expected, rtol=1e-12)
    assert float(lines[1]) == pytest.approx(srcdiff.grad(custom_rules.tail_probability)(1.0))


def test_emit_refuses_a_rule_whose_arguments_are_not_literals(tmp_path, capsys):
    path = tmp_path / "bad_rule.py"
    path.write_text("import math\nimport srcdiff\nPARTIAL = 'x'\n"
                    "srcdiff.elementwise(math.gamma, x=PARTIAL + '1')\n\n"
                    "def f(x):\n    return math.gamma(x)\n")
    assert main(["emit", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4:1:" in err and "must be literals" in err


def test_differentiating_a_function_with_a_rule_applies_the_rule():
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(srcdiff.vjp(opaque_tanh)(x, np.ones(3)), 1 - np.tanh(x) ** 2,
                               rtol=1e-14)
    np.testing.assert_allclose(srcdiff.jacobian(opaque_tanh)(x), np.diag(1 - np.tanh(x) ** 2),
                               rtol=1e-14)
    assert "opaque_tanh(x)" in srcdiff.emit(opaque_tanh)
