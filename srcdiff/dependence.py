"""Dependence pass (srcdiff.explain): why a gradient is zero or partial, read off the source
without running it.

After normalization and activity analysis, every operation whose arguments depend on a
differentiated parameter but whose result does not is a *cut*: a comparison, an integer
cast, a rounding function, ``stop_gradient``, a ``no_grad`` block, an argument a rule does
not differentiate. An assignment that replaces a value depending on the parameter by one that
does not is an *overwrite*. A branch or loop condition computed from the parameter makes the
function piecewise (its derivative ignores where the boundary lies). The report lists them by
source line, with the variables that carry a derivative after each line.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from srcdiff import analyze, canonicalize, fence, normalize
from srcdiff.ir import Assign, If, Loop, Stmt, assignments, atom_names
from srcdiff.origin import Origin
from srcdiff.parse import Source


@dataclass(frozen=True)
class Finding:
    """One place where the dependence on the ``wrt`` parameters is cut or made piecewise."""

    origin: Origin
    kind: str  # "cut", "overwrite" or "condition"
    message: str

    def __str__(self) -> str:
        o = self.origin
        return f"{o.filename}:{o.line}:{o.column}: {self.kind}: {self.message}\n    " \
               f"{o.source_line.strip()}"


@dataclass
class Explanation:
    """The report of :func:`explain`: findings in source order, and per source line the user
    variables that carry a derivative after it."""

    function: str
    wrt: tuple[str, ...]
    output_depends: bool
    findings: list[Finding] = field(default_factory=list)
    active: dict[int, list[str]] = field(default_factory=dict)
    lines: dict[int, str] = field(default_factory=dict)

    def __str__(self) -> str:
        wrt = ", ".join(self.wrt)
        head = f"{self.function} w.r.t. {wrt}: "
        if not self.output_depends:
            head += "the output does not depend on it through any differentiable operation: " \
                    "the gradient is zero"
        elif self.findings:
            head += f"{len(self.findings)} place{'s' if len(self.findings) != 1 else ''} where " \
                    "the dependence is cut or piecewise"
        else:
            head += "the derivative flows through every line"
        parts = [head]
        parts += [str(f) for f in self.findings]
        if self.active:
            parts.append("carrying a derivative, by line:")
            for line in sorted(self.active):
                carried = self.active[line]
                named = [n for n in carried if not n.startswith("(")]
                unnamed = sorted(n for n in carried if n.startswith("("))[-1:]  # (returned)
                names = ", ".join(named or unnamed) or "-"
                parts.append(f"  {line:4d}  {self.lines[line].strip():<48}  {names}")
        return "\n".join(parts) + "\n"


def explain_source(source: Source, wrt: tuple[str, ...]) -> Explanation:
    """Explain the function parsed in ``source`` for the parameters ``wrt``."""
    canonicalize.canonicalize(source.node)
    _, rejected = fence.find(source)
    fn = normalize.normalize(source, rejected)
    act = analyze.activity(fn, list(wrt))
    out = fn.result.value
    report = Explanation(fn.name, wrt, bool(atom_names(out) & act.varied))
    varied_users: set[str] = set(wrt)
    returned = atom_names(out) | {a.target for a in assignments(fn.body)
                                  if a.user_name == normalize.RESULT}

    def user(stmt: Assign) -> str | None:
        name = stmt.user_name
        return name if name and name.isidentifier() and not name.startswith("_") else None

    def visit(body: list[Stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, If):
                if atom_names(stmt.test) & act.varied:
                    report.findings.append(Finding(stmt.origin, "condition", (
                        "the branch taken depends on the differentiated value; the derivative "
                        "is that of the branch, piecewise")))
                visit(stmt.body)
                visit(stmt.orelse)
                continue
            if isinstance(stmt, Loop):
                condition = stmt.test if stmt.test is not None else stmt.iter
                if condition is not None and atom_names(condition) & act.varied:
                    report.findings.append(Finding(stmt.origin, "condition", (
                        "the number of iterations depends on the differentiated value; it "
                        "carries no derivative")))
                visit(stmt.body)
                visit(list(stmt.copies))
                continue
            reads = atom_names(stmt.value)  # what the user's operation reads, cut or not
            name = user(stmt)
            origin = stmt.op.origin or stmt.origin
            if reads & act.varied and stmt.target not in act.varied:
                if stmt.op.what == "condition":  # the test of an if, a while, a break...
                    report.findings.append(Finding(stmt.origin, "condition", (
                        "a condition computed from the differentiated value: the derivative "
                        "is that of the path taken, piecewise")))
                else:
                    report.findings.append(Finding(origin, "cut", _reason(stmt)))
            elif (name in varied_users and stmt.target not in act.varied
                  and stmt.op.kind not in ("setitem", "append")):
                report.findings.append(Finding(stmt.origin, "overwrite", (
                    f"{name!r} is given a value that does not depend on "
                    f"{', '.join(wrt)}; its earlier value's derivative is dropped")))
            if name is not None:
                (varied_users.add if stmt.target in act.varied else varied_users.discard)(name)
            line = stmt.origin.line
            report.lines[line] = stmt.origin.source_line
            names = report.active.setdefault(line, [])
            if stmt.target in act.active:
                # a user's variable by its name; a value only the expression holds (the
                # return value, a temporary) still carries the derivative on this line
                shown = name if name is not None else (
                    "(the returned value)" if stmt.target in returned else "(a temporary)")
                if shown not in names:
                    names.append(shown)

    visit(fn.body)
    unique: dict[tuple[int, int, str], Finding] = {}
    for finding in report.findings:
        unique.setdefault((finding.origin.line, finding.origin.column, finding.kind), finding)
    report.findings = sorted(unique.values(), key=lambda f: (f.origin.line, f.origin.column))
    return report


def _reason(stmt: Assign) -> str:
    op = stmt.op
    if op.kind == "stop":
        return "srcdiff.stop_gradient: the derivative is cut here on purpose"
    if stmt.no_grad:
        return "inside 'with srcdiff.no_grad()': nothing computed here carries a derivative"
    if op.kind == "opaque":
        return "a statement srcdiff cannot differentiate (see the build error)"
    if op.rule is not None and op.rule.zero:
        return (f"{op.what} has derivative zero (a comparison, cast to int or bool, rounding, "
                "index or constructor): what follows does not depend on its argument")
    if op.rule is not None:
        cut = [p for p, t in op.rule.vjp.items() if t is None and p in op.args]
        if cut:
            return f"{op.what} carries no derivative through its argument(s) {', '.join(cut)}"
    return f"{op.what} carries no derivative here"
