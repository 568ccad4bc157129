"""The derivative-rule registry: every rule srcdiff knows, as data.

A rule describes one callable (``np.tanh``, ``math.exp``, the ``*`` operator...) by its
signature and, for each differentiable parameter, two *templates*: Python expressions written
over names, which the compiler inlines into the emitted code.

Template vocabulary
-------------------
* the rule's parameter names (``x``, ``x1``, ``a``, ``axis`` ...) are the primal arguments;
* ``y`` is the primal result;
* ``dy`` is the adjoint of the result (reverse templates only);
* ``d<param>`` is the tangent of that parameter (forward templates only);
* ``np``, ``math`` and the helpers of :mod:`srcdiff.runtime` by their names.

A reverse (``vjp``) template is the contribution of ``dy`` to the adjoint of one parameter;
a forward (``jvp``) template is the contribution of one parameter's tangent to the tangent of
``y``. Contributions of several active parameters are summed by the compiler.

A template is a string, or a function of the *constant* arguments of a call (a mapping from
parameter name to its Python value, holding only the arguments that are literals) returning a
string. The second form lets a rule specialise (``np.transpose(dy)`` when ``axes`` is None).

A parameter mapped to ``None`` has a zero derivative (the condition of ``np.where``); a
parameter absent from ``vjp`` cannot be differentiated, and activity reaching it is an error.

Batched forms
-------------
A *batched* derivative carries several adjoints (tangents) at once along a leading axis, so one
call of it gives several rows (columns) of a Jacobian. Its templates see ``dy`` (``d<param>``)
shaped ``(batch,) + shape``; primal values are not batched. A pointwise rule (``elementwise``,
``+``, ``np.where``) gets its batched forms from its plain ones (``lift`` aligns a batch of
tangents with the result; ``unbroadcast``/``broadcast_like`` become their ``batch_`` twins);
any other rule states them in ``batch_vjp``/``batch_jvp``. A rule without them still
differentiates: a Jacobian through it is computed one row (column) at a time.
"""
from __future__ import annotations

import ast
import builtins
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from srcdiff.trees import clone

Template = str | Callable[[Mapping[str, Any]], str] | None

