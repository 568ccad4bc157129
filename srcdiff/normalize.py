"""Normalize pass: one operation per statement, every name bound once.

``z = np.mean(3 * (x + 2) ** 2)`` becomes::

    x_plus_2 = x + 2
    x_plus_2_pow_2 = x_plus_2 ** 2
    product = 3 * x_plus_2_pow_2
    z = np.mean(product)

Temporaries are named after what they hold. A name rebound by the user (``x = x * 2``) gets a
new version (``x_2``), so the backward sweep can still read the value each statement saw.
Each operation is resolved here: its derivative rule, its arguments bound to the rule's
parameter names. ``with no_grad():`` bodies are marked, ``stop_gradient(x)`` becomes a copy
that carries no derivative.
"""
from __future__ import annotations

import ast
import copy
import inspect
import operator
import types
from typing import Any

from srcdiff.errors import Problem, UnsupportedSyntaxError
from srcdiff.fence import is_append
from srcdiff.ir import Assign, If, Loop, NormalFunction, Operation, Return, Stmt, walk
from srcdiff.naming import Namer, names_in
from srcdiff.origin import Origin
from srcdiff.parse import LocalFunction, Source
from srcdiff.rules import ATTRIBUTES, BINARY_OPERATORS, METHODS, NONDIFF_ATTRIBUTES, lookup
from srcdiff.rules.registry import (
    OPERATOR_WORDS,
    TEMPLATE_BUILTINS,
    TEMPLATE_MODULES,
    UNARY_OPERATORS,
    Rule,
)
from srcdiff.runtime import HELPER_NAMES as HELPERS
from srcdiff.trees import unparse

#: Nouns for temporaries whose descriptive name would be too long.
_NOUNS = {"plus": "added", "minus": "diff", "times": "product", "div": "ratio",
          "pow": "power", "matmul": "matmul", "neg": "negated", "pos": "positive"}
_COMPARE_WORDS = {ast.Gt: "gt", ast.Lt: "lt", ast.GtE: "ge", ast.LtE: "le", ast.Eq: "eq",
                  ast.NotEq: "ne", ast.Is: "is", ast.IsNot: "is_not", ast.In: "in",
                  ast.NotIn: "not_in"}
_MAX_NAME = 16


def _part(atom: ast.expr) -> str | None:
    if isinstance(atom, ast.Name):
        return atom.id
    if isinstance(atom, ast.Constant) and isinstance(atom.value, int) and atom.value >= 0:
        return str(atom.value)
    return None


def _compose(*parts: str | None, fallback: str) -> str:
    if any(part is None for part in parts):
        return fallback
    name = "_".join(parts)  # type: ignore[arg-type]
    if len(name) > _MAX_NAME or not name[0].isalpha() and name[0] != "_":
        return fallback
    return name


def _callee_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return "call"


def _dotted(func: ast.expr) -> str:
    try:
        return ast.unparse(func)
    except Exception:  # pragma: no cover - unparse handles every expression we produce
        return "call"


