"""Analyze pass: activity. Which values need an adjoint?

A value is *varied* when it depends on a differentiated parameter through operations that
carry a derivative, and *useful* when the output depends on it through such operations. Only
values that are both, the *active* ones, get adjoints; everything else is a constant to the
backward sweep, so no adjoint that is always zero is ever written.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from srcdiff.ir import Assign, NormalFunction, assignments, atom_names


@dataclass(frozen=True)
class Activity:
    """The result of the analysis, as sets of (normal-form) names."""

    varied: frozenset[str]
    useful: frozenset[str]

    @property
    def active(self) -> frozenset[str]:
        return self.varied & self.useful


def flowing_args(stmt: Assign) -> dict[str, ast.expr]:
    """The arguments through which a derivative can flow into ``stmt``'s result.

    Zero-derivative operations (``stop_gradient``, ``np.sign``, comparisons, ``no_grad``
    bodies, statements the fence rejected) have none; a rule's parameters declared
    non-differentiable are left out; an operation *without* a rule keeps all its arguments,
    so activity reaching it is reported as an error by the reverse pass rather than silently
    dropped.
    """
    op = stmt.op
    if stmt.no_grad or op.zero or op.kind == "opaque":
        # An opaque statement was already reported; treating its results as constants keeps
        # one rejected line from cascading into errors on every line that uses them.
        return {}
    if op.kind == "setitem":  # the array and the value written into it; not the index
        return {k: v for k, v in op.args.items() if k != "index"}
    if op.kind == "item":  # an item of a tuple flows from the tuple
        return {"tuple": op.args["tuple"]}
    if op.rule is None:
        return dict(op.args)
    table = op.rule.vjp
    return {p: a for p, a in op.args.items() if p not in table or table[p] is not None}


def activity(fn: NormalFunction, wrt: list[str]) -> Activity:
    """Compute varied and useful names of ``fn`` for the parameters ``wrt``."""
    varied = set(wrt)
    statements = list(assignments(fn.body))  # source order: names are bound before use,
    # except around a loop's back edge, which the passes repeat until nothing changes.
    changed = True
    while changed:
        changed = False
        for stmt in statements:
            if stmt.target in varied:
                continue
            if any(atom_names(arg) & varied for arg in flowing_args(stmt).values()):
                varied.add(stmt.target)
                changed = True
    useful = atom_names(fn.result.value) - fn.globals
    changed = True
    while changed:
        changed = False
        for stmt in reversed(statements):
            if stmt.target in useful:
                for arg in flowing_args(stmt).values():
                    new = atom_names(arg) - fn.globals - useful
                    if new:
                        useful |= new
                        changed = True
    return Activity(frozenset(varied), frozenset(useful))
