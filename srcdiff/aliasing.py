"""Aliasing pass: refuse in-place writes that another variable would see.

srcdiff gives every assignment its own value (the normal form binds each name once), and a
write ``a[i] = v`` (or ``a += v`` on an array) produces a new value of ``a`` only. NumPy
shares memory, though: after ``b = a[:2]``, ``b = a.reshape(...)``, ``b = a.T``, ``b = a``,
``t = (a, c)`` or ``for row in a:``, a write into ``a`` changes ``b`` too (and a write into
``b`` changes ``a``). Python runs that, the derivative would not know it: a silently wrong
gradient. So this pass finds, for every in-place write, the variables that may share the
written array's memory (through copies, views, containers and calls, conservatively) and
reports the write when one of them is read afterwards, or when one of them is an argument
(the caller's array would change).

What makes a view: ``stop_gradient``, a plain copy ``b = a``, basic indexing (slices,
integers, ``None``, ``...``; an index holding a list is a copy), and the NumPy functions of
``VIEW_RULES``. A tuple or list holds its items (reading the container after a write into an
item is reading the item), and its item ``k`` is what was put there; a user function's result
may share the memory of the arguments its own normal form may return. ``.copy()``,
``np.copy`` and arithmetic make new arrays.
"""
from __future__ import annotations

import ast

from srcdiff.errors import Problem
from srcdiff.ir import Assign, If, Loop, NormalFunction, Stmt, assignments, atom_names
from srcdiff.trees import clone

#: Rules (by name) whose result may be a view of their first argument.
VIEW_RULES = frozenset({
    "indexing x[...]", "np.transpose", "matrix_transpose", "np.reshape", "np.ravel",
    "np.squeeze", "np.expand_dims", "np.swapaxes", "np.moveaxis", "np.rollaxis",
    "np.broadcast_to", "np.asarray", "np.atleast_1d", "np.atleast_2d", "np.atleast_3d",
    "np.diagonal", "np.flip", "np.fliplr", "np.flipud", "np.rot90", "np.real", "np.imag",
})


class _Groups:
    """Union-find over variable versions: the names that may share memory."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        root = self.parent.setdefault(name, name)
        if root != name:
            root = self.parent[name] = self.find(root)
        return root

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


class _Memory:
    """Which names may share memory (a union-find of views and copies), and which containers
    (tuples, lists, tuples a call returns) hold which names, item by item where known."""

    def __init__(self) -> None:
        self.groups = _Groups()
        #: container -> the names each item may be (one set per item, or one for any item)
        self.items: dict[str, list[set[str]]] = {}

    def bind(self, stmt: Assign) -> None:
        """Record what ``stmt``'s result may share or hold."""
        op, target = stmt.op, stmt.target
        if op.kind == "pack":
            self.items[target] = [atom_names(a) for a in op.args.values()]
        elif op.kind == "append":
            held = self.items.setdefault(target, [set()])
            held.append(atom_names(op.args.get("value", ast.Constant(None))))
        elif op.kind == "item" or (op.kind == "rule" and op.rule is not None
                                   and op.rule.name == "indexing x[...]"
                                   and atom_names(next(iter(op.args.values()))) & set(self.items)):
            whole = next(iter(op.args.values()))
            index = op.args.get("index")
            for container in atom_names(whole):
                for name in self.item(container, index):
                    self.groups.union(target, name)
        elif op.kind == "call":
            params = _returned_params(op.callee)
            shared = set().union(set(), *(atom_names(a) for name, a in op.args.items()
                                          if params is None or name in params))
            for name in shared:
                self.groups.union(target, name)
            self.items[target] = [shared]  # (its items, when it returns a tuple)
        elif op.kind in ("copy", "stop"):
            for name in atom_names(op.args["x"]) if "x" in op.args else atom_names(stmt.value):
                self.groups.union(target, name)
                if name in self.items:
                    self.items[target] = self.items[name]
        elif op.kind == "rule" and op.rule is not None and op.rule.name in VIEW_RULES \
                and op.args:
            first = next(iter(op.args.values()))
            if op.rule.name == "indexing x[...]" and any(
                    isinstance(n, (ast.List, ast.ListComp)) for n in ast.walk(op.args["index"])):
                return  # fancy indexing: a copy
            for name in atom_names(first):
                self.groups.union(target, name)

    def item(self, container: str, index: ast.expr | None) -> set[str]:
        """The names item ``index`` of ``container`` may be (the container itself when it
        is not a known tuple or list)."""
        held = self.items.get(container)
        if held is None:
            return {container}
        if isinstance(index, ast.Constant) and isinstance(index.value, int) \
                and len(held) > 1 and held[0] and -len(held) <= index.value < len(held):
            return held[index.value]
        return set().union(*held)

    def holders(self, names: set[str]) -> set[str]:
        """The containers holding any of ``names``, through containers of containers too."""
        found: set[str] = set()
        grown = True
        while grown:
            grown = False
            for container, held in self.items.items():
                if container not in found and set().union(*held) & (names | found):
                    found.add(container)
                    grown = True
        return found


_RETURNED: dict[int, tuple[object, set[str] | None]] = {}


