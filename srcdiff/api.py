"""The public operators: ``grad``, ``value_and_grad``, ``vjp``, ``emit``, ``check_grad``.

Each operator builds the derivative code of a function once, on first use, through the
pipeline ``parse -> canonicalize -> fence -> normalize -> analyze -> reverse -> optimize ->
saves -> emit``, and caches
the result per (function, wrt, kind). The built code is a real module file, so tracebacks and
``inspect`` show the generated lines.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import inspect
import linecache
import os
import sys
import tempfile
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from srcdiff import (
    aliasing,
    analyze,
    canonicalize,
    checkpoint,
    fence,
    forward,
    normalize,
    optimize,
    parse,
    reverse,
    saves,
)
from srcdiff import emitter as emit_pass
from srcdiff.errors import (
    GradientCheckError,
    NonScalarOutputError,
    SrcdiffError,
    UnsupportedSyntaxError,
)
from srcdiff.frozen import frozen
from srcdiff.rules import lookup

Wrt = int | str | tuple[int | str, ...]


@dataclass(frozen=True)
class Built:
    """A derivative built from source: the callable, its text, and the names it reads."""

    func: Callable[..., Any]
    text: str
    node: ast.FunctionDef


def _parameters(func: Any) -> list[inspect.Parameter]:
    return list(inspect.signature(func).parameters.values())


def where(func: Any) -> str:
    """``file:line:column: `` of the ``def`` of a live function (empty when it has no code),
    to start a message about that function."""
    func = getattr(func, "__srcdiff_original__", func)
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        return ""
    line = code.co_firstlineno
    text = linecache.getline(code.co_filename, line)
    while text.lstrip().startswith("@"):  # decorators come first: point at the def itself
        line += 1
        text = linecache.getline(code.co_filename, line)
    column = len(text) - len(text.lstrip()) + 1 if text else 1
    return f"{code.co_filename}:{line}:{column}: "


def resolve_wrt(func: Any, params: list[str], wrt: Wrt) -> tuple[tuple[str, ...], bool]:
    """Turn ``wrt`` (index, name, or a tuple of them) into parameter names; a bad ``wrt``
    raises :class:`SrcdiffError` located at the function's ``def``."""
    try:
        return _resolve_wrt(func, params, wrt)
    except SrcdiffError as exc:
        raise SrcdiffError(where(func) + str(exc)) from None


def _resolve_wrt(func: Any, params: list[str], wrt: Wrt) -> tuple[tuple[str, ...], bool]:
    as_tuple = isinstance(wrt, tuple)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    if not items:
        raise SrcdiffError("wrt=() names no parameter to differentiate with respect to")
    names: list[str] = []
    listing = ", ".join(params)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise SrcdiffError(f"wrt must be a parameter index or name, not {item!r}")
        if isinstance(item, int):
            if not -len(params) <= item < len(params):
                raise SrcdiffError(f"wrt={item} is out of range: {func.__name__}({listing}) has "
                                   f"{len(params)} parameter{'s' if len(params) != 1 else ''}")
            name = params[item]
        else:
            if item not in params:
                raise SrcdiffError(f"wrt={item!r}: {func.__name__}({listing}) has no parameter "
                                   f"named {item!r}")
            name = item
        if name in names:
            raise SrcdiffError(f"wrt names parameter {name!r} twice")
        names.append(name)
    return tuple(names), as_tuple


def build_from_source(source: parse.Source, request: reverse.Request) -> reverse.Derivative:
    """Run the pipeline on parsed source: the straight-line driver of the compiler."""
    canonicalize.canonicalize(source.node)
    problems, rejected = fence.find(source)
    try:
        normal = normalize.normalize(source, rejected)
        problems += aliasing.check(normal)
        activity = analyze.activity(normal, list(request.wrt))
        if request.kind == "jvp":
            derivative = forward.forward(normal, activity, request)
        else:
            derivative = reverse.reverse(normal, activity, request)
    except UnsupportedSyntaxError as error:  # report the fence's findings in the same error
        raise UnsupportedSyntaxError(problems + error.problems, source.name) from None
    if problems:
        raise UnsupportedSyntaxError(problems, source.name)
    optimize.optimize(derivative.node, derivative.runtime_names)
    if saves.uses_stacks(derivative.node):
        derivative.runtime_names.setdefault("shape_only", "shape_only")
    saves.insert_saves(derivative.node, derivative.runtime_names, derivative.described)
    checkpoint.finish(derivative.node, derivative.checkpointed)
    return derivative


def _cache_dir() -> str:
    user = os.getuid() if hasattr(os, "getuid") else 0
    path = os.path.join(tempfile.gettempdir(), f"srcdiff-{user}")
    os.makedirs(path, exist_ok=True)
    return path


