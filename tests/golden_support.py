"""Shared by the golden test and its regeneration script: how a case's text is produced."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from srcdiff import api
from tests.cases.golden_cases import CASES

GOLDEN_DIR = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_SAMPLE = re.compile(
    r"(<!-- emitted-code: begin -->\n```python\n)(.*?)(```\n<!-- emitted-code: end)", re.S)


def emitted_text(func, kind: str, wrt) -> str:
    """The derivative source srcdiff emits for ``func`` (what ``grad``/``vjp`` run), with the
    derivative functions of the user functions it calls. A kind ending in ``+checkpoint`` is
    that derivative with its loops checkpointed (``srcdiff.grad(f, checkpoint=True)``)."""
    kind, _, option = kind.partition("+")
    if hasattr(func, "__srcdiff_kind__"):  # a derivative's own derivative
        import srcdiff

        return srcdiff.emit(func, wrt=wrt, mode="forward" if kind == "jvp" else "reverse")
    return api._built(func, kind, wrt, checkpoint="sqrt" if option else None).text


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.py"


def all_cases():
    """(name, text) of every golden case, freshly emitted."""
    return [(name, emitted_text(func, kind, wrt)) for name, func, kind, wrt in CASES]


def readme_sample() -> tuple[str, str]:
    """(the README's emitted-code sample, what srcdiff emits for it today)."""
    match = _SAMPLE.search(README.read_text())
    assert match, "README lost its emitted-code block"
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import seeds
    finally:
        sys.path.pop(0)
    import srcdiff

    return match.group(2), srcdiff.emit(seeds.mean_of_shifted_squares)


def readme_with_current_sample() -> str:
    """The README text with its emitted-code sample regenerated."""
    _, current = readme_sample()
    return _SAMPLE.sub(lambda m: m.group(1) + current + m.group(3), README.read_text())


#: The standalone module ``srcdiff emit`` writes for the training example, pinned whole.
STANDALONE = "standalone_linear_regression"


def standalone_text() -> str:
    """What ``srcdiff emit examples/linear_regression.py`` writes, run from the repo root."""
    import contextlib
    import io
    import os

    from srcdiff import cli

    here = os.getcwd()
    out = io.StringIO()
    try:
        os.chdir(ROOT)
        with contextlib.redirect_stdout(out):
            assert cli.main(["emit", "examples/linear_regression.py"]) == 0
    finally:
        os.chdir(here)
    return out.getvalue()
