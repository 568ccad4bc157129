"""The random-program fuzzer of srcdiff.

``generator.py`` is a hypothesis strategy composing valid Python/NumPy functions from the
constructs srcdiff supports; ``harness.py`` writes one to a real module, imports it and checks
its derivatives with ``srcdiff.check_grad``; ``profiles.py`` registers the hypothesis profiles
(``ci``, the default, and ``long``). ``tests/test_fuzz.py`` runs them.
"""
