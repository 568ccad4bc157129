"""Exceptions raised by srcdiff.

Every error srcdiff raises derives from :class:`SrcdiffError`, so a caller can catch
"anything srcdiff refused" in one place.
"""
from __future__ import annotations

from dataclasses import dataclass


class SrcdiffError(Exception):
    """Base class of every error srcdiff raises."""


@dataclass(frozen=True)
class Problem:
    """One unsupported construct, located in the user's source."""

    filename: str
    line: int
    column: int
    construct: str
    hint: str
    source_line: str = ""

    def __str__(self) -> str:
        text = f"{self.filename}:{self.line}:{self.column}: {self.construct}"
        if self.source_line:
            line = self.source_line.rstrip("\n")
            stripped = line.lstrip()
            caret = max(self.column - 1 - (len(line) - len(stripped)), 0)
            text += f"\n    {stripped.rstrip()}\n    {' ' * caret}^"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class UnsupportedSyntaxError(SrcdiffError):
    """The derivative cannot be built: the function uses constructs srcdiff cannot differentiate.

    Raised when the derivative is *built*, never when it is called. ``problems`` lists every
    offending construct of the function, not only the first.
    """

    def __init__(self, problems: list[Problem] | Problem, function: str = "") -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        unique = {(p.filename, p.line, p.column, p.construct): p for p in problems}
        self.problems = sorted(unique.values(), key=lambda p: (p.filename, p.line, p.column))
        head = "cannot differentiate"
        if function:
            head += f" {function!r}"
        count = len(self.problems)
        head += f": {count} unsupported construct{'s' if count != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(str(p) for p in self.problems))


class GradientCheckError(SrcdiffError):
    """``check_grad`` found srcdiff's derivative disagreeing with finite differences."""


class NonScalarOutputError(SrcdiffError, ValueError):
    """``grad`` was asked for the gradient of a function whose output is not a scalar."""


def _bind_runtime_error() -> None:
    """Live derivatives call the helpers of :mod:`srcdiff.runtime` themselves: make them raise
    srcdiff's own class (standalone modules define a plain ValueError subclass instead)."""
    from srcdiff import runtime

    runtime.NonScalarOutputError = NonScalarOutputError  # type: ignore[misc]


_bind_runtime_error()
