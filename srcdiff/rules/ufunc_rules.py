"""Derivative rules of NumPy's ufunc functions (see :mod:`srcdiff.rules.registry` for the
template vocabulary and :mod:`srcdiff.rules.numpy_rules` for the conventions)."""
from __future__ import annotations
