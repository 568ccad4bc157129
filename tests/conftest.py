"""Registers the fuzzer's hypothesis profiles before pytest reads ``--hypothesis-profile``."""
import tests.fuzz.profiles  # noqa: F401
