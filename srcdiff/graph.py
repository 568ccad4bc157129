"""Graph pass (``srcdiff.graph``, ``srcdiff graph``): the computation graph, drawn from source.

The picture every autograd tutorial draws (``x -> x + 2 -> ... -> mean -> out``), built
without running the function: after normalization every statement computes one operation, so
every value is a node (named as in the emitted code: the user's variables, and temporaries
named after what they hold) and every operand read is an edge, labelled with its *local
derivative*, read off the same rule templates the compiler inlines:

* a rule whose reverse template is the output adjoint times a factor (every elementwise rule,
  ``np.sum``, ``np.mean``...) is labelled with that factor, arguments substituted and
  simplified: ``y = x ** 2`` gives ``2 * x``, ``3 * a`` gives ``3``, ``np.mean(z)`` gives
  ``1 / np.size(z)``; the factors of one operand used twice are added (``y * y``: ``2 * y``);
* any other rule (``@``, transposes, indexing) is labelled with its forward template applied
  to a tangent ``v``: ``Jv = np.matmul(v, w)``.

The differentiated parameters are marked *requires grad*, the returned value *output*.
Dependences that carry no derivative are drawn dashed and labelled ``0 (why)``:
``srcdiff.stop_gradient``, values computed under ``with srcdiff.no_grad():``, comparisons,
integer casts and other zero-derivative functions, arguments a rule does not differentiate,
branch conditions and loop counts. Values off the path from the parameters to the output are
grey. An operation without a derivative rule is drawn as a red edge instead of being refused,
so the picture shows where the derivative would fail; constructs the fence rejects raise the
usual :class:`~srcdiff.UnsupportedSyntaxError`.

Control flow is drawn as clusters: an ``if`` as one box per branch, a loop as a box around
its body. A value assigned in both branches, or carried around a loop, is one node outside
the boxes; the edges into it say which branch (``[if c]``, ``[else]``) or that the value goes
round again (``[next iteration]``, drawn against the flow).

The output is Graphviz DOT text. Pictures (SVG, PNG) come from Graphviz's ``dot`` program,
or from ``graphviz-pure`` (a self-contained port that pip installs), whichever is on PATH.
"""
from __future__ import annotations

import ast
import copy
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from srcdiff import analyze, canonicalize, fence, normalize
from srcdiff.analyze import Activity
from srcdiff.errors import SrcdiffError, UnsupportedSyntaxError
from srcdiff.ir import Assign, If, Loop, NormalFunction, Stmt, atom_names, walk
from srcdiff.optimize import simplify
from srcdiff.parse import Source
from srcdiff.reverse import literal_args
from srcdiff.rules.registry import instantiate

#: The renderers tried, in order: Graphviz itself, then the pip-installable port.
RENDERERS = ("dot", "graphviz-pure")

#: What ``Graph.save`` and ``srcdiff graph -o`` write, by file suffix.
FORMATS = {".dot": "dot", ".gv": "dot", ".svg": "svg", ".png": "png"}

INSTALL_HINT = (
    "install Graphviz: 'apt-get install graphviz' (Debian, Ubuntu), 'brew install graphviz' "
    "(macOS), 'conda install -c conda-forge graphviz', or 'pip install graphviz-pure' (a "
    "self-contained port, no system libraries needed). The DOT text needs none of them: "
    "write it to a .dot file and render it anywhere")

#: Helpers of the runtime that only move an adjoint between shapes: the local derivative of
#: ``unbroadcast(dy * f, x)`` is ``f``.
_SHAPE_HELPERS = frozenset({"unbroadcast", "repeat_to_shape", "broadcast_like"})

#: Stands for the output adjoint while a reverse template is read (not an identifier, so it
#: never meets a user's name).
_SEED = "<dy>"

_MAX_EXPR = 44


class GraphvizNotFoundError(SrcdiffError):
    """A picture (SVG, PNG) was asked for, but neither ``dot`` nor ``graphviz-pure`` is on
    PATH. DOT text needs no renderer."""


# ---------------------------------------------------------------------------------------------
# Rendering.
# ---------------------------------------------------------------------------------------------