def _returned_params(callee: object) -> set[str] | None:
    """The parameters of a user function whose memory its result may share (None: unknown,
    any of them). Worked out once per function from its own normal form."""
    key = id(callee)
    if key in _RETURNED and _RETURNED[key][0] is callee:
        return _RETURNED[key][1]
    _RETURNED[key] = (callee, None)  # (a recursive call: unknown)
    from srcdiff import canonicalize, fence, normalize
    from srcdiff.parse import FileFunction, LocalFunction, Source, parse_function

    try:
        if isinstance(callee, (FileFunction, LocalFunction)):
            source = callee.source
        else:
            source = parse_function(callee)
        source = Source(clone(source.node), source.filename, source.lines, source.namespace,
                        source.module_constants)
        canonicalize.canonicalize(source.node)
        _, rejected = fence.find(source)
        fn = normalize.normalize(source, rejected)
    except Exception:  # no source, or not normalizable: reported where it is built
        return None
    memory = _Memory()
    for stmt in assignments(fn.body):
        memory.bind(stmt)
    for new, old in fn.in_place.items():
        memory.groups.union(new, old)
    result = atom_names(fn.result.value)
    for name in list(result):  # a returned tuple: what it holds
        result |= set().union(set(), *memory.items.get(name, []))
    roots = {memory.groups.find(n) for n in result}
    found = {p for p in fn.params if memory.groups.find(p) in roots}
    _RETURNED[key] = (callee, found)
    return found


def _reads(stmt: Stmt) -> set[str]:
    if isinstance(stmt, Assign):
        reads = atom_names(stmt.value)
        for arg in stmt.op.args.values():
            reads |= atom_names(arg)
        return reads
    if isinstance(stmt, If):
        return atom_names(stmt.test)
    return {n.id for part in (stmt.iter, stmt.test) if part is not None
            for n in ast.walk(part) if isinstance(n, ast.Name)}


def check(fn: NormalFunction) -> list[Problem]:
    """The in-place writes of ``fn`` another variable would see (see the module docstring)."""
    order: list[tuple[Stmt, tuple[int, ...]]] = []  # statements in order, with their loops

    def visit(body: list[Stmt], loops: tuple[int, ...]) -> None:
        for stmt in body:
            order.append((stmt, loops))
            if isinstance(stmt, If):
                visit(stmt.body, loops)
                visit(stmt.orelse, loops)
            elif isinstance(stmt, Loop):
                inner = (*loops, id(stmt))
                visit(stmt.body, inner)
                visit(list(stmt.copies), inner)

    visit(fn.body, ())
    memory = _Memory()
    for stmt, _ in order:
        if isinstance(stmt, Assign):
            memory.bind(stmt)
    for new, old in fn.in_place.items():
        memory.groups.union(new, old)
    groups = memory.groups
    params = set(fn.params)
    result_reads = atom_names(fn.result.value)
    users: dict[str, str] = {}
    for stmt, _ in order:
        if isinstance(stmt, Assign) and stmt.user_name and stmt.target not in users:
            users[stmt.target] = stmt.user_name
    bindings: dict[str, list[int]] = {}  # where each name is bound
    read_at: dict[str, list[int]] = {}  # where each name is read (the result: at the end)
    for position, (stmt, _) in enumerate(order):
        if isinstance(stmt, Assign):
            bindings.setdefault(stmt.target, []).append(position)
        for name in _reads(stmt):
            read_at.setdefault(name, []).append(position)
    for name in result_reads:
        read_at.setdefault(name, []).append(len(order))
    problems: list[Problem] = []
    for position, (stmt, _) in enumerate(order):
        if not isinstance(stmt, Assign):
            continue
        if stmt.op.kind == "setitem":
            written = {stmt.target}
        elif stmt.target in fn.in_place and bindings[stmt.target][0] == position:
            # (the augmented assignment itself, not a loop's copy binding the name again)
            written = {stmt.target, fn.in_place[stmt.target]}
        else:
            continue
        root = groups.find(stmt.target)
        members = {n for n in groups.parent if groups.find(n) == root}
        user = users.get(stmt.target, stmt.target)
        others = {n for n in members - written if users.get(n, n) != user}
        others |= memory.holders(members) - written
        argument = sorted(others & params)
        if argument:
            problems.append(_problem(stmt, f"writing into {user!r} in place changes the "
                                     f"argument {argument[0]!r}, whose memory it shares",
                                     f"make a local array first: {user} = "
                                     f"{argument[0]}.copy() (or write {user} = {user} + ... "
                                     "for a new array)"))
            continue
        seen = sorted(m for m in others
                      if any(_stale(position, r, order, bindings.get(m, []))
                             for r in read_at.get(m, [])))
        if seen:
            name = users.get(seen[0], seen[0])
            problems.append(_problem(stmt, f"writing into {user!r} in place also changes "
                                     f"{name!r}, which shares its memory and is read "
                                     "afterwards", f"give {name!r} an array of its own "
                                     "with .copy() (a slice, reshape or transpose is a view), "
                                     f"or write {user} = {user} + ... for a new array"))
    return problems


def _stale(write: int, read: int, order: list[tuple[Stmt, tuple[int, ...]]],
           bound: list[int]) -> bool:
    """Whether the read at position ``read`` may see a value bound before the write at
    ``write`` (and so changed by it): no binding comes between them. A read before the write
    matters only in a loop around both, at the next iteration."""
    if read > write:
        return not any(write < b < read for b in bound)
    common = set(order[write][1]) & (set(order[read][1]) if read < len(order) else set())
    if not common:
        return False
    inside = [b for b in bound if set(order[b][1]) & common]
    return not any(b < read or b > write for b in inside)


def _problem(stmt: Assign, construct: str, hint: str) -> Problem:
    origin = stmt.op.origin or stmt.origin
    return Problem(origin.filename, origin.line, origin.column, construct, hint,
                   origin.source_line)
