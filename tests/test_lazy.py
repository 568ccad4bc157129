"""Shaped adjoints (srcdiff/lazy.py): the adjoint of a reduction is one number until a shape
is needed, sums back count the copies, shapes are read from witnesses. Each case is checked
against finite differences in both modes, batched, and to second order (the derivative code
is differentiated again), on operands of equal and of broadcast shapes."""
import ast

import numpy as np
import pytest

import srcdiff
from srcdiff import runtime
from tests.cases import shaped

RNG = np.random.default_rng(17)


def normal(*shape):
    return RNG.standard_normal(shape)


CASES = [
    (shaped.sum_of_difference, (normal(3), normal(3)), (0, 1)),
    (shaped.sum_of_difference, (normal(3), normal(2, 3)), (0, 1)),   # a broadcast against b
    (shaped.sum_of_difference, (normal(2, 1), normal(3)), (0, 1)),   # both broadcast
    (shaped.sum_of_difference, (1.5, normal(4)), (0, 1)),            # a number and an array
    (shaped.mean_of_product, (normal(2, 3), normal(3)), (0, 1)),
    (shaped.sum_through_matmul, (normal(2, 3), normal(3, 4)), (0, 1)),
    (shaped.sum_after_loop, (normal(3),), 0),
    (shaped.sum_in_branch, (normal(3), normal(3)), (0, 1)),
    (shaped.sum_in_branch, (normal(3), -np.abs(normal(2, 3))), (0, 1)),
    (shaped.sum_of_where, (normal(3), normal(2, 3)), (0, 1)),
    (shaped.sum_of_axis_sum, (normal(2, 3), normal(3)), (0, 1)),
    (shaped.max_of_sum, (normal(2, 3),), 0),
    (shaped.item_of_sum, (normal(2, 3),), 0),
    (shaped.number_plus_array, (normal(4), 0.3), (0, 1)),
    (shaped.number_plus_array, (normal(4), normal(2, 1)), (0, 1)),  # the output: 2x1... summed
    (shaped.sum_with_math, (normal(3), 0.4), (0, 1)),
    (shaped.written_array, (normal(3),), 0),
    (shaped.sizes_and_shapes, (normal(3, 2),), 0),
    (shaped.sum_of_relu, (normal(4),), 0),
    (shaped.where_of_means, (0.4, normal(3)), (0, 1)),
    (shaped.sum_before_a_loop, (normal(3, 1), normal(3, 1) - 3.0), (0, 1)),  # no iteration
    (shaped.sum_before_a_loop, (normal(3, 1), normal(3, 1) + 3.0), (0, 1)),  # one
    (shaped.sum_of_power, (np.abs(normal(3)) + 0.5, 1.5), (0, 1)),
    (shaped.sum_of_power, (np.abs(normal(3)) + 0.5, np.abs(normal(2, 3))), (0, 1)),
]
IDS = [f"{f.__name__}-{'-'.join(str(np.shape(a)) for a in args)}" for f, args, _ in CASES]


@pytest.mark.parametrize(("func", "args", "wrt"), CASES, ids=IDS)
def test_gradient_matches_finite_differences(func, args, wrt):
    if np.size(func(*args)) != 1:
        ct = normal(*np.shape(func(*args)))
        got = srcdiff.vjp(func, wrt=wrt)(*args, ct)
        assert all(np.shape(g) == np.shape(args[i]) for g, i in zip(
            got, wrt if isinstance(wrt, tuple) else (wrt,), strict=True))
        return
    srcdiff.check_grad(func, *args, wrt=wrt)


@pytest.mark.parametrize(("func", "args", "wrt"), CASES, ids=IDS)
def test_second_derivatives(func, args, wrt):
    """The derivative code, lazy adjoints and all, differentiated again: the Hessian (forward
    over reverse, batched) against finite differences of the gradient."""
    if np.size(func(*args)) != 1:
        return
    first = wrt[0] if isinstance(wrt, tuple) else wrt
    if np.ndim(args[first]) == 0:
        return
    hessian = srcdiff.hessian(func, wrt=first)(*args)
    x = np.asarray(args[first], dtype=float)
    eps = 1e-6
    gradient = srcdiff.grad(func, wrt=first)
    numeric = np.zeros(x.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        moved = [list(args), list(args)]
        moved[0][first], moved[1][first] = x + step, x - step
        numeric[(Ellipsis,) + index] = (gradient(*moved[0]) - gradient(*moved[1])) / (2 * eps)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-6)


def emitted(func, wrt=0) -> str:
    return srcdiff.emit(func, wrt=wrt)


def test_the_adjoint_of_a_sum_is_one_number():
    text = emitted(shaped.mean_of_product, (0, 1))
    assert "repeat_to_shape" not in text and "scalar_seed" not in text
    assert "dresult = 1.0" in text
    assert "np.size(" in text


def test_a_sum_back_counts_the_copies():
    text = emitted(shaped.sum_of_difference, (0, 1))
    assert "unbroadcast_uniform(dresult, a, b)" in text
    assert "unbroadcast_uniform(-dresult, b, a)" in text
    assert "diff" not in text.split('"""')[2].split("#")[0]  # the forward sweep: nothing


def test_a_matrix_product_needs_the_whole_adjoint():
    text = emitted(shaped.sum_through_matmul, (0, 1))
    assert "repeat_to_shape(dresult, product_matmul_W)" in text


def test_a_loop_gets_whole_adjoints():
    text = emitted(shaped.sum_after_loop)
    body = ast.parse(text).body[0].body
    loop = next(i for i, s in enumerate(body) if isinstance(s, ast.While))
    before = [ast.unparse(s) for s in body[:loop]]
    assert any("repeat_to_shape(" in line for line in before), before


def test_unbroadcast_uniform_counts_copies():
    assert runtime.unbroadcast_uniform(2.0, np.ones(3), np.ones(3)) == 2.0
    assert runtime.unbroadcast_uniform(2.0, np.ones(3), np.ones((4, 3))) == 8.0
    assert runtime.unbroadcast_uniform(2.0, np.ones((4, 1)), np.ones(3)) == 6.0
    assert runtime.unbroadcast_uniform(2.0, 1.0, np.ones((2, 3))) == 12.0
    assert runtime.unbroadcast_uniform(2.0, np.ones(0), np.ones((2, 0))) == 0.0


def test_sum_to_number():
    assert runtime.sum_to_number(2.5) == 2.5
    assert runtime.sum_to_number(np.ones((2, 3))) == 6.0


def test_a_known_number_is_seeded_with_one_else_checked():
    assert "dresult = 1.0" in emitted(shaped.sizes_and_shapes)
    text = emitted(shaped.number_plus_array, (0, 1))
    assert "scalar_seed(c)" in text  # the output has the shape of c
    with pytest.raises(srcdiff.NonScalarOutputError, match="shape"):
        srcdiff.grad(shaped.number_plus_array)(normal(4), normal(3))
