"""Where a piece of code came from: file, line, column and the source text of the line.

Origins are attached to every normalized statement so that errors and the comments in the
emitted code can point back at the user's source.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """A position in the user's source file (line and column are 1-based)."""

    filename: str
    line: int
    column: int
    source_line: str

    @property
    def short(self) -> str:
        """``file.py:line`` with the file's base name, stable across checkouts."""
        return f"{os.path.basename(self.filename)}:{self.line}"

    def comment(self) -> str:
        """The comment emitted above the adjoint block of this statement."""
        return f"{self.short}: {self.source_line.strip()}"
