"""Reverse pass: the adjoint program, from the rules table.

The derivative function has two sweeps. The *forward sweep* is the normalized primal code
(single assignment keeps every intermediate value alive, so nothing needs saving in
straight-line code). The *backward sweep* visits the active statements in reverse order and,
for each active argument, inlines the rule's reverse template as one adjoint statement. The
first contribution to an adjoint is an assignment (``dx = ...``), later ones accumulate
(``dx = dx + ...``; the optimize pass makes that ``dx += ...`` where no other name can share
the array). Which contributions leave shapes to broadcasting is :mod:`srcdiff.lazy`'s job.

Comments tying each adjoint block to the user's line are placed as marker statements that the
emit pass turns into ``# file.py:line: source`` comments.
"""
from __future__ import annotations

import ast
import copy
import inspect
from dataclasses import dataclass, field
from typing import Any

from srcdiff import runtime
from srcdiff.analyze import Activity, flowing_args
from srcdiff.analyze import flowing_args as _flowing
from srcdiff.errors import Problem, UnsupportedSyntaxError
from srcdiff.ir import (
    Assign,
    If,
    Loop,
    NormalFunction,
    Operation,
    Stmt,
    assignments,
    atom_names,
    walk,
)
from srcdiff.lazy import Shaping
from srcdiff.naming import Namer
from srcdiff.origin import Origin
from srcdiff.rules.registry import TEMPLATE_MODULES, instantiate

#: The name of the marker call that the emit pass replaces by a comment.
COMMENT_MARKER = "__srcdiff_comment__"
#: Markers the saves pass replaces by ``stack.append((...))`` and ``... = stack.pop()``.
PUSH_MARKER = "__srcdiff_push__"
POP_MARKER = "__srcdiff_pop__"


def marker(kind: str, stack: str) -> ast.stmt:
    """A placeholder statement for the values one loop iteration saves (see ``saves``)."""
    return ast.Expr(ast.Call(ast.Name(kind, ast.Load()), [ast.Constant(stack)], []))

#: Runtime helpers a template may call, by name.
HELPERS: dict[str, Any] = {
    name: value for name, value in vars(runtime).items()
    if not name.startswith("_") and inspect.isfunction(value)
    and value.__module__ == runtime.__name__
}

_KINDS = {"grad": "Gradient", "value_and_grad": "Value and gradient", "vjp": "Vector-Jacobian "
          "product", "jvp": "Value and tangent"}


@dataclass(frozen=True)
class Request:
    """What derivative to build: ``kind`` is 'grad', 'value_and_grad' or 'vjp'; ``wrt`` the
    parameter names; ``as_tuple`` whether gradients are returned as a tuple; ``defaults``
    whether the signature keeps the user's defaults (for standalone modules); ``callers`` the
    user functions whose derivatives are being built around this one (a call back to one of
    them is recursion); ``name`` the derivative function's name, when a caller fixed it;
    ``batched`` whether it takes a batch of cotangents ('vjp') or tangents ('jvp') along a
    leading axis (see :mod:`srcdiff.rules.registry`); ``sequences`` the ``wrt`` parameters
    the caller passes lists or tuples to (their adjoints are lists, added item by item);
    ``checkpoint`` whether (and how) outermost loops are checkpointed: None, ``"sqrt"``
    (segments of about sqrt(iterations)) or a number of iterations per segment (see
    :mod:`srcdiff.checkpoint`)."""

    kind: str
    wrt: tuple[str, ...]
    as_tuple: bool
    defaults: bool = False
    callers: tuple[object, ...] = ()
    name: str | None = None
    batched: bool = False
    sequences: tuple[str, ...] = ()
    checkpoint: int | str | None = None


@dataclass(frozen=True)
class Callee:
    """A user function whose derivative (``kind``: 'vjp' or 'jvp') the derivative calls:
    ``alias`` is the name it calls it by, ``wrt`` the parameters it needs it for."""

    func: object
    wrt: tuple[str, ...]
    alias: str
    kind: str = "vjp"
    sequences: tuple[str, ...] = ()


@dataclass
class Derivative:
    """The built derivative: its syntax tree, plus the runtime names it binds (template name ->
    name in the emitted module), the user globals it reads and the user functions whose
    derivatives it calls; ``checkpointed`` the plans of its checkpointed loops
    (:class:`srcdiff.checkpoint.Plan`), ``described`` what each value a loop may save is,
    for the comments of the saves pass (:func:`describe_saved`)."""

    node: ast.FunctionDef
    runtime_names: dict[str, str]
    user_globals: set[str]
    callees: list[Callee] = field(default_factory=list)
    local_functions: list[object] = field(default_factory=list)
    checkpointed: list[object] = field(default_factory=list)
    described: dict[Any, tuple[Origin, str]] = field(default_factory=dict)


def comment(text: str) -> ast.stmt:
    """A statement the emit pass prints as ``# text``."""
    return ast.Expr(ast.Call(ast.Name(COMMENT_MARKER, ast.Load()), [ast.Constant(text)], []))


def _name(id_: str) -> ast.Name:
    return ast.Name(id_, ast.Load())


def _assign(target: str, value: ast.expr, pure: bool = True,
            primal: bool = False) -> ast.Assign:
    """``target = value``; ``pure`` when it has no effect besides the binding, ``primal``
    for a statement of the user's function (the optimize pass keeps its arithmetic as
    written: ``y * 1.0`` is a new array, ``y`` would be the same one)."""
    stmt = ast.Assign([ast.Name(target, ast.Store())], value)
    stmt.srcdiff_pure = pure  # type: ignore[attr-defined]
    stmt.srcdiff_primal = primal  # type: ignore[attr-defined]
    return stmt


