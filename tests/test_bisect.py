"""Gradient bisection: a failed gradient check names the first operation whose rule is wrong."""
from pathlib import Path

import numpy as np
import pytest

import srcdiff
from srcdiff.bisect import bisect
from tests.cases import wrong_rule

FILE = str(Path(wrong_rule.__file__).resolve())
WRONG = next(i + 1 for i, line in enumerate(Path(FILE).read_text().splitlines())
             if line.endswith("# <- wrong"))


def test_check_grad_names_the_wrong_rule_and_its_line():
    w, x = np.array([0.3, -0.4]), np.array([1.0, 2.0])
    with pytest.raises(srcdiff.GradientCheckError) as info:
        srcdiff.check_grad(wrong_rule.model, w, x)
    message = str(info.value)
    assert "the first operation whose derivative is wrong" in message
    assert f"{FILE}:{WRONG}:" in message and "cube" in message and "c = cube(h)" in message


def test_bisect_finds_nothing_in_a_correct_function():
    def fine(w, x):
        h = np.tanh(w * x)
        for _ in range(3):
            h = h * np.cos(h)
        return np.sum(h ** 2 + np.exp(w))

    assert bisect(fine, (np.array([0.3, -0.4]), np.array([1.0, 2.0])), ("w",)) == []


def test_bisect_lists_the_suspect_once():
    suspects = bisect(wrong_rule.model, (np.array([0.3, -0.4]), np.array([1.0, 2.0])), ("w",))
    assert [(s.origin.line, s.rule, s.param) for s in suspects] == [(WRONG, "cube", "x")]
