"""User-defined derivative rules: give srcdiff the derivative of a function it lacks.

A rule is written exactly like srcdiff's own (:mod:`srcdiff.rules.registry`): for each
differentiable parameter, a reverse template (its adjoint contribution, from ``dy``, the adjoint
of the result ``y``) and a forward template (its contribution to the result's tangent, from
``d<param>``), Python expressions over the parameter names, ``y``, ``np``, ``math`` and
srcdiff's runtime helpers. srcdiff inlines them into the code it emits, so the derivative stays
readable, and ``srcdiff emit`` reads the same declarations from a file without running it.

* ``srcdiff.defrule(func, "x, axis=None", vjp={...}, jvp={...})`` for a library function;
* ``@srcdiff.defrule(vjp={...}, jvp={...})`` above your own function, whose body srcdiff then
  never differentiates (it calls the function, and applies the rule);
* ``srcdiff.elementwise(func, x="partial")``: an elementwise function by its partial
  derivatives, both directions from one entry (``elementwise(np.tanh, x="1 - y ** 2")``).
"""
from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from srcdiff.errors import SrcdiffError
from srcdiff.rules import registry

Template = str | Callable[[Mapping[str, Any]], str] | None


def defrule(func: Any = None, signature: str | None = None, *,
            vjp: Mapping[str, Template], jvp: Mapping[str, Template],
            batch_vjp: Mapping[str, Template] | None = None,
            batch_jvp: Mapping[str, Template] | None = None) -> Any:
    """Register the derivative of ``func`` and return ``func`` (usable as a decorator).

    ``signature`` gives the parameter names and literal defaults (``"a, axis=None"``); it
    defaults to ``func``'s own. ``vjp`` and ``jvp`` map each differentiable parameter to its
    template (``None`` for a zero derivative); parameters absent from them cannot carry a
    derivative. ``batch_vjp``/``batch_jvp`` are the optional batched forms that let
    :func:`srcdiff.jacobian` run vectorised through ``func`` (without them it takes one pass
    per row). Raises :class:`SrcdiffError` when a template does not parse or reads a name
    outside the template vocabulary.
    """
    if func is None:
        return lambda f: defrule(f, signature, vjp=vjp, jvp=jvp, batch_vjp=batch_vjp,
                                 batch_jvp=batch_jvp)
    signature = _signature(func, signature)
    params, _ = registry.parse_signature(signature)
    _validate(func, params, vjp, jvp)
    registry.defrule(func, signature, vjp=vjp, jvp=jvp, batch_vjp=batch_vjp,
                     batch_jvp=batch_jvp)
    registry.USER_RULES.add(id(func))
    _forget_built()
    return func


def elementwise(func: Any = None, signature: str | None = None, **partials: str | None) -> Any:
    """Register an elementwise ``func`` by its partial derivatives ``dy/dparam`` and return it
    (usable as a decorator): ``elementwise(math.erf, x="2 / math.sqrt(math.pi) * math.exp(-x
    ** 2)")``. Both directions, and the batched forms, follow from the one entry."""
    if func is None:
        return lambda f: elementwise(f, signature, **partials)
    signature = _signature(func, signature)
    params, _ = registry.parse_signature(signature)
    templates = {p: None if t is None else f"dy * ({t})" for p, t in partials.items()}
    _validate(func, params, templates, {p: None if t is None else f"d{p} * ({t})"
                                        for p, t in partials.items()})
    registry.elementwise(func, signature, **partials)
    registry.USER_RULES.add(id(func))
    _forget_built()
    return func


def _signature(func: Any, signature: str | None) -> str:
    if signature is not None:
        return signature
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        name = getattr(func, "__name__", "f")
        raise SrcdiffError(f"cannot read the signature of {func!r}: pass it, e.g. "
                           f'defrule({name}, "x, y=0.0", ...)') from None
    parts = []
    for p in parameters:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise SrcdiffError(f"{func.__name__} takes *args or **kwargs: pass the signature "
                               "srcdiff should use, e.g. \"x, axis=None\"")
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


def _validate(func: Any, params: tuple[str, ...], vjp: Mapping[str, Template],
              jvp: Mapping[str, Template]) -> None:
    """Refuse, with a message naming the rule, templates that cannot work."""
    name = getattr(func, "__name__", repr(func))
    if set(vjp) != set(jvp):
        raise SrcdiffError(f"rule for {name}: vjp and jvp must name the same parameters "
                           f"(vjp: {sorted(vjp)}, jvp: {sorted(jvp)})")
    unknown = set(vjp) - set(params)
    if unknown:
        raise SrcdiffError(f"rule for {name}: {sorted(unknown)} are not parameters of "
                           f"{name}({', '.join(params)})")
    from srcdiff.reverse import HELPERS

    common = (set(params) | {"y"} | set(registry.TEMPLATE_MODULES) | set(HELPERS)
              | set(registry.TEMPLATE_BUILTINS))
    for mode, table in (("vjp", vjp), ("jvp", jvp)):
        allowed = common | ({"dy"} if mode == "vjp" else {f"d{p}" for p in params})
        for param, template in table.items():
            if not isinstance(template, str):
                continue  # None, or a callable of the literal arguments
            try:
                node = ast.parse(template.strip(), mode="eval")
            except SyntaxError as exc:
                raise SrcdiffError(f"rule for {name}: the {mode} template of {param!r} does "
                                   f"not parse: {template!r} ({exc.msg})") from None
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and sub.id not in allowed:
                    raise SrcdiffError(
                        f"rule for {name}: the {mode} template of {param!r} reads {sub.id!r}, "
                        f"which is not in the template vocabulary: the parameters "
                        f"{', '.join(params)}, y, {'dy' if mode == 'vjp' else 'd<param>'}, "
                        "np, math and srcdiff's runtime helpers")


def _forget_built() -> None:
    """Derivatives built before a rule existed may have taken another path: rebuild them."""
    from srcdiff import api

    with api._LOCK:
        api._CACHE.clear()
        api._GENERATION[0] += 1
