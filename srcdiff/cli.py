"""The ``srcdiff`` command line: emit, check, explain and draw the derivatives of a file.

``emit`` parses a file (never executes it) and writes a standalone module of gradient
functions that needs only NumPy. ``check`` imports the file and compares each function's
srcdiff gradient with central finite differences on random inputs (``--lint``: lists every
unsupported construct without running anything). ``explain`` reports where the dependence on
a parameter is cut. ``graph`` draws one function's computation graph from its source
(:mod:`srcdiff.graph`).
"""
from __future__ import annotations

import argparse
import ast
import copy
import difflib
import importlib.util
import inspect
import os
import shlex
import sys
import types
from collections.abc import Sequence

import numpy as np

from srcdiff import custom
from srcdiff import emitter as emit_pass
from srcdiff.api import build_from_source, check_grad, resolve_wrt
from srcdiff.errors import SrcdiffError, UnsupportedSyntaxError
from srcdiff.parse import FileFunction, LocalFunction, Source, Unresolved, parse_file
from srcdiff.reverse import Derivative, Request
from srcdiff.rules import lookup


def _fail(message: str, code: int = 2) -> int:
    print(f"srcdiff: error: {message}", file=sys.stderr)
    return code


def _parse_wrt(text: str | None) -> int | str | tuple[int | str, ...]:
    if text is None:
        return 0
    items: list[int | str] = [int(p) if p.strip().lstrip("-").isdigit() else p.strip()
                              for p in text.split(",") if p.strip()]
    return tuple(items) if len(items) > 1 else items[0]


class _CommandError(Exception):
    """A user error of the command line: (message, exit code)."""


def _declared_rules(tree: ast.Module, sources: dict[str, Source]) -> None:
    """Register the derivative rules the file declares with ``srcdiff.defrule`` or
    ``srcdiff.elementwise`` (a module-level call, or a decorator of one of its functions),
    reading their arguments as literals: the file itself is never executed."""
    if not sources:
        return
    namespace = next(iter(sources.values())).namespace
    declarers = {id(custom.defrule), id(custom.elementwise)}
    path = next(iter(sources.values())).filename

    def declare(call: ast.Call, target: object, signature: str | None) -> None:
        declarer = namespace.resolve(call.func)
        args = list(call.args)
        try:
            if target is None:  # srcdiff.defrule(func, "x", ...): the function comes first
                if not args:
                    raise ValueError("no function given")
                target = namespace.resolve(args.pop(0))
                if isinstance(target, Unresolved):
                    raise ValueError(f"cannot resolve {ast.unparse(call.args[0])!r}: "
                                     f"{target.why}")
            values = [ast.literal_eval(a) for a in args]
            keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
        except ValueError as exc:
            raise SrcdiffError(f"{path}:{call.lineno}:{call.col_offset + 1}: srcdiff emit reads "
                               f"rule declarations without running the file, so their "
                               f"arguments must be literals (strings and dicts of strings): "
                               f"{exc}") from None
        if signature is not None and not values and "signature" not in keywords:
            values = [signature]
        declarer(target, *values, **keywords)

    for stmt in tree.body:
        if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and id(namespace.resolve(stmt.value.func)) in declarers):
            declare(stmt.value, None, None)
        elif isinstance(stmt, ast.FunctionDef) and stmt.name in sources:
            for decorator in getattr(stmt, "srcdiff_decorators", []):
                if (isinstance(decorator, ast.Call)
                        and id(namespace.resolve(decorator.func)) in declarers):
                    declare(decorator, namespace.lookup(stmt.name), _signature_of(stmt))


def _signature_of(node: ast.FunctionDef) -> str:
    """A function's positional parameters with their literal defaults, as rules write them."""
    args = node.args.posonlyargs + node.args.args
    defaults = [None] * (len(args) - len(node.args.defaults)) + list(node.args.defaults)
    return ", ".join(a.arg if d is None else f"{a.arg}={ast.unparse(d)}"
                     for a, d in zip(args, defaults, strict=True))


