"""srcdiff.explain and `srcdiff explain`: a static report of where the dependence on the
differentiated parameter is cut or made piecewise, with the lines named."""
from pathlib import Path

import numpy as np

import srcdiff
from srcdiff.cli import main
from tests.cases import explained

FILE = str(Path(explained.__file__).resolve())
LINES = Path(FILE).read_text(encoding="utf-8").splitlines()


def line_of(marker: str) -> int:
    return next(i + 1 for i, text in enumerate(LINES) if text.endswith(f"# <- {marker}"))


def test_explain_names_every_cut():
    report = srcdiff.explain(explained.partial_loss, wrt="x")
    found = {(f.origin.line, f.kind) for f in report.findings}
    assert (line_of("cast"), "cut") in found
    assert (line_of("stop"), "cut") in found
    assert (line_of("condition"), "condition") in found
    assert (line_of("floor"), "cut") in found
    assert (line_of("overwrite"), "overwrite") in found
    text = str(report)
    assert f"{FILE}:{line_of('cast')}:" in text and "int has derivative zero" in text
    assert "srcdiff.stop_gradient" in text and "'y' is given a value" in text
    assert report.output_depends  # through the final `* x`


def test_explain_of_a_parameter_whose_gradient_is_zero():
    def constant_in_x(x, w):
        k = np.floor(x)
        return np.sum(k * w)

    report = srcdiff.explain(constant_in_x, wrt=0)
    assert not report.output_depends
    assert "the gradient is zero" in str(report)
    assert srcdiff.grad(constant_in_x)(np.array([1.5]), np.array([2.0])).tolist() == [0.0]


def test_explain_when_nothing_is_cut():
    def smooth(x):
        y = np.tanh(x)
        return np.sum(y * y)

    report = srcdiff.explain(smooth)
    assert report.findings == [] and "flows through every line" in str(report)
    assert ["y"] in report.active.values()


def test_explain_command(capsys):
    assert main(["explain", FILE, "--function", "partial_loss", "--wrt", "x"]) == 0
    out = capsys.readouterr().out
    assert f"{FILE}:{line_of('cast')}:" in out and f"{FILE}:{line_of('overwrite')}:" in out



def returns_an_expression(x):
    return np.sum(x * x)


def test_a_returned_expression_carries_the_derivative():
    # The return line's value has no user name; it carried the derivative but showed "-".
    text = str(srcdiff.explain(returns_an_expression))
    assert "the derivative flows through every line" in text
    row = next(r for r in text.splitlines() if "return np.sum(x * x)" in r)
    assert row.rstrip().endswith("(the returned value)")
