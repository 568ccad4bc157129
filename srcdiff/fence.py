"""Fence pass: find every construct srcdiff cannot differentiate yet, before any work.

The pass walks the whole function and reports *all* problems at once in one
:class:`UnsupportedSyntaxError`, each with file, line, column, the construct and a hint.
Whether a call has a derivative rule depends on what is differentiated, so calls are checked
later, by the reverse pass, against the activity analysis.
"""
from __future__ import annotations

import ast

from srcdiff.canonicalize import always_returns
from srcdiff.errors import Problem, UnsupportedSyntaxError
from srcdiff.parse import Source

LATER = "not supported yet; it arrives in a later release"

#: Statement types that are rejected, with the construct's name and a hint.
STATEMENTS: dict[type, tuple[str, str]] = {
    ast.AsyncFor: ("'async for' loop", "asynchronous code cannot be differentiated"),
    ast.Try: ("'try' statement", "exceptions cannot be differentiated; move the try/except "
              "outside the differentiated function"),
    ast.Raise: ("'raise' statement", "check inputs outside the differentiated function"),
    ast.Assert: ("'assert' statement", "check inputs outside the differentiated function"),
    ast.With: ("'with' block", "only 'with srcdiff.no_grad():' is supported"),
    ast.AsyncWith: ("'async with' block", "asynchronous code cannot be differentiated"),
    ast.Global: ("'global' statement", "pass the value as a parameter and return the result"),
    ast.Nonlocal: ("'nonlocal' statement", "pass the value as a parameter and return the result"),
    ast.Delete: ("'del' statement", "remove the 'del'; names go out of scope on return"),
    ast.Import: ("import inside the function", "import at module level"),
    ast.ImportFrom: ("import inside the function", "import at module level"),
    ast.AsyncFunctionDef: ("nested 'async def'", "asynchronous code cannot be differentiated"),
    ast.ClassDef: ("class definition inside the function", "define classes at module level"),
    ast.Break: ("'break' statement", LATER + "; use a 'while' loop with the condition"),
    ast.Continue: ("'continue' statement", LATER + "; guard the rest of the body with 'if'"),
}
if hasattr(ast, "Match"):
    STATEMENTS[ast.Match] = ("'match' statement", LATER)
if hasattr(ast, "TryStar"):
    STATEMENTS[ast.TryStar] = ("'try' statement", "exceptions cannot be differentiated")

#: Expression types that are rejected.
EXPRESSIONS: dict[type, tuple[str, str]] = {
    ast.Lambda: ("lambda", "write the function as a module-level 'def'"),
    ast.ListComp: ("list comprehension", LATER + "; use vectorised NumPy operations"),
    ast.SetComp: ("set comprehension", "sets cannot be differentiated"),
    ast.DictComp: ("dict comprehension", "dicts cannot be differentiated"),
    ast.GeneratorExp: ("generator expression", LATER + "; use vectorised NumPy operations"),
    ast.Yield: ("'yield' (generator function)", "return an array instead of yielding values"),
    ast.YieldFrom: ("'yield from' (generator function)", "return an array instead"),
    ast.Await: ("'await'", "asynchronous code cannot be differentiated"),
    ast.NamedExpr: ("assignment expression ':='", "assign with a separate statement"),
    ast.BoolOp: ("boolean operator 'and'/'or'", "use np.logical_and / np.logical_or"),
    ast.Starred: ("starred expression '*x'", "pass arguments explicitly"),
    ast.Dict: ("dict display", "dicts cannot be differentiated"),
    ast.Set: ("set display", "sets cannot be differentiated"),
    ast.JoinedStr: ("f-string", "strings cannot be differentiated"),
}


def is_append(stmt: ast.stmt) -> bool:
    """``name.append(value)``: the one method call kept as a statement (lists)."""
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "append"
            and isinstance(stmt.value.func.value, ast.Name) and len(stmt.value.args) == 1
            and not stmt.value.keywords)


