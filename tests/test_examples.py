"""The example scripts run to completion (each checks its own gradients and exits non-zero
on a mismatch)."""
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ["rnn.py", "rosenbrock.py", "newton.py", "piecewise.py", "custom_rules.py"]


@pytest.mark.parametrize("script", EXAMPLES)
def test_example_runs(script):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
