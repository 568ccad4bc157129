"""Rewrite tests/golden/*.py from the current compiler: ``python tests/regenerate_golden.py``.

Read the diff (``git diff tests/golden``) before committing: it shows exactly how the
generated code changed.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.golden_support import GOLDEN_DIR, all_cases, golden_path  # noqa: E402


def main() -> None:
    GOLDEN_DIR.mkdir(exist_ok=True)
    for name, text in all_cases():
        golden_path(name).write_text(text)
        print(f"wrote {golden_path(name)}")


if __name__ == "__main__":
    main()
