"""The function as srcdiff differentiates it, for finite differences (``check_grad``).

``stop_gradient(v)`` and ``with no_grad():`` make a derivative differ, by design, from the
derivative of the function as Python runs it: the values they produce are constants for
srcdiff. Finite differences of the function itself would count the dependence srcdiff cuts, so
a correct gradient would fail the check. :func:`frozen` returns a copy of the function in
which those values *are* constants: it is compiled from the function's source with every
``stop_gradient(e)`` and the end of every ``no_grad`` block routed through a recorder. The
first call records the values (the unperturbed arguments), later calls replay them (the
perturbed ones), so finite differences differentiate the function srcdiff differentiates.

The function's own source is rewritten (nested defs included), and so are the user functions
it calls by name that cut a dependence (they share the recording). A perturbed call that
reaches another sequence of cuts than the recorded one (a branch flipped) raises
:class:`PathChanged`.
"""
from __future__ import annotations

import ast
import copy
import inspect
import types
from typing import Any

from srcdiff.errors import SrcdiffError
from srcdiff.parse import Source, parse_function

#: The name of the recorder inside the rewritten function (a free variable, not a global).
RECORDER = "__srcdiff_cut__"


class PathChanged(SrcdiffError):
    """A perturbed call reached other ``stop_gradient``/``no_grad`` values than recorded."""


class _Recorder:
    """Records the cut values of the first call, then replays them in order."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.recording = True
        self.position = 0

    def __call__(self, value: Any) -> Any:
        if self.recording:
            self.values.append(copy.deepcopy(value))
            return value
        if self.position >= len(self.values):
            raise PathChanged("a perturbed call reached more stop_gradient/no_grad values than "
                              "the unperturbed call")
        recorded = self.values[self.position]
        self.position += 1
        return copy.deepcopy(recorded)

    def start(self) -> None:
        """Begin a call: replay from the first value (after the recording call)."""
        self.position = 0

    def finish(self) -> None:
        if self.recording:
            self.recording = False
        elif self.position != len(self.values):
            raise PathChanged("a perturbed call reached fewer stop_gradient/no_grad values "
                              "than the unperturbed call")


class _Cuts(ast.NodeTransformer):
    """Route ``stop_gradient(e)`` and the names a ``no_grad`` block binds through the
    recorder; count what was routed."""

    def __init__(self, source: Source) -> None:
        from srcdiff.control import no_grad, stop_gradient

        self.source, self.stop_gradient, self.no_grad = source, stop_gradient, no_grad
        self.count = 0

    def recorded(self, value: ast.expr) -> ast.Call:
        self.count += 1
        return ast.Call(ast.Name(RECORDER, ast.Load()), [value], [])

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        if len(node.args) == 1 and not node.keywords \
                and self.source.namespace.resolve(node.func) is self.stop_gradient:
            return self.recorded(node.args[0])
        return node

    def visit_With(self, node: ast.With) -> ast.stmt:
        self.generic_visit(node)
        item = node.items[0].context_expr if len(node.items) == 1 else None
        if not (isinstance(item, ast.Call) and
                self.source.namespace.resolve(item.func) is self.no_grad):
            return node
        exits = (ast.Return, ast.Break, ast.Continue)
        if any(isinstance(sub, exits) for stmt in node.body for sub in ast.walk(stmt)):
            return node  # its bindings are not all made at its end: left as written
        names = sorted({sub.id for stmt in node.body for sub in ast.walk(stmt)
                        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)})
        for name in names:
            node.body.append(ast.Assign([ast.Name(name, ast.Store())],
                                        self.recorded(ast.Name(name, ast.Load()))))
        return node


def frozen(func: Any) -> Any:
    """``func`` with its ``stop_gradient`` values and ``no_grad`` bindings fixed at those of
    its first call (see the module docstring); ``func`` itself when it has none."""
    func = inspect.unwrap(getattr(func, "__srcdiff_original__", func))  # (as parse reads it)
    recorder = _Recorder()
    rewritten = _rewrite(func, recorder, {})
    if rewritten is func:
        return func

    def run(*args: Any, **kwargs: Any) -> Any:
        recorder.start()
        result = rewritten(*args, **kwargs)
        recorder.finish()
        return result

    run.__name__ = func.__name__
    return run


def _rewrite(func: Any, recorder: _Recorder, done: dict[int, Any]) -> Any:
    """``func`` compiled anew with its cuts routed through ``recorder``, and the user functions
    it calls by name likewise (``done``: those rewritten so far); ``func`` itself when neither
    it nor its callees cut a dependence."""
    func = inspect.unwrap(getattr(func, "__srcdiff_original__", func))
    if id(func) in done:
        return done[id(func)]
    done[id(func)] = func  # (a recursive call: as written)
    code = getattr(func, "__code__", None)
    if code is None or not isinstance(func, types.FunctionType):
        return func
    try:
        source = parse_function(func)
    except SrcdiffError:
        return func
    node = copy.deepcopy(source.node)
    cuts = _Cuts(source)
    node = cuts.visit(node)
    callees: dict[str, Any] = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) \
                and sub.func.id not in callees:
            try:
                callee = source.namespace.resolve(sub.func)
            except Exception:  # a local name, or one not bound yet: not a module function
                continue
            if isinstance(callee, types.FunctionType) and callee is not func:
                new = _rewrite(callee, recorder, done)
                if new is not inspect.unwrap(callee):
                    callees[sub.func.id] = new
    if not cuts.count and not callees:
        return func
    node.decorator_list = []
    free = list(code.co_freevars)
    shadowed = [name for name in callees if name not in free]
    # def outer(<free variables>, <rewritten callees>, RECORDER): def f(...): ...; these
    # become the rewritten function's closure.
    outer = ast.FunctionDef(
        name="__srcdiff_outer__",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in [*free, *shadowed,
                                                                     RECORDER]],
                           kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=[node, ast.Return(ast.Name(node.name, ast.Load()))], decorator_list=[],
        returns=None)
    if hasattr(outer, "type_params"):  # (Python 3.12 and later)
        outer.type_params = []
    module = ast.fix_missing_locations(ast.Module([outer], type_ignores=[]))
    compiled = compile(module, code.co_filename, "exec")
    outer_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    inner_code = next(c for c in outer_code.co_consts if isinstance(c, types.CodeType)
                      and c.co_name == node.name)
    cells = dict(zip(free, func.__closure__ or (), strict=True))
    cells.update({name: types.CellType(new) for name, new in callees.items()})
    cells[RECORDER] = types.CellType(recorder)
    closure = tuple(cells[name] for name in inner_code.co_freevars)
    rewritten = types.FunctionType(inner_code, func.__globals__, func.__name__,
                                   func.__defaults__, closure)
    rewritten.__kwdefaults__ = func.__kwdefaults__
    done[id(func)] = rewritten
    return rewritten
