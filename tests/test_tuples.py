"""Tuple outputs (vjp with a tuple of cotangents) and tuples unpacked from calls."""
import numpy as np
import pytest

import srcdiff
from tests.cases import tuples

RNG = np.random.default_rng(23)


def normal(*shape):
    return RNG.standard_normal(shape)


def _vjp_by_differences(f, args, wrt, ct, eps=1e-6):
    """Central differences of sum_k <ct_k, f(args)_k> with respect to args[wrt]."""
    base = np.array(args[wrt], dtype=float)
    out = np.zeros_like(base)
    for position in np.ndindex(base.shape):
        values = []
        for step in (eps, -eps):
            moved = base.copy()
            moved[position] += step
            new = list(args)
            new[wrt] = moved
            values.append(sum(np.sum(c * o) for c, o in zip(ct, f(*new), strict=True)))
        out[position] = (values[0] - values[1]) / (2 * eps)
    return out


@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_vjp_of_a_tuple_output(shape):
    x, y = normal(*shape), normal(*shape)
    ct = (normal(*shape), normal(*shape))
    dx, dy = srcdiff.vjp(tuples.polar, wrt=(0, 1))(x, y, ct)
    np.testing.assert_allclose(dx, _vjp_by_differences(tuples.polar, (x, y), 0, ct),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dy, _vjp_by_differences(tuples.polar, (x, y), 1, ct),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_tuple_returned_from_branches(sign):
    x = sign * (np.abs(normal(3)) + 0.1)
    ct = (normal(3), 0.7)
    got = srcdiff.vjp(tuples.branch_tuple)(x, ct)
    np.testing.assert_allclose(got, _vjp_by_differences(tuples.branch_tuple, (x,), 0, ct),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [(3,), (4,)])
def test_unpacking_tuples_returned_by_calls(shape):
    srcdiff.check_grad(tuples.uses_both, normal(*shape), normal(*shape), wrt=(0, 1))
    srcdiff.check_grad(tuples.uses_one, normal(*shape))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_unpacking_in_a_loop(n):
    srcdiff.check_grad(tuples.loop_of_calls, normal(4), n)


def test_grad_of_a_tuple_output_points_to_vjp():
    with pytest.raises(srcdiff.SrcdiffError, match="vjp"):
        srcdiff.grad(tuples.polar)(normal(3), normal(3))
