"""Saves pass: decide what each loop iteration keeps for the backward sweep.

A loop whose adjoint runs gets a list (``t_stack``) in the forward sweep. At the end of every
iteration, before the carried variables take their new values, the iteration appends the
values its adjoint will read and that the next iteration would overwrite: the names read by
the reverse loop's body that the forward body assigns (the loop variable, intermediates,
branch tests, the carried variables' values at the start of the iteration, inner loops' own
lists), and the carried variables that any other adjoint statement reads (their value before
the loop is restored by the last pop). Nothing else is kept: loop-invariant values are read
where they are, so memory is iterations times the values the adjoint needs.

The reverse pass leaves a push marker in the forward loop and a pop marker in the reverse
loop; this pass, run after dead-code elimination, replaces them by ``stack.append((...))`` and
``(...) = stack.pop()``.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator

from srcdiff.origin import Origin
from srcdiff.reverse import POP_MARKER, PUSH_MARKER, comment

#: What each value a loop may save is: name, or (stack, name) for a carried variable ->
#: (its line, text in the user's terms).
Described = dict[object, tuple[Origin, str]]


def _marker_stack(stmt: ast.stmt, kind: str) -> str | None:
    if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == kind):
        argument = stmt.value.args[0]
        assert isinstance(argument, ast.Constant)
        return str(argument.value)
    return None


def _loops(body: list[ast.stmt]) -> Iterator[ast.For | ast.While]:
    for node in body:
        for inner in ast.walk(node):
            if isinstance(inner, (ast.For, ast.While)):
                yield inner


def _stores_in_order(nodes: list[ast.stmt]) -> list[str]:
    names: list[str] = []
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store) \
                    and inner.id not in names:
                names.append(inner.id)
    return names


def _loads(nodes: list[ast.stmt]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _definitely_assigned(block: list[ast.stmt]) -> set[str]:
    """Names every path through ``block`` assigns (loops may not run: they do not count)."""
    names: set[str] = set()
    for stmt in block:
        if isinstance(stmt, ast.Assign):
            names |= {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(stmt, ast.If):
            names |= _definitely_assigned(stmt.body) & _definitely_assigned(stmt.orelse)
    return names


def _push(stack: str, names: list[str], note: str | list[str], shapes: set[str] = frozenset(),
          shape_only: str = "shape_only", branch: bool = False) -> list[ast.stmt]:
    """The comment lines ``note`` and ``stack.append((names...))``. The append remembers
    what it saves (``srcdiff_saves``: stack, names, shape-only names, whether a branch alone
    saves them) for :func:`srcdiff.memory`."""
    values: list[ast.expr] = [
        ast.Call(ast.Name(shape_only, ast.Load()), [ast.Name(n, ast.Load())], [])
        if n in shapes else ast.Name(n, ast.Load()) for n in names]
    saved: ast.expr = (ast.Tuple(values, ast.Load()) if len(values) > 1
                       else values[0] if values else ast.Constant(None))
    append = ast.Attribute(ast.Name(stack, ast.Load()), "append", ast.Load())
    push = ast.Expr(ast.Call(append, [saved], []))
    push.srcdiff_saves = (stack, list(names), set(shapes) & set(names),  # type: ignore[attr-defined]
                          branch)
    notes = [note] if isinstance(note, str) else note
    return [comment(line) for line in notes] + [push]


def _about(stack: str, name: str, described: Described) -> tuple[Origin | None, str]:
    """(line, what the value is) of a name ``stack`` saves."""
    return described.get((stack, name)) or described.get(name) or (None, "")


def _item(stack: str, name: str, described: Described) -> str:
    """``added (W @ h + U @ xs[t])``: a saved name and what it holds in the user's terms."""
    text = _about(stack, name, described)[1]
    return f"{name} ({text})" if text and text != name else name


def _note(stack: str, names: list[str], shapes: set[str], described: Described) -> list[str]:
    """The comment above an iteration's save: per source line, what it saves, in the user's
    terms (``h_2 (the new h)``, ``xs_t (xs[t])``), and the values kept for their shapes."""
    if not names:
        return ["one entry per iteration: the backward sweep needs only their count"]
    groups: dict[str, list[str]] = {}
    for name in names:
        if name in shapes:
            continue
        origin = _about(stack, name, described)[0]
        groups.setdefault(origin.short if origin is not None else "", []).append(
            _item(stack, name, described))
    shaped = [n for n in names if n in shapes]
    only = f"only the shapes of {', '.join(shaped)} (no data)" if shaped else ""
    if len(groups) <= 1:
        (where, items), = groups.items() if groups else [("", [])]
        head = "saved for the backward sweep, per iteration" + (f" ({where})" if where else "")
        text = f"{head}: {', '.join(items) or 'nothing'}"
        return [text + (f"; {only}" if only else "")]
    lines = ["saved for the backward sweep, per iteration:"]
    lines += [f"  {where}: {', '.join(items)}" if where else f"  {', '.join(items)}"
              for where, items in groups.items()]
    if only:
        lines.append(f"  and {only}")
    return lines


def _pop(stack: str, names: list[str]) -> ast.stmt:
    pop = ast.Call(ast.Attribute(ast.Name(stack, ast.Load()), "pop", ast.Load()), [], [])
    if not names:
        return ast.Expr(pop)
    targets = [ast.Name(n, ast.Store()) for n in names]
    return ast.Assign([ast.Tuple(targets, ast.Store()) if len(targets) > 1 else targets[0]], pop)


