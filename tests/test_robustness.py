"""Robust building and numerical edge cases: never a silently wrong number.

* a function redefined or its module reloaded with new source builds anew;
* the generated code touches no global of the user's module;
* inf and nan propagate as NumPy propagates them, with no exception from srcdiff's code;
* float32 in, float32 out; 0-d, empty and size-1 arrays keep their shapes.

(Eight threads building and calling one function build it once: ``tests/test_api.py``;
building never runs the user's function: ``tests/test_errors.py``.)
"""
import importlib
import re
import sys
import textwrap
import warnings

import numpy as np
import pytest

import srcdiff


def write_module(path, body):
    path.write_text(textwrap.dedent(body), encoding="utf-8")


def test_reloading_a_module_with_new_source_builds_anew(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module_file = tmp_path / "notebook_cell.py"
    write_module(module_file, """
        import numpy as np

        def f(x):
            return np.sum(x ** 2)
        """)
    module = importlib.import_module("notebook_cell")
    x = np.array([1.0, 2.0])
    assert srcdiff.grad(module.f)(x).tolist() == [2.0, 4.0]
    # same name, same length of file, new body: a notebook re-running an edited cell
    write_module(module_file, """
        import numpy as np

        def f(x):
            return np.sum(x ** 3)
        """)
    module = importlib.reload(module)
    try:
        assert srcdiff.grad(module.f)(x).tolist() == [3.0, 12.0]
        assert "x ** 3" in srcdiff.emit(module.f)
    finally:
        sys.modules.pop("notebook_cell", None)


def test_redefining_a_function_builds_anew():
    def f(x):
        return x * 2.0

    first = srcdiff.grad(f)(1.0)

    def f(x):  # noqa: F811  (redefined on purpose, as in a notebook)
        return x * 5.0

    assert (first, srcdiff.grad(f)(1.0)) == (2.0, 5.0)


def test_the_generated_code_leaves_the_users_globals_alone(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    write_module(tmp_path / "user_globals.py", """
        import numpy as np

        SCALE = 3.0
        result = "the user's own global named like a temporary"
        dx = "and one named like an adjoint"

        def f(x):
            result = np.sum(np.tanh(x) * SCALE)
            return result
        """)
    module = importlib.import_module("user_globals")
    try:
        before = dict(vars(module))
        g = srcdiff.grad(module.f)(np.array([0.5, -0.5]))
        np.testing.assert_allclose(g, 3.0 * (1 - np.tanh([0.5, -0.5]) ** 2))
        after = dict(vars(module))
        assert after.keys() == before.keys()
        assert all(after[k] is before[k] for k in before)
        # the generated function reads only what it names: runtime helpers, np, SCALE
        code = srcdiff.emit(module.f)
        assert not re.search(r"^\s*(global|nonlocal) ", code, re.M)
    finally:
        sys.modules.pop("user_globals", None)


# ---------------------------------------------------------------------------------------------
# Numerical edge cases.
# ---------------------------------------------------------------------------------------------

def exp_sum(x):
    return np.sum(np.exp(x))


def log_sum(x):
    return np.sum(np.log(x))


def root_sum(x):
    return np.sum(np.sqrt(x))


def square_sum(x):
    return np.sum(x * x)


def test_inf_and_nan_propagate_as_numpy_does():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own, as in the primal
        g = srcdiff.grad(exp_sum)(np.array([np.inf, np.nan, 0.0, -np.inf]))
        assert np.isposinf(g[0]) and np.isnan(g[1]) and g[2] == 1.0 and g[3] == 0.0
        g = srcdiff.grad(log_sum)(np.array([0.0, np.inf, 2.0]))
        assert np.isposinf(g[0]) and g[1] == 0.0 and g[2] == 0.5
        g = srcdiff.grad(root_sum)(np.array([0.0, 4.0]))  # sqrt at 0: inf, as documented
        assert np.isposinf(g[0]) and g[1] == 0.25
        _, t = srcdiff.jvp(exp_sum)(np.array([np.nan, 1.0]), np.array([1.0, 0.0]))
        assert np.isnan(t)


def test_conventions_at_non_differentiable_points():
    def absolute(x):
        return np.sum(np.abs(x))

    def top(x):
        return np.max(x)

    def larger(x, y):
        return np.sum(np.maximum(x, y))

    assert srcdiff.grad(absolute)(np.array([0.0, -2.0])).tolist() == [0.0, -1.0]
    assert srcdiff.grad(top)(np.array([3.0, 1.0, 3.0])).tolist() == [0.5, 0.0, 0.5]
    dx, dy = srcdiff.grad(larger, wrt=(0, 1))(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    assert dx.tolist() == [0.5, 1.0] and dy.tolist() == [0.5, 0.0]


@pytest.mark.parametrize("op", ["grad", "vjp", "jvp", "jacobian", "hessian"])
def test_float32_in_float32_out(op):
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    if op == "grad":
        out = srcdiff.grad(exp_sum)(x)
    elif op == "vjp":
        out = srcdiff.vjp(np.tanh)(x, np.ones(3, np.float32))
    elif op == "jvp":
        _, out = srcdiff.jvp(np.tanh)(x, np.ones(3, np.float32))
    elif op == "jacobian":
        out = srcdiff.jacobian(np.tanh)(x)
    else:
        out = srcdiff.hessian(exp_sum)(x)
    assert out.dtype == np.float32
    assert out.shape == ((3, 3) if op in ("jacobian", "hessian") else (3,))


@pytest.mark.parametrize("shape", [(), (0,), (1,), (1, 1), (0, 3), (2, 0, 1)])
def test_0d_empty_and_size_one_arrays_keep_their_shapes(shape):
    x = np.full(shape, 0.5)
    g = srcdiff.grad(square_sum)(x)
    assert isinstance(g, np.ndarray) and g.shape == shape
    np.testing.assert_array_equal(g, 2 * x)
    _, t = srcdiff.jvp(np.sin)(x, np.ones(shape))
    assert np.shape(t) == shape
    assert srcdiff.vjp(np.sin)(x, np.ones(shape)).shape == shape
