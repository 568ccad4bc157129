"""A hypothesis strategy composing random Python/NumPy programs that srcdiff differentiates.

:func:`programs` draws a :class:`Program`: the text of a module with a function
``def f(x, y): ...`` (and the helper functions it calls, defined before it), and the shapes of
``x`` and ``y``. Every program is valid Python that runs on float64 inputs of those shapes, and
uses only constructs srcdiff supports (README.md, "What srcdiff differentiates"):
straight-line code with reassignment and augmented assignment, arithmetic with broadcasting,
elementwise functions on safe domains, reductions with ``axis``/``keepdims``, ``@``, indexing
and reshaping, branches (``if``/``elif``/``else``, early returns, conditional expressions,
``np.where``) on computed values, ``for`` loops (``range``, ``reversed``, an array's rows,
``enumerate``, ``zip``) and counted ``while`` loops with ``break``/``continue`` under
conditions, writes into local arrays, helper functions (keyword and default arguments, tuple
results), tuples, lists (``append``, indexing, ``sum``, ``np.stack``),
``srcdiff.stop_gradient`` and ``with srcdiff.no_grad():``.

Values stay bounded and smooth, so that central finite differences are meaningful: every
expression carries an upper bound of its magnitude, and one that could exceed :data:`CAP` is
squashed by ``np.tanh``; ``exp`` only sees bounded values, ``log`` and ``sqrt`` only
``1 + e**2``, divisions only ``1 + e**2``; ``max``/``min`` reduce only values whose entries
are generically distinct (no ties from broadcasting or constants); no ``abs``. A value a loop
carries never grows from one iteration to the next by more than a constant (an assignment to
it inside the loop is squashed below its bound at the loop's entry).

The programs avoid the aliasing NumPy allows and srcdiff does not model: an array is written
into (``out[i] = v``, ``v += e``) only when it owns its data and nothing else refers to it, and
a loop stores only fresh arrays into a variable or container from outside the loop.

The strategy is written for shrinking: at every choice the simplest option comes first (fewer
statements, shallower expressions, plain assignments, the newest variable), so hypothesis
shrinks a failing program to a short one.
"""
from __future__ import annotations

import ast
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st

Shape = tuple[int, ...]

#: The shapes of values; arguments take the first four.
SHAPES: list[Shape] = [(), (3,), (2, 3), (3, 1), (2,), (1, 3), (3, 3), (1,)]
ARG_SHAPES: list[Shape] = SHAPES[:4]
ARRAY_SHAPES = [s for s in SHAPES if s]
#: The shapes of new variables ((1,) only comes from rows of a (3, 1) array).
VALUE_SHAPES = SHAPES[:-1]
#: Magnitude above which an expression is squashed by ``np.tanh``.
CAP = 8.0
#: Magnitude assumed for helper parameters (call sites squash larger arguments).
PARAM_MAG = 2.0
#: Magnitude of the random inputs (uniform in [-INPUT_MAG, INPUT_MAG]).
INPUT_MAG = 1.5
CONSTANTS = ["0.5", "2.0", "1.5", "-0.5", "0.25", "-1.0", "3.0"]
THRESHOLDS = ["0.0", "0.5", "-0.5", "1.0", "-1.0", "0.25"]


def _broadcast(a: Shape, b: Shape) -> Shape | None:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def _size(shape: Shape) -> int:
    return math.prod(shape)


#: For a result shape, the operand shape pairs that broadcast to it (same shapes first).
BROADCAST: dict[Shape, list[tuple[Shape, Shape]]] = {
    t: sorted([(a, b) for a in SHAPES for b in SHAPES if _broadcast(a, b) == t],
              key=lambda p: (p != (t, t), p[1] != (), p[0] != ()))
    for t in SHAPES
}

#: For a result shape: (operand shape, template, function name, entries reduced into one).
REDUCE_TO: dict[Shape, list[tuple[Shape, str, str, float]]] = {t: [] for t in SHAPES}
for _s in ARRAY_SHAPES:
    for _fn in ("sum", "mean", "max", "min"):
        _scale = float(_size(_s))
        REDUCE_TO[()].append((_s, f"np.{_fn}({{}})", _fn, _scale))
        REDUCE_TO[()].append((_s, f"{{}}.{_fn}()", _fn, _scale))
        if len(_s) == 2 and _fn in ("sum", "mean"):
            REDUCE_TO[()].append((_s, f"np.{_fn}({{}}, axis=(0, 1))", _fn, _scale))
        for _axis in range(len(_s)):
            for _keep in (False, True):
                _t = tuple(1 if k == _axis else n for k, n in enumerate(_s)) if _keep else \
                    tuple(n for k, n in enumerate(_s) if k != _axis)
                if _t not in SHAPES:
                    continue
                _f = float(_s[_axis])
                _kw = ", keepdims=True" if _keep else ""
                REDUCE_TO[_t].append((_s, f"np.{_fn}({{}}, axis={_axis}{_kw})", _fn, _f))
                if _axis == len(_s) - 1:
                    REDUCE_TO[_t].append((_s, f"np.{_fn}({{}}, axis=-1{_kw})", _fn, _f))
                if not _keep:
                    REDUCE_TO[_t].append((_s, f"{{}}.{_fn}(axis={_axis})", _fn, _f))


def _subscripts() -> dict[Shape, list[tuple[Shape, str, bool]]]:
    """For a result shape: (operand shape, template, keeps distinct entries distinct)."""
    table: dict[Shape, list[tuple[Shape, str, bool]]] = {t: [] for t in SHAPES}

    def add(s: Shape, template: str, keep: bool = True) -> None:
        value = eval(template.format("v"), {"v": np.zeros(s), "np": np})  # noqa: S307
        assert value.shape in table, (s, template)
        table[value.shape].append((s, template, keep))

    for n in (2, 3):
        s = (n,)
        for k in range(n):
            add(s, f"{{}}[{k}]")
        add(s, "{}[-1]")
        add(s, "{}[::-1]")
    add((3,), "{}[1:]")
    add((3,), "{}[:2]")
    add((3,), "{}[::2]")
    add((3,), "{}[-2:]")
    add((3,), "{}[[0, 2, 1]]")
    add((3,), "{}[[1, 1]]", keep=False)
    add((3,), "{}[None, :]")
    add((3,), "{}[:, None]")
    add((3,), "{}.reshape(3, 1)")
    add((3,), "np.reshape({}, (1, 3))")
    add((1, 3), "{}[0]")
    add((1, 3), "{}[0, 2]")
    add((1, 3), "{}.T")
    add((1, 3), "{}.reshape(-1)")
    add((3, 1), "{}[:, 0]")
    add((3, 1), "{}[1, 0]")
    add((3, 1), "{}.T")
    add((3, 1), "{}.reshape(3)")
    add((3, 1), "np.transpose({})")
    for s in ((2, 3), (3, 3)):
        add(s, "{}[0]")
        add(s, "{}[-1]")
        add(s, "{}[:, 1]")
        add(s, "{}[1, 2]")
        add(s, "{}[-1, 0]")
        add(s, "{}[..., 0]")
        add(s, "{}[:, ::-1]")
    add((2, 3), "{}[1:]")
    add((2, 3), "{}[1]")
    add((3, 3), "{}[1:]")
    add((3, 3), "{}.T")
    add((3, 3), "{}[:, :1]")
    add((3, 3), "{}[:1]")
    add((3, 3), "{}[[0, 2]]")
    add((3, 3), "{}[::2]")
    return table


