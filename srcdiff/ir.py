"""The normal form every pass after ``normalize`` works on.

A :class:`NormalFunction` is a list of statements: each :class:`Assign` computes one
operation on *atoms* (names, constants, globals such as ``np.pi``, tuples of atoms) and binds
a name exactly once (reassignments are renamed, single assignment); an :class:`If` holds two
such lists. Each statement remembers
the user's statement it came from, and the resolved operation it performs: the derivative rule
and the call's arguments bound to the rule's parameter names.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
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
    callee: object = None
    saved: str | None = None

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
class If:
    """``if test: body else: orelse``. ``test`` is an atom computed before the statement.

    Variables assigned in a branch get fresh names there; where the branches disagree, both
    end by binding one merged name (the last assignment of a branch is renamed to it, or a
    copy is appended), so the code after the ``if`` reads one name whichever branch ran.
    """

    test: ast.expr
    body: list[Stmt]
    orelse: list[Stmt]
    origin: Origin


@dataclass
class Loop:
    """``for target in iter:`` (``kind == "for"``) or ``while test:`` (``kind == "while"``).

    ``iter`` and ``test`` are expressions over the names the loop starts with; they carry no
    derivative. Inside ``body`` every assignment binds a fresh name; a variable the body
    rebinds is *carried*: the body reads it by its name from before the loop, and
    ``copies`` (``outer = inner``, one per carried variable) end each iteration, so the next
    iteration, and the code after the loop, read the new value by the same name.
    """

    kind: str
    target: str | None
    iter: ast.expr | None
    test: ast.expr | None
    body: list[Stmt]
    copies: list[Assign]
    origin: Origin


Stmt = Assign | If | Loop


def walk(body: list[Stmt]) -> Iterator[Stmt]:
    """Every statement of ``body``, nested ones included, in source order."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, If):
            yield from walk(stmt.body)
            yield from walk(stmt.orelse)
        elif isinstance(stmt, Loop):
            yield from walk(stmt.body)
            yield from stmt.copies


def assignments(body: list[Stmt]) -> Iterator[Assign]:
    """Every assignment of ``body``, nested ones included, in source order."""
    for stmt in walk(body):
        if isinstance(stmt, Assign):
            yield stmt


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
    body: list[Stmt]
    result: Return
    source: Source
    names: set[str]
    globals: set[str]
    local_functions: list[object] = field(default_factory=list)
    #: Augmented assignments of a variable (``a += v``): the new version's name -> the
    #: version it updates. On an array Python updates that object in place (see aliasing).
    in_place: dict[str, str] = field(default_factory=dict)


def atom_names(atom: ast.expr) -> set[str]:
    """The local names an atom reads (a Name, or the Names inside a tuple atom)."""
    return {node.id for node in ast.walk(atom) if isinstance(node, ast.Name)}
