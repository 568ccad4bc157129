"""Rule cases of the linalg group (see tests/rule_support.py)."""
from __future__ import annotations

import numpy as np  # noqa: F401

from tests.rule_support import Arr, case  # noqa: F401

#: (rule name, parameter or None, "vjp"/"jvp" or None) without a batched form yet.
UNBATCHED: set[tuple[str, str | None, str | None]] = set()
