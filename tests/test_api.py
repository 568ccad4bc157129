"""The public API of ../shared/API.md, for reverse mode: forms, shapes, dtypes, caching."""
import subprocess
import sys
import threading

import numpy as np
import pytest

import srcdiff
from srcdiff import api
from tests.cases.wrong_rule import model

SCALE = 2.0


def poly(x, y):
    return np.sum(x * x * y + 3 * y)


def scaled(x):
    return np.sum(SCALE * x * x)


def with_defaults(x, power=3.0, *, shift=1.0):
    return np.sum((x + shift) ** power)


@srcdiff.grad
def decorated(x):
    return np.sum(np.sin(x))


@srcdiff.grad(wrt=(0, 1))
def decorated_wrt(x, y):
    return np.sum(x * y)


def vector(x):
    return x * 2.0


def test_grad_wrt_forms():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    gx = srcdiff.grad(poly)(x, y)
    np.testing.assert_allclose(gx, 2 * x * y)
    np.testing.assert_allclose(srcdiff.grad(poly, wrt=1)(x, y), x * x + 3)
    np.testing.assert_allclose(srcdiff.grad(poly, wrt="y")(x, y), x * x + 3)
    np.testing.assert_allclose(srcdiff.grad(poly, wrt=-1)(x, y), x * x + 3)
    gx2, gy2 = srcdiff.grad(poly, wrt=("x", 1))(x, y)
    np.testing.assert_allclose(gx2, 2 * x * y)
    np.testing.assert_allclose(gy2, x * x + 3)
    (only,) = srcdiff.grad(poly, wrt=(0,))(x, y)
    np.testing.assert_allclose(only, 2 * x * y)


def test_decorator_forms():
    x = np.array([0.5, 1.0])
    np.testing.assert_allclose(decorated(x), np.cos(x))
    dx, dy = decorated_wrt(x, 2 * x)
    np.testing.assert_allclose(dx, 2 * x)
    np.testing.assert_allclose(dy, x)


def test_value_and_grad():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    value, g = srcdiff.value_and_grad(poly)(x, y)
    assert value == poly(x, y)
    np.testing.assert_allclose(g, 2 * x * y)


def test_vjp_matches_definition():
    x = np.array([1.0, 2.0, 3.0])
    ct = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcdiff.vjp(vector)(x, ct), 2.0 * ct)


