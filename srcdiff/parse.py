"""Parse pass: from a Python function object (or a file) to its syntax tree.

The tree's line and column numbers are positions in the user's *file*, so every later error
and every comment in the emitted code points at the real source. Global names are resolved
through a :class:`Namespace`: the function's closure, its module globals and the builtins for
a live function; the file's imports and literal constants for ``srcdiff emit FILE.py``, which
never executes the file.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import linecache
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from srcdiff.errors import SrcdiffError
from srcdiff.origin import Origin


class Unresolved:
    """A global the static (file) namespace cannot give a value for."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"<unresolved: {self.why}>"


MISSING = Unresolved("not defined")


@dataclass
class Namespace:
    """Resolves the free names of a function to objects.

    ``getters`` maps a name to a zero-argument function giving its *current* value, so that a
    derivative built once still sees a global or closure variable rebound later.
    ``imports`` (file namespaces only) maps a name to the import statement that binds it, for
    the header of a standalone module.
    """

    getters: dict[str, Callable[[], Any]] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)

    def lookup(self, name: str) -> Any:
        """The current value of ``name``, or :data:`MISSING`."""
        getter = self.getters.get(name)
        if getter is not None:
            try:
                return getter()
            except (KeyError, ValueError):  # unbound global or empty cell: try the builtins
                pass
        if hasattr(builtins, name):
            return getattr(builtins, name)
        return MISSING

    def resolve(self, node: ast.expr) -> Any:
        """The object a ``Name`` or dotted ``Attribute`` chain of globals refers to."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if isinstance(base, Unresolved):
                return base
            return getattr(base, node.attr, MISSING)
        return MISSING


class FileFunction:
    """A function defined in a file that ``srcdiff emit`` reads: known by its syntax tree,
    never by a live object (the file is not executed)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.__name__ = source.name

    def __repr__(self) -> str:
        return f"<function {self.source.name} of {self.source.filename}>"


class LocalFunction(FileFunction):
    """A ``def`` nested in a differentiated function, lifted out of it: the variables of the
    enclosing function it reads (``free``) became keyword-only parameters, which every call
    passes with their values at the time of the call, as a closure would read them."""

    def __init__(self, source: Source, free: list[str], inner_name: str) -> None:
        super().__init__(source)
        self.free = free
        self.inner_name = inner_name


@dataclass
class Source:
    """A function's syntax tree, with where it came from and how to resolve its globals."""

    node: ast.FunctionDef
    filename: str
    lines: list[str]
    namespace: Namespace
    module_constants: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name

    def origin(self, node: ast.AST) -> Origin:
        """The :class:`Origin` of a node of this tree."""
        line = getattr(node, "lineno", self.node.lineno)
        column = getattr(node, "col_offset", 0) + 1
        text = self.lines[line - 1].rstrip("\n") if 0 < line <= len(self.lines) else ""
        return Origin(self.filename, line, column, text)


def _closure_getter(cell: Any) -> Callable[[], Any]:
    return lambda: cell.cell_contents


def _global_getter(globals_: dict[str, Any], name: str) -> Callable[[], Any]:
    return lambda: globals_[name]


