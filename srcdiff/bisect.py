"""Gradient bisection: when a gradient check fails, find the first wrong source line.

The function's primal code runs once, in normal form, recording every intermediate value
(the last one, in a loop). Then each differentiable operation is checked on its own, in source
order: its rule's reverse template, on the recorded arguments and a random output adjoint,
against central finite differences of that one operation. The first operation that disagrees
is named with its file, line and rule: a wrong user-defined rule, or a built-in rule used
outside its domain, is found without reading the derivative code.
"""
from __future__ import annotations

import ast
import copy
import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff import analyze, canonicalize, fence, normalize, parse
from srcdiff.analyze import flowing_args
from srcdiff.emitter import runtime_namespace
from srcdiff.ir import assignments
from srcdiff.origin import Origin
from srcdiff.reverse import Request, _Reverse
from srcdiff.rules import registry

RECORD = "__srcdiff_record__"


@dataclass(frozen=True)
class Suspect:
    """An operation whose rule disagrees with finite differences of the operation itself."""

    origin: Origin
    rule: str
    param: str
    error: float
    tolerance: float

    def __str__(self) -> str:
        o = self.origin
        return (f"{o.filename}:{o.line}:{o.column}: the derivative of {self.rule} with respect "
                f"to its argument {self.param!r} differs from central finite differences of "
                f"this operation by {self.error:.3g} (tolerance {self.tolerance:.3g})\n    "
                f"{o.source_line.strip()}")


class _Record(ast.NodeTransformer):
    """After each assignment to a name, record the value it now holds."""

    def visit_Assign(self, node: ast.Assign) -> Any:
        target = node.targets[0]
        if len(node.targets) == 1 and isinstance(target, ast.Name):
            record = ast.Expr(ast.Call(ast.Name(RECORD, ast.Load()),
                                       [ast.Constant(target.id), ast.Name(target.id, ast.Load())],
                                       []))
            return [node, record]
        return node


def bisect(func: Any, args: tuple[Any, ...], wrt: tuple[str, ...], seed: int = 0,
           eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7) -> list[Suspect]:
    """The operations of ``func`` (on ``args``, for the parameters ``wrt``) whose rules
    disagree with finite differences, in source order (empty when every one agrees)."""
    source = parse.parse_function(func)
    canonicalize.canonicalize(source.node)
    _, rejected = fence.find(source)
    fn = normalize.normalize(source, rejected)
    act = analyze.activity(fn, list(wrt))
    builder = _Reverse(fn, act, Request("grad", wrt, True))
    body = _Record().visit(ast.Module(builder.forward_code(fn.body), []))
    params = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in fn.params], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    traced = ast.FunctionDef(name="__srcdiff_traced__", args=params,
                             body=body.body or [ast.Pass()], decorator_list=[], returns=None)
    module = ast.fix_missing_locations(ast.Module([traced], []))
    env: dict[str, Any] = dict(inspect.unwrap(func).__globals__)
    for name in fn.globals:
        value = source.namespace.lookup(name)
        if not isinstance(value, parse.Unresolved):
            env[name] = value
    env.update(runtime_namespace(builder.runtime_names))
    values: dict[str, Any] = {}
    env[RECORD] = lambda name, value: values.__setitem__(name, copy.copy(value))
    exec(compile(module, "<srcdiff bisection>", "exec"), env)  # noqa: S102  (the user's code)
    bound = inspect.signature(func).bind(*args)
    bound.apply_defaults()
    values.update(bound.arguments)
    env["__srcdiff_traced__"](*[bound.arguments[p] for p in fn.params])

    rng = np.random.default_rng(seed)
    suspects = []
    for stmt in assignments(fn.body):
        op = stmt.op
        if (stmt.target not in act.active or op.kind != "rule" or op.rule is None
                or op.rule.zero or stmt.target not in values):
            continue
        scope = {**env, **values}
        try:
            y = eval(compile(ast.Expression(_located(stmt.value)), "<op>", "eval"), scope)  # noqa: S307
        except Exception:  # noqa: BLE001  (a value the loop overwrote: not checkable here)
            continue
        arguments = {p: eval(compile(ast.Expression(_located(a)), "<arg>", "eval"), scope)  # noqa: S307
                     for p, a in op.args.items()}
        for param, atom in flowing_args(stmt).items():
            if not (isinstance(atom, ast.Name) and atom.id in act.active):
                continue
            x = arguments[param]
            if not isinstance(x, (float, np.floating, np.ndarray)) or \
                    np.asarray(x).dtype.kind != "f":
                continue
            u = rng.standard_normal(np.shape(y))
            try:
                g = registry.evaluate(op.rule, "vjp", param, arguments, y, u)
            except KeyError:
                continue
            if g is None:
                continue
            numeric = np.zeros(np.shape(x))
            for position in np.ndindex(np.shape(x)):
                sums = []
                for step in (eps, -eps):
                    moved = np.array(x, dtype=np.float64)
                    moved[position] += step
                    shifted = dict(scope, **{atom.id: moved if np.ndim(x) else float(moved)})
                    out = eval(compile(ast.Expression(_located(stmt.value)), "<op>", "eval"),  # noqa: S307
                               shifted)
                    sums.append(float(np.sum(u * np.asarray(out, dtype=np.float64))))
                numeric[position] = (sums[0] - sums[1]) / (2 * eps)
            error = float(np.max(np.abs(np.asarray(g, np.float64) - numeric), initial=0.0))
            tolerance = atol + rtol * float(np.max(np.abs(numeric), initial=0.0))
            if not error <= tolerance:
                suspects.append(Suspect(op.origin or stmt.origin, op.rule.name, param, error,
                                        tolerance))
    return suspects


def _located(node: ast.expr) -> ast.expr:
    return ast.fix_missing_locations(copy.deepcopy(node))
