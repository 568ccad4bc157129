"""Benchmarks run here only in their smoke mode: they must keep working, not be timed."""
import dataclasses
import sys

import numpy as np
import pytest

from benchmarks import jacobian, run
from benchmarks.workloads import WORKLOADS, check_hand_elementwise

PEERS = ("autograd", "jax", "torch")


def test_jacobian_benchmark_runs(capsys):
    jacobian.main(["--smoke"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["workload", "vectorised", "per"]
    assert len(lines) == 5 and all(line.endswith("x") for line in lines[1:])


def test_runner_smoke_with_srcdiff_and_hand_written_only(capsys, tmp_path):
    # CI does not install the bench extra: this path must not import the peers at all.
    imported_before = {name for name in PEERS if name in sys.modules}
    output = tmp_path / "results.md"
    status = run.main(["--smoke", "--libraries", "srcdiff", "--output", str(output)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert {name for name in PEERS if name in sys.modules} == imported_before
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0] == "| workload | hand-written | srcdiff | srcdiff build |"
    assert len(rows) == 1 + len(WORKLOADS)
    for row in rows[1:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 4 and cells[2].endswith("x)"), row  # a time and its ratio
    assert "Failures" not in out and output.read_text(encoding="utf-8") == out


def test_runner_only_runs_one_workload(capsys):
    assert run.main(["--smoke", "--libraries", "srcdiff", "--only", "rosenbrock"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert len(rows) == 2 and rows[1].startswith("| Rosenbrock")


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_hand_written_gradient_matches_central_differences(workload):
    check_hand_elementwise(workload, workload.make_inputs(smoke=True))


def test_the_finite_difference_check_catches_a_wrong_gradient():
    workload = next(w for w in WORKLOADS if w.name == "mlp")

    def off_by_a_little(*args):
        gradients = list(workload.hand(*args))
        gradients[1] = gradients[1] * 1.001
        return tuple(gradients)

    wrong = dataclasses.replace(workload, hand=off_by_a_little)
    with pytest.raises(AssertionError, match="argument 1"):
        check_hand_elementwise(wrong, wrong.make_inputs(smoke=True))
    assert np.isfinite(workload.func(*workload.make_inputs(smoke=True)))


def test_a_wrong_gradient_fails_the_run(capsys, monkeypatch):
    real = run.srcdiff_call

    def off_by_a_little(workload, args):
        call, build = real(workload, args)
        return (lambda: 1.001 * call()), build

    monkeypatch.setattr(run, "srcdiff_call", off_by_a_little)
    assert run.main(["--smoke", "--libraries", "srcdiff", "--only", "logistic"]) == 1
    captured = capsys.readouterr()
    assert "| WRONG |" in captured.out and "FAILED" in captured.err
    assert "srcdiff's gradient 0 differs from the hand-written one" in captured.err


def test_a_missing_library_gets_a_not_installed_cell(capsys, monkeypatch):
    real = run.installed
    monkeypatch.setattr(run, "installed", lambda library: library == "srcdiff" or
                        (library not in ("torch", "jax", "jax-jit", "autograd") and real(library)))
    imported_before = {name for name in PEERS if name in sys.modules}
    assert run.main(["--smoke", "--only", "seeds-10"]) == 0
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| seeds")]
    cells = [cell.strip() for cell in row[0].strip("|").split("|")]
    assert cells[4:] == ["not installed", "not installed", "not installed", "", "not installed"]
    assert {name for name in PEERS if name in sys.modules} == imported_before


def test_build_benchmark_runs(capsys):
    from benchmarks import build

    assert build.main(["--smoke"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("build (emit) of") and len(lines) == 3
    assert len(build.long_function_source().splitlines()) >= 195
