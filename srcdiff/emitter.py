"""Emit pass: source text of derivative functions and of standalone modules.

Source is produced by astor (the one place the code printer is called, so it can be swapped
if a newer Python breaks it); comment markers left by the reverse pass become ``#`` comments.
A standalone module carries everything its functions call: the imports and literal constants
of the user's file that they read, and the source of each runtime helper they use, so it runs
with NumPy alone.
"""
from __future__ import annotations

import ast
import builtins
import functools
import inspect
import re
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import astor

from srcdiff import runtime
from srcdiff.errors import SrcdiffError
from srcdiff.reverse import COMMENT_MARKER, HELPERS
from srcdiff.trees import clone, explicit_signs

_MARKER_LINE = re.compile(rf"^(\s*){COMMENT_MARKER}\((.*)\)\s*$")


def to_source(node: ast.AST) -> str:
    """Print a syntax tree as Python source (the only call into the code printer)."""
    node = explicit_signs(clone(node))  # (-1.0) ** 2, not -1.0 ** 2
    ast.fix_missing_locations(node)
    # One statement per line: astor's default wraps long lines at odd places.
    return astor.to_source(node, pretty_source=lambda parts: "".join(parts))


def render(node: ast.FunctionDef) -> str:
    """Source of one derivative function, with its comments."""
    lines = []
    for line in to_source(node).splitlines():
        match = _MARKER_LINE.match(line)
        if match:
            text = ast.literal_eval(match.group(2))
            lines.append(f"{match.group(1)}# {text}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def free_names(func: ast.FunctionDef) -> set[str]:
    """The global names a function reads: read, but neither assigned nor a parameter."""
    args = func.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    read: set[str] = set()
    stored: set[str] = set()
    for n in ast.walk(func):
        if isinstance(n, ast.Name):
            (read if isinstance(n.ctx, ast.Load) else stored).add(n.id)
    return read - params - stored - {COMMENT_MARKER}


def names_read(node: ast.AST) -> set[str]:
    """Every name a tree reads."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


@functools.cache
def _helper_reads(helper: str) -> frozenset[str]:
    """The names a runtime helper's source reads (parsed once per process)."""
    return frozenset(names_read(ast.parse(textwrap.dedent(inspect.getsource(HELPERS[helper])))))


def helpers_needed(names: Iterable[str]) -> list[str]:
    """The runtime helpers among ``names``, with the helpers they call, in module order."""
    wanted = {n for n in names if n in HELPERS}
    pending = list(wanted)
    while pending:
        helper = pending.pop()
        for name in _helper_reads(helper):
            if name in HELPERS and name not in wanted:
                wanted.add(name)
                pending.append(name)
    order = list(HELPERS)
    return sorted(wanted, key=order.index)


def helper_source(name: str, aliases: Mapping[str, str]) -> str:
    """The source of a runtime helper, with every runtime name it uses (itself, other helpers,
    ``np``, ``math``) renamed to its alias in the emitted module."""
    source = textwrap.dedent(inspect.getsource(HELPERS[name]))
    for original, alias in aliases.items():
        if alias != original:
            source = re.sub(rf"\b(?<!\.){original}\b(?=\s*[.(])", alias, source)
    return source


def runtime_namespace(runtime_names: Mapping[str, str]) -> dict[str, Any]:
    """The objects the emitted code of a live build reads, under their emitted names: the
    modules, and srcdiff's own helper functions (which have derivative rules)."""
    from srcdiff.rules.registry import TEMPLATE_MODULES

    namespace: dict[str, Any] = {}
    for name, alias in runtime_names.items():
        if name in TEMPLATE_MODULES:
            namespace[alias] = TEMPLATE_MODULES[name]
        elif name in HELPERS:
            namespace[alias] = HELPERS[name]
    return namespace


def helper_block(runtime_names: Mapping[str, str], used: set[str],
                 standalone: bool = False) -> tuple[str, set[str]]:
    """Source of every helper the functions use (renamed to their aliases), and the modules
    those helpers need. A standalone module also gets its own error class; a live build binds
    srcdiff's instead."""
    aliases = dict(runtime_names)
    inverse = {alias: name for name, alias in aliases.items()}
    helper_names = [inverse.get(n, n) for n in used]
    needed = helpers_needed(n for n in helper_names if n in HELPERS)
    modules = set()
    for name in needed:
        aliases.setdefault(name, name)
        for read in names_read(ast.parse(textwrap.dedent(inspect.getsource(HELPERS[name])))):
            if read in ("np", "math"):
                modules.add(read)
                aliases.setdefault(read, read)
    parts = [helper_source(name, aliases) for name in needed]
    if standalone and "scalar_seed" in needed:
        parts.insert(0, runtime.NON_SCALAR_SOURCE)
    return "\n\n".join(parts), modules


def standalone_module(functions: list[tuple[ast.FunctionDef, Mapping[str, str]]],
                      imports: Mapping[str, str], constants: Mapping[str, Any],
                      filename: str, command: str,
                      originals: list[tuple[ast.FunctionDef, str]] = ()) -> str:
    """A module defining each derivative function, runnable with NumPy alone.

    ``imports`` maps a global name of the user's file to the import statement binding it,
    ``constants`` a global name to its literal value; ``originals`` are the user's functions
    the derivatives call (their syntax tree and text), copied as written.
    """
    runtime_names: dict[str, str] = {}
    for _, names in functions:
        for name, alias in names.items():
            if runtime_names.setdefault(name, alias) != alias:
                raise SrcdiffError(f"runtime name {name!r} is bound to two aliases")
    used: set[str] = set()
    defined = {node.name for node, _ in functions} | {node.name for node, _ in originals}
    for node, _ in functions:
        used |= free_names(node)
    user_used = set().union(*(free_names(node) for node, _ in originals)) if originals else set()
    helpers, helper_modules = helper_block(runtime_names, used, standalone=True)
    header_lines: list[str] = []
    bound: set[str] = set()
    module_aliases = {alias: name for name, alias in runtime_names.items()
                      if name in ("np", "math") and alias in used}
    for module in helper_modules:
        module_aliases[runtime_names.get(module, module)] = module
    for alias, module in sorted(module_aliases.items()):
        target = "numpy" if module == "np" else module
        header_lines.append(f"import {target}" if alias == target
                            else f"import {target} as {alias}")
        bound.add(alias)
    wanted = (used - set(runtime_names.values()) - set(HELPERS)) | user_used
    for name in sorted(wanted - bound - defined):
        if name in imports:
            if imports[name] not in header_lines:
                header_lines.append(imports[name])
        elif name in constants:
            header_lines.append(f"{name} = {constants[name]!r}")
        elif hasattr(builtins, name):
            continue
        elif name == "NonScalarOutputError":
            continue
        else:
            raise SrcdiffError(f"{filename}: the derivative reads the global {name!r}, which "
                               "is neither an import of numpy/math/the standard library nor a "
                               "literal constant; srcdiff emit never executes the file, so it "
                               "cannot write its value into a standalone module")
    doc = (f'"""Derivatives of functions in {filename}, generated by srcdiff.\n\n'
           f"Regenerate with: {command}\n"
           'This module needs only NumPy: it does not import srcdiff.\n"""\n')
    parts = [doc + "\n".join(header_lines)]
    if helpers:
        parts.append(helpers.rstrip("\n"))
    parts += [text for _, text in originals]
    parts += [render(node).rstrip("\n") for node, _ in functions]
    return "\n\n\n".join(parts) + "\n"