def _reverse_if(reverse: ast.For | ast.While, test: ast.expr) -> ast.If | None:
    if not isinstance(test, ast.Name):
        return None
    for node in ast.walk(reverse):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) \
                and node.test.id == test.id:
            return node
    return None


def _save_branches(stack: str, block: list[ast.stmt], needed: set[str],
                   reverse: ast.For | ast.While, described: Described) -> None:
    """Values a branch alone assigns are saved at the end of that branch, and restored at
    the start of the same branch of the backward sweep (the saved test picks it again)."""
    for stmt in block:
        if not isinstance(stmt, ast.If):
            continue
        mirror = _reverse_if(reverse, stmt.test)
        for branch, name in ((stmt.body, "body"), (stmt.orelse, "orelse")):
            here = _definitely_assigned(branch)
            names = [n for n in _stores_in_order([s for s in branch if isinstance(s, ast.Assign)])
                     if n in needed and n in here]
            if names:
                if mirror is None:
                    raise AssertionError(f"srcdiff: no backward branch restores {names}")
                items = ", ".join(_item(stack, n, described) for n in names)
                branch += _push(stack, names, f"saved when this branch runs: {items}",
                                branch=True)
                reverse_branch = getattr(mirror, name)
                reverse_branch.insert(0, _pop(stack, names))
            _save_branches(stack, branch, needed - set(names), reverse, described)


#: Helpers (and NumPy functions) that read an argument only for its shape and dtype: the
#: argument's position.
SHAPE_READERS = {"unbroadcast": 1, "repeat_to_shape": 1, "reduced_size": 0, "zero_gradient": 0}
NUMPY_SHAPE_READERS = {"size": 0, "shape": 0, "zeros_like": 0, "ndim": 0}


def _shape_only_names(nodes: list[ast.stmt], runtime_names: dict[str, str]) -> set[str]:
    """Names every read of which, in ``nodes``, needs only the value's shape and dtype."""
    aliases = {runtime_names.get(name, name): pos for name, pos in SHAPE_READERS.items()}
    numpy = runtime_names.get("np", "np")
    shape_reads: dict[str, int] = {}
    for node in nodes:
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            position = None
            if isinstance(func, ast.Name) and func.id in aliases:
                position = aliases[func.id]
            elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                  and func.value.id == numpy and func.attr in NUMPY_SHAPE_READERS):
                position = NUMPY_SHAPE_READERS[func.attr]
            if position is not None and position < len(call.args) \
                    and isinstance(call.args[position], ast.Name):
                name = call.args[position].id
                shape_reads[name] = shape_reads.get(name, 0) + 1
    all_reads: dict[str, int] = {}
    for node in nodes:
        for name in ast.walk(node):
            if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Load):
                all_reads[name.id] = all_reads.get(name.id, 0) + 1
    return {name for name, count in shape_reads.items() if all_reads.get(name) == count}


def uses_stacks(func: ast.FunctionDef) -> bool:
    """Whether the derivative saves values per loop iteration."""
    return any(_marker_stack(n, PUSH_MARKER) is not None for n in ast.walk(func)
               if isinstance(n, ast.stmt))


def insert_saves(func: ast.FunctionDef, runtime_names: dict[str, str] | None = None,
                 described: Described | None = None) -> None:
    """Replace the push/pop markers of ``func`` by the saves each loop needs (in place).

    A value the backward sweep reads only for its shape (to sum a broadcast adjoint back, or
    to undo a reduction) is saved as ``shape_only(value)``, which holds no data. The comment
    above each save says, per source line, what it keeps (``described``: name -> origin and
    what the value is in the user's terms, :func:`srcdiff.reverse.describe_saved`).
    """
    runtime_names = runtime_names if runtime_names is not None else {}
    described = described if described is not None else {}
    forward: dict[str, ast.For | ast.While] = {}
    backward: dict[str, ast.For | ast.While] = {}
    for loop in _loops(func.body):
        for stmt in loop.body:
            if (stack := _marker_stack(stmt, PUSH_MARKER)) is not None:
                forward[stack] = loop
            if (stack := _marker_stack(stmt, POP_MARKER)) is not None:
                backward[stack] = loop
    adjoint_reads = _loads([n for n in ast.walk(func) if isinstance(n, ast.Assign)
                            and getattr(n, "srcdiff_adjoint", False)])
    for stack, loop in forward.items():
        reverse = backward[stack]
        push_at = next(i for i, s in enumerate(loop.body)
                       if _marker_stack(s, PUSH_MARKER) == stack)
        carried = {s.targets[0].id for s in loop.body[push_at + 1:]
                   if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)}
        reads = _loads(reverse.body)
        header = [loop.target] if isinstance(loop, ast.For) else []
        wanted = {name for name in _stores_in_order(header + loop.body)
                  if name in reads or (name in carried and name in adjoint_reads)}
        here = _definitely_assigned(loop.body) | {n.id for t in header for n in ast.walk(t)
                                                  if isinstance(n, ast.Name)}
        # Values assigned on every path are saved once, at the end of the iteration.
        top = [n for n in _stores_in_order(header + loop.body) if n in wanted and n in here]
        shapes = _shape_only_names(reverse.body, runtime_names) - carried
        note = _note(stack, top, shapes, described)
        loop.body[push_at:push_at + 1] = _push(stack, top, note, shapes,
                                                runtime_names.get("shape_only", "shape_only"))
        pop_at = next(i for i, s in enumerate(reverse.body)
                      if _marker_stack(s, POP_MARKER) == stack)
        reverse.body[pop_at] = _pop(stack, top)
        _save_branches(stack, loop.body, wanted - set(top), reverse, described)
