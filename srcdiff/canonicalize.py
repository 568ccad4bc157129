"""Canonicalize pass: lower ``break``, ``continue`` and early returns to plain control flow.

The pass rewrites the user's ``ast.FunctionDef`` in place, before the fence, into constructs
the later passes support. It runs two lowerings, in this order:

1. **Loop exits** (:func:`srcdiff.loop_exits.lower_loop_exits`): ``break`` and
   ``continue`` become flags and guards, a ``for`` loop that breaks a counted ``while``
   loop (details in :mod:`srcdiff.loop_exits`).

2. **Early returns** (:func:`lower_returns`). ``if c: return a`` followed by more statements
   becomes ``if c: return a / else: <the rest>``, so a later pass sees returns only as the
   last statement of a branch, and the branch taken decides the result. A return inside a
   loop is left alone (the fence reports it).

The loop exits are lowered first, so that the early-return lowering, which may copy
statements into several branches, copies loops that are already lowered. User statements are
moved, never re-created, so their line numbers stay the user's; the statements and
expressions the pass creates get the position of the ``break``, ``continue`` or loop they
stand for, so the comments of the emitted code point at those lines.
"""
from __future__ import annotations

import ast
import copy

from srcdiff.loop_exits import loaded_names, lower_loop_exits, stored_names
from srcdiff.naming import Namer, names_in

# ---------------------------------------------------------------------------------------------
# Early returns.
# ---------------------------------------------------------------------------------------------


def always_returns(body: list[ast.stmt]) -> bool:
    """Whether every path through ``body`` ends in a ``return``."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return):
        return True
    if isinstance(last, ast.If):
        return always_returns(last.body) and always_returns(last.orelse)
    if isinstance(last, ast.With):
        return always_returns(last.body)
    return False


def _contains_return(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Return) for s in body for n in ast.walk(s))


def lower_returns(body: list[ast.stmt]) -> list[ast.stmt]:
    """Move the statements after an ``if`` that returns on some path into its other paths."""
    out: list[ast.stmt] = []
    for index, stmt in enumerate(body):
        rest = body[index + 1:]
        if isinstance(stmt, ast.If) and rest and (_contains_return(stmt.body)
                                                 or _contains_return(stmt.orelse)):
            body_returns, else_returns = always_returns(stmt.body), always_returns(stmt.orelse)
            if body_returns and else_returns:  # the rest is unreachable: leave it for the fence
                stmt.body, stmt.orelse = lower_returns(stmt.body), lower_returns(stmt.orelse)
                out.append(stmt)
                continue
            if not body_returns:
                stmt.body = stmt.body + (copy.deepcopy(rest) if not else_returns else rest)
            if not else_returns:
                stmt.orelse = stmt.orelse + rest
            stmt.body, stmt.orelse = lower_returns(stmt.body), lower_returns(stmt.orelse)
            out.append(stmt)
            return out
        if isinstance(stmt, ast.If):
            stmt.body, stmt.orelse = lower_returns(stmt.body), lower_returns(stmt.orelse)
        out.append(stmt)
    return out


def canonicalize(func: ast.FunctionDef) -> ast.FunctionDef:
    """Lower the loop exits, then the early returns, of ``func`` in place (see the module
    docstring) and return it. The names the pass introduces avoid every name of ``func``."""
    namer = Namer(names_in(func))
    func.body = lower_loop_exits(func.body, namer, stored_names(func), loaded_names(func))
    func.body = lower_returns(func.body)
    return func