def _selected_functions(args: argparse.Namespace) -> tuple[dict[str, Source], list[str]]:
    """Parse ``args.file`` and pick the functions named by ``--function`` (default: all)."""
    try:
        sources, tree = parse_file(args.file)
        _declared_rules(tree, sources)
    except SrcdiffError as exc:
        raise _CommandError(str(exc), 2) from exc
    except OSError as exc:
        raise _CommandError(f"cannot read {args.file}: {exc.strerror or exc}", 2) from exc
    except SyntaxError as exc:
        shown = ""
        if exc.text:
            line = exc.text.rstrip("\n")
            caret = max((exc.offset or 1) - 1 - (len(line) - len(line.lstrip())), 0)
            shown = f"\n    {line.strip()}\n    {' ' * caret}^"
        raise _CommandError(f"{args.file}:{exc.lineno}:{exc.offset}: the file does not parse: "
                            f"{exc.msg}{shown}", 2) from exc
    names = args.function or list(sources)
    if not names:
        raise _CommandError(f"{args.file} defines no top-level function", 2)
    missing = [n for n in names if n not in sources]
    if missing:
        raise _CommandError(f"{args.file} has no top-level function {missing[0]!r} "
                            f"(it defines: {', '.join(sources) or 'none'})", 2)
    return sources, names


def _check_globals_resolved(source: Source, derivative: Derivative) -> None:
    """Every user global the derivative reads must be writable into a standalone module."""
    for name in sorted(emit_pass.free_names(derivative.node) & derivative.user_globals):
        value = source.namespace.lookup(name)
        if not isinstance(value, Unresolved):
            continue
        use = next((n for n in ast.walk(source.node) if isinstance(n, ast.Name)
                    and n.id == name), source.node)
        origin = source.origin(use)
        raise SrcdiffError(f"{origin.filename}:{origin.line}:{origin.column}: the derivative "
                           f"of {source.name!r} reads the global {name!r}, but {value.why}\n"
                           f"    {origin.source_line.strip()}\n    hint: make it a literal "
                           "constant or an import of numpy, math or the standard library, or "
                           "pass it as a parameter")


def _build_with_callees(source: Source, request: Request,
                        functions: list[tuple[ast.FunctionDef, dict[str, str]]],
                        called: set[str], lifted: dict[str, ast.FunctionDef]) -> None:
    """Build ``source``'s derivative and, once each, the derivatives of the file's functions
    it calls (``called`` collects their names: the module needs their own code too, and
    ``lifted`` the nested defs lifted out of them)."""
    fresh = Source(copy.deepcopy(source.node), source.filename, source.lines, source.namespace,
                   source.module_constants)
    derivative = build_from_source(fresh, request)
    _check_globals_resolved(fresh, derivative)
    functions.append((derivative.node, derivative.runtime_names))
    for local in derivative.local_functions:  # lifted nested defs the code calls
        assert isinstance(local, LocalFunction)
        lifted.setdefault(local.source.node.name, local.source.node)
    for callee in derivative.callees:
        function = callee.func
        if not isinstance(function, FileFunction):  # pragma: no cover - files only hold these
            raise SrcdiffError(f"cannot write {function!r} into a standalone module")
        called.add(function.source.name)
        if any(node.name == callee.alias for node, _ in functions):
            continue
        _build_with_callees(function.source, Request(
            callee.kind, callee.wrt, len(callee.wrt) > 1, sequences=callee.sequences,
            callers=(*request.callers, function), name=callee.alias), functions, called, lifted)


def _source_text(source: Source) -> str:
    """The user's own text of a top-level function (its decorators left out)."""
    node = source.node
    return "".join(source.lines[node.lineno - 1:node.end_lineno]).rstrip("\n")


def _returns_value(node: ast.FunctionDef) -> bool:
    """Whether ``node`` has a ``return`` with a value of its own (not of a nested def)."""
    todo: list[ast.AST] = list(node.body)
    while todo:
        sub = todo.pop()
        if isinstance(sub, ast.Return) and sub.value is not None:
            return True
        if not isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(sub))
    return False


