"""Forward pass: tangent code, from the same rules table as the reverse pass.

The forward derivative of ``f`` w.r.t. ``x`` in the direction ``dx`` runs the primal code
once; after each statement whose value depends on ``x`` it computes that value's tangent
(``dy`` is the tangent of ``y`` here) from the rule's forward templates, summed over the
arguments that carry one. Branches and loops are kept as written (no saving: tangents travel
with the values), a carried loop variable's tangent is carried with it, and a call to a user
function calls that function's own forward derivative, which returns the value and its
tangent together.

It shares naming, runtime aliases and error reporting with the reverse pass's builder.
"""
from __future__ import annotations

import ast

from srcdiff.analyze import Activity, flowing_args
from srcdiff.errors import UnsupportedSyntaxError
from srcdiff.ir import Assign, If, Loop, NormalFunction, Stmt
from srcdiff.reverse import (
    Callee,
    Derivative,
    Request,
    _assign,
    _hint,
    _index_value,
    _name,
    _Reverse,
    bound_in,
    bound_outside_loops,
    comment,
    sequence_names,
)
from srcdiff.rules.registry import instantiate


def jvp_name(func: object, wrt: list[str] | tuple[str, ...], kind: str = "jvp") -> str:
    """``jvp_layer_W_x``: the forward derivative of ``layer`` w.r.t. ``W`` and ``x``
    (``batch_jvp_layer_W_x`` its batched form)."""
    return "_".join([kind, getattr(func, "__name__", "f"), *wrt])