def test_keyword_arguments_and_defaults():
    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(srcdiff.grad(with_defaults)(x), 3 * (x + 1) ** 2)
    np.testing.assert_allclose(srcdiff.grad(with_defaults)(x, 2.0, shift=0.0), 2 * x)
    np.testing.assert_allclose(srcdiff.grad(with_defaults, wrt="shift")(x, shift=0.5),
                               np.sum(3 * (x + 0.5) ** 2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_keeps_shape_and_floating_dtype(dtype):
    x = np.arange(6, dtype=dtype).reshape(2, 3)
    g = srcdiff.grad(scaled)(x)
    assert g.shape == x.shape and g.dtype == dtype


def test_scalar_kinds_are_preserved():
    assert type(srcdiff.grad(scaled)(1.5)) is float
    g = srcdiff.grad(scaled)(np.float64(1.5))
    assert isinstance(g, np.float64)
    g32 = srcdiff.grad(scaled)(np.float32(1.5))
    assert isinstance(g32, np.float32)
    zero_d = srcdiff.grad(scaled)(np.array(1.5))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == ()
    one = srcdiff.grad(scaled)(np.array([1.5]))
    assert one.shape == (1,)


def test_size_one_outputs_are_scalars():
    assert srcdiff.grad(vector)(np.array([1.5])).shape == (1,)
    assert srcdiff.grad(vector)(np.array([[1.5]])).tolist() == [[2.0]]


def test_non_scalar_output_points_to_vjp():
    with pytest.raises(srcdiff.SrcdiffError, match="vjp"):
        srcdiff.grad(vector)(np.ones(3))


def test_globals_are_read_at_call_time(monkeypatch):
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcdiff.grad(scaled)(x), 4 * x)
    monkeypatch.setattr(sys.modules[__name__], "SCALE", 5.0)
    np.testing.assert_allclose(srcdiff.grad(scaled)(x), 10 * x)


def test_closures_and_nested_functions():
    factor = np.array([1.0, -2.0])

    def inner(x):
        return np.sum(factor * np.exp(x))

    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(srcdiff.grad(inner)(x), factor * np.exp(x))
    factor = np.array([3.0, 3.0])  # noqa: F841  (rebinding the closure cell is seen)
    np.testing.assert_allclose(srcdiff.grad(inner)(x), 3.0 * np.exp(x))


def test_builds_once_per_function_and_wrt(monkeypatch):
    calls = []
    real = api.build_from_source

    def counting(source, request):
        calls.append((source.name, request.wrt))
        return real(source, request)

    monkeypatch.setattr(api, "build_from_source", counting)
    monkeypatch.setattr(api, "_CACHE", {})

    def fresh(x):
        return np.sum(x**3)

    dfresh = srcdiff.grad(fresh)
    for _ in range(3):
        dfresh(np.ones(2))
    srcdiff.grad(fresh)(np.ones(2))
    assert calls == [("fresh", ("x",))]
    srcdiff.grad(fresh, wrt="x")(np.ones(2))
    assert len(calls) == 1  # the same parameter, named instead of indexed
    srcdiff.value_and_grad(fresh)(np.ones(2))
    assert len(calls) == 2


def test_concurrent_first_calls_build_once(monkeypatch):
    calls = []
    real = api.build_from_source

    def counting(source, request):
        calls.append(source.name)
        return real(source, request)

    monkeypatch.setattr(api, "build_from_source", counting)
    monkeypatch.setattr(api, "_CACHE", {})

    def threaded(x):
        return np.sum(np.tanh(x))

    dthreaded = srcdiff.grad(threaded)
    results = [None] * 8
    x = np.linspace(-1, 1, 5)

    def work(i):
        results[i] = dthreaded(x)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["threaded"]
    for r in results:
        np.testing.assert_allclose(r, 1 - np.tanh(x) ** 2)


def test_emit_returns_the_code_grad_runs():
    text = srcdiff.emit(poly)
    assert text.startswith("def grad_poly(x, y):")
    assert "# test_api.py:" in text
    namespace = {}
    exec(text, {**vars(np), "np": np, **{n: getattr(srcdiff.runtime, n)
                                        for n in srcdiff.runtime.HELPER_NAMES}}, namespace)
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    np.testing.assert_allclose(namespace["grad_poly"](x, y), srcdiff.grad(poly)(x, y))
    assert srcdiff.emit(poly) == text  # deterministic
    assert srcdiff.emit(decorated) == srcdiff.emit(decorated)


def test_emit_forward_mode_and_bad_modes():
    text = srcdiff.emit(poly, mode="forward")
    assert text.startswith("def jvp_poly(x, y, dx):")
    with pytest.raises(srcdiff.SrcdiffError, match="mode"):
        srcdiff.emit(poly, mode="sideways")


def test_jvp_returns_value_and_directional_derivative():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    v = np.array([0.5, -2.0])
    value, tangent = srcdiff.jvp(poly)(x, y, v)
    assert value == poly(x, y)
    assert tangent == pytest.approx(np.sum(2 * x * y * v), rel=1e-14)
    w = np.array([1.0, 1.0])
    _, both = srcdiff.jvp(poly, wrt=(0, 1))(x, y, (v, w))
    assert both == pytest.approx(np.sum(2 * x * y * v + (x * x + 3) * w), rel=1e-14)
    _, vector = srcdiff.jvp(vector_out)(x, v)
    np.testing.assert_allclose(vector, 2.0 * v)


def vector_out(x):
    return x * 2.0


def test_check_grad_passes_and_fails():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    assert srcdiff.check_grad(poly, x, y, wrt=(0, 1)) < 1e-6
    assert srcdiff.check_grad(vector, x) < 1e-6  # non-scalar output: checked through vjp

    def detached(x):  # compared with the function srcdiff differentiates (frozen.py)
        return np.sum(srcdiff.stop_gradient(x) * x)

    assert srcdiff.check_grad(detached, x) < 1e-6
    with pytest.raises(srcdiff.GradientCheckError, match="finite differences"):
        srcdiff.check_grad(model, x, y)  # a deliberately wrong user rule inside


def test_stop_gradient_and_no_grad_are_identity_at_run_time():
    x = np.array([1.0])
    assert srcdiff.stop_gradient(x) is x
    with srcdiff.no_grad() as ctx:
        assert isinstance(ctx, srcdiff.no_grad)


def test_error_hierarchy():
    assert issubclass(srcdiff.UnsupportedSyntaxError, srcdiff.SrcdiffError)
    assert issubclass(srcdiff.GradientCheckError, srcdiff.SrcdiffError)
    assert issubclass(srcdiff.NonScalarOutputError, srcdiff.SrcdiffError)


def test_function_defined_in_main_script(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import numpy as np\nimport srcdiff\n\n\n"
        "def f(x):\n    return np.sum(x ** 2)\n\n\n"
        "if __name__ == '__main__':\n"
        "    print(srcdiff.grad(f)(np.array([1.0, 2.0])).tolist())\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[2.0, 4.0]"


def test_generated_code_is_a_real_file_for_tracebacks():
    import inspect

    built = api._built(poly, "grad", 0)
    path = inspect.getsourcefile(built.func)
    with open(path, encoding="utf-8") as handle:
        assert "def grad_poly(x, y):" in handle.read()
    assert inspect.getsource(built.func).startswith("def grad_poly")


def test_an_operator_shows_its_derivative_code():
    def cube_sum(x):
        return np.sum(x ** 3)

    dcube = srcdiff.grad(cube_sum)
    assert dcube.source() == srcdiff.emit(cube_sum)
    assert '"""Gradient of cube_sum w.r.t. x' in dcube.source()
    assert dcube._repr_markdown_().startswith("```python\ndef grad_cube_sum(x):")
    forward = srcdiff.jvp(cube_sum)
    assert forward.source().startswith("def jvp_cube_sum(x, dx):")
    hvp = srcdiff.jvp(dcube)  # a derivative of a derivative shows its own code
    assert "def jvp_grad_cube_sum" in hvp.source()


def pair_output(x):
    return x * 2.0, np.sum(x)


def test_the_output_cotangent_is_checked_against_the_output():
    # PyTorch's backward(gradient=...) raises on a mismatched shape; a scalar cotangent for a
    # vector output used to be broadcast silently (the gradient of sum(f)).
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"cotangent has shape \(\) but the output has shape"):
        srcdiff.vjp(vector)(x, 1.0)
    with pytest.raises(ValueError, match=r"shape \(3,\) but the output has shape \(2,\)"):
        srcdiff.vjp(vector)(x, np.ones(3))
    # a list of numbers is an array (it used to fail inside the generated code)
    np.testing.assert_allclose(srcdiff.vjp(vector)(x, [1.0, 0.5]),
                               srcdiff.vjp(vector)(x, np.array([1.0, 0.5])))
    with pytest.raises(ValueError, match="pass a tuple of 2 output cotangents"):
        srcdiff.vjp(pair_output)(x, np.ones(2))
    np.testing.assert_allclose(srcdiff.vjp(pair_output)(x, (np.ones(2), 1.0)), [3.0, 3.0])
    with pytest.raises(ValueError, match=r"batch of output cotangents has shape \(4, 3\)"):
        srcdiff.vjp_batch(vector)(x, np.ones((4, 3)))