def _global_names(code: types.CodeType) -> set[str]:
    """The global names a code object reads, with those of the nested defs, lambdas and
    comprehensions it holds (their code objects are among its constants)."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _live_namespace(func: Any) -> Namespace:
    code = func.__code__
    getters: dict[str, Callable[[], Any]] = {}
    for name in _global_names(code):
        getters[name] = _global_getter(func.__globals__, name)
    for name, cell in zip(code.co_freevars, func.__closure__ or (), strict=False):
        getters[name] = _closure_getter(cell)
    return Namespace(getters)


def parse_function(func: Any) -> Source:
    """Parse a live function: its own source lines, found through its code object.

    Works for functions of modules and of ``__main__`` scripts, for decorated functions
    (the decorators are dropped from the tree) and for nested functions (dedented).
    """
    func = inspect.unwrap(getattr(func, "__srcdiff_original__", func))
    code = getattr(func, "__code__", None)
    if code is None:
        raise SrcdiffError(
            f"cannot differentiate {func!r}: it is not a Python function with source code "
            "(built-ins and C extensions have none)")
    filename = code.co_filename
    linecache.checkcache(filename)  # the file may have changed since (a reload, a notebook)
    lines = linecache.getlines(filename, func.__globals__)
    if not lines:
        raise SrcdiffError(
            f"cannot differentiate {func.__qualname__!r}: its source is unavailable "
            f"({filename}); define it in a file or module, not with exec() or at the REPL")
    start = code.co_firstlineno
    block = inspect.getblock(lines[start - 1:])
    first = block[0]
    indent = len(first) - len(first.lstrip())
    # An indented (nested) def is parsed inside a dummy block rather than dedented, so lines
    # of a multi-line string that start at column 0 stay valid and columns stay file columns.
    text = ("if 1:\n" if indent else "") + "".join(block)
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError as exc:
        if func.__name__ == "<lambda>":  # a lambda inside a larger expression or statement
            from srcdiff.errors import Problem, UnsupportedSyntaxError

            column = max(lines[start - 1].find("lambda") + 1, 1)
            raise UnsupportedSyntaxError(Problem(
                filename, start, column, "lambda inside a larger expression",
                "srcdiff reads a function's 'def' source; write the lambda as a 'def'",
                lines[start - 1]), "<lambda>") from None
        raise SrcdiffError(f"cannot parse the source of {func.__qualname__!r}: {exc}") from exc
    if indent:
        wrapper = tree.body[0]
        assert isinstance(wrapper, ast.If)
        tree.body = wrapper.body
    ast.increment_lineno(tree, start - 1 - (1 if indent else 0))
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef) or node.name != func.__name__:
        from srcdiff.errors import Problem, UnsupportedSyntaxError

        if isinstance(node, ast.AsyncFunctionDef):
            construct = f"'async def {node.name}' (a coroutine function)"
            hint = "asynchronous code cannot be differentiated; differentiate a plain 'def'"
            line, column = node.lineno, node.col_offset + 1
        elif func.__name__ == "<lambda>":
            construct = "lambda"
            hint = "srcdiff reads a function's 'def' source; write the lambda as a 'def'"
            line, column = start, indent + 1
            for sub in ast.walk(tree):
                if isinstance(sub, ast.Lambda):
                    line, column = sub.lineno, sub.col_offset + 1
                    break
        else:
            construct = f"{func.__name__!r} is not defined by a 'def' statement"
            hint = "srcdiff differentiates functions written with 'def'"
            line, column = start, indent + 1
        raise UnsupportedSyntaxError(Problem(
            filename, line, column, construct, hint,
            lines[line - 1].rstrip("\n") if 0 < line <= len(lines) else ""),
            func.__name__)
    node.decorator_list = []
    return Source(node, filename, lines, _live_namespace(func))


# ---------------------------------------------------------------------------------------------
# Files, for the command line: parsed, never executed.
# ---------------------------------------------------------------------------------------------

_IMPORTABLE_ROOTS = {"numpy", "math", "cmath", "srcdiff"} | set(sys.stdlib_module_names)


def _importable(module: str) -> bool:
    return module.split(".")[0] in _IMPORTABLE_ROOTS


def _file_namespace(tree: ast.Module) -> tuple[Namespace, dict[str, Any]]:
    values: dict[str, Any] = {}
    imports: dict[str, str] = {}
    constants: dict[str, Any] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                bound = alias.asname or alias.name.split(".")[0]
                target = alias.name if alias.asname else alias.name.split(".")[0]
                if _importable(alias.name):
                    values[bound] = importlib.import_module(target)
                    imports[bound] = ast.unparse(ast.Import([alias]))
                else:
                    values[bound] = Unresolved(f"module {alias.name!r} is not imported "
                                                "by srcdiff emit (only numpy, math, stdlib)")
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            for alias in stmt.names:
                bound = alias.asname or alias.name
                if _importable(stmt.module):
                    module = importlib.import_module(stmt.module)
                    values[bound] = getattr(module, alias.name, MISSING)
                    imports[bound] = ast.unparse(ast.ImportFrom(stmt.module, [alias], 0))
                else:
                    values[bound] = Unresolved(f"{stmt.module}.{alias.name} is not imported "
                                                "by srcdiff emit (only numpy, math, stdlib)")
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name) and stmt.value is not None:
                    try:
                        values[target.id] = ast.literal_eval(stmt.value)
                        constants[target.id] = values[target.id]
                    except ValueError:
                        values[target.id] = Unresolved(
                            f"global {target.id!r} is not a literal constant, and "
                            "srcdiff emit never executes the file")
        elif isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            values[stmt.name] = Unresolved(f"{stmt.name!r} is defined in the file")
    getters = {name: (lambda value=value: value) for name, value in values.items()}
    return Namespace(getters, imports), constants


def parse_file(path: str) -> tuple[dict[str, Source], ast.Module]:
    """Parse a file's top-level functions without executing it.

    Raises ``SyntaxError`` when the file does not parse and ``OSError`` when it cannot be read.
    """
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    tree = ast.parse(text, filename=path)
    lines = text.splitlines(keepends=True)
    namespace, constants = _file_namespace(tree)
    sources: dict[str, Source] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            stmt.srcdiff_decorators = stmt.decorator_list  # type: ignore[attr-defined]
            stmt.decorator_list = []
            sources[stmt.name] = Source(stmt, path, lines, namespace, constants)
    for name, source in sources.items():  # calls between the file's functions resolve
        function = FileFunction(source)
        namespace.getters[name] = lambda function=function: function
    return sources, tree
