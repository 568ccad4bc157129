"""The rule cases of each group of NumPy rules; importing this package adds them all."""
from tests.rule_cases import linalg, reductions, shapes, ufuncs  # noqa: F401