def _is_global_ref(node: ast.expr, local_names: set[str]) -> bool:
    """Whether ``node`` is ``name`` or ``name.attr...`` with ``name`` not a local."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id not in local_names


def _assigned_names(func: ast.FunctionDef) -> set[str]:
    names = {arg.arg for arg in func.args.posonlyargs + func.args.args + func.args.kwonlyargs}
    declared: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
    return names - declared


class _Normalizer:
    def __init__(self, source: Source, opaque: set[int]) -> None:
        from srcdiff.control import no_grad, stop_gradient

        self.source = source
        self.opaque_ids = opaque
        self.opaque_names: set[str] = set()
        self.stop_gradient = stop_gradient
        self.no_grad_ctx = no_grad
        func = source.node
        self.params = [a.arg for a in func.args.posonlyargs + func.args.args
                       + func.args.kwonlyargs]
        self.locals = _assigned_names(func)
        # Names the generated code may need besides the user's: helpers, modules, builtins.
        self.user_names = names_in(func)
        self.runtime_reserved = (set(HELPERS) | set(TEMPLATE_MODULES) | TEMPLATE_BUILTINS) \
            - self.user_names
        self.namer = Namer(self.user_names | self.runtime_reserved)
        self.current: dict[str, str] = {p: p for p in self.params}
        self.arguments: set[str] = set(self.params)  # names bound to the caller's objects
        self.local_functions: dict[str, LocalFunction] = {}
        self.all_local_functions: list[LocalFunction] = []
        self.bound: set[str] = set(self.params)
        self.in_place: dict[str, str] = {}  # see NormalFunction.in_place
        # Versions some path leaves unbound (bound in one branch of an ``if`` only).
        self.partial: set[str] = set()
        self.block: list[Stmt] = []
        self.depth = 0  # how many branches deep the statement being normalized is
        self.problems: list[Problem] = []
        self.globals: set[str] = set()
        self.in_no_grad = False
        self.origin: Origin = source.origin(func)

    # ------------------------------------------------------------------------------------
    def problem(self, node: ast.AST, construct: str, hint: str) -> None:
        origin = self.source.origin(node)
        self.problems.append(Problem(origin.filename, origin.line, origin.column, construct,
                                     hint, origin.source_line))

    def emit(self, target: str, value: ast.expr, op: Operation,
             user_name: str | None = None) -> None:
        self.block.append(Assign(target, value, op, self.origin, self.in_no_grad, user_name))

    def temporary(self, value: ast.expr, op: Operation, base: str) -> ast.Name:
        name = self.namer.fresh(base)
        self.emit(name, value, op)
        return ast.Name(name, ast.Load())

    def bind_name(self, user_name: str, activate: bool = True) -> str:
        """The name for a new binding of ``user_name``: itself first, then versions.

        With ``activate`` (the default) reads of ``user_name`` mean the new name from now
        on; otherwise the caller switches ``self.current`` once the value is computed."""
        if user_name == RESULT:
            version = self.namer.fresh("result")
        elif user_name not in self.bound and user_name in self.locals:
            version = user_name  # its first binding anywhere in the function
        else:
            version = self.namer.fresh(user_name)
        self.bound.add(version)
        if activate:
            self.current[user_name] = version
        return version

    # branches -----------------------------------------------------------------------------
    def branch(self, body: list[ast.stmt] | ast.expr,
               target: str | None = None) -> tuple[list[Stmt], dict[str, str]]:
        """Normalize one branch in a block of its own: (statements, bindings at its end).

        ``body`` is a list of statements, or an expression whose value ``target`` receives
        (the arms of ``a if c else b``).
        """
        saved_block, saved_current = self.block, dict(self.current)
        self.block = []
        self.depth += 1
        if isinstance(body, list):
            for stmt in body:
                self.statement(stmt)
        else:
            assert target is not None
            value = self.atom(body)
            self.bind_to(target, value)
        self.depth -= 1
        block, current = self.block, self.current
        self.block, self.current = saved_block, saved_current
        return block, current

    def bind_to(self, target: str, value: ast.expr) -> None:
        """Make ``target`` hold ``value`` at the end of the current block: rename the block's
        last assignment when it computed ``value`` and nothing after reads it, else copy."""
        if isinstance(value, ast.Name) and _retarget(self.block, value.id, target):
            return
        self.emit(target, value, Operation("copy", "assignment", None, {"x": value}))

    def merge(self, node: ast.If, test: ast.expr, body: list[Stmt], body_names: dict[str, str],
              orelse: list[Stmt], else_names: dict[str, str]) -> None:
        """Emit the ``if`` with one name per variable the branches bind differently."""
        merged: dict[str, str] = {}
        self.origin = self.source.origin(node)  # the merge copies belong to the ``if``
        for key in sorted(set(body_names) | set(else_names)):
            in_body, in_else = body_names.get(key), else_names.get(key)
            if in_body == in_else:
                merged[key] = in_body  # type: ignore[assignment]
                continue
            if in_body is None or in_else is None:
                # A variable new in one branch only: after the ``if`` it is that branch's
                # name, unbound on the other path, as in Python (a copy to a merged name
                # would read it unbound when it was bound in an ``if`` of its own).
                merged[key] = in_body or in_else  # type: ignore[assignment]
                self.partial.add(merged[key])
                continue
            name = self.bind_name(key)
            for block, source in ((body, in_body), (orelse, in_else)):
                if source in self.partial:  # maybe unbound: bind the merged name instead
                    _rename_version(block, source, name)
                    self.partial.add(name)
                elif source != name:
                    saved, self.block = self.block, block
                    self.bind_to(name, ast.Name(source, ast.Load()))
                    self.block = saved
            merged[key] = name
        self.block.append(If(test, body, orelse, self.source.origin(node)))
        self.current = merged

    def condition(self, node: ast.expr) -> ast.expr:
        """The value a branch tests, in a variable of its own (the backward sweep branches on
        it again); it carries no derivative, so it is kept as the user wrote it."""
        if isinstance(node, ast.Name) or isinstance(node, ast.Constant):
            return self.atom(node)
        return self.temporary(self.rename(node), Operation("rule", "condition", _ZERO),
                              "cond")

    def if_statement(self, node: ast.If) -> None:
        self.origin = self.source.origin(node)
        test = self.condition(node.test)
        body, body_names = self.branch(node.body)
        orelse, else_names = self.branch(node.orelse)
        self.merge(node, test, body, body_names, orelse, else_names)

    # loops --------------------------------------------------------------------------------
    def rename(self, node: ast.expr) -> ast.expr:
        """A copy of an expression that carries no derivative (a loop's iterable or test),
        reading each local variable by its current name."""
        lifted = set()
        if self.local_functions:  # calls of nested defs: their lifted versions (local_call)
            node = _strip_all(node)
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) \
                        and call.func.id in self.local_functions:
                    function = self.local_functions[call.func.id]
                    call.func = ast.Name(function.source.node.name, ast.Load())
                    call.keywords += [ast.keyword(v, ast.Name(v, ast.Load()))
                                      for v in function.free]
                    lifted.add(function.source.node.name)
        copy_ = _renamed(node, self.current, self.locals, self.globals, lifted)
        for name in _free_locals(node, self.locals):
            if name not in self.current:
                self.problem(node, f"local variable {name!r} read before assignment",
                             "assign it before the loop")
        return copy_

    def loop(self, node: ast.For | ast.While, kind: str, target: str | None,
             header: ast.expr, items: list[tuple[str, ast.expr]]) -> None:
        """Normalize a loop: ``items`` are (variable, sequence atom) pairs bound at the start
        of each iteration from the loop index (``row = X[i]`` for ``for row in X``)."""
        origin = self.source.origin(node)
        before = dict(self.current)
        saved_block, self.block = self.block, []
        self.depth += 1
        target_name = self.bind_name(target) if target is not None else None
        for user_name, sequence in items:
            self.origin = origin
            index = ast.Name(target_name, ast.Load())  # type: ignore[arg-type]
            value = ast.Subscript(sequence, index, ast.Load())
            op = self.rule_op(node, operator.getitem, "indexing x[...]", [sequence, index], {})
            self.emit(self.bind_name(user_name), value, op, user_name)
        for stmt in node.body:
            self.statement(stmt)
        self.depth -= 1
        body, after = self.block, self.current
        self.block = saved_block
        copies = []
        for key in sorted(after):
            if key in before and after[key] != before[key] and key != target:
                outer, inner = before[key], after[key]
                copies.append(Assign(outer, ast.Name(inner, ast.Load()),
                                     Operation("copy", "assignment", None,
                                               {"x": ast.Name(inner, ast.Load())}),
                                     origin, self.in_no_grad, key))
        self.current = {**after, **{k: v for k, v in before.items() if k in after}}
        if target is not None:  # the loop variable keeps its last value, as in Python
            self.current[target] = target_name  # type: ignore[assignment]
        self.block.append(Loop(kind, target_name, header if kind == "for" else None,
                               header if kind == "while" else None, body, copies, origin))

    def for_statement(self, node: ast.For) -> None:
        self.origin = self.source.origin(node)
        iterable = node.iter
        if _is_range(iterable, self.source):
            assert isinstance(node.target, ast.Name)
            self.loop(node, "for", node.target.id, self.rename(iterable), [])
            return
        # Anything else is iterated by position: `for row in X` is `for i in range(len(X))`
        # with `row = X[i]`, so the adjoint of each row goes back to its place in X.
        targets = [node.target]
        call = iterable if isinstance(iterable, ast.Call) and all(
            k.arg == "strict" for k in iterable.keywords) else None  # (zip's strict= only)
        func = self.source.namespace.resolve(call.func) if call is not None else None
        index_name = None
        backwards = False
        if func is enumerate and call is not None and len(call.args) == 1 \
                and isinstance(node.target, ast.Tuple) and len(node.target.elts) == 2:
            index_target, item_target = node.target.elts
            assert isinstance(index_target, ast.Name)
            index_name = index_target.id
            targets, sequences = [item_target], [call.args[0]]
        elif func is zip and call is not None and isinstance(node.target, ast.Tuple) \
                and len(node.target.elts) == len(call.args):
            targets, sequences = list(node.target.elts), list(call.args)
        elif func is reversed and call is not None and len(call.args) == 1:
            sequences, backwards = [call.args[0]], True
        else:
            sequences = [iterable]
        if call is not None and call.keywords and func is not zip:
            sequences = [iterable]  # not zip(..., strict=...): a plain iterable
            targets = [node.target]
        unpacked = [t for t in targets if not isinstance(t, ast.Name)]
        if unpacked:
            self.problem(unpacked[0], "unpacking the items of an iterable in a for loop's "
                         "target", "iterate over zip(a, b) or enumerate(a) directly, or "
                         "unpack in the body: `for item in items: a, b = item[0], item[1]`")
            return
        atoms = [self.atom(sequence) for sequence in sequences]
        # Python iterates over the object the iterable was when the loop started: a variable
        # the body rebinds is read through a name of its own, bound before the loop.
        rebound = {n.id for stmt in node.body for n in ast.walk(stmt)
                   if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        for k, (sequence, atom) in enumerate(zip(sequences, atoms, strict=True)):
            if isinstance(sequence, ast.Name) and sequence.id in rebound \
                    and isinstance(atom, ast.Name):
                atoms[k] = self.temporary(atom, Operation("copy", "assignment", None,
                                                          {"x": atom}), f"{sequence.id}_rows")
        lengths = [ast.Call(ast.Name("len", ast.Load()), [a], []) for a in atoms]
        length = lengths[0] if len(lengths) == 1 else \
            ast.Call(ast.Name("min", ast.Load()), lengths, [])
        if backwards:
            header = ast.Call(ast.Name("range", ast.Load()), [
                ast.BinOp(length, ast.Sub(), ast.Constant(1)), ast.Constant(-1),
                ast.Constant(-1)], [])
        else:
            header = ast.Call(ast.Name("range", ast.Load()), [length], [])
        if index_name is None:
            index_name = self.namer.fresh("i")
            self.locals.add(index_name)
        items = []
        for item_target, atom in zip(targets, atoms, strict=True):
            assert isinstance(item_target, ast.Name)
            items.append((item_target.id, atom))
        self.loop(node, "for", index_name, header, items)

    def while_statement(self, node: ast.While) -> None:
        self.origin = self.source.origin(node)
        self.loop(node, "while", None, self.rename(node.test), [])

    def if_expression(self, node: ast.IfExp, target: str) -> None:
        """``target = a if c else b``, evaluating only the arm the condition picks."""
        test = self.condition(node.test)
        body, _ = self.branch(node.body, target)
        orelse, _ = self.branch(node.orelse, target)
        self.block.append(If(test, body, orelse, self.source.origin(node)))

    # atoms --------------------------------------------------------------------------------
    def atom(self, node: ast.expr) -> ast.expr:
        """Reduce ``node`` to an atom, emitting statements for the operations inside it."""
        if isinstance(node, ast.Name):
            if node.id not in self.user_names:  # a name this pass made: already an atom
                return ast.Name(node.id, ast.Load())
            if node.id in self.locals:
                if node.id not in self.current:
                    self.problem(node, f"local variable {node.id!r} read before assignment",
                                 "assign it before use")
                    return ast.Name(node.id, ast.Load())
                return ast.Name(self.current[node.id], ast.Load())
            self.globals.add(node.id)
            return ast.Name(node.id, ast.Load())
        if isinstance(node, ast.Constant):
            return ast.Constant(node.value)
        if isinstance(node, ast.Tuple):
            return ast.Tuple([self.atom(e) for e in node.elts], ast.Load())
        if isinstance(node, ast.List):  # a list value: a temporary, built item by item
            atoms = [self.atom(e) for e in node.elts]
            return self.temporary(ast.List(atoms, ast.Load()), Operation(
                "pack", "list", None, {f"item{k}": a for k, a in enumerate(atoms)}), "items")
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
                and isinstance(node.operand, ast.Constant)
                and isinstance(node.operand.value, (int, float))
                and not isinstance(node.operand.value, bool)):
            value = node.operand.value
            return ast.Constant(-value if isinstance(node.op, ast.USub) else value)
        if isinstance(node, ast.IfExp):
            name = self.namer.fresh("chosen")
            self.if_expression(node, name)
            return ast.Name(name, ast.Load())
        if isinstance(node, ast.Attribute) and _is_global_ref(node, self.locals):
            obj = self.source.namespace.resolve(node)
            if not callable(obj) or isinstance(obj, type):
                root = node
                while isinstance(root, ast.Attribute):
                    root = root.value
                assert isinstance(root, ast.Name)
                self.globals.add(root.id)
                return _strip(node)
        value, op, base = self.operation(node)
        return self.temporary(value, op, base)

    def index(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Slice):
            return ast.Slice(*(None if part is None else self.atom(part)
                               for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.Tuple):
            return ast.Tuple([self.index(e) for e in node.elts], ast.Load())
        if isinstance(node, ast.List):
            return ast.List([self.atom(e) for e in node.elts], ast.Load())
        return self.atom(node)

    # operations ---------------------------------------------------------------------------
    def rule_op(self, node: ast.AST, func: object, what: str, args: list[ast.expr],
                kwargs: dict[str, ast.expr]) -> Operation:
        rule = lookup(func) if func is not None else None
        if rule is None:
            generic = {f"arg{i}": a for i, a in enumerate(args)}
            generic.update(kwargs)
            return Operation("rule", what, None, generic)
        if rule.zero:
            return Operation("rule", what, rule, {})
        try:
            bound = rule.bind(args, kwargs)
        except TypeError as exc:
            # Run as written; an error only if a derivative has to flow through it.
            generic = {f"arg{i}": a for i, a in enumerate(args)}
            generic.update(kwargs)
            return Operation("rule", f"{what} called with arguments its rule does not cover "
                             f"({exc})", None, generic)
        return Operation("rule", what, rule, {k: _as_atom(v) for k, v in bound.items()})

    def operation(self, node: ast.expr) -> tuple[ast.expr, Operation, str]:
        """Normalize the operands of one operation: (value, operation, base name)."""
        value, op, name = self._operation(node)
        if op.origin is None and hasattr(node, "lineno"):
            op.origin = self.source.origin(node)
        return value, op, name

    def _operation(self, node: ast.expr) -> tuple[ast.expr, Operation, str]:
        if isinstance(node, ast.BinOp):
            left, right = self.atom(node.left), self.atom(node.right)
            symbol, word = OPERATOR_WORDS.get(type(node.op), ("?", "op"))
            op = self.rule_op(node, BINARY_OPERATORS.get(type(node.op)), f"operator {symbol}",
                              [left, right], {})
            name = _compose(_part(left), word, _part(right), fallback=_NOUNS.get(word, word))
            return ast.BinOp(left, node.op, right), op, name
        if isinstance(node, ast.UnaryOp):
            operand = self.atom(node.operand)
            symbol, word = OPERATOR_WORDS.get(type(node.op), ("?", "op"))
            func = UNARY_OPERATORS.get(type(node.op))
            if isinstance(node.op, (ast.Not, ast.Invert)):
                op = Operation("rule", f"operator {symbol}", _ZERO)
            else:
                op = self.rule_op(node, func, f"operator {symbol}", [operand], {})
            name = _compose(word, _part(operand), fallback=_NOUNS.get(word, word))
            return ast.UnaryOp(node.op, operand), op, name
        if isinstance(node, ast.Compare):
            left = self.atom(node.left)
            rights = [self.atom(c) for c in node.comparators]
            word = _COMPARE_WORDS.get(type(node.ops[0]), "cmp")
            name = _compose(_part(left), word, _part(rights[0]), fallback="mask")
            return (ast.Compare(left, node.ops, rights), Operation("rule", "comparison", _ZERO),
                    name)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            receiver = self.atom(node.value)
            value = ast.Attribute(receiver, node.attr, ast.Load())
            name = _compose(_part(receiver), node.attr, fallback=node.attr)
            if node.attr in ATTRIBUTES:
                return value, self.rule_op(node, ATTRIBUTES[node.attr], f".{node.attr}",
                                           [receiver], {}), name
            if node.attr in NONDIFF_ATTRIBUTES:
                return value, Operation("rule", f".{node.attr}", _ZERO), name
            return value, Operation("rule", f"attribute .{node.attr}", None,
                                    {"arg0": receiver}), name
        if isinstance(node, ast.Subscript):
            receiver = self.atom(node.value)
            index = self.index(node.slice)
            sliced = any(isinstance(n, ast.Slice) for n in ast.walk(index))
            name = _compose(_part(receiver), _part(index), fallback=_compose(
                _part(receiver), "slice" if sliced else "item", fallback="item"))
            op = self.rule_op(node, operator.getitem, "indexing x[...]", [receiver, index], {})
            return ast.Subscript(receiver, index, ast.Load()), op, name
        if isinstance(node, (ast.List, ast.Tuple)):  # a list or tuple value, item by item
            atoms = [self.atom(e) for e in node.elts]
            display = ast.List if isinstance(node, ast.List) else ast.Tuple
            return display(atoms, ast.Load()), Operation(
                "pack", "list" if display is ast.List else "tuple", None,
                {f"item{k}": a for k, a in enumerate(atoms)}), "items"
        if isinstance(node, (ast.Name, ast.Constant, ast.Tuple, ast.Attribute)):
            value = self.atom(node)
            return value, Operation("copy", "assignment", None, {"x": value}), "copy"
        self.problem(node, f"expression '{type(node).__name__}'", "rewrite it with operators "
                     "and NumPy calls")
        return ast.Constant(None), Operation("rule", "expression", _ZERO), "tmp"

    def local_call(self, node: ast.Call,
                   function: LocalFunction) -> tuple[ast.expr, Operation, str]:
        """A call of a nested def: its lifted version, given the enclosing variables' values
        now, as the closure would read them."""
        args = [self.atom(a) for a in node.args]
        kwargs = {k.arg: self.atom(k.value) for k in node.keywords if k.arg is not None}
        for name in function.free:
            if name not in self.current:
                self.problem(node, f"{function.inner_name!r} reads {name!r} before it is "
                             "assigned", f"assign {name} before calling {function.inner_name}")
                return ast.Constant(None), Operation("rule", "call", _ZERO), "tmp"
            kwargs[name] = ast.Name(self.current[name], ast.Load())
        op = self.user_call(node, function, function.inner_name, args, kwargs)
        lifted = function.source.node.name
        value = ast.Call(ast.Name(lifted, ast.Load()), args,
                         [ast.keyword(k, v) for k, v in kwargs.items()])
        first = _part(args[0]) if args else None
        return value, op, _compose(function.inner_name, first, fallback=function.inner_name)

    def user_call(self, node: ast.Call, callee: object, what: str, args: list[ast.expr],
                  kwargs: dict[str, ast.expr]) -> Operation:
        """A call of the user's own function: arguments bound to its parameters, as Python
        binds them, defaults included (they must be literals to be written out)."""
        label = f"call to user function {what!r}"
        try:
            signature = _signature(callee)
            bound = signature.bind(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            self.problem(node, f"{label} that does not match its signature", str(exc))
            return Operation("rule", label, _ZERO)
        values: dict[str, ast.expr] = {}
        for name, param in signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                self.problem(node, f"{label}, which takes *args or **kwargs",
                             "give the function named parameters")
                return Operation("rule", label, _ZERO)
            if name in bound.arguments:
                values[name] = bound.arguments[name]
            elif _is_literal(param.default):
                values[name] = _as_atom(param.default)
            else:
                self.problem(node, f"{label} relying on the non-literal default of {name!r}",
                             f"pass {name} explicitly")
                return Operation("rule", label, _ZERO)
        return Operation("call", label, None, values, callee=callee)

    def call(self, node: ast.Call) -> tuple[ast.expr, Operation, str]:
        func = node.func
        if isinstance(func, ast.Name) and func.id in self.local_functions:
            return self.local_call(node, self.local_functions[func.id])
        if _is_global_ref(func, self.locals):
            obj = self.source.namespace.resolve(func)
            root = func
            while isinstance(root, ast.Attribute):
                root = root.value
            assert isinstance(root, ast.Name)
            self.globals.add(root.id)
            if obj is self.stop_gradient:
                if len(node.args) != 1 or node.keywords:
                    self.problem(node, "stop_gradient() takes exactly one argument",
                                 "call stop_gradient(x)")
                    return ast.Constant(None), Operation("rule", "stop_gradient", _ZERO), "tmp"
                value = self.atom(node.args[0])
                return value, Operation("stop", "stop_gradient", None, {"x": value}), "stopped"
            args = [self.atom(a) for a in node.args]
            kwargs = {k.arg: self.atom(k.value) for k in node.keywords if k.arg is not None}
            what = _dotted(func)
            if _is_user_function(obj):
                op = self.user_call(node, obj, what, args, kwargs)
            else:
                op = self.rule_op(node, obj, what, args, kwargs)
            value = ast.Call(_strip(func), args,
                             [ast.keyword(k, v) for k, v in kwargs.items()])
            first = _part(args[0]) if args else None
            base = _callee_name(func)
            return value, op, _compose(base, first, fallback=base) if args else base
        if isinstance(func, ast.Attribute):
            receiver = self.atom(func.value)
            args = [self.atom(a) for a in node.args]
            kwargs = {k.arg: self.atom(k.value) for k in node.keywords if k.arg is not None}
            value = ast.Call(ast.Attribute(receiver, func.attr, ast.Load()), args,
                             [ast.keyword(k, v) for k, v in kwargs.items()])
            name = _compose(func.attr, _part(receiver), fallback=func.attr)
            if func.attr == "pop" and not args and not kwargs \
                    and isinstance(receiver, ast.Name):
                return value, Operation("pop", "pop from a list", None,
                                        {"items": receiver}), "popped"
            method = METHODS.get(func.attr)
            if method is not None:
                if method.varargs is not None and len(args) > 1:
                    args = [ast.Tuple(args, ast.Load())]
                return value, self.rule_op(node, method.func, f"method .{func.attr}()",
                                           [receiver, *args], kwargs), name
            if func.attr in NONDIFF_ATTRIBUTES:
                return value, Operation("rule", f"method .{func.attr}()", _ZERO), name
            generic = [receiver, *args]
            return value, Operation("rule", f"method .{func.attr}()", None,
                                    {f"arg{i}": a for i, a in enumerate(generic)}), name
        callee = self.atom(func)
        args = [self.atom(a) for a in node.args]
        kwargs = {k.arg: self.atom(k.value) for k in node.keywords if k.arg is not None}
        value = ast.Call(callee, args, [ast.keyword(k, v) for k, v in kwargs.items()])
        generic = {f"arg{i}": a for i, a in enumerate([callee, *args])}
        generic.update(kwargs)
        # Calling what a rejected statement bound (a lambda) is part of that one problem.
        kind = "opaque" if isinstance(callee, ast.Name) and callee.id in self.opaque_names \
            else "rule"
        return value, Operation(kind, "call of a computed function", None, generic), "call"

    # statements ---------------------------------------------------------------------------
    def assign(self, user_name: str, node: ast.expr) -> None:
        if isinstance(node, ast.IfExp):
            # The arms read the variable's current value (``c = c if t else -c``): the new
            # name means the variable only once both arms are normalized.
            target = self.bind_name(user_name, activate=False)
            self.if_expression(node, target)
            self.current[user_name] = target
            return
        value, op, _ = self.operation(node)
        target = self.bind_name(user_name)
        self.emit(target, value, op, user_name)
        if op.kind in ("copy", "stop") and isinstance(value, ast.Name) \
                and value.id in self.arguments:
            self.arguments.add(target)  # another name for the caller's array

    def unpack_call(self, target: ast.Tuple, node: ast.Call) -> None:
        """``a, b = f(x)``: the call's tuple in a temporary, then one item per name."""
        value, op, base = self.operation(node)
        whole = self.temporary(value, op, base)
        size = len(target.elts)
        for k, name in enumerate(target.elts):
            assert isinstance(name, ast.Name)
            item = ast.Subscript(whole, ast.Constant(k), ast.Load())
            self.emit(self.bind_name(name.id), item,
                      Operation("item", "tuple item", None,
                                {"tuple": whole, "index": ast.Constant(k),
                                 "size": ast.Constant(size)}), name.id)

    def nested_def(self, node: ast.FunctionDef) -> None:
        """Lift a nested ``def`` out: the enclosing variables it reads become keyword-only
        parameters (see :class:`~srcdiff.parse.LocalFunction`)."""
        own = {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
        own |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store)}
        free = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)
                       and isinstance(n.ctx, ast.Load) and n.id in self.locals} - own)
        lifted = copy.deepcopy(node)
        lifted.name = self.namer.fresh(f"{self.source.name}_{node.name}")
        lifted.decorator_list = []
        lifted.args.kwonlyargs = lifted.args.kwonlyargs + [ast.arg(v) for v in free]
        lifted.args.kw_defaults = lifted.args.kw_defaults + [None] * len(free)
        source = Source(lifted, self.source.filename, self.source.lines, self.source.namespace,
                        self.source.module_constants)
        function = LocalFunction(source, free, node.name)
        self.local_functions[node.name] = function
        self.all_local_functions.append(function)

    def append(self, stmt: ast.Expr) -> None:
        """``items.append(value)`` on a local list, in place (the list keeps its name)."""
        call = stmt.value
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        holder = call.func.value
        assert isinstance(holder, ast.Name)
        if holder.id not in self.locals or holder.id not in self.current:
            self.problem(stmt, f"append to {holder.id!r}, which is not a local list",
                         f"build a local list: {holder.id} = []")
            return
        name = self.current[holder.id]
        if name in self.arguments:
            self.problem(stmt, f"append to the argument {holder.id!r} would change the "
                         "caller's list", f"copy it first: {holder.id} = list({holder.id})")
            return
        value = self.value_atom(call.args[0])
        self.emit(name, value, Operation("append", "append to a list", None,
                                         {"items": ast.Name(name, ast.Load()), "value": value},
                                         origin=self.source.origin(stmt)), holder.id)

    def value_atom(self, node: ast.expr) -> ast.expr:
        """An atom for a value stored somewhere (appended, written into an array): a tuple
        gets a name of its own, so its adjoint or tangent has one too."""
        if isinstance(node, ast.Tuple):
            value, op, base = self.operation(node)
            return self.temporary(value, op, base)
        return self.atom(node)

    def bind_atom(self, user_name: str, atom: ast.expr) -> None:
        """``user_name = atom`` for an atom already normalized (its names are final)."""
        target = self.bind_name(user_name)
        self.emit(target, atom, Operation("copy", "assignment", None, {"x": atom}), user_name)
        if isinstance(atom, ast.Name) and atom.id in self.arguments:
            self.arguments.add(target)

    def set_item(self, target: ast.Subscript, node: ast.expr) -> None:
        """``array[index] = value`` on a local array, in place; the slot's old value is kept
        (``saved``) so the backward sweep can put it back."""
        array = target.value
        assert isinstance(array, ast.Name)
        if array.id not in self.locals or array.id not in self.current:
            self.problem(target, f"assignment into {array.id!r}, which is not a local array",
                         f"make a local copy first: {array.id} = np.copy({array.id})")
            return
        name = self.current[array.id]
        if name in self.arguments:
            self.problem(target, f"assignment into the argument {array.id!r} would change the "
                         "caller's array", f"make a local copy first: "
                         f"{array.id} = np.copy({array.id})")
            return
        index = self.index(target.slice)
        value = self.value_atom(node)
        saved = self.namer.fresh(f"{name}_overwritten")
        self.origin = self.source.origin(target)
        array_atom = ast.Name(name, ast.Load())
        op = Operation("setitem", "subscript assignment", None,
                       {"array": array_atom, "value": value, "index": index},
                       origin=self.source.origin(target), saved=saved)
        self.emit(name, value, op, array.id)

    def opaque(self, stmt: ast.stmt) -> ast.expr:
        """Stand-in for a statement the fence rejected: it binds what the statement stores
        and depends on everything it reads, but has no derivative and is never reported."""
        reads = sorted({n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                        and isinstance(n.ctx, ast.Load) and n.id in self.current})
        op = Operation("opaque", "unsupported statement", None,
                       {f"arg{i}": ast.Name(self.current[n], ast.Load())
                        for i, n in enumerate(reads)})
        stores = sorted({n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                         and isinstance(n.ctx, ast.Store)})
        for name in stores:
            self.emit(self.bind_name(name), ast.Constant(None), op, name)
            self.opaque_names.add(self.current[name])
        return self.temporary(ast.Constant(None), op, "opaque")

    def statement(self, stmt: ast.stmt) -> None:
        self.origin = self.source.origin(stmt)
        if id(stmt) in self.opaque_ids:
            self.opaque(stmt)
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript):
            self.set_item(stmt.targets[0], stmt.value)
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Tuple) \
                and isinstance(stmt.value, ast.Call):
            self.unpack_call(stmt.targets[0], stmt.value)
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Tuple):
            # a, b = x, y: every value first, then every name (a swap stays a swap)
            target, value = stmt.targets[0], stmt.value
            assert isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
            atoms = [self.atom(v) for v in value.elts]
            for name, atom in zip(target.elts, atoms, strict=True):
                assert isinstance(name, ast.Name)
                self.bind_atom(name.id, atom)
        elif isinstance(stmt, ast.Assign):
            first, *rest = stmt.targets
            assert isinstance(first, ast.Name)
            self.assign(first.id, stmt.value)
            for target in rest:
                assert isinstance(target, ast.Name)
                self.assign(target.id, ast.Name(first.id, ast.Load()))
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Subscript):
            read = ast.Subscript(stmt.target.value, stmt.target.slice, ast.Load())
            combined = ast.BinOp(ast.copy_location(read, stmt.target), stmt.op, stmt.value)
            ast.copy_location(combined, stmt)
            self.set_item(stmt.target, combined)
        elif isinstance(stmt, ast.AugAssign):
            assert isinstance(stmt.target, ast.Name)
            combined = ast.BinOp(ast.Name(stmt.target.id, ast.Load()), stmt.op, stmt.value)
            ast.copy_location(combined, stmt)
            before = self.current.get(stmt.target.id)
            self.assign(stmt.target.id, combined)
            if before is not None:  # (an array changes in place: srcdiff/aliasing.py)
                self.in_place[self.current[stmt.target.id]] = before
        elif isinstance(stmt, ast.AnnAssign):
            assert isinstance(stmt.target, ast.Name) and stmt.value is not None
            self.assign(stmt.target.id, stmt.value)
        elif isinstance(stmt, ast.Expr) and is_append(stmt):
            self.append(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            self.nested_def(stmt)
        elif isinstance(stmt, ast.If):
            self.if_statement(stmt)
        elif isinstance(stmt, ast.For):
            self.for_statement(stmt)
        elif isinstance(stmt, ast.While):
            self.while_statement(stmt)
        elif isinstance(stmt, ast.Return):
            self.returned(stmt)
        elif isinstance(stmt, ast.With):
            saved, self.in_no_grad = self.in_no_grad, True
            for inner in stmt.body:
                self.statement(inner)
            self.in_no_grad = saved
        else:  # docstrings and 'pass'
            pass

    def returned(self, stmt: ast.Return) -> None:
        """``return value``: bind the function's result (merged across branches like any
        variable); a single return at the end keeps a plain name as the result."""
        assert stmt.value is not None
        self.result_origin = self.origin
        if isinstance(stmt.value, ast.Tuple):  # several outputs: one tuple value
            atoms = [self.atom(e) for e in stmt.value.elts]
            target = self.bind_name(RESULT)
            self.emit(target, ast.Tuple(atoms, ast.Load()),
                      Operation("pack", "tuple", None,
                                {f"item{k}": a for k, a in enumerate(atoms)}), RESULT)
            return
        if self.depth == 0 and _is_atom_expr(stmt.value, self.locals):
            value = self.atom(stmt.value)
            if isinstance(value, ast.Name):
                self.current[RESULT] = value.id
                return
            self.assign(RESULT, value)
            return
        self.assign(RESULT, stmt.value)

    def run(self) -> NormalFunction:
        func = self.source.node
        self.result_origin = self.source.origin(func)
        for stmt in func.body:
            self.statement(stmt)
        if self.problems:
            raise UnsupportedSyntaxError(self.problems, func.name)
        if RESULT in self.current:
            value: ast.expr = ast.Name(self.current[RESULT], ast.Load())
        else:  # the fence reported the missing return
            value = ast.Constant(None)
        result = Return(value, self.result_origin)
        return NormalFunction(func.name, self.params, func.args, self.block, result,
                              self.source, self.namer.taken - self.runtime_reserved,
                              self.globals, list(self.all_local_functions),
                              dict(self.in_place))


_ZERO = Rule("non-differentiable", zero=True)

#: The key under which the function's result is tracked like a variable (not an identifier,
#: so it never meets a user's name).
RESULT = "<return>"


def _is_user_function(obj: object) -> bool:
    """A Python function of the user's (live, or in a file srcdiff emit reads) that has no
    registered rule: it gets a derivative function of its own."""
    from srcdiff.parse import FileFunction

    if isinstance(obj, FileFunction):
        return lookup(obj) is None
    module = getattr(obj, "__module__", None) or ""
    return isinstance(obj, types.FunctionType) and lookup(obj) is None \
        and module != "srcdiff" and not module.startswith("srcdiff.")


def _signature(callee: object) -> inspect.Signature:
    from srcdiff.parse import FileFunction

    if isinstance(callee, FileFunction):
        args = callee.source.node.args
        positional = args.posonlyargs + args.args
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        params = []
        for arg, default in zip(positional, defaults, strict=True):
            value = inspect.Parameter.empty if default is None else _literal(default)
            params.append(inspect.Parameter(arg.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                            default=value))
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            value = inspect.Parameter.empty if default is None else _literal(default)
            params.append(inspect.Parameter(arg.arg, inspect.Parameter.KEYWORD_ONLY,
                                            default=value))
        if args.vararg is not None:
            params.append(inspect.Parameter(args.vararg.arg, inspect.Parameter.VAR_POSITIONAL))
        return inspect.Signature(params)
    return inspect.signature(callee)  # type: ignore[arg-type]


class _NotLiteral:
    """The default of a file function that is not a literal."""


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return _NotLiteral()


def _is_literal(value: object) -> bool:
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, complex, str))


