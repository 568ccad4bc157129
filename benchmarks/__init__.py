"""Benchmarks of srcdiff (run as modules: ``python -m benchmarks.jacobian``). Benchmarks are
not tests: the test suite runs them only in a smoke mode, to keep them working."""
