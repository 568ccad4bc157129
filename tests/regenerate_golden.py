"""Rewrite tests/golden/*.py and the README's emitted-code sample from the current compiler:
``python tests/regenerate_golden.py``.

Read the diff (``git diff tests/golden README.md``) before committing: it shows exactly how
the generated code changed.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.golden_support import (  # noqa: E402
    GOLDEN_DIR,
    README,
    STANDALONE,
    all_cases,
    golden_path,
    readme_with_current_sample,
    standalone_text,
)


def main() -> None:
    GOLDEN_DIR.mkdir(exist_ok=True)
    for name, text in all_cases():
        golden_path(name).write_text(text)
        print(f"wrote {golden_path(name)}")
    golden_path(STANDALONE).write_text(standalone_text())
    print(f"wrote {golden_path(STANDALONE)}")
    README.write_text(readme_with_current_sample())
    print(f"wrote the emitted-code sample of {README}")


if __name__ == "__main__":
    main()
