"""docs/coverage.md is the registry's table: current, and at least 200 NumPy entries."""
import re

from tests import regenerate_coverage


def test_coverage_table_is_current():
    current = regenerate_coverage.PATH.read_text(encoding="utf-8")
    assert current == regenerate_coverage.table(), \
        "docs/coverage.md is out of date: run python tests/regenerate_coverage.py"


def test_coverage_lists_at_least_200_numpy_functions_and_methods():
    text = regenerate_coverage.PATH.read_text(encoding="utf-8")
    numpy_entries = set(re.findall(r"`(np\.[\w.]+|x\.\w+)", text))
    assert len(numpy_entries) >= 200, len(numpy_entries)