SUBSCRIPT_TO = _subscripts()

#: For a result shape: the operand shapes of an ``@`` giving it.
MATMUL_TO: dict[Shape, list[tuple[Shape, Shape]]] = {t: [] for t in SHAPES}
for _a in ARRAY_SHAPES:
    for _b in ARRAY_SHAPES:
        try:
            _r = (np.zeros(_a) @ np.zeros(_b)).shape
        except ValueError:
            continue
        if _r in MATMUL_TO:
            MATMUL_TO[_r].append((_a, _b))

#: Elementwise functions: (template, magnitude of the result given the operand's, max operand
#: magnitude). The template's operand is bounded first when its magnitude is larger.
UNARY: list[tuple[str, Callable[[float], float], float]] = [
    ("np.tanh({})", lambda m: min(m, 1.0), math.inf),
    ("np.sin({})", lambda m: min(m, 1.0), math.inf),
    ("np.exp({})", math.exp, 2.0),
    ("np.log(1.0 + {} ** 2)", lambda m: math.log1p(m * m), math.inf),
    ("np.sqrt({} ** 2 + 1.0)", lambda m: math.sqrt(m * m + 1), math.inf),
    ("np.cos({})", lambda m: 1.0, math.inf),
    ("{} ** 2", lambda m: m * m, math.inf),
    ("-{}", lambda m: m, math.inf),
    ("np.square({})", lambda m: m * m, math.inf),
    ("{} ** 3", lambda m: m ** 3, math.inf),
    ("np.log1p({} ** 2)", lambda m: math.log1p(m * m), math.inf),
    ("np.expm1({})", lambda m: math.expm1(m), 2.0),
    ("np.tan({})", lambda m: math.tan(m), 1.0),
    ("np.sqrt(np.exp({}))", lambda m: math.exp(m / 2), 2.0),
    ("np.exp(-{} ** 2)", lambda m: 1.0, math.inf),
    ("2.0 ** {}", lambda m: 2.0 ** m, 2.0),
]


#: Functions of the ``math`` module, for scalars (a float or a NumPy scalar).
MATH_UNARY: list[tuple[str, Callable[[float], float], float]] = [
    ("math.sin({})", lambda m: min(m, 1.0), math.inf),
    ("math.exp({})", math.exp, 2.0),
    ("math.tanh({})", lambda m: min(m, 1.0), math.inf),
    ("math.sqrt(1.0 + {} ** 2)", lambda m: math.sqrt(1 + m * m), math.inf),
    ("math.log(1.0 + {} ** 2)", lambda m: math.log1p(m * m), math.inf),
]


@dataclass
class Val:
    """A generated expression: its text, shape, a bound of its magnitude, whether its entries
    are generically distinct, whether it is a new array (not a view of or a name for another
    value), and whether it needs no parentheses as an operand."""

    text: str
    shape: Shape
    mag: float
    generic: bool = False
    owned: bool = True
    atom: bool = False

    def operand(self) -> str:
        # (a negative literal is not an atom: -1.0 ** 2 is -(1.0 ** 2))
        return self.text if self.atom and not self.text.startswith("-") else f"({self.text})"


@dataclass
class Var:
    """A variable of the program being generated.

    ``kind`` is ``value`` (a float or an array), ``tuple`` (``elems``: one ``Val`` per item,
    read as ``t[k]``), ``list`` (``elems``: one ``Val``, the items' shape and magnitude;
    ``min_len``/``max_len`` bound its length) or ``index`` (a loop counter, ``bound``
    exclusive). ``level`` is the loop depth it was defined at; ``fresh`` says it owns its
    array (it may be written into), ``pinned`` that something else refers to it.
    """

    name: str
    shape: Shape = ()
    mag: float = 1.0
    generic: bool = False
    fresh: bool = False
    level: int = 0
    kind: str = "value"
    elems: tuple[Val, ...] = ()
    min_len: int = 0
    max_len: int = 0
    bound: int = 0
    pinned: bool = False
    iterated: bool = False


Scope = dict[str, Var]


def _copy_scope(scope: Scope) -> Scope:
    return {name: replace(var) for name, var in scope.items()}


@dataclass
class Helper:
    name: str
    params: list[tuple[str, Shape]]
    default: str | None  # the name of a keyword parameter with a default, if any
    returns: tuple[Val, ...]


@dataclass
class Context:
    """Where a statement is generated: loop depth, loop exits allowed, returns allowed."""

    level: int = 0
    in_loop: bool = False
    can_return: bool = False
    out_shape: Shape | None = None
    depth: int = 0  # nesting of compound statements
    in_no_grad: bool = False
    helper: bool = False


@dataclass(frozen=True)
class Program:
    """A generated module: ``source`` defines ``f(x, y)``; ``shapes`` are those of x and y."""

    source: str = field(repr=False)
    shapes: tuple[Shape, Shape]
    statements: int

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()[:12]

    def render(self) -> str:
        """The program's source, with the shapes of its arguments."""
        shapes = ", ".join(f"{name}: {'float' if s == () else s}"
                           for name, s in zip("xy", self.shapes, strict=True))
        return f"# {self.statements} statements; {shapes}\n{self.source}"

    def __repr__(self) -> str:
        return f"Program(<{self.statements} statements, {self.digest}>, shapes={self.shapes})"


def count_statements(source: str) -> int:
    """The statements of a module's functions (the imports excluded)."""
    tree = ast.parse(source)
    return sum(1 for node in ast.walk(tree)
               if isinstance(node, ast.stmt) and not isinstance(node, (ast.Import,
                                                                        ast.ImportFrom)))


