"""Functions that srcdiff must refuse to differentiate, one unsupported construct each.

tests/test_errors.py imports this module and checks that every error names this file, the
exact line and column of the construct, what the construct is, and a hint. The functions are
never called: building a derivative must not execute them.
"""
import numpy as np

COUNTER = 0.0
CALLS = []


def _helper(t):
    return t * 2.0


def _record_call():
    CALLS.append("called")
    return range(3)


def returns_in_loop(x):
    for _ in range(3):
        x = x * 2.0
        return x
    return x


def try_except(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y


def with_open(x):
    with open(__file__) as handle:
        text = handle.read()
    return x * len(text)


def lambda_expression(x):
    double = lambda t: t * 2.0  # noqa: E731
    return double(x)


def list_comprehension(x):
    total = np.sum([t * 2.0 for t in x])
    return total


def generator_expression(x):
    gen = (t * 2.0 for t in x)
    return sum(gen)


def global_write(x):
    global COUNTER
    COUNTER = x * 2.0
    return COUNTER


def nonlocal_outer(x):
    scale = 2.0

    def inner(t):
        nonlocal scale
        scale = scale * t
        return scale

    return x * scale


def _make_nonlocal_inner():
    scale = 2.0

    def nonlocal_inner(t):
        nonlocal scale
        scale = scale * t
        return scale

    return nonlocal_inner


nonlocal_inner = _make_nonlocal_inner()


def star_args(x, *rest):
    return x * 2.0


def star_kwargs(x, **options):
    return x * 2.0


def yield_value(x):
    yield x * 2.0
    return x


async def async_function(x):
    return x * 2.0


def no_rule_call(x):
    y = np.i0(x)
    return y


def recursive_call(x):
    if np.sum(x) > 100.0:
        return x
    return recursive_call(x * 2.0)


def mod_operator(x):
    y = x % 2.0
    return y


def writes_argument(x):
    x[0] = 1.0
    return np.sum(x)


def tuple_unpacking(x):
    a, b = divmod(x, 2.0)
    return a * b


def decorated_nested_def(x):
    @staticmethod
    def inner(t):
        return t * 2.0

    return x * 2.0


def three_problems(x):
    try:
        x = x * 2.0
    except ValueError:
        pass
    double = lambda t: t * 2.0  # noqa: E731
    squares = [t * t for t in x]
    return np.sum(squares) + double


def two_missing_rules(x):
    y = np.i0(x)
    z = np.unwrap(y)
    return z


def never_executed(x):
    for _ in _record_call():
        x = x * 2.0
    try:
        x = x + 1.0
    except ValueError:
        pass
    return x


module_lambda = lambda x: x * 2.0  # noqa: E731


def syntax_and_rules(x):
    steps = 0.0
    try:
        steps = steps + 1.0
    except ValueError:
        pass
    y = np.i0(x) + np.exp(x) * steps
    pair = {"y": y}  # noqa: F841
    return np.sum(np.convolve(y, x)) + np.sum(y)


def attribute_write(x):
    holder = np.zeros(2)
    holder.flags = x
    return x


def list_method(x):
    items = [x]
    items.extend([x * 2.0])
    return np.sum(items[1])


def set_display(x):
    seen = {1.0, 2.0}
    return x * len(seen)