def _live_local(function: parse.LocalFunction, globals_: dict[str, Any]) -> Any:
    """The lifted nested function as a Python function reading the enclosing module's
    globals (compiled from the user's own nodes, so tracebacks show the user's lines)."""
    node = function.source.node
    module = ast.fix_missing_locations(ast.Module([node], []))
    code = compile(module, function.source.filename, "exec")
    inner = next(c for c in code.co_consts if isinstance(c, types.CodeType)
                 and c.co_name == node.name)
    defaults = tuple(ast.literal_eval(d) for d in node.args.defaults)
    live = types.FunctionType(inner, globals_, node.name, defaults or None)
    return live


def _load(derivative: reverse.Derivative, source: parse.Source,
          callers: tuple[Any, ...], globals_: dict[str, Any],
          checkpoint: int | str | None = None) -> Built:
    """Execute the derivative's module text in a fresh namespace and return the function.

    The derivative functions of the user functions it calls are built (once, cached) and
    bound in that namespace under the names the code calls them by; nested defs the code
    calls are bound as their lifted versions. The callees' loops are checkpointed as the
    caller's are (``checkpoint``).
    """
    node = derivative.node
    callees = [(c.alias, _built(c.func, c.kind, c.wrt if len(c.wrt) > 1 else c.wrt[0], callers,
                                c.alias, globals_, c.sequences, checkpoint))
               for c in derivative.callees]
    function_text = emit_pass.render(node)
    # The helpers are srcdiff.runtime's own functions (not copies), so that this code can be
    # differentiated again: the helpers have derivative rules.
    names = dict(derivative.runtime_names)
    free = emit_pass.free_names(node)
    for name in emit_pass.helpers_needed(free):
        names.setdefault(name, name)
    text = (f"# Generated by srcdiff from {os.path.basename(source.filename)}; names are "
            "bound at run time.\n\n" + function_text)
    digest = hashlib.sha1(text.encode()).hexdigest()[:12]
    filename = os.path.join(_cache_dir(), f"{node.name}_{digest}.py")
    try:
        with open(filename, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:  # pragma: no cover - a read-only temp dir still leaves linecache
        pass
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    namespace = emit_pass.runtime_namespace(names)
    namespace["__name__"] = f"srcdiff_generated.{node.name}"
    namespace["__file__"] = filename
    for alias, callee in callees:
        namespace[alias] = callee.func
    for function in derivative.local_functions:
        assert isinstance(function, parse.LocalFunction)
        namespace[function.source.node.name] = _live_local(function, globals_)
    user_globals = sorted(free - set(namespace) - set(names.values()))
    getters = {name: source.namespace.getters[name] for name in user_globals
               if name in source.namespace.getters}
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102  (our generated code)
    generated = namespace[node.name]

    def refresh_globals() -> None:
        for name, getter in getters.items():
            try:
                namespace[name] = getter()
            except (KeyError, ValueError):
                namespace.pop(name, None)
        for _, callee in callees:
            callee.func.srcdiff_refresh()

    refresh_globals()
    generated.srcdiff_refresh = refresh_globals
    shown = function_text
    for _, callee in callees:  # what the derivative runs includes its callees' derivatives
        if callee.text not in shown:
            shown += "\n\n" + callee.text
    return Built(generated, shown, node)


_CACHE: dict[tuple[Any, ...], Built] = {}
#: Bumped when a rule is declared: operators then look their derivative up again.
_GENERATION = [0]
_LOCK = threading.RLock()


def _built(func: Any, kind: str, wrt: Wrt, callers: tuple[Any, ...] = (),
           name: str | None = None, globals_: dict[str, Any] | None = None,
           sequences: tuple[str, ...] = (), checkpoint: int | str | None = None) -> Built:
    if not isinstance(func, parse.FileFunction) and lookup(func) is not None \
            and not lookup(func).zero:
        func = _through_rule(func)  # a function with a rule of its own: differentiate that
    local = isinstance(func, parse.LocalFunction)
    params = ([a.arg for a in func.source.node.args.posonlyargs + func.source.node.args.args
               + func.source.node.args.kwonlyargs] if local
              else [p.name for p in _parameters(func)])
    names, as_tuple = resolve_wrt(func, params, wrt)
    key = (func, getattr(func, "__code__", None), kind, names, as_tuple, name, sequences,
           checkpoint)
    with _LOCK:
        built = _CACHE.get(key)
        if built is None:
            if local:  # a nested def: its lifted syntax tree, in its enclosing globals
                source = parse.Source(copy.deepcopy(func.source.node), func.source.filename,
                                      func.source.lines, func.source.namespace,
                                      func.source.module_constants)
                assert globals_ is not None
            else:
                source = parse.parse_function(func)
                globals_ = inspect.unwrap(func).__globals__
            chain = (*callers, func)
            batched = kind.startswith("batch_")
            request = reverse.Request(kind.removeprefix("batch_"), names, as_tuple,
                                      callers=chain, name=name, batched=batched,
                                      sequences=sequences, checkpoint=checkpoint)
            built = _load(build_from_source(source, request), source, chain, globals_,
                          checkpoint)
            _CACHE[key] = built
    return built


def _check_argument(func: Any, name: str, value: Any) -> None:
    """Refuse to differentiate with respect to a value that has no derivative."""
    kind = None
    if isinstance(value, (bool, np.bool_)):
        kind = "a boolean"
    elif isinstance(value, (int, np.integer)):
        kind = "an integer"
    elif isinstance(value, (complex, np.complexfloating)):
        kind = "a complex number (complex inputs are not supported)"
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "biu":
            kind = f"an array of dtype {value.dtype}"
        elif value.dtype.kind == "c":
            kind = "a complex array (complex inputs are not supported)"
        elif value.dtype.kind != "f":
            kind = f"an array of dtype {value.dtype}"
    elif not isinstance(value, (float, np.floating)):
        kind = f"a {type(value).__name__}"
    if kind is not None:
        hint = " pass a float (e.g. 2.0) or a float array" if kind.startswith(("an i", "a b",
                                                                              "an a")) else ""
        raise SrcdiffError(f"{where(func)}cannot differentiate {func.__name__} with respect "
                           f"to {name!r}: its value is {kind};"
                           f"{hint or ' pass a float or a float array'}")


_THROUGH_RULE: dict[Any, Any] = {}


def _through_rule(func: Any) -> Any:
    """A function that only calls ``func``, which has a derivative rule: differentiating it
    applies the rule, where differentiating ``func`` itself would read its body."""
    wrapper = _THROUGH_RULE.get(func)
    if wrapper is None:
        rule = lookup(func)
        try:  # keyword-only parameters are passed by keyword
            keyword = {p.name for p in inspect.signature(func).parameters.values()
                       if p.kind == p.KEYWORD_ONLY}
        except (TypeError, ValueError):  # a builtin without a signature
            keyword = set()
        signature = "(" + ", ".join(p if p not in rule.defaults else
                                    f"{p}={rule.defaults[p]!r}" for p in rule.params) + ")"
        call = ", ".join(f"{p}={p}" if p in keyword else p for p in rule.params)
        name = f"{func.__name__}_by_its_rule"
        text = f"def {name}{signature}:\n    return {func.__name__}({call})\n"
        filename = f"<srcdiff: the rule of {func.__qualname__}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        namespace: dict[str, Any] = {func.__name__: func}
        exec(compile(text, filename, "exec"), namespace)  # noqa: S102  (our own one-liner)
        wrapper = _THROUGH_RULE[func] = namespace[name]
    return wrapper


def _caller(depth: int) -> str:
    """``file:line:column: `` of the user's call ``depth`` frames up (where an operator was
    asked for), for errors about a function that has no source of its own."""
    frame = sys._getframe(depth + 1)
    column = 1
    positions = getattr(inspect.getframeinfo(frame), "positions", None)
    if positions is not None and positions.col_offset is not None:
        column = positions.col_offset + 1
    return f"{frame.f_code.co_filename}:{frame.f_lineno}:{column}: "


def _differentiable(func: Any, depth: int) -> Any:
    """``func`` as srcdiff will differentiate it, or a :class:`SrcdiffError` at once (located
    at its ``def``, or at the user's call ``depth`` frames up) when it cannot be."""
    if hasattr(func, "__srcdiff_kind__"):
        return func
    if lookup(func) is not None and not lookup(func).zero:
        return _through_rule(func)  # a function with a rule: differentiate the rule
    if inspect.ismethod(func):
        raise SrcdiffError(
            f"{where(func)}cannot differentiate the bound method {func.__qualname__}: srcdiff "
            "differentiates functions\n    hint: write a module-level function taking what "
            "the method reads from self as parameters")
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        raise SrcdiffError(
            f"{_caller(depth + 1)}cannot differentiate {func!r}: it is not a Python function "
            "with source code (built-ins and C extensions have none)\n    hint: give it a "
            "derivative rule with srcdiff.defrule or srcdiff.elementwise (docs/rules.md)")
    if not linecache.getlines(code.co_filename, getattr(func, "__globals__", None)):
        raise SrcdiffError(
            f"{_caller(depth + 1)}cannot differentiate {func.__qualname__!r}: its source is "
            f"unavailable ({code.co_filename})\n    hint: define it in a file or module, not "
            "with exec() or at the REPL")
    return func


def checkpoint_option(checkpoint: bool | int) -> int | str | None:
    """The ``checkpoint=`` argument of the reverse-mode operators, checked: False (no
    checkpointing), True (segments of about sqrt(iterations)) or a positive number of
    iterations per segment. See :mod:`srcdiff.checkpoint`."""
    if checkpoint is False or checkpoint is None:
        return None
    if checkpoint is True:
        return "sqrt"
    if isinstance(checkpoint, (int, np.integer)) and not isinstance(checkpoint, bool) \
            and checkpoint >= 1:
        return int(checkpoint)
    raise SrcdiffError(f"checkpoint must be True, False or a positive number of iterations per "
                       f"segment, not {checkpoint!r}")


def _inner(func: Any) -> Built:
    """The code a derivative operator runs (to differentiate it again)."""
    return _built(func.__srcdiff_original__, func.__srcdiff_kind__, func.__srcdiff_wrt__,
                  checkpoint=getattr(func, "__srcdiff_checkpoint__", None))


def _make_operator(func: Any, wrt: Wrt, kind: str,
                   checkpoint: int | str | None = None) -> Callable[..., Any]:
    func = _differentiable(func, 2)
    inner = None
    if hasattr(func, "__srcdiff_kind__"):
        # A derivative of a derivative: differentiate the code the inner operator runs.
        inner = _inner(func)
        func = inner.func
    signature = inspect.signature(func)
    param_names = [p.name for p in signature.parameters.values()]
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            # Reported with file and line by the fence pass when the derivative is built.
            break

    seeded = kind.removeprefix("batch_") in ("vjp", "jvp")
    # What the first call works out, kept for the next ones (until a new rule is declared).
    memo: dict[str, Any] = {"generation": -1}

    def operator(*args: Any, **kwargs: Any) -> Any:
        ct = None
        if seeded:
            if not args:
                what = "output cotangent" if kind == "vjp" else "tangent"
                raise TypeError(f"{kind} of {func.__name__} needs the {what} as its last "
                                "positional argument")
            *args, ct = args  # type: ignore[assignment]
        if memo["generation"] != _GENERATION[0]:
            memo["built"] = _built(func, kind, wrt, checkpoint=checkpoint)
            memo["wrt"] = [param_names.index(n) for n in resolve_wrt(func, param_names, wrt)[0]]
            memo["generation"] = _GENERATION[0]
        built = memo["built"]
        if not kwargs and len(args) == len(param_names):  # every argument, by position
            values = list(args)
        else:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            values = [bound.arguments[name] for name in param_names]
        for index in memo["wrt"]:
            value = values[index]
            if not (type(value) is float or (type(value) is np.ndarray
                                             and value.dtype.kind == "f")):
                _check_argument(func, param_names[index], value)
        if inner is not None:
            inner.func.srcdiff_refresh()
        built.func.srcdiff_refresh()
        if seeded:
            values.append(ct)
        try:
            return built.func(*values)
        except NonScalarOutputError as exc:  # raised by the seed of the backward sweep
            raise NonScalarOutputError(f"{where(func)}{exc}") from None

    operator.__name__ = f"{kind}_{getattr(func, '__name__', 'f')}"
    operator.__qualname__ = operator.__name__
    operator.__doc__ = f"{kind} of {getattr(func, '__qualname__', func)!s}, built by srcdiff."
    operator.__srcdiff_original__ = func  # type: ignore[attr-defined]
    operator.__srcdiff_kind__ = kind  # type: ignore[attr-defined]
    operator.__srcdiff_wrt__ = wrt  # type: ignore[attr-defined]
    operator.__srcdiff_checkpoint__ = checkpoint  # type: ignore[attr-defined]

    def source() -> str:
        """The Python source of the derivative code this operator runs (built if need be)."""
        return _built(func, kind, wrt, checkpoint=checkpoint).text

    def markdown() -> str:  # a notebook shows the operator as its derivative code
        return f"```python\n{source()}```"

    operator.source = source  # type: ignore[attr-defined]
    operator._repr_markdown_ = markdown  # type: ignore[attr-defined]
    return operator


def grad(func: Callable[..., Any] | None = None, wrt: Wrt = 0,
         checkpoint: bool | int = False) -> Any:
    """The gradient of a scalar-valued function: ``grad(f)(x)`` has the shape of ``x``.

    Usable as ``grad(f)``, ``grad(f, wrt=(0, 1))``, ``@grad`` and ``@grad(wrt=...)``.

    ``checkpoint=True`` checkpoints every outermost loop (of ``f`` and of the functions it
    calls): instead of saving every iteration, the forward sweep keeps the loop's state every
    ~sqrt(iterations) iterations and the backward sweep runs each segment again; an integer
    fixes the iterations per segment. Same gradient, O(sqrt(iterations)) memory (see
    :mod:`srcdiff.checkpoint`).
    """
    if func is None:
        return lambda f: grad(f, wrt=wrt, checkpoint=checkpoint)
    return _make_operator(func, wrt, "grad", checkpoint_option(checkpoint))


def value_and_grad(func: Callable[..., Any], wrt: Wrt = 0,
                   checkpoint: bool | int = False) -> Callable[..., Any]:
    """``value_and_grad(f)(x)`` returns ``(f(x), grad(f)(x))`` from one forward sweep
    (``checkpoint`` as for :func:`grad`)."""
    return _make_operator(func, wrt, "value_and_grad", checkpoint_option(checkpoint))


def vjp(func: Callable[..., Any], wrt: Wrt = 0,
        checkpoint: bool | int = False) -> Callable[..., Any]:
    """``vjp(f)(*args, ct)`` is the gradient of ``sum(ct * f(*args))``.

    This is PyTorch's ``Q.backward(gradient=ct)``: ``ct`` has the shape of ``f``'s output.
    ``checkpoint`` as for :func:`grad`.
    """
    return _make_operator(func, wrt, "vjp", checkpoint_option(checkpoint))


def jvp(func: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """``jvp(f)(*args, tangent)`` is ``(f(*args), directional derivative along tangent)``.

    Forward mode: the tangent has the shape of the ``wrt`` argument (a tuple of them when
    ``wrt`` is a tuple); one pass gives the derivative along one direction.
    """
    return _make_operator(func, wrt, "jvp")


def _basis(shape: tuple[int, ...], k: int, like: Any) -> Any:
    """The ``k``-th unit vector of an argument's space, of the argument's kind."""
    unit = np.zeros(shape, dtype=np.result_type(np.asarray(like).dtype, np.float64))
    unit.flat[k] = 1.0
    if isinstance(like, np.ndarray) or np.ndim(like) > 0:
        return unit
    return float(unit) if not isinstance(like, np.generic) else like.dtype.type(unit)


def vjp_batch(func: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """``vjp_batch(f)(*args, cts)``: ``vjp(f)(*args, ct)`` for every ``ct`` of the batch
    ``cts`` (its first axis) in one call of one derivative function.

    Raises :class:`UnsupportedSyntaxError` when ``f`` uses a rule or construct without a
    batched form (:func:`jacobian` then falls back to one pass per row).
    """
    return _make_operator(func, wrt, "batch_vjp")


def jvp_batch(func: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """``jvp_batch(f)(*args, tangents)``: ``(f(*args), T)`` where ``T[k]`` is the tangent
    along ``tangents[k]`` (the first axis is the batch), in one call of one derivative
    function. Raises like :func:`vjp_batch`."""
    return _make_operator(func, wrt, "batch_jvp")


def jacobian(func: Callable[..., Any], wrt: Wrt = 0, mode: str | None = None,
             vectorize: bool | None = None) -> Callable[..., Any]:
    """``jacobian(f)(*args)``: the derivative of every output entry w.r.t. every entry of the
    ``wrt`` argument, shaped ``out.shape + arg.shape``.

    Reverse mode gives a row per output entry, forward mode a column per input entry;
    srcdiff takes whichever needs fewer passes, unless ``mode`` ('reverse' or 'forward')
    says. ``wrt`` is one parameter.

    The passes run vectorised, as one call of a batched derivative (:func:`vjp_batch`,
    :func:`jvp_batch`), when every rule ``f`` uses has a batched form; otherwise one call per
    row (column). ``vectorize=True`` requires the batched path (raising
    :class:`UnsupportedSyntaxError` when it cannot be built), ``False`` forbids it.
    """
    if isinstance(wrt, tuple):
        raise SrcdiffError("jacobian takes one wrt parameter; call it once per parameter")
    func = _differentiable(func, 1)
    if mode not in (None, "reverse", "forward"):
        raise SrcdiffError(f"mode must be 'reverse' or 'forward', not {mode!r}")

    def jacobian_of(*args: Any, **kwargs: Any) -> Any:
        out = func(*args, **kwargs)
        params = [p.name for p in _parameters(_target(func))]
        names, _ = resolve_wrt(_target(func), params, wrt)
        bound = inspect.signature(_target(func)).bind(*args, **kwargs)
        bound.apply_defaults()
        arg = bound.arguments[names[0]]
        out_shape, arg_shape = np.shape(out), np.shape(arg)
        m, n = int(np.prod(out_shape)), int(np.prod(arg_shape))
        chosen = mode or ("reverse" if m <= n else "forward")
        matrix = None
        if vectorize is not False:
            try:
                matrix = _batched_jacobian(func, wrt, chosen, args, kwargs, m, n,
                                           out_shape, arg_shape)
            except UnsupportedSyntaxError:
                if vectorize:
                    raise
        if matrix is None:
            matrix = _looped_jacobian(func, wrt, chosen, args, kwargs, m, n, out, arg)
        # float32 in and out: a float32 Jacobian, as gradients keep their argument's dtype
        dtype = np.result_type(np.asarray(out).dtype, np.asarray(arg).dtype, np.float32)
        result = matrix.reshape(out_shape + arg_shape).astype(dtype, copy=False)
        return float(result) if result.shape == () else result

    jacobian_of.__name__ = f"jacobian_{getattr(func, '__name__', 'f')}"
    return jacobian_of


def _batched_jacobian(func: Callable[..., Any], wrt: Wrt, chosen: str, args: tuple[Any, ...],
                      kwargs: dict[str, Any], m: int, n: int, out_shape: tuple[int, ...],
                      arg_shape: tuple[int, ...]) -> np.ndarray:
    """The (m, n) Jacobian matrix from one call of a batched derivative."""
    if chosen == "reverse":
        cotangents = np.eye(m).reshape((m,) + out_shape)
        rows = vjp_batch(func, wrt=wrt)(*args, cotangents, **kwargs)
        return np.asarray(rows, dtype=np.float64).reshape(m, n)
    tangents = np.eye(n).reshape((n,) + arg_shape)
    _, columns = jvp_batch(func, wrt=wrt)(*args, tangents, **kwargs)
    return np.asarray(columns, dtype=np.float64).reshape(n, m).T


def _looped_jacobian(func: Callable[..., Any], wrt: Wrt, chosen: str, args: tuple[Any, ...],
                     kwargs: dict[str, Any], m: int, n: int, out: Any,
                     arg: Any) -> np.ndarray:
    """The (m, n) Jacobian matrix, one derivative call per row (reverse) or column."""
    out_shape, arg_shape = np.shape(out), np.shape(arg)
    matrix = np.zeros((m, n))
    if chosen == "reverse":
        pullback = vjp(func, wrt=wrt)
        for k in range(m):
            row = pullback(*args, _basis(out_shape, k, out), **kwargs)
            matrix[k] = np.ravel(row)
    else:
        pushforward = jvp(func, wrt=wrt)
        for k in range(n):
            _, column = pushforward(*args, _basis(arg_shape, k, arg), **kwargs)
            matrix[:, k] = np.ravel(column)
    return matrix


def hessian(func: Callable[..., Any], wrt: Wrt = 0) -> Callable[..., Any]:
    """``hessian(f)(*args)``: second derivatives of the scalar ``f`` w.r.t. the ``wrt``
    argument, shaped ``arg.shape + arg.shape`` (a float for a float argument).

    Forward over reverse: forward mode differentiates the code ``grad(f)`` runs, one column
    per entry of the argument.
    """
    return jacobian(grad(func, wrt=wrt), wrt=wrt, mode="forward")


def _target(func: Any) -> Any:
    """The function whose parameters an operator takes (the generated code for a derivative
    operator, which takes its function's parameters)."""
    original = getattr(func, "__srcdiff_original__", None)
    return original if original is not None else func


def emit(func: Callable[..., Any], wrt: Wrt = 0, mode: str = "reverse",
         checkpoint: bool | int = False) -> str:
    """The Python source of the derivative code that ``grad(func, wrt)`` (mode 'reverse')
    or ``jvp(func, wrt)`` (mode 'forward') runs; ``checkpoint`` as for :func:`grad`
    (reverse mode only: forward mode saves nothing)."""
    if mode not in ("reverse", "forward"):
        raise SrcdiffError(f"mode must be 'reverse' or 'forward', not {mode!r}")
    kind = "grad" if mode == "reverse" else "jvp"
    option = checkpoint_option(checkpoint)
    if option is not None and mode == "forward":
        raise SrcdiffError("checkpoint= applies to reverse mode: forward mode saves nothing "
                           "per iteration")
    if hasattr(func, "__srcdiff_kind__"):  # a derivative: the code of its own derivative
        inner = _inner(func)
        return _built(inner.func, kind, wrt, checkpoint=option).text
    return _built(_differentiable(func, 1), kind, wrt, checkpoint=option).text


def explain(func: Callable[..., Any], wrt: Wrt = 0) -> Any:
    """Why the gradient of ``func`` w.r.t. ``wrt`` is zero or partial, read off the source:
    every line where the dependence is cut (a comparison, an integer cast, ``np.floor``,
    ``stop_gradient``, ``no_grad``, an overwrite) or made piecewise (a condition), and the
    variables carrying a derivative per line. ``print()`` the result; nothing is run."""
    from srcdiff.dependence import explain_source

    func = _differentiable(func, 1)
    params = [p.name for p in _parameters(func)]
    names, _ = resolve_wrt(func, params, wrt)
    return explain_source(parse.parse_function(func), names)


def _perturbable(value: Any) -> np.ndarray:
    return np.array(value, dtype=np.float64)


def check_grad(func: Callable[..., Any], *args: Any, wrt: Wrt = 0, eps: float = 1e-6,
               rtol: float = 1e-5, atol: float = 1e-7, seed: int = 0,
               forward: bool = True, batched: bool = True) -> float:
    """Compare srcdiff's derivatives with central finite differences; return the max error.

    For a scalar output the gradient is checked; otherwise the gradient of
    ``sum(ct * f(*args))`` for a random ``ct``. Raises :class:`GradientCheckError` when any
    entry differs by more than ``atol + rtol * max|finite difference|``.

    With ``forward`` (the default), forward mode is checked too: the tangent along a random
    direction ``v`` must match finite differences along ``v``, and forward and reverse must
    agree to rounding, ``<vjp(ct), v> == <ct, jvp(v)>`` (the dot-product test).

    With ``batched`` (the default), when ``f`` has batched derivatives (:func:`vjp_batch`,
    :func:`jvp_batch`, what :func:`jacobian` runs) each item of a batch of two random
    cotangents (tangents) must give what the unbatched derivative gives for it.

    Finite differences run the function srcdiff differentiates: the values of its
    ``stop_gradient`` calls and ``no_grad`` blocks are held at those of the unperturbed call
    (:func:`srcdiff.frozen.frozen`), so a dependence cut by design is not counted.
    """
    params = [p.name for p in _parameters(func)]
    names, as_tuple = resolve_wrt(func, params, wrt)
    # finite differences of the function srcdiff differentiates: stop_gradient and no_grad
    # values fixed at those of this first call (srcdiff/frozen.py)
    reference = frozen(func)
    output = reference(*args)
    rng = np.random.default_rng(seed)
    if np.size(output) == 1:
        ct: Any = 1.0
        result = grad(func, wrt=wrt)(*args)
    else:
        ct = rng.standard_normal(np.shape(output))
        result = vjp(func, wrt=wrt)(*args, ct)
    results = result if as_tuple else (result,)
    worst = 0.0
    for name, computed in zip(names, results, strict=False):
        index = params.index(name)
        base = _perturbable(args[index])
        numeric = np.zeros_like(base)
        for position in np.ndindex(base.shape):
            values = []
            for step in (eps, -eps):
                moved = base.copy()
                moved[position] += step
                new_args = list(args)
                new_args[index] = moved if isinstance(args[index], np.ndarray) else \
                    float(moved)
                values.append(np.sum(ct * np.asarray(reference(*new_args),
                                                     dtype=np.float64)))
            numeric[position] = (values[0] - values[1]) / (2 * eps)
        error = float(np.max(np.abs(np.asarray(computed, dtype=np.float64) - numeric),
                             initial=0.0))
        tolerance = atol + rtol * float(np.max(np.abs(numeric), initial=0.0))
        if error > tolerance or not np.all(np.isfinite(np.asarray(computed))):
            raise GradientCheckError(
                f"gradient of {func.__name__} with respect to {name!r} differs from central "
                f"finite differences by {error:.3g} (tolerance {tolerance:.3g})\n"
                f"srcdiff: {np.asarray(computed)!r}\nfinite differences: {numeric!r}"
                + _bisection(func, args, names))
        worst = max(worst, error)
    if forward:
        worst = max(worst, _check_forward(func, args, wrt, names, params, results, ct, rng,
                                          eps, rtol, atol, reference))
    if batched:
        _check_batched(func, args, wrt, names, params, output, rng, forward)
    return worst


def _batch_of(value: Any, rng: np.random.Generator) -> np.ndarray:
    """Two random values shaped like ``value``, stacked (a batch), of its floating dtype."""
    dtype = np.result_type(np.asarray(value).dtype, np.float32)
    return rng.standard_normal((2,) + np.shape(value)).astype(dtype)


def _item(batch: np.ndarray, k: int, like: Any) -> Any:
    """Item ``k`` of a batch, of the kind of ``like`` (an array, a NumPy scalar, a float)."""
    if isinstance(like, np.ndarray):
        return batch[k]
    if isinstance(like, np.generic):
        return like.dtype.type(batch[k])
    return float(batch[k])


def _check_batched(func: Callable[..., Any], args: tuple[Any, ...], wrt: Wrt,
                   names: tuple[str, ...], params: list[str], output: Any,
                   rng: np.random.Generator, forward: bool) -> None:
    """The batched half of :func:`check_grad`: each item of a batched derivative equals the
    unbatched derivative of that item (to rounding: the two may sum in other orders)."""

    def same(batched: Any, single: Any, what: str, k: int) -> None:
        low = np.float32 in (np.asarray(batched).dtype, np.asarray(single).dtype)
        b, s = np.asarray(batched, np.float64), np.asarray(single, np.float64)
        tol = (1e-5 if low else 1e-10) * (1 + float(np.max(np.abs(s), initial=0.0)))
        if b.shape != s.shape or not float(np.max(np.abs(b - s), initial=0.0)) <= tol:
            raise GradientCheckError(
                f"batched {what} of {func.__name__}, item {k}, differs from the unbatched "
                f"one:\nbatched: {b!r}\nunbatched: {s!r}")

    if isinstance(output, (tuple, list)):
        return  # the cotangent of a tuple output is a tuple: batches of those are not built
    as_tuple = isinstance(wrt, tuple)
    cts = _batch_of(np.asarray(output, np.float64), rng)
    try:
        rows = vjp_batch(func, wrt=wrt)(*args, cts)
    except UnsupportedSyntaxError:  # no batched form: jacobian loops instead
        rows = None
    for k in range(2 if rows is not None else 0):
        single = vjp(func, wrt=wrt)(*args, cts[k])
        for r, s in zip(rows if as_tuple else (rows,), single if as_tuple else (single,),
                        strict=True):
            same(np.asarray(r)[k], s, "vector-Jacobian product", k)
    if not forward:
        return
    values = [args[params.index(name)] for name in names]
    directions = [_batch_of(value, rng) for value in values]
    try:
        _, columns = jvp_batch(func, wrt=wrt)(
            *args, tuple(directions) if as_tuple else directions[0])
    except UnsupportedSyntaxError:
        return
    for k in range(2):
        item = [_item(d, k, value) for d, value in zip(directions, values, strict=True)]
        _, single = jvp(func, wrt=wrt)(*args, tuple(item) if as_tuple else item[0])
        same(np.asarray(columns)[k], single, "tangent", k)


def _bisection(func: Callable[..., Any], args: tuple[Any, ...], names: tuple[str, ...]) -> str:
    """The first wrong line, found by checking each operation on its own (for the message of a
    failed check); empty when no single operation is to blame or the search cannot run."""
    from srcdiff.bisect import bisect

    try:
        suspects = bisect(func, args, names)
    except Exception:  # noqa: BLE001  (the message of the failed check matters more)
        return ""
    if not suspects:
        return ""
    return "\nthe first operation whose derivative is wrong:\n" + str(suspects[0])


def _check_forward(func: Callable[..., Any], args: tuple[Any, ...], wrt: Wrt,
                   names: tuple[str, ...], params: list[str], gradients: tuple[Any, ...],
                   ct: Any, rng: np.random.Generator, eps: float, rtol: float,
                   atol: float, reference: Callable[..., Any]) -> float:
    """The forward half of :func:`check_grad` (see there); ``reference`` is the function
    finite differences run."""
    directions = []
    for name in names:
        value = args[params.index(name)]
        v = rng.standard_normal(np.shape(value))
        if isinstance(value, np.ndarray):
            v = v.astype(value.dtype)
        elif isinstance(value, np.generic):
            v = value.dtype.type(v)
        else:
            v = float(v)
        directions.append(v)
    tangent_arg = tuple(directions) if isinstance(wrt, tuple) else directions[0]
    _, tangent = jvp(func, wrt=wrt)(*args, tangent_arg)
    along = float(np.sum(ct * np.asarray(tangent, dtype=np.float64)))
    adjoint = sum(float(np.sum(np.asarray(g, dtype=np.float64) * np.asarray(v, np.float64)))
                  for g, v in zip(gradients, directions, strict=True))
    scale = sum(float(np.sum(np.abs(np.asarray(g, np.float64) * np.asarray(v, np.float64))))
                for g, v in zip(gradients, directions, strict=True))
    low_precision = any(np.asarray(args[params.index(n)]).dtype == np.float32 for n in names)
    # relative to the size of the terms, with a floor for sums that are zero to rounding
    agreement = (1e-5 if low_precision else 1e-10) * max(scale, abs(along)) + 1e-14
    if not abs(along - adjoint) <= agreement or not np.isfinite(along):
        raise GradientCheckError(
            f"forward and reverse mode of {func.__name__} disagree (dot-product test): "
            f"<ct, jvp(v)> = {along!r} but <vjp(ct), v> = {adjoint!r}")
    values = []
    for step in (eps, -eps):
        moved = list(args)
        for name, v in zip(names, directions, strict=True):
            index = params.index(name)
            shifted = _perturbable(args[index]) + step * np.asarray(v, dtype=np.float64)
            moved[index] = shifted if isinstance(args[index], np.ndarray) else float(shifted)
        values.append(float(np.sum(ct * np.asarray(reference(*moved), dtype=np.float64))))
    numeric = (values[0] - values[1]) / (2 * eps)
    error = abs(along - numeric)
    tolerance = atol + rtol * max(abs(numeric), scale)
    if error > tolerance:
        raise GradientCheckError(
            f"forward-mode derivative of {func.__name__} along a random direction differs "
            f"from central finite differences by {error:.3g} (tolerance {tolerance:.3g}): "
            f"srcdiff {along!r}, finite differences {numeric!r}")
    return error
