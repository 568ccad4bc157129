"""The example scripts run to completion (each checks its own gradients and exits non-zero
on a mismatch), and the training examples reach the results their docstrings state."""
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ["rnn.py", "rosenbrock.py", "newton.py", "piecewise.py", "custom_rules.py"]
EXTRA = "the `examples` extra: pip install -e '.[examples]'"


def run_example(script: str, *args: str, cwd: pathlib.Path = ROOT) -> str:
    """Run examples/<script> with args in a fresh interpreter; return its stdout."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def printed_number(output: str, label: str) -> float:
    """The number printed after ``label`` on a line of its own (``label 0.123``)."""
    match = re.search(rf"^{re.escape(label)}\s*(-?\d+\.\d+)", output, re.MULTILINE)
    assert match, f"no line starting {label!r} in:\n{output[-2000:]}"
    return float(match.group(1))


@pytest.mark.parametrize("script", EXAMPLES)
def test_example_runs(script):
    run_example(script)


def test_logistic_regression_learns_the_classes() -> None:
    output = run_example("logistic_regression.py", "--quick")
    assert "check_grad: max difference" in output
    assert "the gradient equals the closed form" in output
    # The best possible accuracy on these overlapping classes is about 0.87.
    assert 0.8 <= printed_number(output, "test accuracy:") <= 1.0
    assert printed_number(output, "train accuracy:") >= 0.8


def test_ode_fit_recovers_the_parameters() -> None:
    output = run_example("ode_fit.py", "--quick")
    assert "check_grad: max difference" in output
    assert printed_number(output, "recovered omega =") == pytest.approx(2.0, abs=0.05)
    assert printed_number(output, "recovered zeta =") == pytest.approx(0.15, abs=0.02)
    # The fit explains the data down to the noise (variance 0.0025).
    assert printed_number(output, "final loss") < 0.003


def test_mlp_digits_trains_and_plots(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("sklearn", reason=f"the digits data come from scikit-learn, {EXTRA}")
    pytest.importorskip("matplotlib", reason=f"the loss plot needs matplotlib, {EXTRA}")
    pytest.importorskip("tqdm", reason=f"the progress bar needs tqdm, {EXTRA}")
    plot = tmp_path / "loss.png"
    output = run_example("mlp_digits.py", "--quick", "--plot", str(plot), cwd=tmp_path)
    assert "check_grad: max difference" in output
    # Three epochs reach about 0.93; far below would mean a wrong gradient or a broken loop.
    assert 0.85 <= printed_number(output, "test accuracy:") <= 1.0
    assert plot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert list(tmp_path.iterdir()) == [plot]  # nothing else written to the working directory