@dataclass(frozen=True)
class Rule:
    """Derivative rule of one callable (or operator).

    ``params`` lists the parameter names in positional order; ``defaults`` gives the value of
    each optional one. ``vjp``/``jvp`` map a parameter to its template (see the module
    docstring). ``zero`` marks a function whose derivative is identically zero: its result
    never carries a derivative, whatever its arguments.
    """

    name: str
    params: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    vjp: Mapping[str, Template] = field(default_factory=dict)
    jvp: Mapping[str, Template] = field(default_factory=dict)
    zero: bool = False
    batch_vjp: Mapping[str, Template] | None = None
    batch_jvp: Mapping[str, Template] | None = None
    pointwise: bool = False

    def bind(self, args: list[Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Map positional and keyword arguments to parameter names, as Python would.

        Missing optional parameters get their default. Raises ``TypeError`` with a message
        when the call does not fit the signature.
        """
        if len(args) > len(self.params):
            raise TypeError(f"{self.name}() takes at most {len(self.params)} positional arguments")
        bound: dict[str, Any] = dict(zip(self.params, args, strict=False))
        for key, value in kwargs.items():
            if key not in self.params:
                raise TypeError(f"{self.name}() got an unexpected keyword argument {key!r}")
            if key in bound:
                raise TypeError(f"{self.name}() got multiple values for argument {key!r}")
            bound[key] = value
        for name in self.params:
            if name not in bound:
                if name not in self.defaults:
                    raise TypeError(f"{self.name}() missing required argument {name!r}")
                bound[name] = self.defaults[name]
        return bound

    def template(self, mode: str, param: str, consts: Mapping[str, Any]) -> ast.expr | None:
        """The template expression of ``param`` for ``mode`` ('vjp', 'jvp', 'batch_vjp' or
        'batch_jvp').

        Returns None for a zero derivative. Raises ``KeyError`` when the rule has no
        derivative (no batched derivative) for ``param``.
        """
        if mode.startswith("batch_"):
            return self._batch_template(mode, param, consts)
        table = self.vjp if mode == "vjp" else self.jvp
        if param not in table:
            raise KeyError(param)
        entry = table[param]
        if entry is None:
            return None
        text = entry(consts) if callable(entry) else entry
        return parse_template(text)

    def differentiable(self, param: str) -> bool:
        """Whether activity may flow through ``param`` (a rule exists for it)."""
        return param in self.vjp

    def _batch_template(self, mode: str, param: str,
                        consts: Mapping[str, Any]) -> ast.expr | None:
        table = self.batch_vjp if mode == "batch_vjp" else self.batch_jvp
        if table is not None:
            if param not in table:
                raise KeyError(param)
            entry = table[param]
            if entry is None:
                return None
            return parse_template(entry(consts) if callable(entry) else entry)
        if not self.pointwise:
            raise KeyError(param)
        plain = self.template(mode[len("batch_"):], param, consts)
        if plain is None:
            return None
        tangents = {f"d{p}" for p in self.params} if mode == "batch_jvp" else set()
        return _Batch(tangents).visit(plain)


#: The helpers a pointwise rule's template may call, and their batched twins (None: the
#: helper only reads primal values, and is the same in a batched derivative).
_POINTWISE_HELPERS: dict[str, str | None] = {
    "unbroadcast": "batch_unbroadcast", "broadcast_like": "batch_broadcast_like",
    "xlogy": None, "tie_weights": None,
}


class _Batch(ast.NodeTransformer):
    """Rewrite a pointwise template into its batched form: the tangents are lifted to the
    result's rank, the broadcasting helpers become their batched twins."""

    def __init__(self, tangents: set[str]) -> None:
        self.tangents = tangents

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.tangents:
            return ast.Call(ast.Name("lift", ast.Load()), [node, ast.Name("y", ast.Load())], [])
        if node.id in _POINTWISE_HELPERS:
            return ast.Name(_POINTWISE_HELPERS[node.id] or node.id, ast.Load())
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        func = node.func
        if isinstance(func, ast.Name) and func.id not in _POINTWISE_HELPERS and \
                func.id not in TEMPLATE_BUILTINS and func.id not in TEMPLATE_MODULES:
            from srcdiff import runtime

            if hasattr(runtime, func.id):  # a helper with no known batched twin
                raise KeyError(func.id)
        if (isinstance(func, ast.Name) and func.id == "broadcast_like" and node.args
                and isinstance(node.args[0], ast.Name) and node.args[0].id in self.tangents):
            # batch_broadcast_like lifts its argument itself
            node.args[1:] = [self.visit(arg) for arg in node.args[1:]]
            node.func = ast.Name("batch_broadcast_like", ast.Load())
            return node
        self.generic_visit(node)
        return node


@functools.cache
def _parse(text: str) -> ast.expr:
    return ast.parse(text.strip(), mode="eval").body


def parse_template(text: str) -> ast.expr:
    """Parse a template string into a fresh expression node (callers may mutate it)."""
    return clone(_parse(text))


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping: Mapping[str, ast.expr]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.mapping:
            return clone(self.mapping[node.id])
        return node


def instantiate(template: ast.expr, mapping: Mapping[str, ast.expr]) -> ast.expr:
    """Replace the names of ``template`` by copies of the expressions in ``mapping``."""
    return _Substitute(mapping).visit(clone(template))


# ---------------------------------------------------------------------------------------------
# The tables.
# ---------------------------------------------------------------------------------------------

_RULES: dict[int, tuple[object, Rule]] = {}


def register(funcs: object | Iterable[object], rule: Rule) -> Rule:
    """Register ``rule`` for one callable or several (``(np.exp, math.exp)``)."""
    if not isinstance(funcs, (tuple, list)):
        funcs = (funcs,)
    for func in funcs:
        _RULES[id(func)] = (func, rule)
    return rule


def lookup(func: object) -> Rule | None:
    """The rule registered for ``func`` (by identity), or None."""
    entry = _RULES.get(id(func))
    if entry is None or entry[0] is not func:
        return None
    return entry[1]


#: The ids of the callables whose rules a user declared (``srcdiff.defrule``).
USER_RULES: set[int] = set()


def registered(user: bool = False) -> list[tuple[object, Rule]]:
    """Every built-in (callable, rule) pair, in registration order; with ``user``, the rules
    users declared too."""
    return [(func, rule) for func, rule in _RULES.values()
            if user or id(func) not in USER_RULES]


def parse_signature(signature: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Parse ``"a, axis=None, keepdims=False"`` into names and literal defaults."""
    func = ast.parse(f"def _({signature}): pass").body[0]
    assert isinstance(func, ast.FunctionDef)
    names = tuple(arg.arg for arg in func.args.args)
    defaults: dict[str, Any] = {}
    for arg, default in zip(func.args.args[len(names) - len(func.args.defaults):],
                            func.args.defaults, strict=False):
        defaults[arg.arg] = ast.literal_eval(default)
    return names, defaults


def _display_name(func: object) -> str:
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__name__", repr(func))
    if isinstance(func, np.ufunc) or module.startswith("numpy"):
        return f"np.{name}"
    if module == "math":
        return f"math.{name}"
    return name


def defrule(funcs: object | Iterable[object], signature: str, *,
            vjp: Mapping[str, Template], jvp: Mapping[str, Template],
            name: str | None = None, batch_vjp: Mapping[str, Template] | None = None,
            batch_jvp: Mapping[str, Template] | None = None,
            pointwise: bool = False) -> Rule:
    """Register a rule with explicit reverse and forward templates per parameter.

    ``pointwise`` derives the batched forms from these; otherwise ``batch_vjp`` and
    ``batch_jvp`` give them (see the module docstring)."""
    params, defaults = parse_signature(signature)
    first = funcs[0] if isinstance(funcs, (tuple, list)) else funcs
    rule = Rule(name or _display_name(first), params, defaults, dict(vjp), dict(jvp),
                batch_vjp=None if batch_vjp is None else dict(batch_vjp),
                batch_jvp=None if batch_jvp is None else dict(batch_jvp),
                pointwise=pointwise)
    return register(funcs, rule)


def _is_scalar_constant(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _unbroadcast_unless_scalar(param: str, others: tuple[str, ...], body: str) -> Template:
    """Sum ``body`` back to ``param``'s shape, unless every other operand is a literal number
    (then no broadcasting against ``param`` can happen and the sum is the identity)."""

    def build(consts: Mapping[str, Any]) -> str:
        if all(name in consts and _is_scalar_constant(consts[name]) for name in others):
            return body
        return f"unbroadcast({body}, {param})"

    return build


def elementwise(funcs: object | Iterable[object], signature: str,
                name: str | None = None, **partials: str | None) -> Rule:
    """Register an elementwise function by its partial derivatives ``dy/dparam``.

    One entry gives both directions: the adjoint is ``dy * partial`` (summed back to the
    parameter's shape when operands broadcast) and the tangent is ``dparam * partial``.
    ``tanh`` reads ``elementwise(np.tanh, "x", x="1 - y ** 2")``.
    """
    params, _ = parse_signature(signature)
    operands = tuple(p for p in params if p in partials)
    vjp: dict[str, Template] = {}
    jvp: dict[str, Template] = {}
    for param, partial in partials.items():
        if partial is None:
            vjp[param] = jvp[param] = None
            continue
        body = f"dy * ({partial})"
        others = tuple(p for p in operands if p != param)
        vjp[param] = _unbroadcast_unless_scalar(param, others, body) if others else body
        tangent = f"d{param} * ({partial})"
        mentioned = {n.id for n in ast.walk(parse_template(partial)) if isinstance(n, ast.Name)}
        if others and not (set(others) <= mentioned or "y" in mentioned):
            # The partial does not broadcast against the other operands: the tangent must
            # still have the result's shape.
            tangent = f"broadcast_like({tangent}, y)"
        jvp[param] = tangent
    return defrule(funcs, signature, vjp=vjp, jvp=jvp, name=name, pointwise=True)


def nondiff(*funcs: object, name: str | None = None) -> None:
    """Register functions whose results carry no derivative (comparisons, ``np.zeros_like``,
    ``np.sign``, shapes...). Their arguments may be anything."""
    for func in funcs:
        register(func, Rule(name or _display_name(func), zero=True))


# ---------------------------------------------------------------------------------------------
# Syntax that is not a call: operators, array methods and attributes.
# ---------------------------------------------------------------------------------------------

#: Binary operators, by AST node type, to the NumPy function whose rule they share.
BINARY_OPERATORS: dict[type, object] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Pow: np.power,
    ast.MatMult: np.matmul,
}

#: Unary operators, by AST node type.
UNARY_OPERATORS: dict[type, object] = {
    ast.USub: np.negative,
    ast.UAdd: np.positive,
}

#: Operator symbols, for messages and for naming temporaries.
OPERATOR_WORDS: dict[type, tuple[str, str]] = {
    ast.Add: ("+", "plus"), ast.Sub: ("-", "minus"), ast.Mult: ("*", "times"),
    ast.Div: ("/", "div"), ast.Pow: ("**", "pow"), ast.MatMult: ("@", "matmul"),
    ast.FloorDiv: ("//", "floordiv"), ast.Mod: ("%", "mod"), ast.LShift: ("<<", "lshift"),
    ast.RShift: (">>", "rshift"), ast.BitOr: ("|", "bitor"), ast.BitAnd: ("&", "bitand"),
    ast.BitXor: ("^", "bitxor"), ast.USub: ("-", "neg"), ast.UAdd: ("+", "pos"),
    ast.Not: ("not", "not"), ast.Invert: ("~", "invert"),
}


@dataclass(frozen=True)
class Method:
    """An array method ``receiver.name(...)``, differentiated as ``func(receiver, ...)``.

    ``varargs`` names the parameter that collects several positional arguments into a tuple
    (``x.reshape(3, 4)`` is ``np.reshape(x, (3, 4))``).
    """

    func: object
    varargs: str | None = None


#: Array methods with derivatives, by name.
METHODS: dict[str, Method] = {}

#: Array attributes that are functions of the array (``x.T``), by name.
ATTRIBUTES: dict[str, object] = {}

#: Array attributes and methods that carry no derivative (shapes, dtypes, comparisons).
NONDIFF_ATTRIBUTES: frozenset[str] = frozenset({
    "shape", "ndim", "size", "dtype", "itemsize", "nbytes", "argmax", "argmin", "argsort",
    "nonzero", "tolist", "item", "copy_shape",
})


def defmethod(name: str, func: object, varargs: str | None = None) -> None:
    """Declare that ``array.name(...)`` is differentiated with the rule of ``func``."""
    METHODS[name] = Method(func, varargs)


def defattribute(name: str, func: object) -> None:
    """Declare that ``array.name`` is ``func(array)`` (for example ``.T``)."""
    ATTRIBUTES[name] = func


#: Names that rule templates may use besides their parameters, ``y``, ``dy`` and ``d<param>``.
TEMPLATE_MODULES: dict[str, object] = {"np": np, "math": math}

#: Builtins that templates may call.
TEMPLATE_BUILTINS: frozenset[str] = frozenset(
    name for name in ("abs", "len", "float", "int", "tuple", "range", "sum", "max", "min")
    if hasattr(builtins, name))


def evaluate(rule: Rule, mode: str, param: str, args: Mapping[str, Any], result: Any,
             seed: Any) -> Any:
    """Run one template on concrete values, outside any compiled function.

    ``mode`` is 'vjp' (``seed`` is ``dy``; returns the adjoint contribution to ``param``) or
    'jvp' (``seed`` is the tangent of ``param``; returns its contribution to the tangent of
    the result), or their batched forms 'batch_vjp', 'batch_jvp' (``seed`` a batch).
    ``args`` maps every parameter name to its value, as ``Rule.bind`` does.
    Returns None for a zero derivative. This is how a rule is tested alone.
    """
    from srcdiff import runtime

    consts = {k: v for k, v in args.items()
              if v is None or isinstance(v, (bool, int, float, str, tuple))}
    template = rule.template(mode, param, consts)
    if template is None:
        return None
    env: dict[str, Any] = {name: getattr(runtime, name) for name in dir(runtime)
                           if not name.startswith("_")}
    env.update(TEMPLATE_MODULES)
    env.update(args)
    env["y"] = result
    env["dy" if mode.endswith("vjp") else f"d{param}"] = seed
    code = compile(ast.Expression(ast.fix_missing_locations(template)), "<rule>", "eval")
    return eval(code, env)  # noqa: S307  (our own templates, on test values)