class Builder:
    """Draws one program, statement by statement, from hypothesis' ``draw``."""

    def __init__(self, draw: Any, max_statements: int) -> None:
        self.draw = draw
        self.lines: list[str] = []
        self.budget = max_statements
        self.counter = 0
        self.helpers: list[Helper] = []
        self.indent = 0
        self.in_nested_def = False

    # -- choices ------------------------------------------------------------------------------

    def index(self, n: int) -> int:
        return self.draw(st.integers(0, n - 1)) if n > 1 else 0

    def pick(self, options: list[Any]) -> Any:
        return options[self.index(len(options))]

    def chance(self) -> bool:
        return self.draw(st.booleans())

    def fresh_name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    # -- expressions --------------------------------------------------------------------------

    def squash(self, val: Val, limit: float = CAP) -> Val:
        """``val``, or ``np.tanh(val)`` when its magnitude may exceed ``limit``."""
        if val.mag <= limit:
            return val
        return Val(f"np.tanh({val.text})", val.shape, min(1.0, limit), val.generic,
                   True, True)

    def scaled(self, val: Val, limit: float) -> Val:
        """``val`` bounded by ``limit`` (which may be below 1: a tanh scaled down)."""
        if val.mag <= limit:
            return val
        if limit >= 1.0:
            return self.squash(val, limit)
        return Val(f"{limit:.2f} * np.tanh({val.text})", val.shape, limit, val.generic)

    def owned(self, val: Val) -> Val:
        """A new array with ``val``'s value (a float needs no copy)."""
        if val.owned or val.shape == ():
            return val
        return Val(f"np.copy({val.text})", val.shape, val.mag, val.generic, True, True)

    def values(self, scope: Scope, shape: Shape | None = None) -> list[Var]:
        found = [v for v in scope.values() if v.kind == "value"
                 and (shape is None or v.shape == shape)]
        return found[::-1]  # the newest first

    def leaf(self, scope: Scope, shape: Shape) -> Val:
        options: list[Callable[[], Val]] = []
        for var in self.values(scope, shape):
            options.append(lambda var=var: Val(var.name, var.shape, var.mag, var.generic,
                                               False, True))
        for var in scope.values():
            if var.kind == "tuple":
                for k, elem in enumerate(var.elems):
                    if elem.shape == shape:
                        options.append(lambda var=var, k=k, elem=elem: Val(
                            f"{var.name}[{k}]", shape, elem.mag, elem.generic, False, True))
            elif var.kind == "list" and var.min_len >= 1 and var.elems[0].shape == shape:
                item = var.elems[0]
                options.append(lambda var=var, item=item: Val(
                    f"{var.name}[-1]", shape, item.mag, item.generic, False, True))
                options.append(lambda var=var, item=item: Val(
                    f"{var.name}[0]", shape, item.mag, item.generic, False, True))
                options.append(lambda var=var, item=item: self.squash(Val(
                    f"sum({var.name})", shape, item.mag * max(var.max_len, 1), False,
                    var.max_len > 1, True)))
        if shape == ():
            options.append(lambda: Val(self.pick(CONSTANTS), (), 3.0, False, True, True))
            for var in scope.values():
                if var.kind == "index":
                    options.append(lambda var=var: Val(f"({var.name} + 1.0)", (),
                                                       float(var.bound), False, True, True))
        for var in scope.values():  # a loop counter indexes the arrays long enough
            if var.kind != "index" or var.bound <= 0:
                continue
            for arr in self.values(scope):
                if len(arr.shape) >= 1 and arr.shape[0] >= var.bound \
                        and arr.shape[1:] == shape:
                    options.append(lambda arr=arr, var=var: Val(
                        f"{arr.name}[{var.name}]", shape, arr.mag, arr.generic, False, True))
                if len(arr.shape) == 2 and arr.shape[1] >= var.bound \
                        and (arr.shape[0],) == shape:
                    options.append(lambda arr=arr, var=var: Val(
                        f"{arr.name}[:, {var.name}]", shape, arr.mag, arr.generic, False,
                        True))
        for s, template, keep in SUBSCRIPT_TO.get(shape, []):
            for var in self.values(scope, s):
                options.append(lambda var=var, template=template, keep=keep: Val(
                    template.format(var.name), shape, var.mag, var.generic and keep, False,
                    True))
        for s, template, fn, factor in REDUCE_TO.get(shape, []):
            for var in self.values(scope, s):
                if fn in ("max", "min") and not var.generic:
                    continue
                options.append(lambda var=var, template=template, fn=fn, factor=factor: Val(
                    template.format(var.name), shape,
                    var.mag * (factor if fn == "sum" else 1.0), var.generic, True, True))
        if not options:
            # Any shape from the arguments: a broadcast of a mean, or a constant.
            for var in self.values(scope):
                if var.shape and _broadcast(var.shape, shape) == shape:
                    options.append(lambda var=var: Val(
                        f"{var.name} * np.ones({shape})", shape, var.mag, False, True))
            options.append(lambda: Val(f"np.ones({shape}) * {self.pick(CONSTANTS)}", shape,
                                       3.0, False, True))
        return options[self.index(len(options))]()

    def reachable(self, scope: Scope) -> set[Shape]:
        """The shapes of the values in scope, and those one subscript or reduction away."""
        shapes = {()}
        for var in scope.values():
            if var.kind == "value":
                shapes.add(var.shape)
            elif var.kind == "tuple" or (var.kind == "list" and var.min_len >= 1):
                shapes.update(e.shape for e in var.elems)
        for table in (SUBSCRIPT_TO, REDUCE_TO):
            for result, entries in table.items():
                if any(entry[0] in shapes for entry in entries):
                    shapes.add(result)
        return shapes

    def some_shape(self, scope: Scope) -> Shape:
        """A shape for a new value: one at hand."""
        near = self.reachable(scope)
        return self.pick([s for s in VALUE_SHAPES if s in near] or VALUE_SHAPES)

    def expr(self, scope: Scope, shape: Shape, depth: int) -> Val:
        val = self._expr(scope, shape, depth)
        assert val.shape == shape
        return self.squash(val)

    def _expr(self, scope: Scope, shape: Shape, depth: int) -> Val:
        if depth <= 0:
            return self.leaf(scope, shape)
        kinds = ["leaf", "binary", "unary", "reduce", "scale", "binary", "div", "subscript",
                 "unary", "matmul", "ifexp", "call", "reduce", "where", "binary", "list",
                 "subscript", "call", "stop"]
        kind = self.pick(kinds)
        sub = depth - 1
        near = self.reachable(scope)
        if kind == "binary":
            a_shape, b_shape = self.pick(_prefer(BROADCAST[shape], near))
            a, b = self.expr(scope, a_shape, sub), self.expr(scope, b_shape, sub)
            op = self.pick(["+", "*", "-"])
            mag = a.mag * b.mag if op == "*" else a.mag + b.mag
            generic = a.text != b.text and ((a.generic and a_shape == shape)
                                            or (b.generic and b_shape == shape))
            return Val(f"{a.operand()} {op} {b.operand()}", shape, mag, generic)
        if kind == "unary":
            scalar = shape == () and not self.in_nested_def
            template, bound, limit = self.pick(UNARY + (MATH_UNARY if scalar else []))
            inner = self.scaled(self.expr(scope, shape, sub), limit)
            operand = inner.operand() if "**" in template or template.startswith("-") \
                else inner.text
            if template == "np.exp(-{} ** 2)":
                operand = inner.operand()
            return Val(template.format(operand), shape, bound(inner.mag), inner.generic,
                       True, template.startswith(("np.", "math.")))
        if kind == "scale":
            inner = self.expr(scope, shape, sub)
            c = self.pick(CONSTANTS)
            return Val(f"{c} * {inner.operand()}" if self.chance() else
                       f"{inner.operand()} * {c}", shape, inner.mag * 3.0, inner.generic)
        if kind == "reduce" and REDUCE_TO.get(shape):
            s, template, fn, factor = self.pick(_prefer(REDUCE_TO[shape], near))
            inner = self.expr(scope, s, sub)
            if fn in ("max", "min") and not inner.generic:  # ties: a sum or a mean instead
                replacement = "sum" if self.chance() else "mean"
                template, fn = template.replace(fn, replacement), replacement
            factor = factor if fn == "sum" else 1.0
            operand = inner.operand() if template.startswith("{}") else inner.text
            return Val(template.format(operand), shape, inner.mag * factor, inner.generic,
                       True, True)
        if kind == "div":
            a_shape, b_shape = self.pick(_prefer(BROADCAST[shape], near))
            a = self.expr(scope, a_shape, sub)
            if self.chance():
                b = self.expr(scope, b_shape, sub)
                return Val(f"{a.operand()} / (1.0 + {b.operand()} ** 2)", shape, a.mag,
                           a.generic and a_shape == shape)
            a = self.expr(scope, shape, sub)
            return Val(f"{a.operand()} / {self.pick(['2.0', '3.0', '-4.0'])}", shape, a.mag,
                       a.generic)
        if kind == "subscript" and SUBSCRIPT_TO.get(shape):
            s, template, keep = self.pick(_prefer(SUBSCRIPT_TO[shape], near))
            inner = self.expr(scope, s, sub)
            operand = inner.operand() if template.startswith("{}") else inner.text
            return Val(template.format(operand), shape, inner.mag, inner.generic and keep,
                       inner.owned and "[" in template and "[[" in template, True)
        if kind == "matmul" and MATMUL_TO.get(shape):
            a_shape, b_shape = self.pick(_prefer(MATMUL_TO[shape], near))
            a, b = self.expr(scope, a_shape, sub), self.expr(scope, b_shape, sub)
            inner_dim = a_shape[-1]
            forms = [f"{a.operand()} @ {b.operand()}", f"np.dot({a.text}, {b.text})",
                     f"{a.operand()}.dot({b.text})", f"np.matmul({a.text}, {b.text})"]
            form = self.index(len(forms))
            return Val(forms[form], shape, a.mag * b.mag * inner_dim, a.generic and b.generic,
                       True, form > 0)
        if kind == "ifexp":
            a, b = self.expr(scope, shape, sub), self.expr(scope, shape, sub)
            test = self.condition(scope, min(sub, 1))
            return Val(f"{a.operand()} if {test} else {b.operand()}", shape, max(a.mag, b.mag),
                       a.generic and b.generic, a.owned and b.owned)
        if kind == "call":
            helpers = [h for h in self.helpers if len(h.returns) == 1
                       and h.returns[0].shape == shape]
            if helpers:
                helper = self.pick(helpers)
                return Val(self.call_text(scope, helper, sub), shape, helper.returns[0].mag,
                           helper.returns[0].generic, True, True)
        if kind == "stop":
            inner = self.expr(scope, shape, sub)
            return Val(f"srcdiff.stop_gradient({inner.text})", shape, inner.mag,
                       inner.generic, inner.owned, True)
        if kind == "where":
            a, b = self.expr(scope, shape, sub), self.expr(scope, shape, sub)
            c_shape = self.pick(_prefer([(s,) for s in SHAPES
                                         if _broadcast(s, shape) == shape], near))[0]
            c = self.expr(scope, c_shape, min(sub, 1))
            threshold = self.pick(THRESHOLDS)
            return Val(f"np.where({c.operand()} > {threshold}, {a.text}, {b.text})", shape,
                       max(a.mag, b.mag), False, True, True)
        if kind == "list" and shape == ():
            lists = [v for v in scope.values() if v.kind == "list" and v.min_len >= 1]
            if lists:
                var = self.pick(lists)
                item = var.elems[0]
                inner = self.pick(["np.stack({})", "np.array({})"]) if item.shape == () \
                    else "np.stack({})"
                power = self.pick(["", " ** 2"])
                mag = item.mag ** (2 if power else 1) * max(var.max_len, 1) * _size(
                    item.shape)
                return Val(f"np.sum({inner.format(var.name)}{power})", (), mag, False, True,
                           True)
        return self.leaf(scope, shape)

    def call_text(self, scope: Scope, helper: Helper, depth: int) -> str:
        args = []
        for k, (param, shape) in enumerate(helper.params):
            val = self.scaled(self.expr(scope, shape, depth), PARAM_MAG)
            if param == helper.default:
                if self.chance():
                    args.append(f"{param}={val.text}")
            elif k > 0 and self.chance():
                args.append(f"{param}={val.text}")
            else:
                if any("=" in a for a in args):  # a positional after a keyword: name it
                    args.append(f"{param}={val.text}")
                else:
                    args.append(val.text)
        return f"{helper.name}({', '.join(args)})"

    def condition(self, scope: Scope, depth: int) -> str:
        kind = self.pick(["sum", "scalar", "max", "index", "and", "not"])
        threshold = self.pick(THRESHOLDS)
        op = self.pick([">", "<"])
        if kind == "scalar":
            return f"{self.expr(scope, (), max(depth, 0)).operand()} {op} {threshold}"
        if kind == "max":
            near = self.reachable(scope)
            s = self.pick([s for s in VALUE_SHAPES if s and s in near] or [(3,)])
            fn = self.pick(["max", "min"])
            return f"np.{fn}({self.expr(scope, s, max(depth, 0)).text}) {op} {threshold}"
        if kind == "index":
            counters = [v for v in scope.values() if v.kind == "index"]
            if counters:
                var = self.pick(counters)
                k = self.index(max(var.bound, 1))
                return self.pick([f"{var.name} == {k}", f"{var.name} > {k}",
                                  f"{var.name} % 2 == 0"])
        if kind in ("and", "not") and depth > 0:
            if kind == "not":
                return f"not {self.condition(scope, depth - 1)}"
            joiner = self.pick(["and", "or"])
            return f"{self.condition(scope, depth - 1)} {joiner} " \
                   f"{self.condition(scope, depth - 1)}"
        s = self.some_shape(scope)
        return f"np.sum({self.expr(scope, s, max(depth, 0)).text}) {op} {threshold}"

    def depth(self) -> int:
        return self.draw(st.integers(0, 2))

    # -- assignments --------------------------------------------------------------------------

    def bind(self, scope: Scope, name: str, val: Val, ctx: Context) -> None:
        """Record that ``name`` now holds ``val``."""
        old = scope.get(name)
        if not val.owned and val.shape != ():
            for other in scope.values():  # everything named in it may be aliased now
                if other.kind == "value" and other.name in _names(val.text):
                    other.pinned = True
        if old is not None and old.kind == "value" and old.level < ctx.level:
            old.mag = max(old.mag, val.mag)
            old.generic = old.generic and val.generic
            old.fresh = val.owned and val.shape != ()
            old.pinned = False
            return
        scope[name] = Var(name, val.shape, val.mag, val.generic,
                          val.owned and val.shape != (), ctx.level)

    def rhs_for(self, scope: Scope, var: Var | None, shape: Shape, ctx: Context) -> Val:
        """A value to assign to ``var`` (a new variable when None), bounded for loops."""
        val = self.expr(scope, shape, self.depth() + (var is not None))
        if var is not None and var.level < ctx.level:
            val = self.owned(self.scaled(val, var.mag))
        return val

    def reassignable(self, scope: Scope) -> list[Var]:
        return self.values(scope)

    def stmt_assign(self, scope: Scope, ctx: Context) -> None:
        name = self.fresh_name("v")
        shape = self.some_shape(scope)
        val = self.rhs_for(scope, None, shape, ctx)
        self.emit(f"{name} = {val.text}")
        self.bind(scope, name, val, ctx)

    def stmt_reassign(self, scope: Scope, ctx: Context) -> bool:
        targets = self.reassignable(scope)
        if not targets:
            return False
        var = self.pick(targets)
        val = self.rhs_for(scope, var, var.shape, ctx)
        self.emit(f"{var.name} = {val.text}")
        self.bind(scope, var.name, val, ctx)
        return True

    def stmt_augment(self, scope: Scope, ctx: Context) -> bool:
        targets = [v for v in self.reassignable(scope)
                   if v.shape == () or (v.fresh and not v.pinned and not v.iterated)]
        if not targets:
            return False
        var = self.pick(targets)
        op = self.pick(["+=", "*=", "-="])
        shapes = [a for a, b in BROADCAST[var.shape] if b == var.shape]
        val = self.expr(scope, self.pick(shapes), self.depth())
        loop_carried = var.level < ctx.level
        if op == "*=":
            val = self.scaled(val, 1.0)
            new_mag = var.mag * val.mag
        else:
            if loop_carried:
                val = self.scaled(val, 0.5)
            else:
                val = self.squash(val)
            new_mag = var.mag + val.mag
        if var.fresh:
            self.emit(f"{var.name} {op} {val.text}")
        else:  # a float, or a view of another array: a new value, not a write in place
            self.emit(f"{var.name} = {var.name} {op[0]} ({val.text})")
        if not loop_carried and new_mag > CAP:  # squash it back below the cap
            self.emit(f"{var.name} = np.tanh({var.name})")
            new_mag = 1.0
        var.mag = new_mag
        var.generic = var.generic and val.shape == var.shape and val.generic
        return True

    def stmt_swap(self, scope: Scope, ctx: Context) -> bool:
        by_shape: dict[Shape, list[Var]] = {}
        for var in self.reassignable(scope):
            by_shape.setdefault(var.shape, []).append(var)
        pairs = [vs for vs in by_shape.values() if len(vs) >= 2]
        if not pairs:
            return False
        group = self.pick(pairs)
        a = group[self.index(len(group))]
        b = self.pick([v for v in group if v is not a])
        if self.chance():
            self.emit(f"{a.name}, {b.name} = {b.name}, {a.name}")
            mag, generic = max(a.mag, b.mag), a.generic and b.generic
            a.mag = b.mag = mag
            a.generic = b.generic = generic
            a.fresh, b.fresh = b.fresh, a.fresh
            a.pinned, b.pinned = b.pinned, a.pinned
            return True
        va = self.rhs_for(scope, a, a.shape, ctx)
        vb = self.rhs_for(scope, b, b.shape, ctx)
        self.emit(f"{a.name}, {b.name} = {va.text}, {vb.text}")
        self.bind(scope, a.name, va, ctx)
        self.bind(scope, b.name, vb, ctx)
        return True

    def container_item(self, scope: Scope, shape: Shape, ctx: Context) -> Val:
        val = self.expr(scope, shape, self.depth())
        if ctx.level > 0:
            val = self.owned(val)
        elif not val.owned and shape != ():
            for other in scope.values():
                if other.kind == "value" and other.name in _names(val.text):
                    other.pinned = True
        return val

    def stmt_tuple(self, scope: Scope, ctx: Context) -> None:
        name = self.fresh_name("t")
        items = [self.container_item(scope, self.some_shape(scope), ctx)
                 for _ in range(2 + self.index(2))]
        self.emit(f"{name} = ({', '.join(v.text for v in items)})")
        scope[name] = Var(name, kind="tuple", elems=tuple(items), level=ctx.level)

    def stmt_unpack(self, scope: Scope, ctx: Context) -> bool:
        tuples = [v for v in scope.values() if v.kind == "tuple"]
        if not tuples:
            return False
        var = self.pick(tuples)
        names = [self.fresh_name("v") for _ in var.elems]
        items = ", ".join(f"{var.name}[{k}]" for k in range(len(var.elems)))
        self.emit(f"{', '.join(names)} = {items}")  # (unpacking a tuple variable: refused)
        for name, elem in zip(names, var.elems, strict=True):
            self.bind(scope, name, replace(elem, owned=False), ctx)
        return True

    def stmt_list(self, scope: Scope, ctx: Context) -> None:
        name = self.fresh_name("items")
        shape = self.some_shape(scope)
        if self.chance():
            items = [self.container_item(scope, shape, ctx) for _ in range(1 + self.index(3))]
            self.emit(f"{name} = [{', '.join(v.text for v in items)}]")
            mag = max(v.mag for v in items)
            generic = all(v.generic for v in items)
            scope[name] = Var(name, kind="list", elems=(Val("", shape, mag, generic),),
                              min_len=len(items), max_len=len(items), level=ctx.level)
        else:
            self.emit(f"{name} = []")
            scope[name] = Var(name, kind="list", elems=(Val("", shape, 0.0, True),),
                              level=ctx.level)
            self.stmt_append(scope, ctx, scope[name])

    def stmt_append(self, scope: Scope, ctx: Context, var: Var | None = None) -> bool:
        if var is None:
            lists = [v for v in scope.values() if v.kind == "list"]
            if not lists:
                return False
            var = self.pick(lists)
        item = var.elems[0]
        val = self.container_item(scope, item.shape, ctx)
        if var.level < ctx.level:  # appended in a loop: its items stay bounded
            val = self.scaled(val, max(item.mag, 1.0))
            var.max_len = var.max_len + 3 ** (ctx.level - var.level)
        else:
            var.min_len += 1
            var.max_len += 1
        self.emit(f"{var.name}.append({val.text})")
        var.elems = (Val("", item.shape, max(item.mag, val.mag),
                         item.generic and val.generic),)
        return True

    def stmt_new_array(self, scope: Scope, ctx: Context) -> None:
        name = self.fresh_name("w")
        shape = self.pick([s for s in VALUE_SHAPES if s])
        sources = self.values(scope, shape)
        choice = self.index(3)
        if choice == 2 and sources:
            var = self.pick(sources)
            self.emit(f"{name} = np.copy({var.name})")
            scope[name] = Var(name, shape, var.mag, var.generic, True, ctx.level)
            return
        fn = "zeros" if choice == 0 else "ones"
        self.emit(f"{name} = np.{fn}({shape[0] if len(shape) == 1 else shape})")
        scope[name] = Var(name, shape, 1.0, False, True, ctx.level)

    def slots(self, scope: Scope, var: Var) -> list[tuple[str, Shape]]:
        """Subscripts of ``var`` to write into, with the shapes of the slots."""
        shape = var.shape
        found: list[tuple[str, Shape]] = [(f"[{k}]", shape[1:]) for k in range(shape[0])]
        found.append(("[-1]", shape[1:]))
        if shape[0] > 1:
            found.append(("[1:]", (shape[0] - 1,) + shape[1:]))
        if len(shape) == 2:
            found += [(f"[:, {k}]", (shape[0],)) for k in range(shape[1])]
            found.append(("[0, -1]", ()))
            if shape[1] > 1:
                found.append(("[:, 1:]", (shape[0], shape[1] - 1)))
        else:
            found.append(("[::2]", ((shape[0] + 1) // 2,)))
        for counter in scope.values():
            if counter.kind != "index" or counter.bound <= 0:
                continue
            if shape[0] >= counter.bound:
                found.append((f"[{counter.name}]", shape[1:]))
            if len(shape) == 2 and shape[1] >= counter.bound:
                found.append((f"[:, {counter.name}]", (shape[0],)))
        return found

    def stmt_write(self, scope: Scope, ctx: Context) -> bool:
        targets = [v for v in self.values(scope) if v.shape and v.fresh and not v.pinned
                   and not v.iterated]
        if not targets:
            return False
        var = self.pick(targets)
        index, slot = self.pick(self.slots(scope, var))
        shape = slot if slot in SHAPES and self.chance() else ()
        val = self.expr(scope, shape, self.depth())
        op = "="
        if var.level < ctx.level:
            val = self.scaled(val, 0.5 if self.chance() else var.mag)
            op = "+=" if val.mag <= 0.5 and self.chance() else "="
        elif self.index(3) == 2:
            op = self.pick(["+=", "*=", "-="])
            val = self.scaled(val, 1.0)
        self.emit(f"{var.name}{index} {op} {val.text}")
        if var.level == ctx.level:
            var.mag = var.mag * val.mag if op == "*=" else (
                var.mag + val.mag if op != "=" else max(var.mag, val.mag))
            if var.mag > CAP:
                self.emit(f"{var.name} = np.tanh({var.name})")
                var.mag = 1.0
        else:
            var.mag += 0.5 if op == "+=" else 0.0
        var.generic = False
        return True

    def stmt_stop(self, scope: Scope, ctx: Context) -> None:
        name = self.fresh_name("c")
        shape = self.some_shape(scope)
        val = self.expr(scope, shape, self.depth())
        self.emit(f"{name} = srcdiff.stop_gradient({val.text})")
        self.bind(scope, name, val, ctx)

    def stmt_nested_def(self, scope: Scope, ctx: Context) -> bool:
        """A ``def`` in ``f`` reading ``f``'s variables (a closure), called later."""
        if ctx.helper or ctx.level or ctx.depth or ctx.in_no_grad:
            return False
        name = self.fresh_name("inner")
        inner: Scope = {n: replace(v) for n, v in scope.items()
                        if v.kind == "value" and v.level == 0}
        params = [("u", self.some_shape(scope))]
        default = "k" if self.chance() else None
        if default:
            params.append(("k", ()))
        for param, shape in params:
            inner[param] = Var(param, shape, PARAM_MAG, True, False)
        # (no math functions: srcdiff resolves the globals a nested def reads through the
        # enclosing function's own, and f may not read ``math``)
        self.in_nested_def = True
        val = self.owned(self.expr(inner, self.some_shape(inner), 1 + self.index(2)))
        self.in_nested_def = False
        signature = ", ".join(f"{p}=0.5" if p == default else p for p, _ in params)
        self.emit(f"def {name}({signature}):")
        self.emit(f"    return {val.text}")
        self.helpers.append(Helper(name, params, default,
                                   (replace(val, text="", owned=True, atom=True),)))
        return True

    def stmt_call(self, scope: Scope, ctx: Context) -> bool:
        if not self.helpers:
            return False
        helper = self.pick(self.helpers)
        text = self.call_text(scope, helper, self.index(2))
        if len(helper.returns) == 1:
            name = self.fresh_name("v")
            self.emit(f"{name} = {text}")
            self.bind(scope, name, helper.returns[0], ctx)
            return True
        if self.chance():
            names = [self.fresh_name("v") for _ in helper.returns]
            self.emit(f"{', '.join(names)} = {text}")
            for name, val in zip(names, helper.returns, strict=True):
                self.bind(scope, name, val, ctx)
        else:
            name = self.fresh_name("t")
            self.emit(f"{name} = {text}")
            scope[name] = Var(name, kind="tuple", elems=helper.returns, level=ctx.level)
        return True

    # -- compound statements ------------------------------------------------------------------

    def more(self, done: int, most: int, odds: int) -> bool:
        """Whether to generate one more statement after ``done`` (at most ``most``): a
        continuation flag per statement, as ``st.lists`` draws, so that the shrinker
        deletes a statement by deleting its span of choices."""
        if done >= most or self.budget <= 0:
            return False
        return self.draw(st.integers(0, odds)) != 0

    def body(self, scope: Scope, ctx: Context, most: int = 3) -> None:
        """One to ``most`` statements."""
        self.indent += 1
        done = 0
        while done == 0 or self.more(done, most, 1):
            self.statement(scope, ctx)
            done += 1
        self.indent -= 1

    def join(self, before: Scope, branches: list[Scope]) -> None:
        """Merge the scopes after the branches of an ``if`` into ``before``."""
        for name, var in before.items():
            versions = [b[name] for b in branches if name in b]
            if not versions:
                continue
            var.mag = max(v.mag for v in versions)
            var.generic = all(v.generic for v in versions)
            var.fresh = all(v.fresh for v in versions)
            var.pinned = any(v.pinned for v in versions)
            var.min_len = min(v.min_len for v in versions)
            var.max_len = max(v.max_len for v in versions)
            if var.kind == "list":
                var.elems = (Val("", var.elems[0].shape, max(v.elems[0].mag for v in versions),
                                 all(v.elems[0].generic for v in versions)),)

    def stmt_if(self, scope: Scope, ctx: Context) -> None:
        inner = replace(ctx, depth=ctx.depth + 1)
        branches = []
        self.emit(f"if {self.condition(scope, self.index(2))}:")
        returned = False
        first = _copy_scope(scope)
        if ctx.can_return and self.index(3) == 0:
            self.indent += 1
            self.statement(first, replace(inner, can_return=False))
            self.emit(f"return {self.final(first, ctx)}")
            self.indent -= 1
            returned = True
        else:
            self.body(first, inner)
        if not returned:
            branches.append(first)
        for _ in range(self.index(3) if not returned else 0):
            self.emit(f"elif {self.condition(scope, self.index(2))}:")
            other = _copy_scope(scope)
            self.body(other, inner)
            branches.append(other)
        if not returned and self.chance():
            self.emit("else:")
            other = _copy_scope(scope)
            self.body(other, inner)
            branches.append(other)
        else:
            branches.append(_copy_scope(scope))
        self.join(scope, branches)

    def enter_loop(self, scope: Scope) -> None:
        for var in scope.values():
            if var.kind == "value":
                var.mag = max(var.mag, 1.0)

    def after_loop(self, scope: Scope, inside: Scope) -> None:
        before = {name: var for name, var in inside.items() if name in scope}
        self.join(scope, [before, _copy_scope(scope)])
        for name, var in scope.items():
            var.min_len = min(var.min_len, inside[name].min_len)

    def stmt_for(self, scope: Scope, ctx: Context) -> None:
        inside = _copy_scope(scope)
        self.enter_loop(inside)
        level = ctx.level + 1
        arrays = [v for v in self.values(scope) if v.shape]
        kind = self.pick(["range", "range2", "reversed", "rows", "enumerate", "zip", "len"])
        iterated: list[Var] = []
        if kind in ("rows", "enumerate", "zip") and arrays:
            var = self.pick(arrays)
            item = Var("", var.shape[1:], var.mag, var.generic, False, level)
            if kind == "zip":
                partners = [v for v in arrays if v.shape[:1] == var.shape[:1]]
                other = self.pick(partners)
                a, b = self.fresh_name("a"), self.fresh_name("b")
                self.emit(f"for {a}, {b} in zip({var.name}, {other.name}):  # noqa: B905")
                inside[a] = replace(item, name=a)
                inside[b] = Var(b, other.shape[1:], other.mag, other.generic, False, level)
                iterated = [var, other]
            else:
                row = self.fresh_name("row")
                if kind == "enumerate":
                    i = self.fresh_name("i")
                    self.emit(f"for {i}, {row} in enumerate({var.name}):")
                    inside[i] = Var(i, kind="index", bound=var.shape[0], level=level)
                else:
                    self.emit(f"for {row} in {var.name}:")
                inside[row] = replace(item, name=row)
                iterated = [var]
        elif kind == "len" and arrays:
            var = self.pick(arrays)
            i = self.fresh_name("i")
            self.emit(f"for {i} in range(" + self.pick([f"len({var.name})",
                                                        f"{var.name}.shape[0]"]) + "):")
            inside[i] = Var(i, kind="index", bound=var.shape[0], level=level)
        else:
            i = self.fresh_name("i")
            n = self.index(4)
            if kind == "range2":
                self.emit(f"for {i} in range(1, {n + 1}):")
            elif kind == "reversed":
                self.emit(f"for {i} in reversed(range({n})):")
            else:
                self.emit(f"for {i} in range({n}):")
            inside[i] = Var(i, kind="index", bound=n + 1 if kind == "range2" else n,
                            level=level)
        for var in iterated:  # never written into while its rows are read
            inside[var.name].iterated = True
        self.body(inside, replace(ctx, level=level, in_loop=True, can_return=False,
                                  depth=ctx.depth + 1))
        for var in iterated:
            inside[var.name].iterated = scope[var.name].iterated
        self.after_loop(scope, inside)

    def stmt_while(self, scope: Scope, ctx: Context) -> None:
        k = self.fresh_name("k")
        n = 1 + self.index(3)
        self.emit(f"{k} = 0")
        test = f"{k} < {n}"
        inside = _copy_scope(scope)
        self.enter_loop(inside)
        if self.chance():
            joiner = self.pick(["and", "or"]) if self.index(3) == 0 else "and"
            extra = self.condition(inside, self.index(2))
            test = f"{test} {joiner} ({extra})" if joiner == "and" else \
                f"{test} and ({extra} or {k} < 1)"
        self.emit(f"while {test}:")
        self.indent += 1
        self.emit(f"{k} = {k} + 1" if self.chance() else f"{k} += 1")
        self.indent -= 1
        inside[k] = Var(k, kind="index", bound=n + 1, level=ctx.level + 1)
        self.body(inside, replace(ctx, level=ctx.level + 1, in_loop=True, can_return=False,
                                  depth=ctx.depth + 1))
        self.after_loop(scope, inside)

    def stmt_exit(self, scope: Scope, ctx: Context) -> bool:
        if not ctx.in_loop:
            return False
        word = self.pick(["break", "continue"])
        self.emit(f"if {self.condition(scope, self.index(2))}:")
        self.indent += 1
        if self.chance():
            branch = _copy_scope(scope)
            self.statement(branch, replace(ctx, depth=ctx.depth + 1), simple=True)
            self.join(scope, [branch, _copy_scope(scope)])
        self.emit(word)
        self.indent -= 1
        if self.chance():
            self.emit("else:")
            self.indent += 1
            branch = _copy_scope(scope)
            self.statement(branch, replace(ctx, depth=ctx.depth + 1), simple=True)
            self.join(scope, [branch, _copy_scope(scope)])
            self.indent -= 1
        return True

    def stmt_no_grad(self, scope: Scope, ctx: Context) -> None:
        self.emit("with srcdiff.no_grad():")
        self.indent += 1
        inner = replace(ctx, in_no_grad=True)
        for _ in range(1 + self.index(2)):
            if not (self.chance() and self.stmt_reassign(scope, inner)):
                self.stmt_assign(scope, inner)
        self.indent -= 1

    STATEMENTS = ["assign", "assign", "reassign", "augment", "if", "for", "write", "array",
                  "call", "list", "append", "tuple", "unpack", "swap", "while", "exit",
                  "stop", "no_grad", "nested"]

    #: The method drawing each kind of statement ("assign" is the fallback of every kind).
    HANDLERS = {"reassign": "stmt_reassign", "augment": "stmt_augment", "if": "stmt_if",
                "for": "stmt_for", "while": "stmt_while", "write": "stmt_write",
                "array": "stmt_new_array", "call": "stmt_call", "list": "stmt_list",
                "append": "stmt_append", "tuple": "stmt_tuple", "unpack": "stmt_unpack",
                "swap": "stmt_swap", "exit": "stmt_exit", "stop": "stmt_stop",
                "no_grad": "stmt_no_grad", "nested": "stmt_nested_def"}

    def statement(self, scope: Scope, ctx: Context, simple: bool = False) -> None:
        """One statement, drawn as a span of its own (see :meth:`more`)."""
        self.draw(_span(self, lambda: self._statement(scope, ctx, simple)))

    def _statement(self, scope: Scope, ctx: Context, simple: bool) -> None:
        self.budget -= 1
        options = self.STATEMENTS
        if simple or ctx.depth >= 3 or self.budget <= 0:
            options = ["assign", "reassign", "augment", "write", "append"]
        kind = self.pick(options)
        handler = self.HANDLERS.get(kind)
        # a handler returns False when the scope offers nothing to build its statement from
        done = handler is not None and getattr(self, handler)(scope, ctx) is not False
        if not done:
            self.stmt_assign(scope, ctx)

    # -- functions ----------------------------------------------------------------------------

    def final(self, scope: Scope, ctx: Context) -> str:
        """The returned expression: the newest values (so most statements matter)."""
        shape = ctx.out_shape
        assert shape is not None
        recent = [v for v in self.values(scope) if v.level <= ctx.level][:3]
        terms: list[str] = []
        for var in recent[:1 + self.index(3)]:
            if shape == ():
                terms.append(self.pick([f"np.sum({var.name})", f"np.sum({var.name} ** 2)",
                                        f"np.mean(np.sin({var.name}))"]))
            elif _broadcast(var.shape, shape) == shape:
                terms.append(var.name)
            else:
                terms.append(f"np.sum({var.name})")
        val = self.expr(scope, shape, self.index(3))
        if shape == ():
            terms.append(f"np.sum({val.text})" if self.chance() else val.operand())
        else:
            terms.append(val.operand())
        text = " + ".join(terms)
        if shape and not val.owned and len(terms) == 1:
            text = f"np.copy({text})"
        return text

    def helper(self) -> None:
        name = f"h{len(self.helpers)}"
        params = [(p, self.pick(SHAPES)) for p in ("a", "b")]
        default = None
        if self.index(3) == 0:
            params.append(("c", ()))
            default = "c"
        scope: Scope = {p: Var(p, s, PARAM_MAG, True, False) for p, s in params}
        signature = ", ".join(f"{p}=0.5" if p == default else p for p, _ in params)
        self.emit(f"def {name}({signature}):")
        self.indent += 1
        ctx = Context(helper=True)
        done = 0
        while self.more(done, 4, 1):
            self.statement(scope, ctx)
            done += 1
        count = 1 if self.index(3) else 2
        vals = [self.owned(self.expr(scope, self.some_shape(scope), self.depth()))
                for _ in range(count)]
        self.emit(f"return {', '.join(v.text for v in vals)}")
        self.indent -= 1
        self.emit("")
        self.emit("")
        self.helpers.append(Helper(name, params, default, tuple(
            replace(v, text="", owned=True, atom=True) for v in vals)))

    def function(self, shapes: tuple[Shape, Shape], out_shape: Shape, most: int) -> None:
        scope: Scope = {p: Var(p, s, INPUT_MAG, True, False) for p, s in zip("xy", shapes,
                                                                             strict=True)}
        self.emit("def f(x, y):")
        self.indent += 1
        ctx = Context(can_return=True, out_shape=out_shape)
        done = 0
        while done == 0 or self.more(done, most, 5):
            self.statement(scope, ctx)
            done += 1
        self.emit(f"return {self.final(scope, ctx)}")
        self.indent -= 1


@st.composite
def _span(draw: Any, builder: Builder, action: Callable[[], None]) -> None:
    """Run ``action`` drawing from a strategy of its own (a span of the choice sequence)."""
    saved, builder.draw = builder.draw, draw
    try:
        action()
    finally:
        builder.draw = saved


def _prefer(options: list[Any], near: set[Shape]) -> list[Any]:
    """The options whose operand shapes are all at hand, or all of them if none is."""
    shapes = [[x for x in option if isinstance(x, tuple)] for option in options]
    chosen = [o for o, s in zip(options, shapes, strict=True) if all(x in near for x in s)]
    return chosen or options


def _names(text: str) -> set[str]:
    if not text:
        return set()
    return {node.id for node in ast.walk(ast.parse(text, mode="eval"))
            if isinstance(node, ast.Name)}


HEADER = "import math\n\nimport numpy as np\n\nimport srcdiff\n\n\n"


@st.composite
def programs(draw: Any, max_statements: int = 40) -> Program:
    """A random program ``f(x, y)`` (see the module docstring)."""
    builder = Builder(draw, max_statements)
    for _ in range(draw(st.integers(0, 2))):
        builder.helper()
    shapes = (draw(st.sampled_from(ARG_SHAPES)), draw(st.sampled_from(ARG_SHAPES)))
    out_shape: Shape = () if draw(st.integers(0, 4)) else draw(st.sampled_from(SHAPES[1:]))
    builder.function(shapes, out_shape, 14)
    source = HEADER + "\n".join(builder.lines) + "\n"
    return Program(source, shapes, count_statements(source))


def inputs(program: Program, seed: int) -> tuple[Any, Any]:
    """Random float64 arguments for ``program`` (a Python float for shape ())."""
    rng = np.random.default_rng(seed)
    args = []
    for shape in program.shapes:
        value = rng.uniform(-INPUT_MAG, INPUT_MAG, shape)
        args.append(float(value) if shape == () else value)
    return tuple(args)
