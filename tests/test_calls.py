"""Calls to the user's own functions: each becomes its own derivative function."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import srcdiff
from tests.cases import calls

RNG = np.random.default_rng(5)
ROOT = Path(__file__).resolve().parent.parent


def normal(*shape):
    return RNG.standard_normal(shape)


@pytest.mark.parametrize("n", [3, 4])
def test_helpers_defaults_and_module_constants(n):
    W1, W2, x = normal(n, 3), normal(2, n), normal(3)
    srcdiff.check_grad(calls.two_layers, W1, W2, x, wrt=(0, 1, 2))


@pytest.mark.parametrize("shape", [(3,), (4,)])
def test_keyword_arguments(shape):
    x = normal(*shape)
    y = normal(shape[0], shape[0])
    srcdiff.check_grad(calls.keywords, x, y, wrt=(0, 1))


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_helpers_from_another_module(shape):
    srcdiff.check_grad(calls.imported, normal(*shape))


@pytest.mark.parametrize("n", [0, 1, 5])
def test_helper_called_in_a_loop(n):
    srcdiff.check_grad(calls.helper_in_loop, 0.5 * normal(3, 3), normal(3), n, wrt=(0, 1))


@pytest.mark.parametrize("n", [0, 1, 4])
def test_helper_with_a_loop_inside(n):
    srcdiff.check_grad(calls.helper_with_loop, normal(5), n)


@pytest.mark.parametrize("shape", [(3,), (5,)])
def test_helpers_calling_helpers(shape):
    srcdiff.check_grad(calls.chain, normal(*shape))


@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_closure_reading_its_enclosing_variable(shape):
    srcdiff.check_grad(calls.uses_closure, normal(*shape))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_helper_with_branches(sign):
    srcdiff.check_grad(calls.calls_branchy, sign * (np.abs(normal(4)) + 0.1))


def test_one_derivative_function_per_helper_and_wrt():
    text = srcdiff.emit(calls.two_layers, wrt=(0, 1))
    # layer is called w.r.t. (W, x) once and w.r.t. W once: two derivative functions,
    # each defined once and called by name from the call sites.
    assert text.count("def vjp_layer_W_x(") == 1
    assert text.count("def vjp_layer_W(") == 1
    assert "= vjp_layer_W_x(W2, h, -0.25, dh2)" in text
    assert "vjp_scale_v(" in text


def test_recursion_is_refused():
    with pytest.raises(srcdiff.UnsupportedSyntaxError, match="recursive call"):
        srcdiff.emit(_recursive)


def _recursive(x):
    if np.sum(x) > 10.0:
        return x
    return _recursive(x * 2.0)


def test_cli_writes_helpers_and_their_derivatives(tmp_path):
    out = tmp_path / "out.py"
    done = subprocess.run([sys.executable, "-m", "srcdiff", "emit", "tests/cases/calls.py",
                           "--function", "two_layers", "--wrt", "0,1", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    for definition in ("def layer(", "def scale(", "def vjp_layer_W_x(", "def grad_two_layers("):
        assert definition in text
    W1, W2, x = normal(4, 3), normal(2, 4), normal(3)
    script = ("import sys; sys.modules['srcdiff'] = None\n"
              "import numpy as np\n"
              f"exec(open({str(out)!r}).read())\n"
              "args = [np.array(a) for a in " + repr([W1.tolist(), W2.tolist(), x.tolist()])
              + "]\nprint(repr([g.tolist() for g in grad_two_layers(*args)]))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    got = eval(run.stdout)  # noqa: S307  (our own subprocess's repr of lists)
    expected = srcdiff.grad(calls.two_layers, wrt=(0, 1))(W1, W2, x)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-13)


@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_nested_def_reading_enclosing_variables(shape):
    srcdiff.check_grad(calls.with_nested_def, normal(*shape), 0.7, wrt=(0, 1))
    # late binding, as in Python: the last call sees the rebound `scale`
    x = normal(*shape)
    value, _ = srcdiff.value_and_grad(calls.with_nested_def)(x, 0.7)
    assert value == calls.with_nested_def(x, 0.7)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_nested_def_called_in_a_loop(n):
    srcdiff.check_grad(calls.nested_def_in_loop, normal(3), n)


def test_cli_writes_lifted_nested_defs(tmp_path):
    out = tmp_path / "out.py"
    done = subprocess.run([sys.executable, "-m", "srcdiff", "emit", "tests/cases/calls.py",
                           "--function", "with_nested_def", "--wrt", "0,1", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "def with_nested_def_inner(z, shift=0.5, *, scale, x):" in text
    x = normal(3)
    script = ("import sys; sys.modules['srcdiff'] = None\n"
              "import numpy as np\n"
              f"exec(open({str(out)!r}).read())\n"
              f"dx, dk = grad_with_nested_def(np.array({x.tolist()!r}), 0.7)\n"
              "print(repr(dx.tolist()), repr(dk))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    dx_text, dk_text = run.stdout.rsplit(" ", 1)
    dx, dk = srcdiff.grad(calls.with_nested_def, wrt=(0, 1))(x, 0.7)
    np.testing.assert_allclose(eval(dx_text), dx, rtol=1e-13)  # noqa: S307
    assert float(dk_text) == pytest.approx(dk, rel=1e-13)


@pytest.mark.parametrize("shape", [(), (3,)])
def test_a_list_argument_gets_a_list_adjoint(shape):
    # Regression: the callee's adjoint of its list parameter was accumulated with ``+``,
    # concatenating lists instead of adding item by item.
    x, y = normal(*shape), normal(*shape)
    if shape == ():
        x, y = float(x), float(y)
    srcdiff.check_grad(calls.passes_a_list, x, y, wrt=(0, 1))
