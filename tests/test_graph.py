"""srcdiff.graph and `srcdiff graph`: the computation graph drawn from source, as DOT text,
with the local derivative of each edge from the rules, the marked wrt inputs and output,
dashed cut edges, and SVG/PNG through Graphviz's `dot` (or graphviz-pure) when on PATH."""
import os
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcdiff
from examples import seeds
from srcdiff.cli import main
from srcdiff.graph import Graph, GraphvizNotFoundError, find_renderer

HAS_RENDERER = find_renderer() is not None

SEEDS = textwrap.dedent("""\
    import numpy as np


    def f(x):
        y = x + 2
        z = y * y * 3
        return np.mean(z)   # the seeds' z = mean(3*(x+2)**2)
    """)

ONE_LINE = textwrap.dedent("""\
    import numpy as np


    def f(x):
        return np.mean(3 * (x + 2) ** 2)
    """)

UNSUPPORTED = textwrap.dedent("""\
    import numpy as np


    def f(x):
        try:
            y = x * 2
        except ValueError:
            y = x
        return np.sum(y)
    """)


def step_by_step(x):
    y = x + 2
    z = y * y * 3
    return np.mean(z)


def cuts(x, n):
    m = x > 0
    k = int(n)
    return np.sum(np.where(m, x, 0.0) * k)


def two_inputs(x, w):
    return np.sum(np.tanh(x @ w))


def branchy(x):
    y = x * 2
    if np.sum(x) > 0:
        y = y * x
    else:
        y = -y
    return np.sum(y)


def loopy(x, n):
    acc = x
    for i in range(n):
        acc = acc * x + i
    return np.sum(acc)


def constant_in_x(x, w):
    k = np.floor(x)
    return np.sum(k * w)


def edges(dot: str) -> dict[tuple[str, str], str]:
    """``(tail, head) -> attributes`` of every edge of DOT text."""
    return {(a, b): attrs for a, b, attrs in
            re.findall(r'^\s*"([^"]+)" -> "([^"]+)" \[(.*)\];$', dot, re.M)}


def nodes(dot: str) -> dict[str, str]:
    """``id -> attributes`` of every node of DOT text."""
    return dict(re.findall(r'^\s*"([^"]+)" \[(label=.*)\];$', dot, re.M))


def label(attrs: str) -> str:
    found = re.search(r'label="((?:[^"\\]|\\.)*)"', attrs)
    return found.group(1) if found else ""


# --- the tutorial's graph ------------------------------------------------------------------

def test_seeds_graph_step_by_step():
    dot = srcdiff.graph(step_by_step).dot
    assert dot.startswith('digraph "step_by_step" {') and dot.rstrip().endswith("}")
    assert set(nodes(dot)) == {"x", "y", "y_times_y", "z", "result"}
    labels = {pair: label(attrs) for pair, attrs in edges(dot).items()}
    assert labels == {("x", "y"): "1", ("y", "y_times_y"): "2 * y", ("y_times_y", "z"): "3",
                      ("z", "result"): "1 / np.size(z)"}
    assert label(nodes(dot)["x"]) == "x\\nrequires grad"
    assert label(nodes(dot)["y"]) == "y = x + 2"
    assert label(nodes(dot)["result"]) == "result = np.mean(z)\\noutput"
    assert not any("dashed" in attrs for attrs in edges(dot).values())


def test_seeds_graph_one_line_names_as_emitted():
    """The one-line form: temporaries are named as in srcdiff.emit's forward sweep, and
    y = u**2 is labelled 2*u, 3*a is labelled 3."""
    dot = srcdiff.graph(seeds.mean_of_shifted_squares).dot
    emitted = srcdiff.emit(seeds.mean_of_shifted_squares)
    for name in nodes(dot):
        assert f"{name} = " in emitted or name == "x"
    labels = {pair: label(attrs) for pair, attrs in edges(dot).items()}
    assert labels == {("x", "x_plus_2"): "1", ("x_plus_2", "x_plus_2_pow_2"): "2 * x_plus_2",
                      ("x_plus_2_pow_2", "product"): "3",
                      ("product", "result"): "1 / np.size(product)"}


def test_constants_are_drawn_on_request():
    plain = srcdiff.graph(seeds.mean_of_shifted_squares).dot
    full = srcdiff.graph(seeds.mean_of_shifted_squares, constants=True).dot
    assert "plaintext" not in plain
    drawn = sorted(label(a) for n, a in nodes(full).items() if "plaintext" in a)
    assert drawn == ["2", "2", "3"]


def test_a_user_variable_named_like_the_tangent():
    def uses_v(v, w):
        return np.sum(v @ w)

    dot = srcdiff.graph(uses_v, wrt=(0, 1)).dot
    assert label(edges(dot)[("v", "v_matmul_w")]) == "Jv_ = np.matmul(v_, w)"
    assert "tangent v_" in dot


