"""Benchmarks of srcdiff (run as modules: ``python -m benchmarks`` compares srcdiff with
hand-written NumPy, autograd, JAX and PyTorch, ``python -m benchmarks.jacobian`` times
vectorised Jacobians). Benchmarks are not tests: the test suite runs them only in a smoke
mode, to keep them working."""
