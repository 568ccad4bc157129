"""Generated-function cases of the reductions group (see tests/compiled_support.py)."""
from __future__ import annotations

from tests.compiled_support import Arg, arr, case  # noqa: F401
