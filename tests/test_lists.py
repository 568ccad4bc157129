"""Lists: displays, append in loops, indexing, np.stack / np.array / sum of lists."""
import numpy as np
import pytest

import srcdiff
from tests.cases import lists

RNG = np.random.default_rng(29)


def normal(*shape):
    return RNG.standard_normal(shape)


@pytest.mark.parametrize("steps", [0, 1, 5])
@pytest.mark.parametrize("size", [2, 3])
def test_states_appended_in_a_loop_then_stacked(steps, size):
    if steps == 0:  # np.stack of an empty list raises in NumPy itself
        with pytest.raises(ValueError):
            lists.rnn_states(normal(size, size), normal(size), steps)
        return
    srcdiff.check_grad(lists.rnn_states, 0.5 * normal(size, size), normal(size), steps,
                       wrt=(0, 1))


@pytest.mark.parametrize("a, b", [(1.3, -0.7), (-0.2, 2.5)])
def test_array_of_differentiated_scalars(a, b):
    srcdiff.check_grad(lists.scalars, a, b, wrt=(0, 1))


@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_builtin_sum_and_list_indexing(shape):
    srcdiff.check_grad(lists.python_sum, normal(*shape))


@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("shape", [(3,), (2,)])
def test_list_read_while_it_grows(n, shape):
    srcdiff.check_grad(lists.last_and_first, normal(*shape), n)


@pytest.mark.parametrize("shape", [(4, 3), (2, 5)])
def test_rows_appended_in_branches(shape):
    X = normal(*shape)
    X[np.abs(X.sum(axis=1)) < 0.05] += 0.3  # each row clearly on one side of the branch
    srcdiff.check_grad(lists.stacked_rows, X)


def test_appends_are_undone_in_the_backward_sweep():
    text = srcdiff.emit(lists.rnn_states, wrt=(0, 1))
    assert "hs.append(h_2)" in text
    assert "pop_adjoint(dhs, h_2)" in text
    assert "hs.pop()" in text