def _is_range(node: ast.expr, source: Source) -> bool:
    """``range(...)`` or ``reversed(range(...))``: iterated as written."""
    if not isinstance(node, ast.Call):
        return False
    func = source.namespace.resolve(node.func)
    if func is range:
        return True
    return func is reversed and len(node.args) == 1 and _is_range(node.args[0], source)


def _free_locals(node: ast.expr, local_names: set[str]) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in local_names}


def _renamed(node: ast.expr, current: dict[str, str], local_names: set[str],
             globals_: set[str], keep: set[str] | frozenset[str] = frozenset()) -> ast.expr:
    class Rename(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.Name:
            if name.id in keep:  # a lifted nested def
                return ast.Name(name.id, ast.Load())
            if name.id in local_names:
                return ast.Name(current.get(name.id, name.id), ast.Load())
            globals_.add(name.id)
            return ast.Name(name.id, ast.Load())

    return Rename().visit(_strip_all(node))


def _strip_all(node: ast.expr) -> ast.expr:
    """A deep copy without source positions."""
    return ast.parse(unparse(node), mode="eval").body


def _rename_version(block: list[Stmt], old: str, new: str) -> None:
    """Rename the version ``old`` to ``new`` in ``block``: where it is bound and read."""

    def names(node: ast.AST | None) -> None:
        for sub in ast.walk(node) if node is not None else ():
            if isinstance(sub, ast.Name) and sub.id == old:
                sub.id = new

    for stmt in walk(block):
        if isinstance(stmt, Assign):
            if stmt.target == old:
                stmt.target = new
            names(stmt.value)
            for arg in stmt.op.args.values():
                names(arg)
        elif isinstance(stmt, If):
            names(stmt.test)
        else:
            names(stmt.iter)
            names(stmt.test)


def _retarget(block: list[Stmt], name: str, target: str) -> bool:
    """Rename the last assignment of ``block`` to ``target`` if it binds ``name`` and nothing
    after it reads ``name``; report whether it did."""
    if not block or not isinstance(block[-1], Assign) or block[-1].target != name \
            or block[-1].op.kind in ("setitem", "append"):  # (in place: binds nothing)
        return False
    block[-1].target = target
    return True


def _is_atom_expr(node: ast.expr, local_names: set[str]) -> bool:
    return isinstance(node, (ast.Name, ast.Constant)) or (
        isinstance(node, ast.Attribute) and _is_global_ref(node, local_names))


def _strip(node: ast.expr) -> ast.expr:
    """A copy of a global reference without source positions (positions are the user's)."""
    if isinstance(node, ast.Name):
        return ast.Name(node.id, ast.Load())
    if isinstance(node, ast.Attribute):
        return ast.Attribute(_strip(node.value), node.attr, ast.Load())
    return node


def _as_atom(value: Any) -> ast.expr:
    """Rule defaults are Python values; bound arguments are atoms."""
    if isinstance(value, ast.AST):
        return value  # type: ignore[return-value]
    if isinstance(value, tuple):
        return ast.Tuple([_as_atom(v) for v in value], ast.Load())
    return ast.Constant(value)


def normalize(source: Source, opaque: set[int] | None = None) -> NormalFunction:
    """Bring a fenced function into normal form (see the module docstring).

    ``opaque`` holds the ids of statements the fence rejected; they become stand-ins
    (operations of kind ``"opaque"``) so the rest of the function can still be analysed.
    """
    return _Normalizer(source, opaque or set()).run()
