"""The command line, complete: --version, --help with examples, check with --shape and
--lint, emit --check, and errors printed as Python prints them (line, caret), exit code 2."""
import subprocess
import sys
import textwrap

import pytest

from srcdiff import __version__
from srcdiff.cli import main

MODEL = textwrap.dedent("""\
    import numpy as np
    import srcdiff


    def loss(W, x):
        return np.sum(np.tanh(W @ x) ** 2)


    @srcdiff.elementwise(x="2.0 * x")  # wrong on purpose: the derivative of x**3 is 3x**2
    def cube(x):
        return x ** 3


    def uses_cube(x):
        return np.sum(cube(x))
    """)


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL, encoding="utf-8")
    return path


def run(*args):
    return subprocess.run([sys.executable, "-m", "srcdiff", *args], capture_output=True,
                          text=True, timeout=120)


def test_version_and_help():
    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"srcdiff {__version__}"
    for command in ("emit", "check"):
        done = run(command, "--help")
        assert done.returncode == 0 and "examples:" in done.stdout
        assert f"srcdiff {command} " in done.stdout


def test_check_with_named_shapes_prints_a_table(model, capsys):
    code = main(["check", str(model), "--function", "loss", "--shape", "W=3,4",
                 "--shape", "x=4"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[0].split() == ["result", "function", "detail"]
    assert "ok" in out and "(W: 3x4, x: 4)" in out


def test_check_fails_on_a_wrong_derivative(model, capsys):
    assert main(["check", str(model), "--function", "uses_cube"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "uses_cube" in out and "finite differences" in out


def test_check_without_shapes_reports_the_error_and_asks_for_them(model, capsys):
    assert main(["check", str(model), "--function", "loss", "--shape", "2,3"]) == 1
    assert "--shape NAME=D1,D2" in capsys.readouterr().out


def test_check_bad_shape_spec(model, capsys):
    assert main(["check", str(model), "--shape", "x=a,b"]) == 2
    assert "expected NAME=D1,D2" in capsys.readouterr().err


def test_lint_lists_every_unsupported_construct(tmp_path, capsys):
    path = tmp_path / "messy.py"
    path.write_text(textwrap.dedent("""\
        import numpy as np


        def one(x):
            print(x)
            return x


        def two(x):
            y = [t for t in x]
            assert x > 0
            return np.i0(x)


        def fine(x):
            return x * 2.0
        """), encoding="utf-8")
    assert main(["check", str(path), "--lint"]) == 1
    out = capsys.readouterr().out
    for where in (":5:5: expression statement", ":10:9: list comprehension",
                  ":11:5: 'assert' statement", ":12:12: no derivative rule for np.i0"):
        assert f"{path}{where}" in out, out
    assert "4 unsupported constructs in 3 functions" in out
    assert "hint:" in out


def test_emit_check_compares_a_committed_module(model, tmp_path, capsys):
    out = tmp_path / "grad_model.py"
    assert main(["emit", str(model), "--function", "loss", "-o", str(out)]) == 0
    assert main(["emit", str(model), "--function", "loss", "-o", str(out), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    out.write_text(out.read_text().replace("np.tanh", "np.sinh", 1))
    assert main(["emit", str(model), "--function", "loss", "-o", str(out), "--check"]) == 1
    captured = capsys.readouterr()
    assert "differs from what srcdiff emits now" in captured.err
    assert "-" in captured.out and "(emitted now)" in captured.out
    assert main(["emit", str(model), "--check"]) == 2


def test_errors_show_the_line_and_a_caret_and_exit_2(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import numpy as np\n\n\ndef f(x):\n    y = np.i0(x)\n    return y\n",
                    encoding="utf-8")
    done = run("emit", str(path))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{path}:5:9: "))
    assert lines[at + 1].strip() == "y = np.i0(x)"
    assert lines[at + 2] == "    " + " " * 4 + "^"
    broken = tmp_path / "broken.py"
    broken.write_text("def f(x):\n    return (x +\n", encoding="utf-8")
    done = run("emit", str(broken))
    assert done.returncode == 2 and f"{broken}:2:" in done.stderr and "^" in done.stderr


def test_python_dash_m_is_the_console_script():
    a = run("--help")
    b = subprocess.run([sys.executable, "-c", "import sys; from srcdiff.cli import main; "
                        "sys.argv[0] = 'srcdiff'; main(['--help'])"], capture_output=True,
                       text=True, timeout=120)
    assert a.stdout == b.stdout and "emit" in a.stdout and "check" in a.stdout


def test_emit_skips_functions_returning_no_value(tmp_path, capsys):
    # A file's procedures (a test helper, a main()) are not functions to differentiate: emit
    # without --function leaves them out with a note, and zip(..., strict=True) is a zip.
    path = tmp_path / "mixed.py"
    path.write_text(
        "import numpy as np\n\n\n"
        "def dot(a, b):\n"
        "    total = 0.0\n"
        "    for u, v in zip(a, b, strict=True):\n"
        "        total = total + u * v\n"
        "    return total\n\n\n"
        "def report(a):\n"
        "    print(a)\n", encoding="utf-8")
    assert main(["emit", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "def grad_dot(a, b):" in out and "def grad_report" not in out
    assert "skipping report: it returns no value" in err


def test_check_passes_on_the_seeds_example_with_its_cut_gradients(capsys):
    # stop_gradient/no_grad functions are compared with finite differences of the function
    # srcdiff differentiates (srcdiff/frozen.py); the file's check() helper is a procedure.
    assert main(["check", "examples/seeds.py"]) == 0
    out = capsys.readouterr().out
    assert "ok     cut_by_stop_gradient" in out and "ok     cut_by_no_grad" in out
    assert "skip   check" in out and "FAIL" not in out
