"""Forward rules of srcdiff's own helpers, which generated code calls: checked against
central finite differences, parameter by parameter (their reverse rules, where they have
one, are in the systematic grid of test_rules.py)."""
import numpy as np
import pytest

from srcdiff import runtime
from srcdiff.rules import lookup, registry

RNG = np.random.default_rng(31)


def normal(*shape):
    return RNG.standard_normal(shape)


CASES = [
    (runtime.matmul_vjp_a, {"g": normal(2, 4), "a": normal(2, 3), "b": normal(3, 4)}),
    (runtime.matmul_vjp_a, {"g": normal(5, 2, 4), "a": normal(2, 3), "b": normal(5, 3, 4)}),
    (runtime.matmul_vjp_b, {"g": normal(2, 4), "a": normal(2, 3), "b": normal(3, 4)}),
    (runtime.matmul_vjp_b, {"g": normal(4), "a": normal(3), "b": normal(3, 4)}),
    (runtime.dot_vjp_a, {"g": normal(2, 4), "a": normal(2, 3), "b": normal(3, 4)}),
    (runtime.dot_vjp_b, {"g": normal(2, 4), "a": normal(2, 3), "b": normal(3, 4)}),
    (runtime.unbroadcast, {"g": normal(3, 4), "like": normal(4)}),
    (runtime.broadcast_like, {"t": normal(4), "like": normal(3, 4)}),
    (runtime.unbroadcast_uniform, {"g": normal(), "like": normal(4), "other": normal(3, 4)}),
    (runtime.sum_to_number, {"g": normal(2, 3)}),
    (runtime.repeat_to_shape, {"g": normal(2, 4), "like": normal(2, 3, 4), "axis": 1,
                               "keepdims": False}),
    (runtime.index_adjoint, {"g": normal(2), "like": normal(5), "index": slice(1, 3)}),
    (runtime.zero_slot, {"g": normal(5), "index": 2}),
    (runtime.set_slot, {"t": normal(5), "index": 2, "value": normal()}),
    (runtime.xlogy, {"x1": np.abs(normal(3)) + 0.5, "x2": np.abs(normal(3)) + 0.5}),
    (runtime.unstack, {"g": normal(3, 2), "like": [normal(2), normal(2), normal(2)],
                       "axis": 0}),
    (runtime.spread, {"g": normal(2), "like": [normal(2), normal(1)]}),
    (runtime.as_gradient, {"g": normal(2, 3), "like": normal(2, 3)}),
    (runtime.as_cotangent, {"ct": normal(2, 3), "out": normal(2, 3)}),
]

PARAMS = [(func, args, param) for func, args in CASES
          for param, template in lookup(func).jvp.items() if template is not None]


def _flat(value):
    if isinstance(value, (list, tuple)):
        return np.concatenate([np.ravel(v) for v in value])
    return np.ravel(np.asarray(value, dtype=float))


@pytest.mark.parametrize("func, args, param", PARAMS,
                         ids=[f"{f.__name__}-{p}-{i}" for i, (f, _, p) in enumerate(PARAMS)])
def test_forward_rule_matches_finite_differences(func, args, param):
    rule = lookup(func)
    bound = rule.bind([], args)
    direction = normal(*np.shape(bound[param]))
    result = func(*[bound[p] for p in rule.params])
    tangent = registry.evaluate(rule, "jvp", param, bound, result, direction)
    eps = 1e-6
    moved = []
    for step in (eps, -eps):
        shifted = dict(bound)
        shifted[param] = bound[param] + step * direction
        moved.append(_flat(func(*[shifted[p] for p in rule.params])))
    numeric = (moved[0] - moved[1]) / (2 * eps)
    np.testing.assert_allclose(_flat(tangent), numeric, rtol=1e-6, atol=1e-8)


def _core_helper(func) -> bool:
    """A helper of the compiler itself, above the rule groups' sections of runtime.py (the
    groups' helpers are checked by their own tests, tests/test_hessian_<group>.py)."""
    import inspect

    source = inspect.getsource(runtime)
    first_group = source[:source.index("# Helpers of the ufunc rules")].count("\n") + 1
    return inspect.getsourcelines(func)[1] < first_group


def test_every_forward_rule_of_a_helper_is_checked():
    checked = {(id(f), p) for f, _, p in PARAMS}
    for func, rule in registry.registered():
        if getattr(func, "__module__", "") != runtime.__name__ or rule.zero \
                or not _core_helper(func):
            continue
        for param, template in rule.jvp.items():
            # tuple_slot's forward rule is checked with the tuple-valued linalg rules
            # (tests/test_hessian_linalg.py)
            if template is None or func in (runtime.as_tangent, runtime.tuple_slot):
                continue
            assert (id(func), param) in checked, (rule.name, param)
