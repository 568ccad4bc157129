"""What a user writes inside a differentiated function to control differentiation.

Both are ordinary Python at run time; the compiler recognises them by identity when it
builds a derivative (``stop_gradient(x)`` is a copy without derivative, the body of
``with no_grad():`` carries none).
"""
from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def stop_gradient(x: T) -> T:
    """Return ``x`` unchanged; srcdiff treats the result as a constant (PyTorch's ``.detach()``)."""
    return x


class no_grad:  # noqa: N801  (used as ``with srcdiff.no_grad():``, like torch.no_grad)
    """``with srcdiff.no_grad():`` — nothing computed in the block carries a derivative."""

    def __enter__(self) -> no_grad:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None