def find_renderer() -> str | None:
    """The path of the program that renders DOT (``dot``, else ``graphviz-pure``), or None."""
    for name in RENDERERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def render(dot: str, fmt: str) -> bytes:
    """Render DOT text to ``fmt`` (``"svg"`` or ``"png"``) with the program on PATH.

    Raises :class:`GraphvizNotFoundError`, saying how to install one, when there is none,
    and :class:`SrcdiffError` with the renderer's message when it fails.
    """
    if fmt not in ("svg", "png"):
        raise SrcdiffError(f"cannot render {fmt!r}: srcdiff writes dot, svg and png")
    program = find_renderer()
    if program is None:
        raise GraphvizNotFoundError(
            f"drawing the graph as {fmt.upper()} needs Graphviz's 'dot' program, which is not "
            f"on PATH; {INSTALL_HINT}")
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot.encode("utf-8"),
                              capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SrcdiffError(f"running {program} failed: {exc}") from exc
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise SrcdiffError(f"{program} -T{fmt} failed (exit {done.returncode}): {message}")
    return done.stdout


@dataclass
class Graph:
    """The computation graph of one function: its DOT text and ways to show or save it.

    ``str(graph)`` and ``graph.dot`` are the DOT text; in a notebook the graph shows as SVG
    when a renderer is on PATH (as its DOT text otherwise); ``graph.save("g.png")`` writes
    ``.dot``, ``.gv``, ``.svg`` or ``.png``.
    """

    dot: str
    function: str
    wrt: tuple[str, ...]
    _svg: str | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.dot

    def render(self, fmt: str = "svg") -> bytes:
        """The picture as bytes, ``fmt`` ``"svg"`` or ``"png"`` (see :func:`render`)."""
        return render(self.dot, fmt)

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the graph to ``path``, in the format its suffix names; return the path.

        ``.dot``/``.gv`` need nothing; ``.svg``/``.png`` need a renderer on PATH
        (:class:`GraphvizNotFoundError` otherwise, and nothing is written).
        """
        path = os.fspath(path)
        fmt = FORMATS.get(os.path.splitext(path)[1].lower())
        if fmt is None:
            raise SrcdiffError(f"cannot write {path!r}: name it .dot, .gv, .svg or .png")
        data = self.dot.encode("utf-8") if fmt == "dot" else render(self.dot, fmt)
        with open(path, "wb") as handle:
            handle.write(data)
        return path

    def _repr_svg_(self) -> str | None:
        """The SVG picture for notebooks; None (no picture) without a renderer."""
        if self._svg is None:
            if find_renderer() is None:
                return None
            try:
                self._svg = render(self.dot, "svg").decode("utf-8")
            except SrcdiffError:
                return None
        return self._svg

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """What a notebook shows: the SVG when it can be rendered, and the DOT as text."""
        bundle = {"text/plain": self.dot}
        svg = self._repr_svg_()
        if svg is not None:
            bundle["image/svg+xml"] = svg
        return bundle


# ---------------------------------------------------------------------------------------------
# Local derivatives from the rule templates.
# ---------------------------------------------------------------------------------------------

def _has_seed(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == _SEED for n in ast.walk(node))


def _factor(expr: ast.expr) -> ast.expr | None:
    """``f`` when ``expr`` is the adjoint seed times ``f`` (up to shape helpers), else None."""
    if isinstance(expr, ast.Name) and expr.id == _SEED:
        return ast.Constant(1)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) \
            and expr.func.id in _SHAPE_HELPERS and expr.args \
            and not any(_has_seed(a) for a in expr.args[1:]) \
            and not any(_has_seed(k.value) for k in expr.keywords):
        return _factor(expr.args[0])
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        inner = _factor(expr.operand)
        return None if inner is None else ast.UnaryOp(ast.USub(), inner)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Mult, ast.Div)):
        if not _has_seed(expr.right):
            inner = _factor(expr.left)
            return None if inner is None else ast.BinOp(inner, expr.op, expr.right)
        if isinstance(expr.op, ast.Mult) and not _has_seed(expr.left):
            inner = _factor(expr.right)
            return None if inner is None else ast.BinOp(expr.left, ast.Mult(), inner)
    return None


@dataclass
class _Derivative:
    """A local derivative: a factor (an expression) or, failing that, a text label."""

    factor: ast.expr | None = None
    text: str = ""


def _tangent_name(fn: NormalFunction) -> str:
    name = "v"
    while name in fn.names or name in fn.globals:
        name += "_"
    return name


def _local_derivative(stmt: Assign, param: str, tangent: str = "v") -> _Derivative:
    """The derivative of ``stmt``'s value with respect to its argument ``param``, from the
    rule's templates: the factor of its reverse template, else its forward template applied
    to the tangent named ``tangent`` (``Jv = ...``)."""
    op = stmt.op
    rule = op.rule
    assert rule is not None
    consts = literal_args(op)
    mapping: dict[str, ast.expr] = dict(op.args)
    mapping["y"] = ast.Name(stmt.target, ast.Load())
    template = rule.template("vjp", param, consts)  # (the caller checked that it has one)
    if template is None:
        return _Derivative(factor=ast.Constant(0))
    factor = _factor(instantiate(template, {**mapping, "dy": ast.Name(_SEED, ast.Load())}))
    if factor is not None:
        return _Derivative(factor=simplify(factor))  # type: ignore[arg-type]
    try:
        forward = rule.template("jvp", param, consts)
    except KeyError:
        forward = None
    if forward is None:
        return _Derivative(text=f"d {op.what} / d {param}")
    mapping[f"d{param}"] = ast.Name(tangent, ast.Load())
    applied = simplify(instantiate(forward, mapping))
    return _Derivative(text=f"J{tangent} = {_short(ast.unparse(applied))}")


def _combined(parts: list[_Derivative]) -> str:
    """One label for the derivatives of the same operand through several arguments (``y * y``
    reads ``y`` twice: ``y + y``, written ``2 * y``)."""
    if all(p.factor is not None for p in parts):
        texts = [ast.unparse(p.factor) for p in parts]  # type: ignore[arg-type]
        if len(set(texts)) == 1 and len(parts) > 1:
            total: ast.expr = ast.BinOp(ast.Constant(len(parts)), ast.Mult(),
                                        copy.deepcopy(parts[0].factor))  # type: ignore[arg-type]
        else:
            total = parts[0].factor  # type: ignore[assignment]
            for part in parts[1:]:
                total = ast.BinOp(total, ast.Add(), part.factor)  # type: ignore[arg-type]
        return _short(ast.unparse(simplify(total)))
    return " + ".join(_short(ast.unparse(p.factor)) if p.factor is not None else p.text
                      for p in parts)


def _short(text: str, limit: int = _MAX_EXPR) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# The graph, as data.
# ---------------------------------------------------------------------------------------------

@dataclass
class _Cluster:
    id: str
    label: str
    parent: str | None
    tooltip: str = ""


@dataclass
class _Node:
    id: str
    name: str
    role: str  # "wrt", "param", "value", "output" (set later), "constant"
    definitions: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    tooltip: str = ""
    no_grad: bool = False
    active: bool = False


@dataclass
class _Branch:
    """An ``if``: the names its condition reads, where it stands, its two clusters."""

    reads: list[str]
    path: tuple[str, ...]
    body: str
    orelse: str


@dataclass
class _Edge:
    src: str
    dst: str
    kind: str  # "flow", "cut", "missing", "constant"
    path: tuple[str, ...]
    parts: list[_Derivative] = field(default_factory=list)
    text: str = ""
    active: bool = False
    back: bool = False


class _Builder:
    """Walks a normal-form function once, collecting nodes, edges and clusters."""

    def __init__(self, fn: NormalFunction, act: Activity, wrt: tuple[str, ...],
                 constants: bool) -> None:
        self.fn = fn
        self.act = act
        self.wrt = wrt
        self.constants = constants
        self.tangent = _tangent_name(fn)
        self.nodes: dict[str, _Node] = {}
        self.edges: dict[tuple[str, str, str, tuple[str, ...], bool], _Edge] = {}
        self.clusters: dict[str, _Cluster] = {}
        self.latest: dict[str, str] = {}  # a name to its node (in-place updates make new ones)
        self.versions: dict[str, int] = {}
        self.branches: list[_Branch] = []
        self.counter = 0
        # The names that are values of the function (not modules, helpers or lifted defs).
        self.locals = set(fn.params) | {s.target for s in walk(fn.body) if isinstance(s, Assign)}
        self.locals |= {s.target for s in walk(fn.body) if isinstance(s, Loop) and s.target}

    # nodes --------------------------------------------------------------------------------
    def node_of(self, name: str) -> str:
        """The node a read of ``name`` refers to now (created on first read)."""
        node_id = self.latest.get(name, name)
        if node_id not in self.nodes:
            self.nodes[node_id] = _Node(node_id, name, "value")
            self.latest[name] = node_id
        return node_id

    def define(self, name: str, path: tuple[str, ...], text: str, tooltip: str,
               no_grad: bool = False, in_place: bool = False) -> str:
        """Record a binding of ``name`` at ``path``; an in-place update is a new node."""
        if in_place and name in self.latest:
            self.versions[name] = self.versions.get(name, 1) + 1
            node_id = f"{name}@{self.versions[name]}"
        else:
            node_id = name
        node = self.nodes.setdefault(node_id, _Node(node_id, name, "value"))
        node.definitions.append((path, text))
        node.tooltip = node.tooltip or tooltip
        node.no_grad = node.no_grad or no_grad
        node.active = name in self.act.active
        return node_id

    def activate(self, name: str, node_id: str) -> None:
        self.latest[name] = node_id

    # edges --------------------------------------------------------------------------------
    def edge(self, src: str, dst: str, kind: str, path: tuple[str, ...], *,
             part: _Derivative | None = None, text: str = "", active: bool = False,
             back: bool = False) -> None:
        if src == dst and kind == "cut":
            return  # a while loop's test reading its own carried variable: nothing to draw
        key = (src, dst, kind, path, back)
        edge = self.edges.get(key)
        if edge is None:
            edge = self.edges[key] = _Edge(src, dst, kind, path, text=text, back=back)
        if part is not None:
            edge.parts.append(part)
        elif text and text not in edge.text.split("; "):
            edge.text = f"{edge.text}; {text}" if edge.text else text
        edge.active = edge.active or active

    def reads(self, atom: ast.expr) -> list[str]:
        """The values an atom reads (not globals such as ``np``), in order."""
        seen: list[str] = []
        for node in ast.walk(atom):
            if isinstance(node, ast.Name) and node.id in self.locals and node.id not in seen:
                seen.append(node.id)
        return seen

    def constant_operands(self, stmt: Assign) -> list[str]:
        """The literal and global operands of ``stmt`` as the user wrote them (``2`` in
        ``x + 2``, ``np.pi``), for ``constants=True``."""
        value = stmt.value
        if isinstance(value, ast.BinOp):
            operands = [value.left, value.right]
        elif isinstance(value, ast.UnaryOp):
            operands = [value.operand]
        elif isinstance(value, ast.Compare):
            operands = [value.left, *value.comparators]
        elif isinstance(value, ast.Call):
            operands = [*value.args, *(k.value for k in value.keywords)]
        else:
            operands = []
        found = []
        for operand in operands:
            if isinstance(operand, ast.Constant) or (
                    isinstance(operand, (ast.Name, ast.Attribute))
                    and not (atom_names(operand) - self.fn.globals)):
                found.append(ast.unparse(operand))
        return found

    # statements ---------------------------------------------------------------------------
    def walk(self, body: list[Stmt], path: tuple[str, ...]) -> None:
        for stmt in body:
            if isinstance(stmt, If):
                self.walk_if(stmt, path)
            elif isinstance(stmt, Loop):
                self.walk_loop(stmt, path)
            else:
                self.assign(stmt, path)

    def cluster(self, label: str, parent: tuple[str, ...], tooltip: str) -> tuple[str, ...]:
        self.counter += 1
        cluster_id = f"cluster_{self.counter}"
        self.clusters[cluster_id] = _Cluster(cluster_id, label, parent[-1] if parent else None,
                                             tooltip)
        return (*parent, cluster_id)

    def walk_if(self, stmt: If, path: tuple[str, ...]) -> None:
        where = stmt.origin.short
        test = _short(ast.unparse(stmt.test), 30)
        body = self.cluster(f"if {test}", path, f"{where}: {stmt.origin.source_line.strip()}")
        self.walk(stmt.body, body)
        orelse = self.cluster("else", path, where)
        self.walk(stmt.orelse, orelse)
        self.branches.append(_Branch(self.reads(stmt.test), path, body[-1], orelse[-1]))

    def walk_loop(self, loop: Loop, path: tuple[str, ...]) -> None:
        where = loop.origin.short
        if loop.kind == "for":
            head = f"for {loop.target} in {_short(ast.unparse(loop.iter), 30)}" \
                if loop.iter is not None else "for"
        else:
            head = f"while {_short(ast.unparse(loop.test), 30)}" \
                if loop.test is not None else "while"
        inner = self.cluster(head, path, f"{where}: {loop.origin.source_line.strip()}")
        controls = [n for part in (loop.iter, loop.test) if part is not None
                    for n in self.reads(part)]
        if loop.target is not None:
            target = self.define(loop.target, inner, f"{loop.target}: loop index",
                                 f"{where}: {head}")
            self.activate(loop.target, target)
            for name in controls:
                self.edge(self.node_of(name), target, "cut", inner, text="0 (loop index)")
        self.walk(loop.body, inner)
        for stmt in loop.copies:
            self.assign(stmt, inner, back=True)
        carried = {c.target for c in loop.copies}
        for name in controls:
            for variable in sorted(carried):
                self.edge(self.node_of(name), self.node_of(variable), "cut", path,
                          text="0 (number of iterations)")

    def assign(self, stmt: Assign, path: tuple[str, ...], back: bool = False) -> None:
        op = stmt.op
        origin = op.origin or stmt.origin
        tooltip = f"{origin.short}: {origin.source_line.strip()}"
        in_place = op.kind in ("setitem", "append")
        if op.kind == "setitem":
            text = f"{stmt.target}[{ast.unparse(op.args['index'])}] = " \
                   f"{ast.unparse(op.args['value'])}"
        elif op.kind == "append":
            text = f"{stmt.target}.append({ast.unparse(op.args['value'])})"
        elif op.kind == "stop":
            text = f"{stmt.target} = stop_gradient({ast.unparse(op.args['x'])})"
        else:
            text = f"{stmt.target} = {ast.unparse(stmt.value)}"
        sources = self.operands(stmt)  # read before the new binding shadows an old one
        target = self.define(stmt.target, path, _short(text), tooltip, stmt.no_grad, in_place)
        self.activate(stmt.target, target)
        active_target = stmt.target in self.act.active
        for src, kind, part, label in sources:
            active = kind in ("flow", "missing") and active_target \
                and self.nodes[src].name in self.act.active
            self.edge(src, target, kind, path, part=part, text=label, active=active, back=back)

    def operands(self, stmt: Assign) -> list[tuple[str, str, _Derivative | None, str]]:
        """(source node, edge kind, derivative, label) for every value ``stmt`` reads."""
        op = stmt.op
        found: list[tuple[str, str, _Derivative | None, str]] = []

        def read(atom: ast.expr, kind: str, part: _Derivative | None = None,
                 label: str = "") -> None:
            for name in self.reads(atom):
                found.append((self.node_of(name), kind, part, label))

        if self.constants:
            for text in self.constant_operands(stmt):
                self.counter += 1
                const_id = f"const_{self.counter}"
                self.nodes[const_id] = _Node(const_id, text, "constant")
                found.append((const_id, "constant", None, ""))
        everything = stmt.value if not op.args else ast.Tuple(list(op.args.values()), ast.Load())
        if stmt.no_grad:
            read(everything, "cut", label="0 (no_grad)")
            return found
        if op.kind == "stop":
            read(op.args["x"], "cut", label="0 (stop_gradient)")
            return found
        if op.kind == "opaque":
            read(everything, "cut", label="0 (unsupported statement)")
            return found
        if op.zero:
            read(stmt.value, "cut", label=f"0 ({op.what})")
            return found
        if op.kind == "copy":
            read(op.args["x"], "flow", _Derivative(factor=ast.Constant(1)))
            return found
        if op.kind in ("pack", "item", "pop", "setitem", "append", "call"):
            self.structural(stmt, read)
            return found
        if op.rule is None:
            read(everything, "missing", label=f"no derivative rule for {_short(op.what, 36)}")
            return found
        flowing = analyze.flowing_args(stmt)
        for param, atom in op.args.items():
            if param not in flowing:
                read(atom, "cut", label=f"0 ({param})")
            elif not op.rule.differentiable(param):
                read(atom, "missing", label=f"no derivative of {_short(op.what, 30)} w.r.t. "
                     f"{param}")
            elif isinstance(atom, ast.Name):
                read(atom, "flow", _local_derivative(stmt, param, self.tangent))
            else:  # a tuple of arrays (np.stack((a, b)))
                read(atom, "flow", _Derivative(text=f"d {op.what} / d {param}"))
        return found

    def structural(self, stmt: Assign, read: Callable[..., None]) -> None:
        """Edges of the operations that move values without a rule: tuples and lists, items,
        writes into arrays, calls of the user's own functions."""
        op = stmt.op
        one = _Derivative(factor=ast.Constant(1))
        if op.kind == "pack":
            for param, atom in op.args.items():
                read(atom, "flow", _Derivative(text=f"item {param[4:]}"))
        elif op.kind == "item":
            read(op.args["tuple"], "flow",
                 _Derivative(text=f"item {ast.unparse(op.args['index'])}"))
        elif op.kind == "pop":
            read(op.args["items"], "flow", _Derivative(text="last item"))
        elif op.kind == "setitem":
            index = _short(ast.unparse(op.args["index"]), 20)
            read(op.args["array"], "flow", _Derivative(text=f"1 outside [{index}]"))
            read(op.args["value"], "flow", _Derivative(text=f"into [{index}]"))
            read(op.args["index"], "cut", label="0 (index)")
        elif op.kind == "append":
            read(op.args["items"], "flow", one)
            read(op.args["value"], "flow", _Derivative(text="appended"))
        else:  # a call of the user's own function: its derivative is a function of its own
            callee = getattr(op.callee, "inner_name", None) \
                or getattr(op.callee, "__name__", None) \
                or getattr(getattr(op.callee, "source", None), "name", "f")
            for param, atom in op.args.items():
                read(atom, "flow", _Derivative(text=f"d {callee} / d {param}"))

    # the whole function -------------------------------------------------------------------
    def build(self) -> None:
        origin = self.fn.source.origin(self.fn.source.node)
        for param in self.fn.params:
            node_id = self.define(param, (), param, f"parameter of {origin.short}: "
                                  f"{origin.source_line.strip()}")
            self.nodes[node_id].role = "wrt" if param in self.wrt else "param"
            self.nodes[node_id].definitions = []
        self.walk(self.fn.body, ())


