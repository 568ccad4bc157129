"""``python -m benchmarks``: the comparison of srcdiff with hand-written NumPy, autograd, JAX
and PyTorch (``benchmarks/run.py``; ``--help`` lists the options).

Every library is pinned to one thread: the variables are set here, before NumPy, JAX or
PyTorch is imported (the runner also calls ``torch.set_num_threads(1)``).
"""
import os
import sys

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

from benchmarks.run import main  # noqa: E402  (after the thread variables)

sys.exit(main())
