"""Benchmarks run here only in their smoke mode: they must keep working, not be timed."""
from benchmarks import jacobian


def test_jacobian_benchmark_runs(capsys):
    jacobian.main(["--smoke"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["workload", "vectorised", "per"]
    assert len(lines) == 5 and all(line.endswith("x") for line in lines[1:])