# ---------------------------------------------------------------------------------------------
# DOT text.
# ---------------------------------------------------------------------------------------------

def _quote(text: str, left: bool = False) -> str:
    """A DOT double-quoted string; a newline in ``text`` stays a line break (centred, or
    left-justified with ``left``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\l" if left else "\\n") + '"'


_STYLE = {
    "wrt": 'shape=box, style="filled,bold", fillcolor="#d8e8ff", color="#1f5fa8"',
    "param": 'shape=box, style="filled", fillcolor="#f0f0f0", color="#888888"',
    "output": 'shape=box, style="filled,bold,rounded", fillcolor="#ffe4b8", color="#b36b00"',
    "value": 'shape=ellipse',
    "constant": 'shape=plaintext, fontcolor="#777777"',
}
_GREY = 'color="#aaaaaa", fontcolor="#888888"'
_CUT = 'style=dashed, color="#c0392b", fontcolor="#c0392b"'
_MISSING = 'style=bold, color="#e00000", fontcolor="#e00000"'


def _dot(builder: _Builder, fn: NormalFunction, output: str | None, rankdir: str) -> str:
    nodes, clusters = builder.nodes, builder.clusters
    # Where each node is drawn: the innermost block holding all its definitions.
    placement: dict[str, tuple[str, ...]] = {}
    for node in nodes.values():
        paths = [p for p, _ in node.definitions] or [()]
        common = paths[0]
        for path in paths[1:]:
            same = 0
            while same < min(len(common), len(path)) and common[same] == path[same]:
                same += 1
            common = common[:same]
        placement[node.id] = common

    def tag(path: tuple[str, ...], where: tuple[str, ...], back: bool) -> str:
        if back:
            return "next iteration"
        if len(path) > len(where):
            return clusters[path[len(where)]].label
        return ""

    def node_line(node: _Node) -> str:
        if node.role == "constant":
            label = node.name
        elif node.role in ("wrt", "param"):
            label = node.name + ("\nrequires grad" if node.role == "wrt" else "\nparameter")
        else:
            lines = []
            for path, text in node.definitions:
                where = tag(path, placement[node.id], False)
                lines.append(text + (f"  [{where}]" if where else ""))
            label = "\n".join(lines) or node.name
            if node.no_grad:
                label += "\n(no_grad)"
        role = node.role
        if node.id == output:
            label += "\noutput"
            role = "output"
        attrs = [f"label={_quote(label)}", _STYLE[role]]
        if role == "value" and not node.active:
            attrs.append(_GREY)
        if node.tooltip:
            attrs.append(f"tooltip={_quote(node.tooltip)}")
        return f"{_quote(node.id)} [{', '.join(attrs)}];"

    children: dict[str | None, list[str]] = {}
    for cluster in clusters.values():
        children.setdefault(cluster.parent, []).append(cluster.id)
    members: dict[str | None, list[str]] = {}
    for node in nodes.values():
        where = placement[node.id]
        members.setdefault(where[-1] if where else None, []).append(node.id)

    def populated(cluster_id: str) -> bool:
        return bool(members.get(cluster_id)) or any(populated(c)
                                                      for c in children.get(cluster_id, []))

    lines = [f"digraph {_quote(fn.name)} {{"]
    caption = _caption(builder, fn, output)
    lines.append(f"  graph [rankdir={rankdir}, fontname=Helvetica, fontsize=11, labelloc=b, "
                 f"labeljust=l, nodesep=0.3, label={_quote(caption, left=True)}];")
    lines.append("  node [fontname=Helvetica, fontsize=11];")
    lines.append("  edge [fontname=Helvetica, fontsize=10];")

    def emit(cluster_id: str | None, indent: str) -> None:
        for node_id in members.get(cluster_id, []):
            lines.append(indent + node_line(nodes[node_id]))
        for child in children.get(cluster_id, []):
            if not populated(child):
                continue
            cluster = clusters[child]
            lines.append(f"{indent}subgraph {child} {{")
            lines.append(f"{indent}  label={_quote(cluster.label)}; style=\"rounded,dashed\"; "
                         f"color=\"#999999\"; fontcolor=\"#555555\"; labeljust=l; labelloc=t;"
                         + (f" tooltip={_quote(cluster.tooltip)};" if cluster.tooltip else ""))
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")

    emit(None, "  ")
    for edge in builder.edges.values():
        label = _combined(edge.parts) if edge.parts else edge.text
        where = tag(edge.path, placement[edge.dst], edge.back)
        if where and edge.kind != "constant":
            label = f"{label}  [{where}]" if label else f"[{where}]"
        attrs = [f"label={_quote(label)}"] if label else []
        if edge.kind == "cut":
            attrs.append(_CUT)
        elif edge.kind == "missing":  # red where building the derivative would fail
            attrs.append(_MISSING if edge.active else _GREY)
        elif edge.kind == "constant":
            attrs.append('color="#bbbbbb", arrowsize=0.6')
        elif not edge.active:
            attrs.append(_GREY)
        else:
            attrs.append("penwidth=1.4")
        if edge.back:
            attrs.append("constraint=false")
        lines.append(f"  {_quote(edge.src)} -> {_quote(edge.dst)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _caption(builder: _Builder, fn: NormalFunction, output: str | None) -> str:
    wrt = ", ".join(builder.wrt)
    lines = [f"{fn.name}({', '.join(fn.params)}) w.r.t. {wrt}: each edge is labelled with the "
             "derivative of its head w.r.t. its tail"]
    if any(e.parts and any(p.text.startswith(f"J{builder.tangent} =") for p in e.parts)
           for e in builder.edges.values()):
        lines.append(f"J{builder.tangent} = ...: the derivative applied to a tangent "
                     f"{builder.tangent} of the tail")
    lines.append("dashed: no derivative flows; grey: off the path from "
                 f"{wrt} to the output")
    if output is None or output not in builder.act.active:
        lines.append(f"the output does not depend on {wrt} through any differentiable "
                     "operation: the gradient is zero")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Entry points.
# ---------------------------------------------------------------------------------------------

def graph_source(source: Source, wrt: tuple[str, ...], constants: bool = False,
                 rankdir: str = "LR") -> Graph:
    """The computation graph of the function parsed in ``source``, for the parameters
    ``wrt`` (names). Raises :class:`UnsupportedSyntaxError` for constructs srcdiff rejects;
    nothing is run."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise SrcdiffError(f"rankdir={rankdir!r}: use 'LR' (left to right) or 'TB' (top down)")
    source = Source(copy.deepcopy(source.node), source.filename, source.lines, source.namespace,
                    source.module_constants)
    canonicalize.canonicalize(source.node)
    problems, rejected = fence.find(source)
    try:
        fn = normalize.normalize(source, rejected)
    except UnsupportedSyntaxError as error:
        raise UnsupportedSyntaxError(problems + error.problems, source.name) from None
    if problems:
        raise UnsupportedSyntaxError(problems, source.name)
    act = analyze.activity(fn, list(wrt))
    builder = _Builder(fn, act, wrt, constants)
    builder.build()
    result = fn.result.value
    if isinstance(result, ast.Name):
        output: str | None = builder.node_of(result.id)
    else:
        output = "<output>"
        builder.nodes[output] = _Node(output, output, "value", [((), f"return "
                                                                 f"{ast.unparse(result)}")])
    _branch_edges(builder)
    return Graph(_dot(builder, fn, output, rankdir), fn.name, wrt)


