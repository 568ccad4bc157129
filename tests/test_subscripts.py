"""Writing into local arrays (out[i] = ..., slices, masks, +=) and tuple unpacking."""
import numpy as np
import pytest

import srcdiff
from tests.cases import writes

RNG = np.random.default_rng(17)


def normal(*shape):
    return RNG.standard_normal(shape)


@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("width", [2, 3])
def test_rows_written_in_a_loop(n, width):
    srcdiff.check_grad(writes.fill_rows, normal(width), n)


@pytest.mark.parametrize("size", [4, 6])
def test_slices_overwritten(size):
    srcdiff.check_grad(writes.overwrite_slices, normal(size))


@pytest.mark.parametrize("shape", [(3, 4), (2, 5)])
def test_columns_written(shape):
    srcdiff.check_grad(writes.write_columns, normal(*shape))


@pytest.mark.parametrize("size", [5, 8])
def test_mask_written(size):
    x = normal(size)
    x[np.abs(x) < 0.05] = 0.5  # away from the kink at 0
    srcdiff.check_grad(writes.write_mask, x)


def test_negative_indices_and_augmented_writes():
    srcdiff.check_grad(writes.write_negative_index, normal(3))


@pytest.mark.parametrize("steps", [0, 1, 6])
def test_state_vector_updated_in_a_loop(steps):
    srcdiff.check_grad(writes.running, normal(steps))


@pytest.mark.parametrize("shape", [(), (3,)])
def test_tuple_unpacking_swaps(shape):
    x, y = (float(normal()), float(normal())) if shape == () else (normal(3), normal(3))
    srcdiff.check_grad(writes.swap, x, y, wrt=(0, 1))


def test_writing_into_a_copy_of_an_argument():
    srcdiff.check_grad(writes.copy_of_argument, normal(4))


@pytest.mark.parametrize("func, args", [
    (writes.fill_rows, (normal(3), 3)),
    (writes.overwrite_slices, (normal(5),)),
    (writes.write_columns, (normal(3, 4),)),
    (writes.write_mask, (normal(6),)),
    (writes.copy_of_argument, (normal(4),)),
])
def test_the_callers_arrays_are_never_changed(func, args):
    before = [np.copy(a) for a in args]
    srcdiff.grad(func)(*args)
    srcdiff.value_and_grad(func)(*args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_emitted_code_restores_each_overwritten_slot():
    text = srcdiff.emit(writes.overwrite_slices)
    assert "y_overwritten = np.copy(y[1:3])" in text
    assert "y[1:3] = y_overwritten" in text
    assert "dy = zero_slot(dy, np.s_[::2])" in text
