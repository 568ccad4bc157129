"""Derivative rules, as data. Importing this package registers every rule."""
from srcdiff.rules import (  # noqa: F401  (importing a rules module registers its rules)
    linalg_rules,
    numpy_rules,
    reduction_rules,
    runtime_rules,
    shape_rules,
    ufunc_rules,
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
