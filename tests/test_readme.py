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
