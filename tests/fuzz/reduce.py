"""Shrink a failing fuzz program further than hypothesis does, by editing its syntax tree.

Usage: ``python -m tests.fuzz.reduce FAILURE.txt`` where the file holds a fuzz failure message
(``tests/test_fuzz.py`` prints it: the program under ``--- program ---``, the inputs under
``--- inputs ---``). Statements are deleted, compound statements replaced by one of their
bodies, expressions replaced by one of their operands, helpers inlined away, for as long as
the same kind of failure (the same exception, or a disagreement of the same check) remains.
The minimal program is printed.
"""
from __future__ import annotations

import ast
import builtins
import copy
import re
import signal
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np

import srcdiff
from tests.fuzz.generator import Program, count_statements
from tests.fuzz.harness import PathChanged, frozen, loaded, smooth_at, traced


def _undefined(tree: ast.Module) -> bool:
    """Whether a function reads a name that nothing defines (a variable cut away)."""
    defined = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
               and isinstance(n.ctx, ast.Store)}
    defined |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                for a in n.args.args}
    defined |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    defined |= {"np", "math", "srcdiff"} | set(dir(builtins))
    return any(isinstance(n, ast.Name) and n.id not in defined for n in ast.walk(tree))


def _kind(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return type(value).__name__, len(value), tuple(_kind(v) for v in value[:1])
    if isinstance(value, np.ndarray) and value.ndim:
        return "array", value.shape
    if isinstance(value, (float, np.floating, np.ndarray)):
        return "float"
    return type(value).__name__


def kinds(func: Any, args: tuple[Any, ...], filename: str) -> dict[tuple[str, str], set[Any]]:
    """The kinds (list, tuple, array of a shape, float...) every variable of the functions of
    ``filename`` holds during ``func(*args)``."""
    seen: dict[tuple[str, str], set[Any]] = {}

    def local(frame: Any, event: str, arg: Any) -> Any:
        for name, value in frame.f_locals.items():
            seen.setdefault((frame.f_code.co_name, name), set()).add(_kind(value))
        return local

    traced(func, args, filename, local)
    return seen


class _TooSlow(BaseException):  # not caught as a failure of the program
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _TooSlow


def signature(program: Program, args: tuple[Any, ...], directory: str,
              like: dict[tuple[str, str], set[Any]] | None = None) -> str | None:
    """:func:`_signature`, or None after 30 seconds (a cut loop that never ends)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(30)
    try:
        return _signature(program, args, directory, like)
    except _TooSlow:
        return None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _signature(program: Program, args: tuple[Any, ...], directory: str,
               like: dict[tuple[str, str], set[Any]] | None = None) -> str | None:
    """What goes wrong with ``program`` at ``args`` (None: nothing, or it does not run, or
    one of its variables holds a kind of value it did not hold in ``like``: cutting a
    program may turn it into one the generator never writes, failing another way)."""
    if _undefined(ast.parse(program.source)):
        return None
    args = copy.deepcopy(args)  # a variant may write into its arguments
    with loaded(program, directory) as module:
        if not hasattr(module, "f"):
            return None
        func = frozen(module, args)
        try:
            value = func(*args)
            if isinstance(value, (list, tuple)) or np.asarray(value).dtype.kind != "f" \
                    or not np.all(np.isfinite(value)):
                return None
            if like is not None:
                held = kinds(func, args, module.__file__)
                if any(not found <= like.get(key, set()) for key, found in held.items()):
                    return None
        except Exception:
            return None
        try:
            srcdiff.check_grad(func, *args, wrt=(0, 1))
        except srcdiff.UnsupportedSyntaxError:
            return None
        except srcdiff.GradientCheckError as error:
            text = str(error)
            if "finite differences" in text and not smooth_at(func, args, module.__file__):
                return None
            return "disagree: " + re.sub(r"'[xy]'|[-+]?\d[\d.e+-]*", "", text.split("\n")[0])
        except PathChanged:
            return None
        except Exception as error:
            return f"crash: {type(error).__name__}: {re.sub(r'[0-9]+', '', str(error))}"
    return None


def _bodies(tree: ast.AST) -> Iterator[tuple[ast.AST, str, list[ast.stmt]]]:
    for node in ast.walk(tree):
        for name in ("body", "orelse"):
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield node, name, body


def candidates(tree: ast.Module, start: int) -> Iterator[tuple[int, ast.Module]]:
    """Smaller variants of ``tree`` (with the index of the node edited), from node ``start``
    on: statements deleted or replaced by a body of their own, then expressions replaced by
    an operand."""
    count = sum(1 for _ in ast.walk(tree))
    for index in range(start, count):
        for variant in _statement_edits(tree, index):
            yield index, variant
    for index in range(start, count):
        for variant in _expression_edits(tree, index):
            yield index, variant


def _nth(tree: ast.AST, index: int) -> ast.AST | None:
    for k, node in enumerate(ast.walk(tree)):
        if k == index:
            return node
    return None


def _statement_edits(tree: ast.Module, index: int) -> Iterator[ast.Module]:
    original = _nth(tree, index)
    if not isinstance(original, ast.stmt) or isinstance(original, (ast.Import, ast.Return)) \
            or (isinstance(original, ast.FunctionDef) and original.name == "f"):
        return
    replacements: list[list[ast.stmt]] = [[]]
    for name in ("body", "orelse"):
        body = getattr(original, name, None)
        if isinstance(body, list) and body and not isinstance(original, ast.FunctionDef):
            replacements.append(body)
    for replacement in replacements:
        variant = copy.deepcopy(tree)
        node = _nth(variant, index)
        for parent, name, body in _bodies(variant):
            if node in body:
                at = body.index(node)
                new = body[:at] + copy.deepcopy(replacement) + body[at + 1:]
                setattr(parent, name, new or [ast.Pass()])
                yield variant
                break


def _operands(node: ast.AST) -> list[ast.expr]:
    """The operands an expression may be replaced by (values, never functions or tests)."""
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.IfExp):
        return [node.body, node.orelse]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.Call):
        return [a for a in node.args if not isinstance(a, ast.Starred)] + [
            k.value for k in node.keywords if k.arg not in ("axis", "keepdims")]
    if isinstance(node, ast.Subscript):
        return [node.value]
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return [node.value]
    return []


def _expression_edits(tree: ast.Module, index: int) -> Iterator[ast.Module]:
    original = _nth(tree, index)
    if not isinstance(original, ast.expr):
        return
    for k in range(len(_operands(original))):
        variant = copy.deepcopy(tree)
        node = _nth(variant, index)
        child = _operands(node)[k]
        for parent in ast.walk(variant):
            for field, value in ast.iter_fields(parent):
                if value is node:
                    setattr(parent, field, child)
                    yield variant
                    break
                if isinstance(value, list) and any(v is node for v in value):
                    value[[i for i, v in enumerate(value) if v is node][0]] = child
                    yield variant
                    break


def reduce(program: Program, args: tuple[Any, ...], verbose: bool = True) -> Program:
    """The smallest variant of ``program`` failing the same way at ``args``."""
    with tempfile.TemporaryDirectory() as directory:
        with loaded(program, directory) as module:
            like = kinds(frozen(module, args), args, module.__file__)
        target = signature(program, args, directory, like)
        if target is None:
            raise SystemExit("the program does not fail")
        if verbose:
            print("failure:", target, file=sys.stderr)
        tree = ast.parse(program.source)
        progress = True
        while progress:  # sweeps over the tree until none makes it smaller
            progress, start, tried = False, 0, set()
            while True:
                for index, variant in candidates(tree, start):
                    try:
                        source = ast.unparse(ast.fix_missing_locations(variant)) + "\n"
                        compile(source, "<variant>", "exec")
                    except (SyntaxError, ValueError):
                        continue
                    if source in tried or source == ast.unparse(tree) + "\n":
                        continue
                    tried.add(source)
                    smaller = Program(source, program.shapes, count_statements(source))
                    if signature(smaller, args, directory, like) == target:
                        tree, start, progress = ast.parse(source), index, True
                        if verbose:
                            print(f"  {smaller.statements} statements", file=sys.stderr)
                        break
                else:
                    break
        source = ast.unparse(tree) + "\n"
        return Program(source, program.shapes, count_statements(source))


def parse_failure(text: str) -> tuple[Program, tuple[Any, ...]]:
    """The program and inputs of a failure message of tests/test_fuzz.py."""
    program_text = text.split("--- program ---\n", 1)[1].split("--- inputs ---\n", 1)[0]
    header, source = program_text.split("\n", 1)
    shapes = [() if text == "float" else ast.literal_eval(text)
              for text in re.findall(r"[xy]: (float|\([^)]*\))", header)]
    inputs_text = text.split("--- inputs ---\n", 1)[1].split("--- check ---", 1)[0]
    values = re.split(r"^([xy]) = ", inputs_text, flags=re.M)[1:]
    args = []
    for name, value in zip(values[::2], values[1::2], strict=True):
        array = np.array(ast.literal_eval(value.strip()), dtype=np.float64)
        shape = shapes["xy".index(name)]
        args.append(float(array) if shape == () else array.reshape(shape))
    return Program(source, (shapes[0], shapes[1]), count_statements(source)), tuple(args)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        program, args = parse_failure(handle.read())
    smaller = reduce(program, args)
    print(smaller.render())
    for name, value in zip("xy", args, strict=True):
        print(f"{name} = {np.asarray(value).tolist()!r}")


if __name__ == "__main__":
    main()
