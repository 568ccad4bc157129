"""Derivative rules, as data. Importing this package registers every rule."""
from srcdiff.rules import (
    numpy_rules,  # noqa: F401  (registers the NumPy and math rules)
    runtime_rules,  # noqa: F401  (rules of srcdiff's own helpers)
)
from srcdiff.rules.registry import (
    ATTRIBUTES,
    BINARY_OPERATORS,
    METHODS,
    NONDIFF_ATTRIBUTES,
    UNARY_OPERATORS,
    Rule,
    instantiate,
    lookup,
    parse_template,
    registered,
)

__all__ = [
    "ATTRIBUTES", "BINARY_OPERATORS", "METHODS", "NONDIFF_ATTRIBUTES", "UNARY_OPERATORS",
    "Rule", "instantiate", "lookup", "parse_template", "registered",
]