def literal_args(op: object) -> dict[str, Any]:
    """The arguments of an operation that are literals, by parameter (what a template
    builder may specialise on)."""
    consts = {}
    for param, atom in op.args.items():  # type: ignore[attr-defined]
        try:
            consts[param] = _constant_value(atom)
        except ValueError:
            pass
    return consts


def _constant_value(atom: ast.expr) -> Any:
    if isinstance(atom, ast.Constant):
        return atom.value
    if isinstance(atom, ast.Tuple) and all(isinstance(e, ast.Constant) for e in atom.elts):
        return tuple(e.value for e in atom.elts)  # type: ignore[attr-defined]
    raise ValueError


class _Reverse:
    def __init__(self, fn: NormalFunction, act: Activity, request: Request) -> None:
        self.fn = fn
        self.act = act
        self.request = request
        self.namer = Namer(fn.names | set(fn.globals))
        self.adjoints: dict[str, str] = {}
        self.primal: dict[str, str] = {}
        self.stacks: dict[int, str] = {}
        self.callees: dict[tuple[int, tuple[str, ...]], Callee] = {}
        self.tuple_names: set[str] = set()
        self.pending: list[ast.stmt] = []
        self.last_origin: Origin | None = None
        self.defined: set[str] = set()
        self.problems: list[Problem] = []
        self.runtime_names: dict[str, str] = {}
        self.batch = self.namer.fresh("batch") if request.batched else None
        # Loops: how deep the loop being differentiated is, whether forward code pushes
        # onto the stacks (not in a checkpointed loop's forward sweep), the checkpointed ones
        self.loop_depth = 0
        self.saving = True
        self.checkpointed: dict[int, object] = {}
        self.shaping = Shaping(self)  # which adjoints are left lazy, shape reads (srcdiff.lazy)

    def adjoint(self, name: str) -> str:
        if name not in self.adjoints:
            self.adjoints[name] = self.namer.fresh("d" + name)
            self.primal[self.adjoints[name]] = name
        return self.adjoints[name]

    def runtime(self, name: str) -> ast.Name:
        """A reference to a helper or module of the runtime, under a collision-free name."""
        if name not in self.runtime_names:
            self.runtime_names[name] = self._alias(name)
        return _name(self.runtime_names[name])

    def _alias(self, name: str) -> str:
        # Share the user's binding when it is the very same object (``np``, or a helper that
        # generated code being differentiated again calls).
        same = TEMPLATE_MODULES.get(name, HELPERS.get(name))
        if name in self.fn.globals and self.fn.source.namespace.lookup(name) is same:
            return name
        return self.namer.fresh(name)

    def problem(self, stmt: Assign, construct: str, hint: str) -> None:
        o = stmt.op.origin or stmt.origin
        self.problems.append(Problem(o.filename, o.line, o.column, construct, hint,
                                     o.source_line))

    # ------------------------------------------------------------------------------------
    def contributions(self, stmt: Assign) -> list[tuple[str, ast.expr]]:
        """(name, adjoint contribution) for each active argument of ``stmt``."""
        op = stmt.op
        active = self.act.active
        out: list[tuple[str, ast.expr]] = []
        dy = _name(self.adjoint(stmt.target))
        if op.kind == "call":
            return self.call_contributions(stmt, dy)
        if op.kind == "pack":  # t = (a, b): each item's adjoint is its part of dt
            for param, atom in op.args.items():
                if isinstance(atom, ast.Name) and atom.id in active:
                    part = ast.Call(self.runtime("cotangent_part"),
                                    [dy, ast.Constant(int(param[4:])), atom], [])
                    if self.batch is not None:
                        part.func = self.runtime("batch_cotangent_part")
                        part.args.append(_name(self.batch))
                    out.append((atom.id, part))
            return out
        if op.kind == "item":  # a = t[k]: dt gets da in slot k
            whole = op.args["tuple"]
            if isinstance(whole, ast.Name) and whole.id in active:
                self.tuple_names.add(whole.id)
                slot = ast.Call(self.runtime("tuple_slot"),
                                [dy, op.args["index"], op.args["size"]], [])
                out.append((whole.id, slot))
            return out
        for param, atom in flowing_args(stmt).items():
            names = atom_names(atom) & active
            if not names:
                continue
            if not isinstance(atom, ast.Name):
                self.problem(stmt, f"differentiating {op.what} through a tuple argument",
                             "pass arrays, not tuples of differentiated values")
                continue
            if op.kind == "copy":
                out.append((atom.id, dy))
                continue
            if op.kind == "opaque":  # already reported by the fence pass
                continue
            if op.rule is None:
                self.problem(stmt, f"no derivative rule for {op.what}", _hint(op.what))
                continue
            template = self.rule_template(stmt, "vjp", param)
            if template is None:
                continue
            value = self.instantiate(template, stmt, dy)
            if _same_operand(op, atom.id):
                helper = "batch_unbroadcast" if self.request.batched else "unbroadcast"
                value = _strip_unbroadcast(value, atom.id, self.runtime_names.get(helper))
            out.append((atom.id, value))
        return out

    def rule_template(self, stmt: Assign, mode: str, param: str) -> ast.expr | None:
        """The rule's ``mode`` ('vjp' or 'jvp') template for ``param``; None for a zero
        derivative, or (reported) when the rule has none for that argument."""
        assert stmt.op.rule is not None
        if self.request.batched:
            try:
                return stmt.op.rule.template(f"batch_{mode}", param, literal_args(stmt.op))
            except KeyError:
                self.unbatchable(stmt, f"{stmt.op.what} (argument {param!r})")
                return None
        try:
            return stmt.op.rule.template(mode, param, literal_args(stmt.op))
        except KeyError:
            self.problem(stmt, f"no derivative of {stmt.op.what} with respect to its argument "
                         f"{param!r}", "wrap that argument in srcdiff.stop_gradient() if its "
                         "derivative should be zero")
            return None

    def unbatchable(self, stmt: Assign, what: str) -> None:
        """Report that a batched derivative cannot be built (a Jacobian then takes one pass
        per row or column)."""
        self.problem(stmt, f"no batched derivative of {what}",
                     "srcdiff.jacobian computes this Jacobian one row (column) at a time")

    def call_contributions(self, stmt: Assign, dy: ast.Name) -> list[tuple[str, ast.expr]]:
        """``y = f(a, b)`` for a user function ``f``: one call of ``f``'s own derivative
        function gives the adjoints of its differentiated arguments."""
        op = stmt.op
        active = self.act.active
        params = []
        for param, atom in op.args.items():
            if atom_names(atom) & active:
                if not isinstance(atom, ast.Name):
                    self.problem(stmt, f"differentiating {op.what} through a tuple argument",
                                 "pass arrays, not tuples of differentiated values")
                    return []
                params.append(param)
        if not params:
            return []
        if any(caller is op.callee for caller in self.request.callers):
            name = getattr(op.callee, "__name__", "function")
            self.problem(stmt, f"recursive call to {name!r}",
                         "srcdiff differentiates recursion-free code; write the recursion "
                         "as a loop")
            return []
        # arguments that are lists or tuples here: their adjoints are lists in the callee too
        sequences = tuple(p for p in params if isinstance(op.args[p], ast.Name)
                          and op.args[p].id in self.tuple_names)  # type: ignore[attr-defined]
        key = (id(op.callee), tuple(params), sequences)
        if key not in self.callees:
            kind = "batch_vjp" if self.request.batched else "vjp"
            alias = callee_name(op.callee, params, kind)
            if any(c.alias == alias for c in self.callees.values()):
                alias = self.namer.fresh(alias)
            self.callees[key] = Callee(op.callee, tuple(params), alias, kind, sequences)
            self.namer.reserve(self.callees[key].alias)
        callee = self.callees[key]
        call = ast.Call(_name(callee.alias), [*op.args.values(), dy], [])
        atoms = [op.args[p] for p in params]
        if len(params) == 1:
            return [(atoms[0].id, call)]  # type: ignore[attr-defined]
        name = getattr(op.callee, "__name__", "f")
        temps = [self.namer.fresh(f"d{p}_from_{name}") for p in params]
        unpack = ast.Assign([ast.Tuple([ast.Name(t, ast.Store()) for t in temps], ast.Store())],
                            call)
        self.pending.append(unpack)
        return [(atom.id, _name(temp))  # type: ignore[attr-defined]
                for atom, temp in zip(atoms, temps, strict=True)]

    def instantiate(self, template: ast.expr, stmt: Assign, dy: ast.Name) -> ast.expr:
        mapping: dict[str, ast.expr] = dict(stmt.op.args)
        mapping["y"] = _name(stmt.target)
        mapping["dy"] = dy
        for node in ast.walk(template):
            if isinstance(node, ast.Name) and node.id not in mapping and (
                    node.id in HELPERS or node.id in TEMPLATE_MODULES):
                mapping[node.id] = self.runtime(node.id)
        return instantiate(template, mapping)

    def accumulate(self, name: str, value: ast.expr) -> ast.stmt:
        target = self.adjoint(name)
        self.shaping.accumulated(target, target in self.defined, value)
        if target in self.defined:
            if name in self.tuple_names:  # a tuple's (list's) adjoint adds item by item
                value = ast.Call(self.runtime("add_items"), [_name(target), value], [])
            else:
                value = ast.BinOp(_name(target), ast.Add(), value)
        self.defined.add(target)
        stmt = _assign(target, value)
        stmt.srcdiff_adjoint = True  # type: ignore[attr-defined]
        return stmt

    # ------------------------------------------------------------------------------------
    def forward_code(self, body: list[Stmt]) -> list[ast.stmt]:
        """The forward sweep: the normalized primal statements, branches as branches."""
        code: list[ast.stmt] = []
        for stmt in body:
            if isinstance(stmt, If):
                code.append(ast.If(stmt.test, self.forward_code(stmt.body) or [ast.Pass()],
                                   self.forward_code(stmt.orelse)))
                continue
            if isinstance(stmt, Loop):
                code += self.forward_loop(stmt)
                continue
            if stmt.op.kind == "setitem":
                code += self.forward_setitem(stmt)
                continue
            if stmt.op.kind == "append":
                append = ast.Attribute(_name(stmt.target), "append", ast.Load())
                code.append(ast.Expr(ast.Call(append, [stmt.op.args["value"]], [])))
                continue
            pure = stmt.op.rule is not None or not isinstance(stmt.value, ast.Call)
            code.append(_assign(stmt.target, stmt.value, pure, primal=True))
        return code

    def forward_setitem(self, stmt: Assign) -> list[ast.stmt]:
        """``saved = np.copy(array[index])`` then ``array[index] = value`` (only the write in
        a checkpointed loop's forward run: its segments keep the copies when run again)."""
        op = stmt.op
        assert op.saved is not None
        slot = ast.Subscript(_name(stmt.target), op.args["index"], ast.Load())
        keep = ast.Call(ast.Attribute(self.runtime("np"), "copy", ast.Load()), [slot], [])
        write = ast.Assign([ast.Subscript(_name(stmt.target), op.args["index"], ast.Store())],
                           op.args["value"])
        if not self.saving:
            return [write]
        return [_assign(op.saved, keep), write]

    def backward_setitem(self, stmt: Assign) -> list[ast.stmt]:
        """The value written gets the adjoint of its slot, the slot's adjoint is zero before
        the write, and the array gets its old slot back for the adjoints before it."""
        op = stmt.op
        assert op.saved is not None
        index, value = op.args["index"], op.args["value"]
        code: list[ast.stmt] = self.zero_if_undefined(stmt)
        adjoint = self.adjoint(stmt.target)
        if stmt.target in self.act.active and adjoint in self.defined:
            batch = "batch_" if self.batch is not None else ""
            if isinstance(value, ast.Name) and value.id in self.act.active:
                slot: ast.expr = ast.Subscript(_name(adjoint), index, ast.Load())
                if batch:
                    slot = ast.Call(self.runtime("batch_index"), [
                        _name(adjoint), _index_value(index, self.runtime("np"))], [])
                contribution = ast.Call(self.runtime(f"{batch}unbroadcast"), [slot, value], [])
                code.append(self.accumulate(value.id, contribution))
            zeroed = ast.Call(self.runtime(f"{batch}zero_slot"), [
                _name(adjoint), _index_value(index, self.runtime("np"))], [])
            code.append(self.accumulate_assign(adjoint, zeroed))
        code.append(ast.Assign([ast.Subscript(_name(stmt.target), index, ast.Store())],
                               _name(op.saved)))
        return code

    def zero_if_undefined(self, stmt: Assign) -> list[ast.stmt]:
        """``darray = zeros`` before the adjoint of a write into an array (an append to a
        list) whose adjoint nothing after it defined on this path (the array is read on
        another path only): an active value written still gets its (zero) adjoint."""
        value = stmt.op.args["value"]
        adjoint = self.adjoint(stmt.target)
        if stmt.target not in self.act.active or adjoint in self.defined \
                or not (isinstance(value, ast.Name) and value.id in self.act.active):
            return []
        self.defined.add(adjoint)
        return [_assign(adjoint, self.zeros_like(stmt.target))]

    def backward_append(self, stmt: Assign) -> list[ast.stmt]:
        """The appended value's adjoint is the last item of the list's adjoint (taken off it);
        the list loses the item again, as it was before the append."""
        value = stmt.op.args["value"]
        code: list[ast.stmt] = self.zero_if_undefined(stmt)
        adjoint = self.adjoint(stmt.target)
        if stmt.target in self.act.active and adjoint in self.defined:
            popped = ast.Call(self.runtime("pop_adjoint"), [_name(adjoint), value], [])
            if self.batch is not None:
                popped = ast.Call(self.runtime("batch_pop_adjoint"),
                                  [_name(adjoint), value, _name(self.batch)], [])
            if isinstance(value, ast.Name) and value.id in self.act.active:
                taken = self.accumulate(value.id, popped)
                # pop_adjoint takes the item off the list's adjoint: kept even when the
                # value's adjoint is not read (the items before it must line up)
                taken.srcdiff_pure = False  # type: ignore[attr-defined]
                code.append(taken)
            else:
                code.append(ast.Expr(popped))
        pop = ast.Attribute(_name(stmt.target), "pop", ast.Load())
        code.append(ast.Expr(ast.Call(pop, [], [])))
        return code

    def accumulate_assign(self, adjoint: str, value: ast.expr) -> ast.stmt:
        """``adjoint = value`` (a replacement, not a contribution)."""
        stmt = _assign(adjoint, value)
        stmt.srcdiff_adjoint = True  # type: ignore[attr-defined]
        return stmt

    def backward_code(self, body: list[Stmt]) -> list[ast.stmt]:
        """The backward sweep of ``body``: adjoint statements in reverse order."""
        code: list[ast.stmt] = []
        for stmt in reversed(body):
            if isinstance(stmt, If):
                code += self.backward_if(stmt)
                self.last_origin = None
                continue
            if isinstance(stmt, Loop):
                code += self.shaping.before_loop(stmt)
                code += self.backward_loop(stmt)
                self.last_origin = None
                continue
            if stmt.op.kind in ("setitem", "append"):  # restores the value even when inactive
                if stmt.origin != self.last_origin:
                    code.append(comment(stmt.origin.comment()))
                    self.last_origin = stmt.origin
                code += self.shaping.materialize([stmt.target])
                code += (self.backward_setitem(stmt) if stmt.op.kind == "setitem"
                         else self.backward_append(stmt))
                continue
            if stmt.target not in self.act.active:
                continue
            if self.adjoint(stmt.target) not in self.defined:
                # Nothing after this statement on this path read its value (a merged name
                # the other branch's code reads, dead on this one): its adjoint is zero.
                # (Its contributions are still worked out, for their missing rules.)
                pending, callees = self.pending, dict(self.callees)
                self.contributions(stmt)
                self.pending, self.callees = pending, callees
                continue
            contributions = self.shaping.rewrite(stmt, self.contributions(stmt))
            # The statement defines its target: what comes before it in the function sees
            # an earlier value (or none), whose adjoint starts afresh.
            self.defined.discard(self.adjoint(stmt.target))
            if not contributions:
                continue
            if stmt.origin != self.last_origin:
                code.append(comment(stmt.origin.comment()))
                self.last_origin = stmt.origin
            code += self.pending
            self.pending = []
            for name, value in contributions:
                code.append(self.accumulate(name, value))
        return code

    def backward_if(self, stmt: If) -> list[ast.stmt]:
        """``if test: <adjoint of body> else: <adjoint of orelse>``, on the saved test.

        An adjoint of a variable bound before the ``if`` that only one branch assigns is set
        to zeros in the other branch, so it exists after the ``if`` whichever branch ran.
        A write into an array or an append to a list changes the variable bound before the
        ``if`` in place, and a loop's copies rebind its carried variables: neither binds a
        name anew (see :func:`bound_in`).
        """
        inside = bound_in(stmt.body + stmt.orelse)
        before, lazy = set(self.defined), set(self.shaping.lazy)
        self.last_origin = stmt.origin  # the comment above the ``if`` covers its own line
        body = self.backward_code(stmt.body)
        after_body, self.defined = self.defined, set(before)
        lazy, self.shaping.lazy = self.shaping.lazy, lazy
        self.last_origin = stmt.origin
        orelse = self.backward_code(stmt.orelse)
        self.shaping.merge(body, orelse, lazy, after_body)  # lazy after it if after both
        after_else = self.defined
        outside = {adj for name, adj in self.adjoints.items() if name not in inside}
        for code, mine, other in ((body, after_body, after_else),
                                  (orelse, after_else, after_body)):
            for adjoint in sorted((other - mine) & outside):
                code.append(_assign(adjoint, self.zeros_like(self.primal[adjoint])))
        self.defined = (after_body & after_else) | ((after_body | after_else) & outside)
        if not body and not orelse:
            return []
        return [comment(stmt.origin.comment()),
                ast.If(stmt.test, body or [ast.Pass()], orelse)]

    def forward_loop(self, loop: Loop) -> list[ast.stmt]:
        """The loop as written; when its adjoint runs, each iteration also pushes what the
        backward sweep will need onto a list of its own, just before the carried variables
        take their new values. A checkpointed loop saves a checkpoint per segment instead
        (:mod:`srcdiff.checkpoint`)."""
        plan = self.checkpointed.get(id(loop))
        if plan is not None:
            from srcdiff import checkpoint

            return checkpoint.forward_sweep(plan, self.iteration(loop, saving=False), comment,
                                            self.runtime("np"))
        stack = self.stacks.get(id(loop)) if self.saving else None
        code: list[ast.stmt] = []
        if stack is not None:
            start = _assign(stack, ast.List([], ast.Load()), pure=False)
            code.append(start)
        body = self.iteration(loop, saving=self.saving)
        if loop.kind == "for":
            assert loop.target is not None and loop.iter is not None
            code.append(ast.For(ast.Name(loop.target, ast.Store()), loop.iter,
                                body or [ast.Pass()], []))
        else:
            assert loop.test is not None
            code.append(ast.While(loop.test, body or [ast.Pass()], []))
        return code

    def iteration(self, loop: Loop, saving: bool) -> list[ast.stmt]:
        """One iteration of the loop in the forward sweep: the body, then (``saving``) the
        push of what the backward sweep reads, then the copies of the carried variables.
        Without ``saving`` no loop inside pushes either (a checkpointed loop's forward run)."""
        outer, self.saving = self.saving, saving
        body = self.forward_code(loop.body)
        copies = self.forward_code(list(loop.copies))
        self.saving = outer
        stack = self.stacks.get(id(loop))
        if stack is not None and saving:
            body.append(marker(PUSH_MARKER, stack))
        return body + copies

    def backward_loop(self, loop: Loop) -> list[ast.stmt]:
        """``while stack:`` one reverse iteration per forward iteration, newest first: restore
        the values the iteration saved, then run the adjoint of the carried copies and of the
        body (whose branches restore what they alone saved).

        Adjoints of variables bound outside the loop accumulate across iterations, so they
        start at zero before it if nothing defined them yet; an adjoint the body consumes (a
        carried variable's) is zero again at the end of an iteration that gave it nothing.
        """
        inside = bound_in(loop.body, keep_in_place=True)
        if loop.target is not None:
            inside.add(loop.target)
        active = self.act.active
        contributed: set[str] = set()
        for stmt in assignments(loop.body + list(loop.copies)):
            if stmt.target in active:
                for arg in _flowing(stmt).values():
                    contributed |= atom_names(arg) & active
        # (an inner loop's carried variables too, unless this body binds them afresh: an
        # iteration of this loop runs the inner loop, whose rebinding of a variable to a
        # constant consumes its adjoint)
        fresh = bound_outside_loops(loop.body)
        copies = list(loop.copies) + [c for inner in walk(loop.body) if isinstance(inner, Loop)
                                      for c in inner.copies if c.target not in fresh]
        carried = {c.target for c in copies if c.target in active}
        writes = any(a.op.kind == "setitem" for a in assignments(loop.body))
        if not (contributed or carried or writes):
            return []
        label = loop.target if loop.target and not loop.target.startswith("_") else loop.kind
        stack = self.namer.fresh(f"{label}_stack")
        self.stacks[id(loop)] = stack
        pre: list[ast.stmt] = []
        for name in sorted((contributed - inside) | carried):
            adjoint = self.adjoint(name)
            if adjoint not in self.defined:
                pre.append(_assign(adjoint, self.zeros_like(name)))
                self.defined.add(adjoint)
        start = set(self.defined)
        self.last_origin = loop.origin
        body = [marker(POP_MARKER, stack)]
        self.loop_depth += 1
        body += self.backward_code(list(loop.copies))
        body += self.backward_code(loop.body)
        self.loop_depth -= 1
        for adjoint in sorted(start - self.defined):
            body.append(_assign(adjoint, self.zeros_like(self.primal[adjoint])))
        self.defined = start
        # One reverse iteration per entry the forward iteration left, newest first.
        sweep = ast.While(_name(stack), body, [])
        if self.request.checkpoint is not None and self.loop_depth == 0:
            return pre + [comment(loop.origin.comment())] + self.checkpointed_loop(
                loop, stack, label, sweep)
        return pre + [comment(loop.origin.comment()), sweep]

    def checkpointed_loop(self, loop: Loop, stack: str, label: str,
                          sweep: ast.While) -> list[ast.stmt]:
        """The backward sweep of an outermost loop checkpointed per segment: each segment's
        iterations run again (pushing onto ``stack``) before ``sweep`` pops them. Its forward
        sweep (:meth:`forward_loop`) keeps the checkpoints."""
        from srcdiff import checkpoint

        found = checkpoint.problems(loop)
        if found:
            self.problems += found
            return [sweep]
        plan = checkpoint.plan(loop, self.request.checkpoint, stack, label, self.namer.fresh)
        self.checkpointed[id(loop)] = plan
        # the statements are the forward sweep's too: copies, so that no pass edits both
        recompute = copy.deepcopy(self.iteration(loop, saving=True))
        return checkpoint.backward_sweep(plan, recompute, sweep, comment)

    def zeros_like(self, name: str) -> ast.expr:
        """``np.zeros_like(name)``: the adjoint of a value no path contributed to (a list or
        tuple's is ``zero_items(name)``)."""
        if name in self.tuple_names:
            return ast.Call(self.runtime("zero_items"), [_name(name)], [])
        if self.batch is not None:
            return ast.Call(self.runtime("batch_zeros"), [_name(name), _name(self.batch)], [])
        return ast.Call(ast.Attribute(self.runtime("np"), "zeros_like", ast.Load()),
                        [_name(name)], [])

    # ------------------------------------------------------------------------------------
    def build(self) -> Derivative:
        fn, request = self.fn, self.request
        self.tuple_names |= set(request.sequences) | sequence_names(fn, request.sequences)
        out = fn.result.value
        out_name = out.id if isinstance(out, ast.Name) and out.id not in fn.globals else None
        backward: list[ast.stmt] = []
        seed_param: str | None = None
        self.last_origin = None
        if request.kind == "vjp":
            seed_param = self.adjoint(out_name) if out_name else self.namer.fresh("ct")
            if out_name:
                self.defined.add(seed_param)
                if request.name is None:  # the user's cotangent (a callee's is the caller's)
                    check = "batch_as_cotangent" if request.batched else "as_cotangent"
                    backward.append(comment(f"{fn.result.origin.comment()}"))
                    backward.append(_assign(seed_param, ast.Call(
                        self.runtime(check), [_name(seed_param), _name(out_name)], [])))
                    self.last_origin = fn.result.origin
        elif out_name is not None and out_name in self.act.active:
            seed = self.shaping.seed(out_name)
            backward.append(comment(f"{fn.result.origin.comment()}"))
            backward.append(_assign(self.adjoint(out_name), seed))
            self.last_origin = fn.result.origin
            self.defined.add(self.adjoint(out_name))
        elif request.kind in ("grad", "value_and_grad"):
            seed = ast.Call(self.runtime("scalar_seed"), [out], [])
            backward.append(_assign(self.namer.fresh("dout"), seed, pure=False))

        backward += self.backward_code(fn.body)
        if self.problems:
            raise UnsupportedSyntaxError(self.problems, fn.name)
        forward = self.forward_code(fn.body)  # after the backward sweep: it knows the stacks
        carried = {c.target for s in walk(fn.body) if isinstance(s, Loop) for c in s.copies}
        if request.kind == "value_and_grad" and isinstance(out, ast.Name) and (
                out.id in carried or any(
                    isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == out.id
                    for stmt in backward for n in ast.walk(stmt))):
            # the backward sweep of a loop puts back the values the loop carried: the
            # function's value is read before it
            value = self.namer.fresh("value")
            forward.append(_assign(value, out))
            out = _name(value)
        elif request.kind == "value_and_grad" and isinstance(out, ast.Name) and any(
                a.op.kind == "setitem" and a.target == out.id for a in assignments(fn.body)):
            # the backward sweep puts back the slots the writes into it overwrote
            value = self.namer.fresh("value")
            copied = ast.Call(ast.Attribute(self.runtime("np"), "copy", ast.Load()), [out], [])
            forward.append(_assign(value, copied))
            out = _name(value)

        grads: list[ast.expr] = []
        batch = "batch_" if request.batched else ""
        for param in request.wrt:
            adjoint = self.adjoints.get(param)
            if param in request.sequences:  # a list's adjoint goes back to the caller as is
                grads.append(_name(adjoint) if adjoint is not None and adjoint in self.defined
                             else self.zeros_like(param))
            elif adjoint is not None and adjoint in self.defined:
                grads.append(ast.Call(self.runtime(f"{batch}as_gradient"),
                                      [self.shaping.full(adjoint, param), _name(param)], []))
            elif self.batch is not None:
                grads.append(self.zeros_like(param))
            else:
                grads.append(ast.Call(self.runtime("zero_gradient"), [_name(param)], []))
        result: ast.expr = ast.Tuple(grads, ast.Load()) if request.as_tuple else grads[0]
        if request.kind == "value_and_grad":
            result = ast.Tuple([out, result], ast.Load())

        body: list[ast.stmt] = [ast.Expr(ast.Constant(self.docstring()))]
        if self.batch is not None:
            assert seed_param is not None
            body.append(_assign(self.batch, ast.Call(_name("len"), [_name(seed_param)], [])))
        body += forward + backward + [ast.Return(result)]
        node = ast.FunctionDef(
            name=request.name or self.namer.fresh(f"{batch}{request.kind}_{fn.name}"),
            args=self.signature(seed_param), body=body, decorator_list=[], returns=None,
            type_comment=None, type_params=[])
        described = describe_saved(fn, self.stacks)
        # what srcdiff.memory reads off the built code: each stack's loop, what values are
        loops = {id(s): s for s in walk(fn.body) if isinstance(s, Loop)}
        node.srcdiff_loops = {stack: loops[key].origin  # type: ignore[attr-defined]
                              for key, stack in self.stacks.items() if key in loops}
        node.srcdiff_described = described  # type: ignore[attr-defined]
        return Derivative(node, dict(self.runtime_names), set(fn.globals),
                          list(self.callees.values()), list(fn.local_functions),
                          list(self.checkpointed.values()), described)

    def signature(self, seed_param: str | None) -> ast.arguments:
        fn = self.fn
        if self.request.defaults and seed_param is None:
            args = ast.arguments(
                posonlyargs=[ast.arg(a.arg) for a in fn.args.posonlyargs],
                args=[ast.arg(a.arg) for a in fn.args.args],
                vararg=None, kwonlyargs=[ast.arg(a.arg) for a in fn.args.kwonlyargs],
                kw_defaults=[_strip_positions(d) for d in fn.args.kw_defaults],
                kwarg=None, defaults=[_strip_positions(d) for d in fn.args.defaults])
            return args
        params = [ast.arg(p) for p in fn.params]
        if seed_param is not None:
            params.append(ast.arg(seed_param))
        return ast.arguments(posonlyargs=[], args=params, vararg=None, kwonlyargs=[],
                             kw_defaults=[], kwarg=None, defaults=[])

    def docstring(self) -> str:
        fn, request = self.fn, self.request
        where = fn.source.origin(fn.source.node).short
        text = f"{_KINDS[request.kind]} of {fn.name} w.r.t. {', '.join(request.wrt)} ({where})."
        if request.kind == "vjp" and request.batched:
            text = (f"{_KINDS[request.kind]}s of {fn.name} w.r.t. {', '.join(request.wrt)} "
                    f"({where}), one per output cotangent of the batch that is the last "
                    "parameter (its first axis).")
        elif request.kind == "vjp":
            text += " The last parameter is the output cotangent."
        return text


