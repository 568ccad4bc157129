"""Hypothesis profiles of the program fuzzer.

* ``ci`` (the default): 340 examples from a fixed seed (``derandomize``), at least
  ``CI_PROGRAMS`` (300) distinct programs checked (hypothesis replays a few), about a minute on
  two cores; the CI test ``tests/test_fuzz.py::test_random_programs`` always runs with it.
* ``long``: 20000 new random programs per run (``SRCDIFF_FUZZ_EXAMPLES=N`` for another
  number), for ``python -m pytest -m fuzz
  tests/test_fuzz.py --hypothesis-profile=long`` (the ``fuzz`` test uses ``long`` unless
  another profile than ``ci`` is loaded).

``tests/conftest.py`` imports this module, so the profiles exist before hypothesis' pytest
plugin reads ``--hypothesis-profile`` (while pytest configures itself, before it imports the
test modules).
"""
import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.large_base_example]

CI_EXAMPLES = 340
#: The fewest distinct programs the CI run must check.
CI_PROGRAMS = 300
#: Programs per long run; ``SRCDIFF_FUZZ_EXAMPLES`` sets another number.
LONG_EXAMPLES = int(os.environ.get("SRCDIFF_FUZZ_EXAMPLES", "20000"))

settings.register_profile("ci", max_examples=CI_EXAMPLES, derandomize=True, deadline=None,
                          database=None, suppress_health_check=_QUIET, print_blob=False)
settings.register_profile("long", max_examples=LONG_EXAMPLES, derandomize=False,
                          deadline=None, database=None, suppress_health_check=_QUIET,
                          print_blob=True)
if settings.get_current_profile_name() == "default":
    settings.load_profile("ci")
