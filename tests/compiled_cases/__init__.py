"""The generated-function cases of each group of NumPy rules; importing this adds them all."""
from tests.compiled_cases import linalg, reductions, shapes, ufuncs  # noqa: F401