# --- marks and cuts --------------------------------------------------------------------------

def test_wrt_inputs_and_output_are_marked():
    dot = srcdiff.graph(two_inputs, wrt="w").dot
    assert label(nodes(dot)["w"]) == "w\\nrequires grad" and "#d8e8ff" in nodes(dot)["w"]
    assert label(nodes(dot)["x"]) == "x\\nparameter"
    assert "output" in label(nodes(dot)["result"]) and "#ffe4b8" in nodes(dot)["result"]
    both = srcdiff.graph(two_inputs, wrt=(0, 1)).dot
    assert "requires grad" in label(nodes(both)["x"]) and "w.r.t. x, w" in both
    assert label(edges(both)[("x", "x_matmul_w")]) == "Jv = np.matmul(v, w)"
    assert label(edges(both)[("x_matmul_w", "tanh_x_matmul_w")]) == "1 - tanh_x_matmul_w ** 2"


def test_stop_gradient_and_no_grad_are_dashed():
    dot = srcdiff.graph(seeds.cut_by_stop_gradient).dot
    cut = edges(dot)[("x_times_x", "y")]
    assert "style=dashed" in cut and label(cut) == "0 (stop_gradient)"
    assert "style=dashed" not in edges(dot)[("x", "y_times_x")]
    dot = srcdiff.graph(seeds.cut_by_no_grad).dot
    cut = edges(dot)[("x", "s")]
    assert "style=dashed" in cut and label(cut) == "0 (no_grad)"
    assert "(no_grad)" in label(nodes(dot)["s"])


def test_comparisons_casts_and_undifferentiated_arguments_are_dashed():
    dot = srcdiff.graph(cuts).dot
    found = edges(dot)
    assert label(found[("x", "m")]) == "0 (comparison)" and "dashed" in found[("x", "m")]
    assert label(found[("n", "k")]) == "0 (int)" and "dashed" in found[("n", "k")]
    assert label(found[("m", "where_m")]) == "0 (condition)"
    assert "dashed" not in found[("x", "where_m")]


def test_a_gradient_that_is_zero_is_said_so():
    dot = srcdiff.graph(constant_in_x).dot
    assert "the gradient is zero" in dot
    assert "dashed" in edges(dot)[("x", "k")]
    assert "the gradient is zero" not in srcdiff.graph(constant_in_x, wrt="w").dot


def test_an_operation_without_a_rule_is_a_red_edge():
    def opaque(x):
        return np.sum(np.fft.fft(x).real)

    dot = srcdiff.graph(opaque).dot
    assert any("no derivative rule for np.fft.fft" in a and "#e00000" in a
               for a in edges(dot).values())


# --- control flow ----------------------------------------------------------------------------

def test_branches_are_clusters():
    dot = srcdiff.graph(branchy).dot
    labels = {pair: label(attrs) for pair, attrs in edges(dot).items()}
    assert labels[("y", "y_4")] in ("x  [if cond]", "-1  [else]")
    assert "x  [if cond]" in dot and "-1  [else]" in dot
    assert label(edges(dot)[("cond", "y_4")]) == "0 (branch taken)"
    assert "y_4 = y * x  [if cond]\\ny_4 = -y  [else]" in dot


def test_loops_are_clusters_with_a_back_edge():
    dot = srcdiff.graph(loopy).dot
    assert 'subgraph cluster_1 {' in dot and 'label="for i in range(n)"' in dot
    back = edges(dot)[("acc_2", "acc")]
    assert label(back) == "1  [next iteration]" and "constraint=false" in back
    assert label(edges(dot)[("n", "acc")]) == "0 (number of iterations)"
    body = dot[dot.index("subgraph cluster_1"):]
    body = body[:body.index("}")]
    assert '"acc_times_x"' in body and '"acc_2"' in body and '"acc" [' not in body


# --- errors ----------------------------------------------------------------------------------

def test_unsupported_construct_names_file_line_column(tmp_path):
    def with_lambda(x):
        g = lambda t: t * 2  # noqa: E731
        return np.sum(g(x))

    with pytest.raises(srcdiff.UnsupportedSyntaxError) as error:
        srcdiff.graph(with_lambda)
    line = with_lambda.__code__.co_firstlineno + 1
    assert f"{__file__}:{line}:" in str(error.value) and "lambda" in str(error.value)


def test_bad_wrt_is_an_error():
    with pytest.raises(srcdiff.SrcdiffError, match="no parameter named 'nope'"):
        srcdiff.graph(step_by_step, wrt="nope")


# --- the Graph object ------------------------------------------------------------------------

