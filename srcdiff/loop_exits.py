"""Loop exits: lower ``break`` and ``continue`` to plain loops and branches.

Part of the canonicalize pass (:mod:`srcdiff.canonicalize` runs it first). ``break`` and
``continue`` disappear:

* the statements after a ``break``/``continue`` run only on the paths that did not take
  it. When one arm of an ``if`` always leaves the iteration, the statements after the
  ``if`` move into the other arm (``if c: continue / rest`` becomes
  ``if c: pass / else: rest``); otherwise they are guarded by the flags the exits set:
  ``if not stopped:``, ``if not skip:`` or ``if not (stopped or skip):``, where
  ``continue`` became ``skip = True`` and ``skip = False`` starts every iteration (the
  skip flag exists only in loops that need such a guard). Statements after an exit taken
  on every path are unreachable and dropped; nothing is ever duplicated;
* ``break`` becomes ``stopped = True``, with ``stopped = False`` before the loop, and the
  loop ends on the flag: ``while test:`` becomes ``while not stopped and test:`` (the
  user's test is not evaluated again once the loop broke, as in Python);
* a ``for`` loop that breaks becomes a ``while`` loop over an explicit counter, which
  moves on at the top of the iteration (so skipping the rest of an iteration never skips
  it) and is copied into the user's loop variable, which therefore ends with the value of
  the last iteration that ran, as in Python::

      for k in range(50):            stopped = False
          x = x - f(x)               k_next = 0
          if abs(f(x)) < tol:  -->   while not stopped and k_next < 50:
              break                      k = k_next
                                         k_next = k_next + 1
                                         x = x - f(x)
                                         if abs(f(x)) < tol:
                                             stopped = True

  ``range(a, b, s)`` with a nonzero integer literal step (or none), ``reversed(range(b))``
  and ``reversed(range(a, b))`` count as above, comparing with ``>`` for a negative step;
  a bound that the body may rebind, or that is not a plain name or literal, is evaluated
  once, before the loop, as ``range`` does. Any other iterable (a ``range`` with another
  step included) is evaluated once and indexed by position, as the normalize pass does:
  ``for row in X`` counts ``index`` up to ``len(X)`` and reads ``row = X[index]``, with
  ``enumerate(X)``, ``zip(A, B, ...)`` and ``reversed(X)`` unpacked the same way. A
  ``for`` loop that cannot be counted (its target is not a name, nor names unpacking
  ``enumerate(X)`` or ``zip(...)``; it holds a ``return``; the function binds ``len``)
  keeps its ``for`` and runs the iterations after the break as no-ops under
  ``if not stopped:`` (see :func:`_guard_for`);
* ``continue`` without ``break`` keeps the loop as written.

``break`` and ``continue`` apply to the innermost loop, each loop has its own flags, and
flag names never collide with a name of the function (a :class:`~srcdiff.naming.Namer`
seeded with all of them). Loops with an ``else`` block, and exits inside statements the
fence rejects (``try``, ``match``), are left alone for the fence to report.
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Iterable
from typing import TypeVar

from srcdiff.naming import Namer

# ---------------------------------------------------------------------------------------------
# Loop exits: break and continue.
# ---------------------------------------------------------------------------------------------

_EXITS = (ast.Break, ast.Continue)
_Node = TypeVar("_Node", bound=ast.AST)
#: Nodes whose ``break``/``continue`` statements do not belong to an enclosing loop.
_OWN_SCOPE = (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef,
              ast.ClassDef, ast.Lambda)


def _exits(stmts: Iterable[ast.AST]) -> list[ast.stmt]:
    """The ``break`` and ``continue`` statements in ``stmts`` that leave the loop holding
    ``stmts`` (none inside a nested loop or definition), in source order."""
    found: list[ast.stmt] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, _EXITS):
            found.append(node)  # type: ignore[arg-type]
        elif not isinstance(node, _OWN_SCOPE):
            for child in ast.iter_child_nodes(node):
                visit(child)

    for stmt in stmts:
        visit(stmt)
    return found


def _always_exits(stmts: list[ast.stmt]) -> bool:
    """Whether every path through ``stmts`` reaches a ``break`` or ``continue`` of the loop
    holding them (statements after the first one that does are unreachable)."""
    for stmt in stmts:
        if isinstance(stmt, _EXITS):
            return True
        if isinstance(stmt, ast.If) and _always_exits(stmt.body) and _always_exits(stmt.orelse):
            return True
        if isinstance(stmt, ast.With) and _always_exits(stmt.body):
            return True
    return False


def _located(node: _Node, where: ast.AST) -> _Node:
    """Give ``node`` and the nodes the pass created inside it the position of ``where``.

    Nodes that already have a position (the user's) keep it, and so does everything inside
    them."""
    if "lineno" in node._attributes:
        if getattr(node, "lineno", None) is not None:
            return node
        ast.copy_location(node, where)
    for child in ast.iter_child_nodes(node):
        _located(child, where)
    return node


def _name(name: str, store: bool = False) -> ast.Name:
    return ast.Name(name, ast.Store() if store else ast.Load())


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign([_name(name, store=True)], value)


def _not(name: str) -> ast.expr:
    return ast.UnaryOp(ast.Not(), _name(name))


def _conjunction(tests: list[ast.expr]) -> ast.expr:
    """``a and b and ...``, flattening tests that already are an ``and``."""
    values: list[ast.expr] = []
    for test in tests:
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            values.extend(test.values)
        elif not (isinstance(test, ast.Constant) and test.value is True):
            values.append(test)
    if not values:
        return ast.Constant(True)
    return values[0] if len(values) == 1 else ast.BoolOp(ast.And(), values)


class _ExitLowering:
    """Lowers the ``break`` and ``continue`` statements of one loop body.

    ``break`` becomes ``<stopped> = True``. ``continue`` becomes ``<skip> = True``, where the
    skip flag is named only once some guard reads it (:attr:`skip_read`); until then its
    ``Name`` nodes wait in :attr:`skip_names`, and if no guard ever reads it the assignments
    in :attr:`skip_sets` are dropped again by :func:`_without`.
    """

    def __init__(self, stopped: str | None) -> None:
        self.stopped = stopped
        self.skip_names: list[ast.Name] = []
        self.skip_sets: list[ast.Assign] = []
        self.skip_read = False

    def skip(self, store: bool = False) -> ast.Name:
        name = _name("", store)
        self.skip_names.append(name)
        return name

    def exit(self, stmt: ast.stmt) -> ast.stmt:
        """What a ``break`` or ``continue`` becomes: it sets its loop's flag."""
        if isinstance(stmt, ast.Break):
            assert self.stopped is not None
            return _located(_assign(self.stopped, ast.Constant(True)), stmt)
        assign = ast.Assign([self.skip(store=True)], ast.Constant(True))
        self.skip_sets.append(assign)
        return _located(assign, stmt)

    def guard(self, exits: list[ast.stmt]) -> ast.expr:
        """The test under which the statements after ``exits`` still run: ``not stopped``,
        ``not skip`` or ``not (stopped or skip)``."""
        flags: list[ast.expr] = []
        if any(isinstance(e, ast.Break) for e in exits):
            assert self.stopped is not None
            flags.append(_name(self.stopped))
        if any(isinstance(e, ast.Continue) for e in exits):
            self.skip_read = True
            flags.append(self.skip())
        return ast.UnaryOp(ast.Not(), flags[0] if len(flags) == 1 else
                           ast.BoolOp(ast.Or(), flags))

    def block(self, stmts: list[ast.stmt]) -> tuple[list[ast.stmt], bool]:
        """``stmts`` without exits, and whether every path through them left the iteration.

        Statements after one that always leaves the iteration are unreachable and dropped.
        """
        out: list[ast.stmt] = []
        for index, stmt in enumerate(stmts):
            if isinstance(stmt, _EXITS):
                out.append(self.exit(stmt))
                return out, True
            exits = _exits([stmt])
            if not exits or not isinstance(stmt, (ast.If, ast.With)):
                out.append(stmt)  # exits inside a 'try' or 'match' are left for the fence
                continue
            rest = stmts[index + 1:]
            if isinstance(stmt, ast.If):
                body_exits, else_exits = _always_exits(stmt.body), _always_exits(stmt.orelse)
                if rest and body_exits != else_exits:  # the rest belongs to the other arm
                    if body_exits:
                        stmt.orelse = stmt.orelse + rest
                    else:
                        stmt.body = stmt.body + rest
                    rest = []
                stmt.body, body_exits = self.block(stmt.body)
                stmt.orelse, else_exits = self.block(stmt.orelse)
                left = body_exits and else_exits
            else:
                stmt.body, left = self.block(stmt.body)
            out.append(stmt)
            if left or not rest:
                return out, left
            guarded, left = self.block(rest)
            out.append(_located(ast.If(self.guard(exits), guarded, []), exits[0]))
            return out, left
        return out, False


def _without(stmts: list[ast.stmt], dropped: set[int]) -> list[ast.stmt]:
    """``stmts`` without the statements whose ids are in ``dropped`` (at any depth of ifs and
    withs); a body left empty becomes ``pass``."""
    out: list[ast.stmt] = []
    for stmt in stmts:
        if id(stmt) in dropped:
            continue
        if isinstance(stmt, ast.If):  # 'if c: continue' becomes 'if c: pass'
            stmt.body = _without(stmt.body, dropped) or [_located(ast.Pass(), stmt)]
            stmt.orelse = _without(stmt.orelse, dropped)
        elif isinstance(stmt, ast.With):
            stmt.body = _without(stmt.body, dropped) or [_located(ast.Pass(), stmt)]
        out.append(stmt)
    return out


def stored_names(node: ast.AST) -> set[str]:
    """Every name ``node`` binds: assignment and loop targets, parameters."""
    names = {n.id for n in ast.walk(node)
             if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    names |= {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
    return names


def loaded_names(node: ast.AST) -> set[str]:
    """Every name ``node`` reads."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def _int_literal(node: ast.expr) -> int | None:
    """The value of an integer literal such as ``2`` or ``-1``, else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


class _ForToWhile:
    """Rewrites a ``for`` loop whose body breaks as a ``while`` loop over a counter.

    :meth:`convert` returns the statements that replace the loop (the counter and the bounds
    it evaluates once, then the ``while`` loop), or None when the loop cannot be counted.
    """

    def __init__(self, loop: ast.For, stopped: str, namer: Namer, func_stored: set[str],
                 func_loaded: set[str]) -> None:
        self.loop = loop
        self.stopped = stopped
        self.namer = namer
        self.shadowed = func_stored  # a builtin the function binds is not the builtin
        self.loaded = func_loaded
        self.in_loop = stored_names(loop)  # what the body (or the target) may rebind
        self.before: list[ast.stmt] = []

    def builtin_call(self, node: ast.expr, name: str, arities: Iterable[int]) -> bool:
        """Whether ``node`` is ``name(...)`` with positional arguments only, as many as one
        of ``arities``, and ``name`` is the builtin."""
        return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == name and name not in self.shadowed and not node.keywords
                and len(node.args) in arities
                and not any(isinstance(a, ast.Starred) for a in node.args))

    def before_loop(self, name: str, value: ast.expr) -> None:
        self.before.append(_located(_assign(name, value), self.loop))

    def once(self, node: ast.expr, base: str) -> ast.expr:
        """``node`` if reading it on every iteration gives the value it has now (a literal,
        or a name the loop never binds), else a new variable assigned ``node`` before the
        loop."""
        if isinstance(node, ast.Constant) or _int_literal(node) is not None:
            return node
        if isinstance(node, ast.Name) and node.id not in self.in_loop:
            return node
        name = self.namer.fresh(base)
        self.before_loop(name, node)
        return _name(name)

    def convert(self) -> list[ast.stmt] | None:
        loop = self.loop
        if loop.orelse or any(isinstance(n, ast.Return) for n in ast.walk(loop)):
            return None  # a return keeps its 'for', which the fence names in its report
        target, iterable = loop.target, loop.iter
        if isinstance(iterable, ast.Call) and self.builtin_call(iterable, "range", (1, 2, 3)):
            counted = self.count_range(iterable.args, backwards=False)
            if counted is not None:
                return counted  # else the range object is indexed like any sequence
        if isinstance(iterable, ast.Call) and self.builtin_call(iterable, "reversed", (1,)):
            inner = iterable.args[0]
            if isinstance(inner, ast.Call) and self.builtin_call(inner, "range", (1, 2)):
                return self.count_range(inner.args, backwards=True)
        if "len" in self.shadowed:
            return None
        index_target: ast.expr | None = None
        backwards = False
        pairs: list[tuple[ast.expr, ast.expr]] = [(target, iterable)]
        if isinstance(iterable, ast.Call) and isinstance(target, ast.Tuple):
            if self.builtin_call(iterable, "enumerate", (1,)) and len(target.elts) == 2:
                index_target = target.elts[0]
                pairs = [(target.elts[1], iterable.args[0])]
            elif self.builtin_call(iterable, "zip", (len(target.elts),)):
                pairs = list(zip(target.elts, iterable.args, strict=True))
        elif isinstance(iterable, ast.Call) and self.builtin_call(iterable, "reversed", (1,)):
            pairs, backwards = [(target, iterable.args[0])], True
        names = [t for t, _ in pairs] + ([index_target] if index_target is not None else [])
        if not all(isinstance(t, ast.Name) for t in names):
            return None
        return self.count_items(index_target, pairs, backwards)

    def count_range(self, args: list[ast.expr], backwards: bool) -> list[ast.stmt] | None:
        """``for k in range(a, b, s)`` as ``k_next = a`` before ``while not stopped and
        k_next < b:`` (``>`` for a negative ``s``), whose body starts ``k = k_next;
        k_next = k_next + s``. ``reversed(range(a, b))`` counts from ``b - 1`` down while
        ``k_next >= a``. None unless the target is a name and the step a nonzero integer
        literal."""
        target = self.loop.target
        if not isinstance(target, ast.Name):
            return None
        base = f"{target.id}_next" if target.id != "_" else "iteration"
        if backwards:
            lower, upper = (ast.Constant(0), args[0]) if len(args) == 1 else (args[0], args[1])
            bound = self.once(lower, f"{target.id}_first")  # range evaluates a before b
            counter = self.namer.fresh(base)
            self.before_loop(counter, ast.BinOp(upper, ast.Sub(), ast.Constant(1)))
            step: int | None = -1
            compare: ast.cmpop = ast.GtE()
        else:
            step = _int_literal(args[2]) if len(args) == 3 else 1
            if not step:
                return None
            counter = self.namer.fresh(base)
            self.before_loop(counter, args[0] if len(args) > 1 else ast.Constant(0))
            bound = self.once(args[1] if len(args) > 1 else args[0], f"{target.id}_end")
            compare = ast.Lt() if step > 0 else ast.Gt()
        header: list[ast.stmt] = []
        if target.id != "_" or "_" in self.loaded:
            header.append(_assign(target.id, _name(counter)))
        advance = ast.BinOp(_name(counter), ast.Add() if step > 0 else ast.Sub(),
                            ast.Constant(abs(step)))
        header.append(_assign(counter, advance))
        return self.finish(header, [ast.Compare(_name(counter), [compare], [bound])])

    def count_items(self, index_target: ast.expr | None,
                    pairs: list[tuple[ast.expr, ast.expr]],
                    backwards: bool) -> list[ast.stmt]:
        """``for row in X`` as ``index = 0`` before ``while not stopped and index < len(X):``,
        whose body starts ``row = X[index]; index = index + 1``. ``enumerate(X)`` also binds
        its index target to ``index``; ``zip(A, B, ...)`` binds one target per sequence and
        tests ``index < len(A) and index < len(B) ...``; ``reversed(X)`` counts down from
        ``len(X) - 1`` while ``index >= 0``."""
        sequences = [self.once(sequence, "items") for _, sequence in pairs]
        counter = self.namer.fresh("index")

        def length(sequence: ast.expr) -> ast.expr:
            return ast.Call(_name("len"), [copy.deepcopy(sequence)], [])

        tests: list[ast.expr]
        if backwards:
            start: ast.expr = ast.BinOp(length(sequences[0]), ast.Sub(), ast.Constant(1))
            tests = [ast.Compare(_name(counter), [ast.GtE()], [ast.Constant(0)])]
        else:
            start = ast.Constant(0)
            tests = [ast.Compare(_name(counter), [ast.Lt()], [length(s)]) for s in sequences]
        self.before_loop(counter, start)
        header: list[ast.stmt] = []
        if isinstance(index_target, ast.Name):
            header.append(_assign(index_target.id, _name(counter)))
        for (target, _), sequence in zip(pairs, sequences, strict=True):
            assert isinstance(target, ast.Name)
            item = ast.Subscript(copy.deepcopy(sequence), _name(counter), ast.Load())
            header.append(_assign(target.id, item))
        step = ast.Sub() if backwards else ast.Add()
        header.append(_assign(counter, ast.BinOp(_name(counter), step, ast.Constant(1))))
        return self.finish(header, tests)

    def finish(self, header: list[ast.stmt], tests: list[ast.expr]) -> list[ast.stmt]:
        """The statements before the loop, then ``while not stopped and <tests>:`` running
        ``header`` and the loop's (already lowered) body."""
        test = _conjunction([_not(self.stopped), *tests])
        header = [_located(stmt, self.loop) for stmt in header]
        loop = _located(ast.While(test, header + self.loop.body, []), self.loop)
        return [*self.before, loop]


def _lower_loop(loop: ast.For | ast.While, namer: Namer, func_stored: set[str],
                func_loaded: set[str]) -> list[ast.stmt]:
    """The statements that replace ``loop`` once its own exits are lowered: the loop (last),
    preceded by its flag, counter and bounds when it breaks."""
    exits = _exits(loop.body)
    if not exits or loop.orelse:
        return [loop]
    breaks = any(isinstance(e, ast.Break) for e in exits)
    stopped = namer.fresh("stopped") if breaks else None
    lowering = _ExitLowering(stopped)
    body, _ = lowering.block(loop.body)
    if lowering.skip_read:
        skip = namer.fresh("skip")
        for name in lowering.skip_names:
            name.id = skip
        body.insert(0, _located(_assign(skip, ast.Constant(False)), loop))
    else:
        body = _without(body, {id(s) for s in lowering.skip_sets})
    loop.body = body or [_located(ast.Pass(), loop)]
    if stopped is None:
        return [loop]
    start = _located(_assign(stopped, ast.Constant(False)), loop)
    if isinstance(loop, ast.While):
        loop.test = _located(_conjunction([_not(stopped), loop.test]), loop)
        return [start, loop]
    counted = _ForToWhile(loop, stopped, namer, func_stored, func_loaded).convert()
    if counted is None:
        _guard_for(loop, stopped, namer, func_loaded)
        return [start, loop]
    return [start, *counted]


def _guard_for(loop: ast.For, stopped: str, namer: Namer, func_loaded: set[str]) -> None:
    """Keep ``loop`` a ``for`` loop whose iterations after the break do nothing:
    ``for v in X: <body>`` becomes ``for v_item in X: if not stopped: v = v_item; <body>``.

    The loop iterates into new names so that the user's loop variables keep the values of
    the iteration that broke. A target that is not made of names is kept as it is (the fence
    reports it)."""
    targets = loop.target.elts if isinstance(loop.target, ast.Tuple) else [loop.target]
    copies: list[ast.stmt] = []
    if all(isinstance(t, ast.Name) for t in targets):
        items: list[ast.expr] = []
        for target in targets:
            assert isinstance(target, ast.Name)
            if target.id == "_" and "_" not in func_loaded:
                items.append(target)
                continue
            item = namer.fresh(f"{target.id}_item")
            items.append(_located(_name(item, store=True), target))
            copies.append(_located(_assign(target.id, _name(item)), loop))
        if isinstance(loop.target, ast.Tuple):
            loop.target = _located(ast.Tuple(items, ast.Store()), loop.target)
        else:
            loop.target = items[0]
    loop.body = [_located(ast.If(_not(stopped), copies + loop.body, []), loop)]


def lower_loop_exits(body: list[ast.stmt], namer: Namer, func_stored: set[str] | None = None,
                     func_loaded: set[str] | None = None) -> list[ast.stmt]:
    """``body`` with the ``break`` and ``continue`` statements of every loop in it lowered
    (see the module docstring); an outer loop is lowered before the loops nested in it.

    ``namer`` hands out the flag, counter and bound names. ``func_stored`` are the names the
    function binds (a builtin among them is not trusted to be the builtin) and
    ``func_loaded`` the names it reads; both default to those of ``body``.
    """
    module = ast.Module(body, [])
    stored = stored_names(module) if func_stored is None else func_stored
    loaded = loaded_names(module) if func_loaded is None else func_loaded
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, (ast.For, ast.While)):
            lowered = _lower_loop(stmt, namer, stored, loaded)
            loop = lowered[-1]
            assert isinstance(loop, (ast.For, ast.While))
            loop.body = lower_loop_exits(loop.body, namer, stored, loaded)
            loop.orelse = lower_loop_exits(loop.orelse, namer, stored, loaded)
            out.extend(lowered)
            continue
        if isinstance(stmt, ast.If):
            stmt.body = lower_loop_exits(stmt.body, namer, stored, loaded)
            stmt.orelse = lower_loop_exits(stmt.orelse, namer, stored, loaded)
        elif isinstance(stmt, ast.With):
            stmt.body = lower_loop_exits(stmt.body, namer, stored, loaded)
        out.append(stmt)
    return out
