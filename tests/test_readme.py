"""The README shows real output: its emitted-code sample is what srcdiff emits today."""
import re
import sys
from pathlib import Path

import srcdiff

ROOT = Path(__file__).resolve().parent.parent


def test_readme_emitted_code_is_current():
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- emitted-code: begin -->\n```python\n(.*?)```\n<!-- emitted-code: end",
                      text, re.S)
    assert match, "README lost its emitted-code block"
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import seeds
    finally:
        sys.path.pop(0)
    assert match.group(1) == srcdiff.emit(seeds.mean_of_shifted_squares)


def test_readme_has_the_two_setup_commands_and_the_pytorch_table():
    text = (ROOT / "README.md").read_text()
    assert "pip install -e . && python examples/linear_regression.py" in text
    assert "pip install -e '.[test]' && python -m pytest" in text
    for idea in ("requires_grad", ".backward()", ".grad", "backward(gradient=", "no_grad",
                 "detach"):
        assert idea in text, idea
    assert "pip install -e '.[test]' && python -m pytest" in (ROOT / ".ci" / "run").read_text()
