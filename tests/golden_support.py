"""Shared by the golden test and its regeneration script: how a case's text is produced."""
from __future__ import annotations

from pathlib import Path

from srcdiff import api, emitter, parse, reverse
from tests.cases.golden_cases import CASES

GOLDEN_DIR = Path(__file__).parent / "golden"


def emitted_text(func, kind: str, wrt) -> str:
    """The derivative source srcdiff emits for ``func`` (what ``grad``/``vjp`` run)."""
    params = [p.name for p in api._parameters(func)]
    names, as_tuple = api.resolve_wrt(func, params, wrt)
    source = parse.parse_function(func)
    derivative = api.build_from_source(source, reverse.Request(kind, names, as_tuple))
    return emitter.render(derivative.node)


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.py"


def all_cases():
    """(name, text) of every golden case, freshly emitted."""
    return [(name, emitted_text(func, kind, wrt)) for name, func, kind, wrt in CASES]