def test_graph_object_without_a_renderer(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    drawn = srcdiff.graph(step_by_step)
    assert isinstance(drawn, Graph) and str(drawn) == drawn.dot
    assert drawn._repr_svg_() is None
    assert drawn._repr_mimebundle_() == {"text/plain": drawn.dot}
    assert drawn.save(tmp_path / "g.dot") == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == drawn.dot
    with pytest.raises(GraphvizNotFoundError) as error:
        drawn.save(tmp_path / "g.png")
    message = str(error.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert "pip install graphviz-pure" in message and "DOT" in message
    assert not (tmp_path / "g.png").exists()
    with pytest.raises(srcdiff.SrcdiffError, match=r"\.dot, \.gv, \.svg or \.png"):
        drawn.save(tmp_path / "g.pdf")


@pytest.mark.skipif(not HAS_RENDERER, reason="neither dot nor graphviz-pure is on PATH")
def test_graph_object_renders_svg_and_png(tmp_path):
    drawn = srcdiff.graph(step_by_step)
    assert drawn.save(tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    drawn.save(tmp_path / "g.svg")
    assert "<svg" in (tmp_path / "g.svg").read_text(encoding="utf-8")
    svg = drawn._repr_svg_()
    assert svg is not None and "y = x + 2" in svg
    assert drawn._repr_mimebundle_()["image/svg+xml"] == svg


@pytest.mark.skipif(not HAS_RENDERER, reason="neither dot nor graphviz-pure is on PATH")
def test_every_kind_of_graph_renders():
    for func in (branchy, loopy, cuts, seeds.cut_by_no_grad, two_inputs):
        assert srcdiff.graph(func, constants=True).render("svg").startswith(b"<")


# --- the command line ------------------------------------------------------------------------

@pytest.fixture
def seeds_file(tmp_path):
    path = tmp_path / "seeds_f.py"
    path.write_text(SEEDS, encoding="utf-8")
    return path


def test_cli_prints_dot(seeds_file, capsys):
    assert main(["graph", str(seeds_file), "--function", "f", "--wrt", "x"]) == 0
    out = capsys.readouterr().out
    labels = {pair: label(attrs) for pair, attrs in edges(out).items()}
    assert labels[("y", "y_times_y")] == "2 * y" and labels[("z", "result")] == "1 / np.size(z)"
    assert "requires grad" in out and "output" in out


def test_cli_one_line_form(tmp_path, capsys):
    path = tmp_path / "one_line.py"
    path.write_text(ONE_LINE, encoding="utf-8")
    assert main(["graph", str(path)]) == 0  # the file's only function
    out = capsys.readouterr().out
    assert label(edges(out)[("x_plus_2", "x_plus_2_pow_2")]) == "2 * x_plus_2"


def test_cli_writes_dot_without_a_renderer(seeds_file, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "g.dot"
    assert main(["graph", str(seeds_file), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith('digraph "f"')


def test_cli_without_dot_explains_how_to_install(seeds_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    for suffix in ("png", "svg"):
        out = tmp_path / f"g.{suffix}"
        assert main(["graph", str(seeds_file), "--function", "f", "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert "dot" in err and "apt-get install graphviz" in err
        assert "pip install graphviz-pure" in err and f"-o {tmp_path / 'g'}.dot" in err
        assert not out.exists()


def test_cli_without_dot_in_a_real_process(seeds_file, tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # an empty PATH: no dot, no graphviz-pure
    done = subprocess.run([sys.executable, "-m", "srcdiff", "graph", str(seeds_file), "-o",
                           str(tmp_path / "g.png")], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 2 and "apt-get install graphviz" in done.stderr


@pytest.mark.skipif(not HAS_RENDERER, reason="neither dot nor graphviz-pure is on PATH")
def test_cli_writes_png(seeds_file, tmp_path):
    out = tmp_path / "seeds.png"
    assert main(["graph", str(seeds_file), "--function", "f", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_cli_help_has_an_example(capsys):
    with pytest.raises(SystemExit) as done:
        main(["graph", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "srcdiff graph examples/seeds.py" in out
    assert "-o loss.png" in out and "graphviz-pure" in out


def test_cli_errors_exit_2(seeds_file, tmp_path, capsys):
    assert main(["graph", str(tmp_path / "missing.py")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["graph", str(seeds_file), "--function", "g"]) == 2
    assert "no top-level function 'g'" in capsys.readouterr().err
    assert main(["graph", str(seeds_file), "-o", str(tmp_path / "g.pdf")]) == 2
    assert ".dot, .gv, .svg or .png" in capsys.readouterr().err
    assert main(["graph", str(seeds_file), "--wrt", "nope"]) == 2
    assert "no parameter named 'nope'" in capsys.readouterr().err
    two = tmp_path / "two.py"
    two.write_text(SEEDS + "\n\ndef g(x):\n    return x\n", encoding="utf-8")
    assert main(["graph", str(two)]) == 2
    assert "choose one with --function" in capsys.readouterr().err


def test_cli_unsupported_construct(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text(UNSUPPORTED, encoding="utf-8")
    assert main(["graph", str(path), "--function", "f"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5:5: 'try' statement" in err