def cmd_emit(args: argparse.Namespace) -> int:
    """``srcdiff emit``: write the standalone gradient module."""
    try:
        sources, names = _selected_functions(args)
    except _CommandError as exc:
        return _fail(*exc.args)
    wrt = _parse_wrt(args.wrt)
    functions: list[tuple[ast.FunctionDef, dict[str, str]]] = []
    called: set[str] = set()
    lifted: dict[str, ast.FunctionDef] = {}
    try:
        for name in list(names):
            source = sources[name]
            params = [a.arg for a in source.node.args.posonlyargs + source.node.args.args
                      + source.node.args.kwonlyargs]
            stub = types.SimpleNamespace(__name__=name)
            if not args.function and not _returns_value(source.node):
                # a procedure (a test helper, a main()), not a function to differentiate
                print(f"srcdiff: note: skipping {name}: it returns no value", file=sys.stderr)
                names.remove(name)
                continue
            try:
                wrt_names, as_tuple = resolve_wrt(stub, params, wrt)
            except SrcdiffError as exc:
                if args.function:  # asked for by name: an error
                    raise
                # Picked by default (every function of the file): say why it is left out.
                print(f"srcdiff: note: skipping {name}: {exc}", file=sys.stderr)
                names.remove(name)
                continue
            myself = source.namespace.lookup(name)
            kind = "grad" if args.mode == "reverse" else "jvp"
            _build_with_callees(source, Request(kind, wrt_names, as_tuple,
                                                defaults=kind == "grad", callers=(myself,)),
                                functions, called, lifted)
        if not names:
            return _fail(f"no function of {args.file} has the parameters --wrt names", 2)
        first = sources[names[0]]
        command = "srcdiff " + " ".join(shlex.quote(a) for a in args.argv if a != "--check")
        for node, _ in functions:  # the file's functions with a rule are called as they are
            for free in emit_pass.free_names(node):
                value = first.namespace.lookup(free)
                if isinstance(value, FileFunction) and lookup(value) is not None:
                    called.add(free)
        originals = [(s.node, _source_text(s)) for n, s in sources.items() if n in called]
        originals += [(node, ast.unparse(node)) for node in lifted.values()]
        text = emit_pass.standalone_module(functions, first.namespace.imports,
                                           first.module_constants,
                                           os.path.basename(args.file), command,
                                           originals=originals)
    except SrcdiffError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.check:
        return _compare(args, text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _compare(args: argparse.Namespace, text: str) -> int:
    """``emit --check``: 0 when ``-o OUT.py`` holds exactly what srcdiff emits now."""
    if not args.output:
        return _fail("--check needs -o OUT.py, the emitted module to compare", 2)
    try:
        with open(args.output, encoding="utf-8") as handle:
            current = handle.read()
    except OSError as exc:
        return _fail(f"cannot read {args.output}: {exc.strerror or exc}", 2)
    if current == text:
        print(f"{args.output} is up to date")
        return 0
    diff = difflib.unified_diff(current.splitlines(keepends=True), text.splitlines(keepends=True),
                                f"{args.output} (committed)", f"{args.output} (emitted now)")
    sys.stdout.writelines(diff)
    print(f"srcdiff: {args.output} differs from what srcdiff emits now; rerun without --check "
          "to update it", file=sys.stderr)
    return 1


def _load_module(path: str) -> types.ModuleType:
    name = "srcdiff_check_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise OSError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _parse_shapes(specs: list[str] | None) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]]]:
    """``--shape 3`` (every input) and ``--shape x=3,4`` (one parameter): the default shape and
    the shapes by name. An empty shape means Python floats."""
    default: tuple[int, ...] = (3,)
    named: dict[str, tuple[int, ...]] = {}
    for spec in specs or []:
        name, _, dims = spec.rpartition("=")
        try:
            shape = tuple(int(d) for d in dims.split(",") if d.strip())
        except ValueError:
            raise _CommandError(f"--shape {spec!r}: expected NAME=D1,D2 or D1,D2", 2) from None
        if name:
            named[name.strip()] = shape
        else:
            default = shape
    return default, named


def _lint(args: argparse.Namespace, sources: dict[str, Source], names: list[str]) -> int:
    """``srcdiff check --lint``: every unsupported construct of every function, in one pass."""
    problems = 0
    for name in names:
        source = sources[name]
        params = [a.arg for a in source.node.args.posonlyargs + source.node.args.args]
        if not params:
            continue
        fresh = Source(copy.deepcopy(source.node), source.filename, source.lines,
                       source.namespace, source.module_constants)
        try:
            build_from_source(fresh, Request("grad", tuple(params), True,
                                             callers=(source.namespace.lookup(name),)))
        except UnsupportedSyntaxError as exc:
            for problem in exc.problems:
                problems += 1
                print(problem)
        except SrcdiffError as exc:
            problems += 1
            print(f"{source.filename}:{source.node.lineno}:{source.node.col_offset + 1}: {exc}")
    count = len(names)
    print(f"{problems} unsupported construct{'s' if problems != 1 else ''} in {count} "
          f"function{'s' if count != 1 else ''}")
    return 1 if problems else 0


def cmd_check(args: argparse.Namespace) -> int:
    """``srcdiff check``: finite-difference checks of the file's functions (or ``--lint``)."""
    try:
        sources, names = _selected_functions(args)
        if args.lint:
            return _lint(args, sources, names)
        default, named = _parse_shapes(args.shape)
        module = _load_module(args.file)
    except _CommandError as exc:
        return _fail(*exc.args)
    except OSError as exc:
        return _fail(f"cannot import {args.file}: {exc}", 2)
    except Exception as exc:  # the file itself failed when imported
        return _fail(f"importing {args.file} raised {type(exc).__name__}: {exc}", 2)
    rng = np.random.default_rng(args.seed)
    failures = 0
    print(f"{'result':<6} {'function':<24} detail")
    for name in names:
        func = getattr(module, name)
        params = [p for p in inspect.signature(func).parameters.values()
                  if p.default is inspect.Parameter.empty]
        shapes = [named.get(p.name, default) for p in params]
        values = [rng.uniform(0.5, 1.5, size=s) if s else float(rng.uniform(0.5, 1.5))
                  for s in shapes]
        wrt = tuple(range(len(params)))
        if not wrt:
            print(f"{'skip':<6} {name:<24} no parameter without a default to differentiate")
            continue
        if not args.function and not _returns_value(sources[name].node):
            print(f"{'skip':<6} {name:<24} returns no value (a procedure, not a function to "
                  "differentiate)")
            continue
        described = ", ".join(f"{p.name}: {'x'.join(map(str, s)) or 'float'}"
                              for p, s in zip(params, shapes, strict=True))
        try:
            error = check_grad(func, *values, wrt=wrt)
        except SrcdiffError as exc:
            failures += 1
            print(f"{'FAIL':<6} {name:<24} ({described}) {exc}")
            continue
        except Exception as exc:  # the user's function itself failed on random inputs
            failures += 1
            print(f"{'FAIL':<6} {name:<24} calling it on random inputs ({described}) raised "
                  f"{type(exc).__name__}: {exc}; state the shapes with --shape NAME=D1,D2")
            continue
        print(f"{'ok':<6} {name:<24} ({described}) max error {error:.2e} against central "
              "finite differences")
    return 1 if failures else 0


def cmd_explain(args: argparse.Namespace) -> int:
    """``srcdiff explain``: where the dependence on --wrt is cut, per function."""
    from srcdiff.dependence import explain_source

    try:
        sources, names = _selected_functions(args)
    except _CommandError as exc:
        return _fail(*exc.args)
    wrt = _parse_wrt(args.wrt)
    for name in names:
        source = sources[name]
        params = [a.arg for a in source.node.args.posonlyargs + source.node.args.args
                  + source.node.args.kwonlyargs]
        try:
            wrt_names, _ = resolve_wrt(types.SimpleNamespace(__name__=name), params, wrt)
        except SrcdiffError as exc:
            if args.function:
                return _fail(str(exc))
            continue
        print(explain_source(source, wrt_names))
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    """``srcdiff graph``: the computation graph of one function, as DOT, SVG or PNG."""
    from srcdiff.graph import FORMATS, INSTALL_HINT, find_renderer, graph_source

    fmt = "dot"
    if args.output:
        fmt = FORMATS.get(os.path.splitext(args.output)[1].lower(), "")
        if not fmt:
            return _fail(f"-o {args.output}: name the output .dot, .gv, .svg or .png")
        if fmt != "dot" and find_renderer() is None:  # before any work: say how to get one
            return _fail(f"writing {args.output} needs Graphviz's 'dot' program (or "
                         f"graphviz-pure), and neither is on PATH; {INSTALL_HINT}, e.g. "
                         f"-o {os.path.splitext(args.output)[0]}.dot", 2)
    selection = argparse.Namespace(file=args.file,
                                   function=[args.function] if args.function else None)
    try:
        sources, names = _selected_functions(selection)
    except _CommandError as exc:
        return _fail(*exc.args)
    if len(names) > 1:
        return _fail(f"{args.file} defines {len(names)} functions ({', '.join(names)}): "
                     "choose one with --function NAME")
    source = sources[names[0]]
    params = [a.arg for a in source.node.args.posonlyargs + source.node.args.args
              + source.node.args.kwonlyargs]
    try:
        wrt, _ = resolve_wrt(types.SimpleNamespace(__name__=names[0]), params,
                             _parse_wrt(args.wrt))
        drawn = graph_source(source, wrt, constants=args.constants, rankdir=args.rankdir)
        if args.output:
            drawn.save(args.output)
        else:
            sys.stdout.write(drawn.dot)
    except SrcdiffError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    return 0


_EMIT_EXAMPLES = """examples:
  srcdiff emit examples/linear_regression.py              # every function, w.r.t. its 1st
  srcdiff emit model.py --function loss --wrt w,b -o grad_model.py
  srcdiff emit model.py --mode forward                    # jvp_<name>: forward mode
  srcdiff emit model.py -o grad_model.py --check          # exit 1 if grad_model.py is stale
"""

_CHECK_EXAMPLES = """examples:
  srcdiff check examples/linear_regression.py --shape 3   # every input of shape (3,)
  srcdiff check model.py --function loss --shape W=3,4 --shape x=4
  srcdiff check model.py --lint                           # unsupported constructs, no inputs
"""


_GRAPH_EXAMPLES = """examples:
  srcdiff graph examples/seeds.py --function mean_of_shifted_squares    # DOT on stdout
  srcdiff graph model.py --function loss --wrt w,b -o loss.png          # needs Graphviz
  srcdiff graph model.py --function loss -o loss.dot                    # needs nothing

Values are nodes (the --wrt parameters marked "requires grad", the result "output"), each
edge is labelled with the local derivative of its head w.r.t. its tail, from the rules;
dashed edges carry no derivative (stop_gradient, no_grad, comparisons, integer casts).
Branches and loops are drawn as boxes. SVG and PNG need Graphviz's dot program (apt-get
install graphviz, brew install graphviz, conda install graphviz, or pip install
graphviz-pure); DOT output works without it.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``srcdiff`` console script (also ``python -m srcdiff``)."""
    from srcdiff import __version__

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="srcdiff", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"srcdiff {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    formatter = argparse.RawDescriptionHelpFormatter
    emit = commands.add_parser("emit", help="write a standalone module of gradient functions",
                               epilog=_EMIT_EXAMPLES, formatter_class=formatter)
    emit.add_argument("file", help="the Python file to read (it is parsed, never executed)")
    emit.add_argument("--function", action="append", metavar="NAME",
                      help="a function to differentiate (repeatable; default: every function "
                      "that has the parameters --wrt names)")
    emit.add_argument("--wrt", metavar="ARG[,ARG]",
                      help="parameters to differentiate, by index or name (default: 0)")
    emit.add_argument("--mode", choices=("reverse", "forward"), default="reverse")
    emit.add_argument("-o", "--output", metavar="OUT.py", help="write here, not to stdout")
    emit.add_argument("--check", action="store_true",
                      help="do not write: exit 1 (with a diff) if OUT.py differs from what "
                      "srcdiff emits now, so emitted derivatives can be versioned")
    emit.set_defaults(handler=cmd_emit)
    check = commands.add_parser("check", help="finite-difference checks of a file's functions",
                                epilog=_CHECK_EXAMPLES, formatter_class=formatter)
    check.add_argument("file")
    check.add_argument("--function", action="append", metavar="NAME")
    check.add_argument("--shape", action="append", metavar="[NAME=]D1,D2",
                       help="shape of the random inputs: D1,D2 for every input, NAME=D1,D2 for "
                       "one (repeatable; an empty shape gives Python floats; default 3)")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--lint", action="store_true",
                       help="list every unsupported construct of every function, without "
                       "running anything")
    check.set_defaults(handler=cmd_check)
    explain = commands.add_parser(
        "explain", help="why a gradient is zero or partial: the lines that cut the dependence",
        epilog="examples:\n  srcdiff explain model.py --function loss --wrt w\n",
        formatter_class=formatter)
    explain.add_argument("file", help="the Python file to read (parsed, never executed)")
    explain.add_argument("--function", action="append", metavar="NAME")
    explain.add_argument("--wrt", metavar="ARG[,ARG]", help="by index or name (default: 0)")
    explain.set_defaults(handler=cmd_explain)
    drawing = commands.add_parser(
        "graph", help="draw a function's computation graph (DOT, SVG or PNG), without "
        "running it", epilog=_GRAPH_EXAMPLES, formatter_class=formatter)
    drawing.add_argument("file", help="the Python file to read (parsed, never executed)")
    drawing.add_argument("--function", metavar="NAME",
                         help="the function to draw (default: the file's only function)")
    drawing.add_argument("--wrt", metavar="ARG[,ARG]",
                         help="parameters marked 'requires grad', by index or name "
                         "(default: 0)")
    drawing.add_argument("-o", "--output", metavar="OUT.{dot,svg,png}",
                         help="write here, in the format the suffix names (default: DOT on "
                         "stdout)")
    drawing.add_argument("--constants", action="store_true",
                         help="draw literal operands (the 2 of x + 2) as nodes too")
    drawing.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                         help="lay the graph out left to right (default) or top down")
    drawing.set_defaults(handler=cmd_graph)
    args = parser.parse_args(argv)
    args.argv = argv
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
