"""The command line: ``srcdiff emit`` writes standalone modules, ``srcdiff check`` checks."""
from __future__ import annotations

import ast
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path

import numpy as np
import pytest

import srcdiff
from srcdiff.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "linear_regression.py"
CLI_MODULE = ROOT / "tests" / "cases" / "cli_module.py"
UNSUPPORTED = ROOT / "tests" / "cases" / "unsupported.py"

X = [0.5, -1.25, 2.0, 3.5]
Y = [1.0, 0.25, -2.0, 4.0]


def _env(with_srcdiff: bool) -> dict[str, str]:
    env = dict(os.environ)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
             if p and Path(p).resolve() != ROOT]
    if with_srcdiff:
        paths.insert(0, str(ROOT))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "srcdiff", *args], cwd=cwd, env=_env(True),
                          capture_output=True, text=True, timeout=60)


def run_without_srcdiff(script: str, cwd: Path) -> object:
    """Run ``script`` where srcdiff cannot be imported; return the JSON it prints."""
    code = "import sys; sys.modules['srcdiff'] = None\n" + textwrap.dedent(script)
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=_env(False),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def defined_functions(text: str) -> set[str]:
    return {node.name for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)}


def assert_standalone(text: str) -> None:
    """The emitted module's code never refers to srcdiff."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] != "srcdiff" for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] != "srcdiff"
        elif isinstance(node, ast.Name):
            assert "srcdiff" not in node.id, node.id
    assert not re.search(r"^\s*(import|from)\s+srcdiff\b", text, re.MULTILINE)
    # Outside strings and comments (an error message may tell the user about srcdiff.vjp):
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    code = " ".join(t.string for t in tokens if t.type not in (tokenize.STRING, tokenize.COMMENT))
    assert "srcdiff" not in code


# ---------------------------------------------------------------------------------------------
# emit: standalone modules that agree with srcdiff.grad
# ---------------------------------------------------------------------------------------------

def test_emit_linear_regression_runs_without_srcdiff(tmp_path: Path) -> None:
    out = tmp_path / "linreg_grads.py"
    done = run_cli("emit", str(EXAMPLE), "--function", "loss", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert_standalone(text)
    assert "grad_loss" in defined_functions(text)
    got = run_without_srcdiff(f"""
        import json
        import numpy as np
        from linreg_grads import grad_loss
        x = np.array({X}); y = np.array({Y})
        print(json.dumps([grad_loss(w, x, y) for w in (0.0, 1.5, -2.0)]))
        """, tmp_path)
    loss = load(EXAMPLE, "srcdiff_test_linear_regression").loss
    x, y = np.array(X), np.array(Y)
    want = [srcdiff.grad(loss)(w, x, y) for w in (0.0, 1.5, -2.0)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    # and both are the true derivative: d/dw mean((w x - y)^2) = 2 mean((w x - y) x)
    np.testing.assert_allclose(want, [2 * np.mean((w * x - y) * x) for w in (0.0, 1.5, -2.0)],
                               rtol=1e-12)


def test_emit_module_with_constants_math_and_two_parameters(tmp_path: Path) -> None:
    one = tmp_path / "one_param.py"
    by_index = tmp_path / "by_index.py"
    by_name = tmp_path / "by_name.py"
    done = run_cli("emit", str(CLI_MODULE), "--function", "scaled_energy", "--function", "wave",
                   "-o", str(one))
    assert done.returncode == 0, done.stderr
    assert main(["emit", str(CLI_MODULE), "--function", "product_loss", "--wrt", "0,1",
                 "-o", str(by_index)]) == 0
    assert main(["emit", str(CLI_MODULE), "--function", "product_loss", "--wrt", "x,y",
                 "-o", str(by_name)]) == 0
    for path in (one, by_index, by_name):
        assert_standalone(path.read_text())
    assert re.search(r"^SCALE = 3\.0$", one.read_text(), re.MULTILINE)
    got = run_without_srcdiff(f"""
        import json
        import numpy as np
        import by_index, by_name, one_param
        x = np.array({X}); y = np.array({Y})
        results = {{
            "energy": one_param.grad_scaled_energy(x).tolist(),
            "wave": one_param.grad_wave(0.7),
            "wave_type": type(one_param.grad_wave(0.7)).__name__,
        }}
        for name, module in (("by_index", by_index), ("by_name", by_name)):
            pair = module.grad_product_loss(x, y)
            results[name + "_type"] = type(pair).__name__
            results[name] = [g.tolist() for g in pair]
        print(json.dumps(results))
        """, tmp_path)
    cases = load(CLI_MODULE, "srcdiff_test_cli_module")
    x, y = np.array(X), np.array(Y)
    np.testing.assert_allclose(got["energy"], srcdiff.grad(cases.scaled_energy)(x),
                               rtol=1e-12)
    np.testing.assert_allclose(got["energy"], 6.0 * x, rtol=1e-12)
    assert got["wave_type"] == "float"
    np.testing.assert_allclose(got["wave"], srcdiff.grad(cases.wave)(0.7), rtol=1e-12)
    np.testing.assert_allclose(got["wave"], np.cos(0.7) * 0.7 + np.sin(0.7), rtol=1e-12)
    want = srcdiff.grad(cases.product_loss, wrt=(0, 1))(x, y)
    assert isinstance(want, tuple) and len(want) == 2
    for name in ("by_index", "by_name"):
        assert got[name + "_type"] == "tuple"
        np.testing.assert_allclose(got[name][0], want[0], rtol=1e-12)
        np.testing.assert_allclose(got[name][1], want[1], rtol=1e-12)
    np.testing.assert_allclose(want[0], y + 2 * x, rtol=1e-12)
    np.testing.assert_allclose(want[1], x, rtol=1e-12)


def test_function_option_selects_functions(tmp_path: Path) -> None:
    out = tmp_path / "out.py"
    assert main(["emit", str(CLI_MODULE), "--function", "wave", "-o", str(out)]) == 0
    assert {n for n in defined_functions(out.read_text()) if n.startswith("grad_")} == {
        "grad_wave"}
    assert main(["emit", str(CLI_MODULE), "--function", "wave", "--function", "scaled_energy",
                 "-o", str(out)]) == 0
    assert {n for n in defined_functions(out.read_text()) if n.startswith("grad_")} == {
        "grad_wave", "grad_scaled_energy"}
    # Without --function, every top-level function of the file is differentiated.
    assert main(["emit", str(CLI_MODULE), "-o", str(out)]) == 0
    assert {n for n in defined_functions(out.read_text()) if n.startswith("grad_")} == {
        "grad_wave", "grad_scaled_energy", "grad_product_loss"}


def test_output_goes_to_stdout_without_o(tmp_path: Path) -> None:
    done = run_cli("emit", str(EXAMPLE), "--function", "loss", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "grad_loss" in defined_functions(done.stdout)
    assert_standalone(done.stdout)
    assert list(tmp_path.iterdir()) == []


def test_emit_never_executes_the_file(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    source = tmp_path / "side_effects.py"
    source.write_text(textwrap.dedent(f"""\
        import numpy as np

        open({str(marker)!r}, "w").write("executed")
        raise SystemExit(99)


        def f(x):
            return np.sum(x * x)
        """))
    out = tmp_path / "out.py"
    done = run_cli("emit", str(source), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert "grad_f" in defined_functions(out.read_text())
    # the file really has side effects when executed
    ran = subprocess.run([sys.executable, str(source)], cwd=tmp_path, capture_output=True,
                         timeout=60)
    assert ran.returncode == 99 and marker.exists()


# ---------------------------------------------------------------------------------------------
# emit: errors exit non-zero with a clear message on stderr
# ---------------------------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.py"
    done = run_cli("emit", str(missing))
    assert done.returncode != 0
    assert str(missing) in done.stderr and "cannot read" in done.stderr
    assert done.stdout == ""


def test_file_that_does_not_parse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\n\n\ndef f(x):\n    return x +\n")
    assert main(["emit", str(bad)]) != 0
    err = capsys.readouterr().err
    assert f"{bad}:5:" in err and "does not parse" in err


def test_function_not_in_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emit", str(CLI_MODULE), "--function", "no_such_function"]) != 0
    captured = capsys.readouterr()
    assert "'no_such_function'" in captured.err
    assert "wave" in captured.err  # lists what the file defines
    assert captured.out == ""


def test_unsupported_construct_reports_file_line_column(tmp_path: Path) -> None:
    lines = UNSUPPORTED.read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if text.startswith("def try_except(")) + 2
    column = lines[line - 1].index("try:") + 1
    out = tmp_path / "out.py"
    done = run_cli("emit", str(UNSUPPORTED), "--function", "try_except", "-o", str(out))
    assert done.returncode != 0
    assert f"{UNSUPPORTED}:{line}:{column}: 'try' statement" in done.stderr
    assert "hint:" in done.stderr
    assert not out.exists()


def test_global_that_is_not_a_literal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "weights.py"
    source.write_text("import numpy as np\n\nA = np.ones(3)\n\n\n"
                      "def f(x):\n    return np.sum(A * x)\n")
    assert main(["emit", str(source)]) != 0
    captured = capsys.readouterr()
    assert "'A'" in captured.err and "literal" in captured.err
    assert f"{source}:7:19:" in captured.err  # where the derivative reads it
    assert "hint:" in captured.err
    assert captured.out == ""


def test_forward_mode_writes_jvp_functions_that_run_without_srcdiff(tmp_path: Path) -> None:
    out = tmp_path / "out.py"
    example = ROOT / "examples" / "rnn.py"
    done = run_cli("emit", str(example), "--function", "loss", "--wrt", "0,1", "--mode",
                   "forward", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "def jvp_loss(W, U, h0, xs, tangents):" in text
    rng = np.random.default_rng(4)
    args = (0.1 * rng.standard_normal((4, 4)), rng.standard_normal((4, 3)), np.zeros(4),
            rng.standard_normal((5, 3)))
    tangents = (rng.standard_normal((4, 4)), rng.standard_normal((4, 3)))
    spec = importlib.util.spec_from_file_location("cli_forward_rnn", example)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    value, tangent = srcdiff.jvp(module.loss, wrt=(0, 1))(*args, tangents)
    script = ("import sys; sys.modules['srcdiff'] = None\n"
              "import numpy as np\n"
              f"exec(open({str(out)!r}).read())\n"
              f"args = [np.array(a) for a in {[a.tolist() for a in args]!r}]\n"
              f"tangents = tuple(np.array(t) for t in {[t.tolist() for t in tangents]!r})\n"
              "print(repr(jvp_loss(*args, tangents)))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    got_value, got_tangent = eval(run.stdout)  # noqa: S307  (our own subprocess's repr)
    assert got_value == pytest.approx(value, rel=1e-14)
    assert got_tangent == pytest.approx(tangent, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------------

def test_check_passes_on_correct_functions(tmp_path: Path) -> None:
    source = tmp_path / "good.py"
    source.write_text(textwrap.dedent("""\
        import numpy as np


        def energy(x):
            return np.sum(x * x)


        def coupled(x, y):
            return np.sum(np.sin(x) * y)
        """))
    done = run_cli("check", str(source), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    ok = [line for line in done.stdout.splitlines() if line.startswith("ok")]
    assert len(ok) == 2
    assert any("energy" in line for line in ok) and any("coupled" in line for line in ok)


def test_default_selection_skips_functions_without_the_wrt_parameter(
        capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "linear_regression.py"
    assert main(["emit", str(example)]) == 0
    captured = capsys.readouterr()
    assert "def grad_loss(w, x, y):" in captured.out
    assert "grad_main" not in captured.out
    assert "skipping main" in captured.err
    # Named explicitly, the same function is an error.
    assert main(["emit", str(example), "--function", "main"]) != 0
    assert "out of range" in capsys.readouterr().err


CONTROL_FLOW_EXAMPLES = [
    ("rnn", "loss", "0,1", lambda rng: (0.1 * rng.standard_normal((4, 4)),
                                        rng.standard_normal((4, 3)), np.zeros(4),
                                        rng.standard_normal((6, 3)))),
    ("rosenbrock", "rosenbrock", "0", lambda rng: (rng.standard_normal(5),)),
    ("newton", "newton_sqrt", "0", lambda rng: (2.5, 1e-12)),
    ("piecewise", "huber", "0,1", lambda rng: (0.3, 1.0)),
]


@pytest.mark.parametrize("example, function, wrt, make_args", CONTROL_FLOW_EXAMPLES,
                         ids=[e[0] for e in CONTROL_FLOW_EXAMPLES])
def test_emitted_loops_and_branches_run_without_srcdiff(tmp_path: Path, example: str,
                                                        function: str, wrt: str,
                                                        make_args) -> None:
    """The standalone module of a function with loops (stacks), while loops and branches
    gives srcdiff.grad's numbers in a Python where srcdiff cannot be imported."""
    path = ROOT / "examples" / f"{example}.py"
    out = tmp_path / "out.py"
    done = run_cli("emit", str(path), "--function", function, "--wrt", wrt, "-o", str(out))
    assert done.returncode == 0, done.stderr
    args = make_args(np.random.default_rng(3))
    spec = importlib.util.spec_from_file_location(f"cli_example_{example}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wrt_value = tuple(int(w) for w in wrt.split(",")) if "," in wrt else int(wrt)
    expected = srcdiff.grad(getattr(module, function), wrt=wrt_value)(*args)
    script = ("import sys; sys.modules['srcdiff'] = None\n"
              "import numpy as np\n"
              f"exec(open({str(out)!r}).read())\n"
              f"args = {[np.asarray(a).tolist() for a in args]!r}\n"
              f"args = [np.array(a) if isinstance(a, list) else a for a in args]\n"
              f"result = grad_{function}(*args)\n"
              "result = result if isinstance(result, tuple) else (result,)\n"
              "print(repr([np.asarray(r).tolist() for r in result]))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    got = eval(run.stdout)  # noqa: S307  (our own subprocess's repr of lists)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15)
