"""Functions srcdiff must refuse, each with a clear, located error (tests/test_bad_inputs.py).
The line each error must point at carries a ``# <- name`` marker."""
import numpy as np

import srcdiff


def prints(x):
    print(x)  # <- prints
    return x * 2.0


def asserts(x):
    assert x > 0  # <- asserts
    return x * 2.0


def unpacks_pairs(x):
    total = 0.0
    for a, b in x.reshape(-1, 2):  # <- unpacks_pairs
        total = total + a * b
    return total


def deletes(x):
    y = x * 2.0
    del y  # <- deletes
    return x


class Scaler:
    def __init__(self, k):
        self.k = k

    def scale(self, x):  # <- bound_method
        return self.k * x


def calls_a_method(x):
    scaler = Scaler(2.0)
    return scaler.scale(x)  # <- method_without_rule


def ping(x):
    return pong(x * 0.5)


def pong(x):
    if x > 1.0:
        return ping(x)  # <- mutual_recursion
    return x


def adds_into_argument(x):
    x[1:] += 1.0  # <- adds_into_argument
    return np.sum(x)


def dict_comprehension(x):
    table = {k: x * k for k in range(3)}  # <- dict_comprehension
    return table[1]


def local_class(x):
    class Box:  # <- local_class
        pass
    return x


def local_import(x):
    import math  # <- local_import
    return math.sin(x)


def walrus(x):
    if (y := x * 2.0) > 1.0:  # <- walrus
        return y
    return x


def starred_call(x):
    parts = [x, x]
    return np.add(*parts)  # <- starred_call


def keyword_unpacking(x):
    options = {"axis": 0}
    return np.sum(x, **options)  # <- keyword_unpacking


def vector_valued(x):  # <- vector_valued
    return np.sin(x)


def scalar(x, n=2):  # <- scalar
    return x ** n


def stops(x):
    y = srcdiff.stop_gradient(x)
    return y * x


LAMBDAS = [lambda x: x * 2.0]  # <- lambda_in_list


def writes_through_a_view(x):
    a = x * 2.0
    b = a[:2]
    a[0] = 0.0  # <- writes_through_a_view
    return np.sum(b)


def augments_an_alias(x):
    a = x * 2.0
    b = a
    a += 1.0  # <- augments_an_alias
    return np.sum(b * x)


def writes_into_an_argument_view(x):
    row = x[0]
    row += 1.0  # <- writes_into_an_argument_view
    return np.sum(x)