def _branch_edges(builder: _Builder) -> None:
    """A dashed edge from each branch condition to each value the branches bind
    differently: which branch ran decides the value, without a derivative."""
    for branch in builder.branches:
        for node in list(builder.nodes.values()):
            paths = [p for p, _ in node.definitions]
            inside = [p for p in paths if branch.body in p or branch.orelse in p]
            if not inside or all(branch.body in p for p in paths) \
                    or all(branch.orelse in p for p in paths):
                continue  # not bound by this if, or bound in one branch only (local to it)
            for name in branch.reads:
                builder.edge(builder.node_of(name), node.id, "cut", branch.path,
                             text="0 (branch taken)")


def graph(func: Callable[..., Any], wrt: int | str | tuple[int | str, ...] = 0, *,
          constants: bool = False, rankdir: str = "LR") -> Graph:
    """The computation graph of ``func``, read from its source without running it.

    Values are nodes (parameters, and intermediates named as in the code ``srcdiff.emit``
    shows), operations are edges labelled with their local derivative from the rules table;
    the ``wrt`` parameters (index or name, or a tuple, as for :func:`srcdiff.grad`) are
    marked *requires grad* and the returned value *output*; dependences that carry no
    derivative are dashed. ``constants=True`` draws literal operands too; ``rankdir="TB"``
    lays the graph out top down. ``str(result)`` is the DOT text; ``result.save("g.png")``
    draws it (needs Graphviz's ``dot`` or ``graphviz-pure`` on PATH).
    """
    from srcdiff import api
    from srcdiff.parse import parse_function

    func = api._differentiable(func, 1)
    params = [p.name for p in api._parameters(func)]
    names, _ = api.resolve_wrt(func, params, wrt)
    return graph_source(parse_function(func), names, constants=constants, rankdir=rankdir)