def describe_saved(fn: NormalFunction, stacks: dict[int, str] | None = None
                   ) -> dict[Any, tuple[Origin, str]]:
    """What each value bound in a loop of ``fn`` is, in the terms of the user's source, with
    the line it belongs to: for the comments saying what a loop saves per iteration.

    The loop index is ``the loop index``; a carried variable's value is ``h as the
    iteration starts`` and the value it is given ``the new h`` (both under the line that
    computes the new value); an intermediate value is the user's subexpression it holds
    (``W @ h + U @ xs[t]``); a user's variable is its name; the copy a write into an array
    keeps is ``state[0] before the write``. Keys are names, and (stack, name) for a carried
    variable, which several loops may carry (``stacks``: id of a loop -> its stack).
    """
    stacks = stacks if stacks is not None else {}
    definitions: dict[str, Assign] = {}
    copies = {id(c) for inner in walk(fn.body) if isinstance(inner, Loop) for c in inner.copies}
    for stmt in assignments(fn.body):
        if id(stmt) not in copies and stmt.op.kind not in ("setitem", "append"):
            definitions.setdefault(stmt.target, stmt)

    def expression(name: str, depth: int) -> ast.expr:
        stmt = definitions.get(name)
        if stmt is None or stmt.user_name is not None:
            shown = stmt.user_name if stmt is not None else name
            return ast.Name(shown if shown and shown.isidentifier() else name, ast.Load())
        if depth > 3 or stmt.op.kind in ("call", "pack", "item"):
            return ast.Name(name, ast.Load())

        class Expand(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.expr:
                return expression(node.id, depth + 1)

        return Expand().visit(copy.deepcopy(stmt.value))

    described: dict[Any, tuple[Origin, str]] = {}
    for stmt in assignments(fn.body):
        if stmt.op.kind == "setitem" and stmt.op.saved is not None:
            slot = f"{stmt.target}[{ast.unparse(stmt.op.args['index'])}]"
            described[stmt.op.saved] = (stmt.origin, f"{slot} before the write")
    for stmt in definitions.values():
        if stmt.user_name is None:
            text = ast.unparse(expression(stmt.target, 0))
            if len(text) > 60:
                text = stmt.op.what
            described[stmt.target] = (stmt.origin, text)
        elif stmt.user_name != stmt.target and stmt.user_name.isidentifier():
            described[stmt.target] = (stmt.origin, stmt.user_name)
        else:
            described[stmt.target] = (stmt.origin, "")
    for loop in walk(fn.body):
        if not isinstance(loop, Loop):
            continue
        if loop.target is not None:
            described[loop.target] = (loop.origin, "the loop index")
        for c in loop.copies:
            user = c.user_name or c.target
            new = c.value.id if isinstance(c.value, ast.Name) else None
            origin = definitions[new].origin if new in definitions else loop.origin
            if new is not None:
                described[new] = (origin, f"the new {user}")
            key = (stacks[id(loop)], c.target) if id(loop) in stacks else c.target
            described[key] = (origin, f"{user} as the iteration starts")
    return described


def bound_in(body: list[Stmt], keep_in_place: bool = False) -> set[str]:
    """The names ``body`` binds afresh. A loop's copies are not among them: they rebind the
    names its carried variables had before the loop, which may be from before ``body``.
    Writes into arrays and appends to lists change a value in place (counted only with
    ``keep_in_place``)."""
    copies = {id(c) for inner in walk(body) if isinstance(inner, Loop) for c in inner.copies}
    return {a.target for a in assignments(body) if id(a) not in copies
            and (keep_in_place or a.op.kind not in ("setitem", "append"))}


def sequence_names(fn: NormalFunction, known: tuple[str, ...] = ()) -> set[str]:
    """The variables of ``fn`` that hold a list or a tuple, whose adjoints (tangents) are
    lists or tuples too, added item by item: lists and tuples built or appended to, tuples
    unpacked from calls, results of calls to functions that return a tuple display, and
    copies of any of them (``known`` names are sequences already)."""
    names = set(known)
    stmts = list(assignments(fn.body))
    changed = True
    while changed:
        changed = False
        for stmt in stmts:
            op = stmt.op
            found: set[str] = set()
            if op.kind in ("append", "pack"):
                found.add(stmt.target)
            elif op.kind == "item":
                found |= atom_names(op.args["tuple"])
            elif op.kind == "call" and _returns_tuple(op.callee):
                found.add(stmt.target)
            elif op.kind == "copy" and isinstance(stmt.value, ast.Name) \
                    and stmt.value.id in names:
                found.add(stmt.target)
            if not found <= names:
                names |= found
                changed = True
    return names


def bound_outside_loops(body: list[Stmt]) -> set[str]:
    """Names ``body`` binds outside any loop nested in it (branches included)."""
    names: set[str] = set()
    for stmt in body:
        if isinstance(stmt, Assign) and stmt.op.kind not in ("setitem", "append"):
            names.add(stmt.target)
        elif isinstance(stmt, If):
            names |= bound_outside_loops(stmt.body) | bound_outside_loops(stmt.orelse)
    return names


def _returns_tuple(func: object) -> bool:
    """Whether every ``return`` of a user function returns a tuple display."""
    from srcdiff.parse import FileFunction, parse_function

    try:
        node = func.source.node if isinstance(func, FileFunction) else \
            parse_function(func).node
    except Exception:  # not a function with source: no tuple known
        return False
    returns = [n for n in ast.walk(node) if isinstance(n, ast.Return)]
    return bool(returns) and all(isinstance(n.value, ast.Tuple) for n in returns)


def _index_value(index: ast.expr, np_name: ast.Name) -> ast.expr:
    """An index as a value (``np.s_[1:3]`` for a slice), to pass to a helper."""
    if any(isinstance(n, ast.Slice) for n in ast.walk(index)) or isinstance(index, ast.Tuple):
        return ast.Subscript(ast.Attribute(np_name, "s_", ast.Load()), index, ast.Load())
    return index


def callee_name(func: object, wrt: list[str] | tuple[str, ...], kind: str = "vjp") -> str:
    """The name of a user function's derivative function: ``vjp_layer_W_x`` is the
    vector-Jacobian product of ``layer`` w.r.t. ``W`` and ``x``, the same at every call site
    (``batch_vjp_layer_W_x`` its batched form)."""
    return "_".join([kind, getattr(func, "__name__", "f"), *wrt])


def _same_operand(op: Operation, name: str) -> bool:
    """Whether every argument is ``name`` or a literal number in a differentiated slot (a
    scalar operand, as in ``x * 2.0``): then nothing broadcasts. A literal in a slot without
    a derivative (the shape of ``np.broadcast_to(x, 3)``) may change the result's shape."""
    assert op.rule is not None
    return all((isinstance(a, ast.Name) and a.id == name)
               or (isinstance(a, ast.Constant) and isinstance(a.value, (int, float))
                   and not isinstance(a.value, bool) and op.rule.vjp.get(param) is not None)
               for param, a in op.args.items())


def _strip_unbroadcast(value: ast.expr, name: str, alias: str | None) -> ast.expr:
    """``unbroadcast(g, name)`` is ``g`` when ``g`` already has ``name``'s shape."""
    if (alias is not None and isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id == alias and len(value.args) == 2
            and isinstance(value.args[1], ast.Name) and value.args[1].id == name):
        return value.args[0]
    return value


def _strip_positions(node: ast.expr | None) -> ast.expr | None:
    if node is None:
        return None
    copy = ast.parse(ast.unparse(node), mode="eval").body
    return copy


def _hint(what: str) -> str:
    if what.startswith("call to user function"):
        return ("calls to user functions arrive in a later release; inline the helper, or "
                "wrap its result in srcdiff.stop_gradient() if its derivative should be zero")
    if what.startswith("call of a computed"):
        return "call functions by their module-level name"
    if what.startswith("indexing"):
        return "indexing differentiated values arrives in a later release"
    return ("srcdiff has no derivative rule for it: give it one with srcdiff.defrule or "
            "srcdiff.elementwise (docs/rules.md), or wrap the value in "
            "srcdiff.stop_gradient() if its derivative should be zero")


def reverse(fn: NormalFunction, act: Activity, request: Request) -> Derivative:
    """Build the derivative function of ``fn`` for ``request`` (see the module docstring)."""
    return _Reverse(fn, act, request).build()
