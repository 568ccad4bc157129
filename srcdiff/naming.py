"""Deterministic, collision-free names for generated code.

A :class:`Namer` knows every name the user's function mentions and every name it has handed
out; it never returns one of them twice. Names come from counters (``x_2``, ``product_3``),
never from random ids, so the same source always gives the same emitted text.
"""
from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable


def names_in(node: ast.AST) -> set[str]:
    """Every identifier a tree mentions: variables, parameters, attribute roots."""
    found: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.arg):
            found.add(child.arg)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(child.name)
    return found


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Namer:
    """Hands out fresh names that avoid ``reserved`` and each other."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.taken: set[str] = set(reserved)

    def reserve(self, name: str) -> None:
        """Mark ``name`` as used without handing it out."""
        self.taken.add(name)

    def fresh(self, base: str) -> str:
        """``base`` if free, else ``base_2``, ``base_3``, ...; invalid bases become ``tmp``."""
        if not _IDENT.match(base) or keyword.iskeyword(base):
            base = "tmp"
        if base not in self.taken:
            self.taken.add(base)
            return base
        counter = 2
        while f"{base}_{counter}" in self.taken:
            counter += 1
        name = f"{base}_{counter}"
        self.taken.add(name)
        return name
