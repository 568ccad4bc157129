"""The README shows real output: its emitted-code sample is what srcdiff emits today."""
from pathlib import Path

from tests.golden_support import readme_sample

ROOT = Path(__file__).resolve().parent.parent


def test_readme_emitted_code_is_current():
    shown, current = readme_sample()
    assert shown == current, "run `python tests/regenerate_golden.py` and review the diff"


def test_readme_has_the_two_setup_commands_and_the_pytorch_table():
    text = (ROOT / "README.md").read_text()
    assert "pip install -e . && python examples/linear_regression.py" in text
    assert "pip install -e '.[test]' && python -m pytest" in text
    for idea in ("requires_grad", ".backward()", ".grad", "backward(gradient=", "no_grad",
                 "detach"):
        assert idea in text, idea
    assert "pip install -e '.[test]' && python -m pytest" in (ROOT / ".ci" / "run").read_text()


def test_readme_usage_block_runs(tmp_path):
    import re
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Usage\n\n```python\n(.*?)```", text, re.S).group(1)
    script = tmp_path / "usage.py"  # a real file: srcdiff reads the functions' source
    script.write_text(block)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "def grad_g(x, y):" in done.stdout