class _Fence(ast.NodeVisitor):
    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.rejected: set[int] = set()
        self.statement: ast.stmt | None = None

    def report(self, node: ast.AST, construct: str, hint: str) -> None:
        origin = self.source.origin(node)
        self.problems.append(Problem(origin.filename, origin.line, origin.column, construct,
                                     hint, origin.source_line))
        if self.statement is not None:
            self.rejected.add(id(self.statement))

    # statements -------------------------------------------------------------------------
    def check_body(self, body: list[ast.stmt], top: bool) -> None:
        for index, stmt in enumerate(body):
            if isinstance(stmt, ast.Return) and index != len(body) - 1:
                self.statement = body[index + 1]
                self.report(body[index + 1], "code after 'return'",
                            "remove the unreachable statements")
                self.rejected.update(id(s) for s in body[index + 1:])
            outer, self.statement = self.statement, stmt
            self.check_stmt(stmt, top and index == len(body) - 1)
            self.statement = outer
        if top and not any(isinstance(n, ast.Return) for s in body for n in ast.walk(s)):
            self.report(self.source.node, "function without a 'return' statement",
                        "return the value to differentiate")
        elif top and not always_returns(body):
            self.report(self.source.node, "a path through the function that ends without "
                        "'return'", "end every branch with a return, or return after the if")

    def check_stmt(self, stmt: ast.stmt, last: bool) -> None:
        kind = type(stmt)
        if kind in STATEMENTS:
            if kind is ast.With and self.is_no_grad(stmt):
                self.check_body(stmt.body, top=False)
                return
            construct, hint = STATEMENTS[kind]
            self.report(stmt, construct, hint)
            return
        if isinstance(stmt, ast.FunctionDef):
            # A nested def is lifted out and differentiated on its own (its body is checked
            # then); here only what lifting cannot carry is refused.
            if stmt.decorator_list:
                self.report(stmt.decorator_list[0], "decorated nested function",
                            "define it at module level")
            for inner in ast.walk(stmt):
                if isinstance(inner, (ast.Nonlocal, ast.Global)):
                    self.report(inner, f"'{type(inner).__name__.lower()}' statement",
                                "return the value instead of writing the enclosing variable")
            return
        if isinstance(stmt, ast.If):
            self.visit_test(stmt.test)
            self.check_body(stmt.body, top=False)
            self.check_body(stmt.orelse, top=False)
            return
        if isinstance(stmt, (ast.For, ast.While)):
            self.check_loop(stmt)
            return
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self.check_target(target, stmt.value)
            self.visit(stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Tuple):
                self.report(stmt.target, "augmented assignment to a tuple", "not valid Python")
            else:
                self.check_target(stmt.target)
            self.visit(stmt.value)
        elif isinstance(stmt, ast.AnnAssign):
            self.check_target(stmt.target)
            if stmt.value is None:
                self.report(stmt, "annotation without a value", "assign a value")
            else:
                self.visit(stmt.value)
        elif isinstance(stmt, ast.Return):
            if stmt.value is None:
                self.report(stmt, "'return' without a value", "return the value to differentiate")
            else:
                self.visit(stmt.value)
        elif isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, (ast.Yield, ast.YieldFrom, ast.Await)):
                self.visit(stmt.value)
            elif is_append(stmt):
                self.visit(stmt.value)
            elif not (isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)):
                self.report(stmt, "expression statement (its value is discarded)",
                            "assign the result to a name, or remove the statement")
        elif isinstance(stmt, ast.Pass):
            pass
        else:
            self.report(stmt, f"'{kind.__name__}' statement", "rewrite it as assignments")

    def check_loop(self, stmt: ast.For | ast.While) -> None:
        kind = "for" if isinstance(stmt, ast.For) else "while"
        if stmt.orelse:
            self.report(stmt.orelse[0], f"'else' block of a '{kind}' loop",
                        "move the else block after the loop")
        if isinstance(stmt, ast.For):
            target = stmt.target
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            if not all(isinstance(n, ast.Name) for n in names):
                self.report(target, "loop target that is not a name or a tuple of names",
                            "loop over names and index inside the body")
            elif isinstance(target, ast.Tuple):
                func = stmt.iter.func if isinstance(stmt.iter, ast.Call) else None
                resolved = self.source.namespace.resolve(func) if func is not None else None
                if resolved not in (enumerate, zip):
                    self.report(target, "tuple unpacking in a 'for' loop",
                                "only 'enumerate(...)' and 'zip(...)' may unpack; index "
                                "inside the body")
            self.visit(stmt.iter)
        else:
            self.visit_test(stmt.test)
        for node in stmt.body:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return):
                    self.statement = node
                    self.report(inner, f"'return' inside a '{kind}' loop",
                                LATER + "; assign the value and return after the loop")
        self.check_body(stmt.body, top=False)

    def check_target(self, target: ast.expr, value: ast.expr | None = None) -> None:
        if isinstance(target, ast.Name):
            return
        if isinstance(target, ast.Subscript):
            if not isinstance(target.value, ast.Name):
                self.report(target, "assignment into a subscript of an expression",
                            "assign into a local array by its name: out[i] = ...")
            else:
                self.visit_Subscript(target)
        elif isinstance(target, ast.Attribute):
            self.report(target, "assignment to an attribute 'obj.attr = ...'",
                        "use a local variable")
        elif isinstance(target, (ast.Tuple, ast.List)):
            names = all(isinstance(e, ast.Name) for e in target.elts)
            display = isinstance(value, ast.Tuple) and len(value.elts) == len(target.elts)
            if not names:
                self.report(target, "unpacking into something other than names",
                            "unpack into names: a, b = ...")
            elif not (display or isinstance(value, ast.Call)):
                self.report(target, "tuple unpacking of a value that is neither a tuple "
                            "display nor a call", "write 'a, b = x, y' or 'a, b = f(x)'")
        else:
            self.report(target, "assignment target", "assign to a plain name")

    def is_no_grad(self, stmt: ast.With) -> bool:
        if len(stmt.items) != 1 or stmt.items[0].optional_vars is not None:
            return False
        expr = stmt.items[0].context_expr
        if not (isinstance(expr, ast.Call) and not expr.args and not expr.keywords):
            return False
        from srcdiff.control import no_grad

        return self.source.namespace.resolve(expr.func) is no_grad

    # expressions ------------------------------------------------------------------------
    def visit_test(self, node: ast.expr) -> None:
        """A branch or loop condition carries no derivative: 'and'/'or' are fine there."""
        for inner in ast.walk(node):
            if isinstance(inner, ast.BoolOp):
                for value in inner.values:
                    if not isinstance(value, ast.BoolOp):
                        self.visit(value)
                return
        self.visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit_test(node.test)
        self.visit(node.body)
        self.visit(node.orelse)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for part in parts:
            if isinstance(part, ast.List):  # an integer-array index written as a list
                for element in part.elts:
                    self.visit(element)
            else:
                self.visit(part)

    def generic_visit(self, node: ast.AST) -> None:
        kind = type(node)
        if kind in EXPRESSIONS:
            construct, hint = EXPRESSIONS[kind]
            self.report(node, construct, hint)
            return
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg is None:
                    self.report(keyword.value, "'**kwargs' in a call", "pass keywords explicitly")
        super().generic_visit(node)


def find(source: Source) -> tuple[list[Problem], set[int]]:
    """Every unsupported construct of the function, and the ids of the statements holding
    them (the normalize pass treats those as opaque, so that missing derivative rules in
    the rest of the function are reported in the same error)."""
    fence = _Fence(source)
    args = source.node.args
    if args.vararg is not None:
        fence.report(args.vararg, f"'*{args.vararg.arg}' parameter",
                     "name each parameter; srcdiff differentiates fixed signatures")
    if args.kwarg is not None:
        fence.report(args.kwarg, f"'**{args.kwarg.arg}' parameter",
                     "name each parameter; srcdiff differentiates fixed signatures")
    fence.check_body(source.node.body, top=True)
    return fence.problems, fence.rejected


def check(source: Source) -> None:
    """Raise :class:`UnsupportedSyntaxError` listing every unsupported construct, if any."""
    problems, _ = find(source)
    if problems:
        raise UnsupportedSyntaxError(problems, source.name)
