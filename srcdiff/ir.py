"""The normal form every pass after ``normalize`` works on.

A :class:`NormalFunction` is straight-line code in which each :class:`Assign` computes one
operation on *atoms* (names, constants, globals such as ``np.pi``, tuples of atoms) and binds
a name exactly once (reassignments are renamed, single assignment). Each statement remembers
the user's statement it came from, and the resolved operation it performs: the derivative rule
and the call's arguments bound to the rule's parameter names.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from srcdiff.origin import Origin
from srcdiff.parse import Source
from srcdiff.rules.registry import Rule


@dataclass
class Operation:
    """What one normalized statement computes, for the derivative.

    ``kind`` is ``"rule"`` (a call, operator, method or attribute with rule ``rule``, or
    without one when ``rule`` is None), ``"copy"`` (``y = x``: derivative one), ``"stop"``
    (``stop_gradient``: a copy with derivative zero) or ``"opaque"`` (a statement the fence
    rejected: analysed as depending on what it reads, never differentiated). ``args`` maps
    the rule's parameter names to atoms; ``what`` names the operation for messages
    (``np.exp``, ``operator %``); ``origin`` is where the operation itself stands in the
    user's line, for errors.
    """

    kind: str
    what: str
    rule: Rule | None = None
    args: dict[str, ast.expr] = field(default_factory=dict)
    origin: Origin | None = None

    @property
    def zero(self) -> bool:
        """Whether the result never carries a derivative."""
        return self.kind == "stop" or (self.rule is not None and self.rule.zero)


@dataclass
class Assign:
    """``target = value``: one operation, one fresh name."""

    target: str
    value: ast.expr
    op: Operation
    origin: Origin
    no_grad: bool = False
    user_name: str | None = None


@dataclass
class Return:
    """The function's result: an atom."""

    value: ast.expr
    origin: Origin


@dataclass
class NormalFunction:
    """A function in normal form, with the names it uses (for collision-free naming)."""

    name: str
    params: list[str]
    args: ast.arguments
    body: list[Assign]
    result: Return
    source: Source
    names: set[str]
    globals: set[str]


def atom_names(atom: ast.expr) -> set[str]:
    """The local names an atom reads (a Name, or the Names inside a tuple atom)."""
    return {node.id for node in ast.walk(atom) if isinstance(node, ast.Name)}