class _Forward(_Reverse):
    """Builds ``jvp_f(params..., dparams...) -> (value, tangent)``."""

    def tangent(self, atom: ast.expr) -> ast.expr:
        """The tangent of an atom: its tangent variable, or zeros when it has none."""
        if isinstance(atom, ast.Name) and atom.id in self.act.active:
            name = self.adjoint(atom.id)
            if name in self.defined:
                return _name(name)
        return self.zeros_like_expr(atom)

    def zeros_like_expr(self, atom: ast.expr) -> ast.expr:
        tuple_like = isinstance(atom, ast.Name) and atom.id in self.tuple_names
        if self.batch is not None:
            helper = "batch_zero_tangents" if tuple_like else "batch_zeros"
            return ast.Call(self.runtime(helper), [atom, _name(self.batch)], [])
        if tuple_like:
            return ast.Call(self.runtime("zero_tangents"), [atom], [])
        return ast.Call(ast.Attribute(self.runtime("np"), "zeros_like", ast.Load()), [atom], [])

    def has_tangent(self, atom: ast.expr) -> bool:
        return (isinstance(atom, ast.Name) and atom.id in self.act.active
                and self.adjoint(atom.id) in self.defined)

    def define(self, name: str, value: ast.expr) -> ast.stmt:
        """``d<name> = value``."""
        target = self.adjoint(name)
        self.defined.add(target)
        return self.accumulate_assign(target, value)

    # statements ---------------------------------------------------------------------------
    def code(self, body: list[Stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            if isinstance(stmt, If):
                out += self.forward_if(stmt)
            elif isinstance(stmt, Loop):
                out += self.forward_loop_with_tangents(stmt)
            else:
                out += self.statement(stmt)
        return out

    def statement(self, stmt: Assign) -> list[ast.stmt]:
        op = stmt.op
        active = stmt.target in self.act.active
        if op.kind == "setitem":
            return self.setitem(stmt)
        if op.kind == "append":
            return self.append(stmt)
        if op.kind == "call" and active and any(self.has_tangent(a)
                                                for a in flowing_args(stmt).values()):
            return self.call(stmt)
        pure = op.rule is not None or not isinstance(stmt.value, ast.Call)
        code: list[ast.stmt] = [_assign(stmt.target, stmt.value, pure, primal=True)]
        if not active:
            return code
        tangent = self.tangent_of(stmt)
        if tangent is not None:
            if stmt.origin != self.last_origin:
                code.insert(0, comment(stmt.origin.comment()))
                self.last_origin = stmt.origin
            code.append(self.define(stmt.target, tangent))
        else:
            self.defined.discard(self.adjoint(stmt.target))
        return code

    def tangent_of(self, stmt: Assign) -> ast.expr | None:
        """The tangent of ``stmt``'s value: the sum of the forward templates of the arguments
        that have a tangent; None when none has."""
        op = stmt.op
        y = _name(stmt.target)
        if op.kind in ("stop", "opaque") or op.zero or stmt.no_grad:
            # (before the copies: ``v = x`` under no_grad is a constant even when ``v`` is
            # active elsewhere, as a variable a loop carries)
            return None
        if op.kind == "copy":
            atom = op.args["x"]
            return self.tangent(atom) if self.has_tangent(atom) else None
        if op.kind == "pack":
            items = list(op.args.values())
            if not any(self.has_tangent(a) for a in items):
                return None
            self.tuple_names.add(stmt.target)
            display = ast.List if isinstance(stmt.value, ast.List) else ast.Tuple
            return display([self.tangent(a) for a in items], ast.Load())
        if op.kind == "pop":  # the list of tangents loses its last item too
            items = op.args["items"]
            if not self.has_tangent(items):
                return None
            return ast.Call(ast.Attribute(self.tangent(items), "pop", ast.Load()), [], [])
        if op.kind == "item":
            whole = op.args["tuple"]
            if not self.has_tangent(whole):
                return None
            return ast.Subscript(self.tangent(whole), op.args["index"], ast.Load())
        if op.rule is None:
            if any(self.has_tangent(a) for a in flowing_args(stmt).values()):
                self.problem(stmt, f"no derivative rule for {op.what}", _hint(op.what))
            return None
        terms: list[ast.expr] = []
        for param, atom in flowing_args(stmt).items():
            if not self.has_tangent(atom):
                continue
            if not isinstance(atom, ast.Name):
                self.problem(stmt, f"differentiating {op.what} through a tuple argument",
                             "pass arrays, not tuples of differentiated values")
                continue
            template = self.rule_template(stmt, "jvp", param)
            if template is None:
                continue
            mapping: dict[str, ast.expr] = dict(op.args)
            mapping["y"] = y
            mapping[f"d{param}"] = self.tangent(atom)
            for node in ast.walk(template):
                if isinstance(node, ast.Name) and node.id not in mapping and (
                        node.id in _runtime_names()):
                    mapping[node.id] = self.runtime(node.id)
            terms.append(instantiate(template, mapping))
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = ast.BinOp(total, ast.Add(), term)
        return total

    def call(self, stmt: Assign) -> list[ast.stmt]:
        """``y, dy = jvp_f(args..., dargs...)``: the callee's own forward derivative."""
        op = stmt.op
        params = [p for p, a in op.args.items() if self.has_tangent(a)]
        if any(caller is op.callee for caller in self.request.callers):
            name = getattr(op.callee, "__name__", "function")
            self.problem(stmt, f"recursive call to {name!r}",
                         "srcdiff differentiates recursion-free code; write the recursion "
                         "as a loop")
            return [_assign(stmt.target, stmt.value, pure=False, primal=True)]
        key = (id(op.callee), tuple(params))
        if key not in self.callees:
            kind = "batch_jvp" if self.request.batched else "jvp"
            self.callees[key] = Callee(op.callee, tuple(params),
                                       jvp_name(op.callee, params, kind), kind=kind)
            self.namer.reserve(self.callees[key].alias)
        callee = self.callees[key]
        tangents = [self.tangent(op.args[p]) for p in params]
        tangent_arg: ast.expr = tangents[0] if len(tangents) == 1 else \
            ast.Tuple(tangents, ast.Load())
        call = ast.Call(_name(callee.alias), [*op.args.values(), tangent_arg], [])
        target = self.adjoint(stmt.target)
        self.defined.add(target)
        unpack = ast.Assign([ast.Tuple([ast.Name(stmt.target, ast.Store()),
                                        ast.Name(target, ast.Store())], ast.Store())], call)
        self.last_origin = stmt.origin
        return [comment(stmt.origin.comment()), unpack]

    def setitem(self, stmt: Assign) -> list[ast.stmt]:
        """``array[index] = value``; the tangent array gets the value's tangent there."""
        op = stmt.op
        index, value = op.args["index"], op.args["value"]
        write = ast.Assign([ast.Subscript(_name(stmt.target), index, ast.Store())], value)
        code: list[ast.stmt] = []
        if stmt.target in self.act.active and (self.has_tangent(value)
                                               or self.has_tangent(_name(stmt.target))):
            before = self.tangent(_name(stmt.target))
            helper = "batch_set_slot" if self.request.batched else "set_slot"
            slot = ast.Call(self.runtime(helper), [
                before, _index_value(index, self.runtime("np")), self.tangent(value)], [])
            code += [write, self.define(stmt.target, slot)]
        else:
            code.append(write)
        return code

    def append(self, stmt: Assign) -> list[ast.stmt]:
        """``items.append(value)``; the list of tangents gets the value's tangent."""
        value = stmt.op.args["value"]
        holder = _name(stmt.target)
        push = ast.Expr(ast.Call(ast.Attribute(holder, "append", ast.Load()), [value], []))
        if stmt.target not in self.act.active or not (self.has_tangent(value)
                                                        or self.has_tangent(holder)):
            return [push]
        self.tuple_names.add(stmt.target)
        code: list[ast.stmt] = []
        if not self.has_tangent(holder):  # the items so far have zero tangents
            code.append(self.define(stmt.target, ast.Call(self.runtime("zero_tangents"),
                                                          [holder], [])))
        code.append(push)
        tangents = _name(self.adjoint(stmt.target))
        code.append(ast.Expr(ast.Call(ast.Attribute(tangents, "append", ast.Load()),
                                      [self.tangent(value)], [])))
        return code

    def forward_if(self, stmt: If) -> list[ast.stmt]:
        """Both branches as written, each computing its tangents; a tangent one branch
        defines and the other does not is zeros in the other."""
        before = set(self.defined)
        self.last_origin = stmt.origin
        body = self.code(stmt.body)
        after_body, self.defined = self.defined, set(before)
        self.last_origin = stmt.origin
        orelse = self.code(stmt.orelse)
        after_else = self.defined

        # A name only one branch binds does not exist after the other: no tangent to match.
        local = {self.adjoint(n) for n in bound_in(stmt.body) ^ bound_in(stmt.orelse)}
        for code, mine, other in ((body, after_body, after_else),
                                  (orelse, after_else, after_body)):
            for tangent in sorted(other - mine - local):
                code.append(_assign(tangent, self.zeros_like_expr(
                    _name(self.primal[tangent]))))
        self.defined = after_body | after_else
        self.last_origin = None
        return [ast.If(stmt.test, body or [ast.Pass()], orelse)]

    def forward_loop_with_tangents(self, loop: Loop) -> list[ast.stmt]:
        """The loop as written; carried variables carry their tangents. A carried variable
        whose tangent does not exist yet starts with zeros, so every iteration sees one."""
        pre: list[ast.stmt] = []
        # written into or appended to; an array or list the body creates (each iteration
        # anew) starts its tangent there, not before the loop, where it does not exist yet
        created = {a.target for a in _assignments(loop.body)
                   if a.op.kind not in ("setitem", "append")}
        mutated = [a.target for a in _assignments(loop.body)
                   if a.op.kind in ("setitem", "append") and a.target not in created]
        # a variable an inner loop carries is carried by this one too, unless this body
        # binds it afresh before the inner loop (then the inner loop starts its tangent)
        fresh = bound_outside_loops(loop.body)
        nested = [c.target for inner in _walk(loop.body) if isinstance(inner, Loop)
                  for c in inner.copies if c.target not in fresh]
        for outer in [c.target for c in loop.copies] + nested + mutated:
            # carried and written-into values: their tangents must exist in every iteration
            if outer in self.act.active and self.adjoint(outer) not in self.defined:
                pre.append(self.define(outer, self.zeros_like_expr(_name(outer))))
        start = set(self.defined)
        self.last_origin = loop.origin
        body = self.code(loop.body)
        copies: list[ast.stmt] = []
        for copy in loop.copies:
            copies += self.statement(copy)
        for tangent in sorted(start - self.defined):  # keep every iteration alike
            copies.append(_assign(tangent, self.zeros_like_expr(_name(self.primal[tangent]))))
        self.defined = start | self.defined
        self.last_origin = None
        body += copies
        if loop.kind == "for":
            assert loop.target is not None and loop.iter is not None
            node: ast.stmt = ast.For(ast.Name(loop.target, ast.Store()), loop.iter,
                                     body or [ast.Pass()], [])
        else:
            assert loop.test is not None
            node = ast.While(loop.test, body or [ast.Pass()], [])
        return pre + [node]

    # ------------------------------------------------------------------------------------
    def build(self) -> Derivative:
        fn, request = self.fn, self.request
        self.tuple_names |= sequence_names(fn)  # values whose tangent is a list or tuple
        tangent_params = []
        for param in request.wrt:
            name = self.adjoint(param)
            tangent_params.append(name)
            if param in self.act.active:
                self.defined.add(name)
        body = self.code(fn.body)
        if self.problems:
            raise UnsupportedSyntaxError(self.problems, fn.name)
        out = fn.result.value
        value_tangent = self.tangent(out) if self.has_tangent(out) else \
            self.zeros_like_expr(out)
        batch = "batch_" if request.batched else ""
        result = ast.Tuple([out, ast.Call(self.runtime(f"{batch}as_tangent"),
                                          [value_tangent, out], [])], ast.Load())
        doc = (f"Value and tangent of {fn.name} in the direction "
               f"{', '.join(tangent_params)} of {', '.join(request.wrt)} "
               f"({fn.source.origin(fn.source.node).short}).")
        if request.batched:
            doc = (f"Value of {fn.name} and its tangents in a batch of directions "
                   f"{', '.join(tangent_params)} of {', '.join(request.wrt)} (first axis) "
                   f"({fn.source.origin(fn.source.node).short}).")
        if request.as_tuple and len(tangent_params) > 1:
            unpack_name = self.namer.fresh("tangents")
            head: list[ast.stmt] = [ast.Assign(
                [ast.Tuple([ast.Name(t, ast.Store()) for t in tangent_params], ast.Store())],
                _name(unpack_name))]
            signature_tangents = [unpack_name]
        elif request.as_tuple:
            unpack_name = self.namer.fresh("tangents")
            head = [ast.Assign([ast.Name(tangent_params[0], ast.Store())],
                               ast.Subscript(_name(unpack_name), ast.Constant(0), ast.Load()))]
            signature_tangents = [unpack_name]
        else:
            head = []
            signature_tangents = tangent_params
        if self.batch is not None:
            head.append(_assign(self.batch, ast.Call(_name("len"), [_name(tangent_params[0])],
                                                     [])))
        node = ast.FunctionDef(
            name=request.name or self.namer.fresh(f"{batch}jvp_{fn.name}"),
            args=ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in fn.params]
                               + [ast.arg(t) for t in signature_tangents], vararg=None,
                               kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
            body=[ast.Expr(ast.Constant(doc)), *head, *body, ast.Return(result)],
            decorator_list=[], returns=None, type_comment=None)
        return Derivative(node, dict(self.runtime_names), set(fn.globals),
                          list(self.callees.values()), list(fn.local_functions))


def _walk(body: list[Stmt]):
    from srcdiff.ir import walk

    return walk(body)


def _assignments(body: list[Stmt]):
    from srcdiff.ir import assignments

    return assignments(body)


def _runtime_names() -> set[str]:
    from srcdiff.reverse import HELPERS
    from srcdiff.rules.registry import TEMPLATE_MODULES

    return set(HELPERS) | set(TEMPLATE_MODULES)


def forward(fn: NormalFunction, act: Activity, request: Request) -> Derivative:
    """Build the forward derivative of ``fn`` (see the module docstring)."""
    return _Forward(fn, act, request).build()

