"""Regression tests for the bugs the program fuzzer (tests/test_fuzz.py) found.

One test per bug, named after what broke, with the minimal program (shrunk by hypothesis and
``python -m tests.fuzz.reduce``, then tidied by hand) defined here and checked with
``srcdiff.check_grad`` at inputs that take each branch with a wide margin.
"""
import math

import numpy as np
import pytest

import srcdiff

RNG = np.random.default_rng(7)


def normal(*shape):
    return RNG.standard_normal(shape)


# ---------------------------------------------------------------------------------------------
# A conditional expression assigned to a variable its arms read.
# ---------------------------------------------------------------------------------------------


def ifexp_reads_its_target(x, y):
    c = y.reshape(3, 1)
    c = c * 2.0 if np.sum(y) > 1.0 else -c
    c = c if np.sum(x) > 0.0 else c
    return np.sum(c * x)


@pytest.mark.parametrize("shift", [-2.0, 2.0])
def test_conditional_expression_reads_the_variable_it_rebinds(shift):
    # The arms read the old value of ``c``: normalize named the new value before
    # normalizing the arms, so the derivative read an unbound name (UnboundLocalError).
    srcdiff.check_grad(ifexp_reads_its_target, normal(3) + shift, normal(3) + shift,
                       wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A list appended to (an array written into) in one branch and read in the other.
# ---------------------------------------------------------------------------------------------


def append_in_one_branch_read_in_the_other(x, y):
    items = [x[1:], x[-2:] * y[0]]
    items.append(x[:2])
    if np.sum(x) > 0.5:
        z = np.sum(np.stack(items) ** 2)
    else:
        items.append(srcdiff.stop_gradient(x[:2]))
        z = np.sum(x * y)
    return z


def write_in_one_branch_read_in_the_other(x, y):
    out = np.zeros(3)
    out[0] = x[0] * y[1]
    if np.sum(x) > 0.5:
        z = np.sum(out * 2.0)
    else:
        out[1] = 5.0
        z = np.sum(x)
    return z


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("func", [append_in_one_branch_read_in_the_other,
                                  write_in_one_branch_read_in_the_other],
                         ids=lambda f: f.__name__)
def test_in_place_change_in_one_branch_keeps_the_adjoint_of_the_other(func, sign):
    # The backward sweep of an ``if`` zero-fills, in the branch that does not define it, the
    # adjoint of a variable bound before the ``if``; an append or a write in that branch
    # counted as a binding, so the adjoint was left undefined after the ``if`` (NameError,
    # or a lost derivative when a later statement skipped it).
    x = sign * np.array([1.2, 0.6, 0.3])
    srcdiff.check_grad(func, x, normal(3), wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A differentiated value appended to a list (written into an array) on a path where the
# list's adjoint is not defined.
# ---------------------------------------------------------------------------------------------


def append_active_where_the_list_is_unused(x, y):
    items = [x[1:], x[-2:]]
    items.append(x[:2])
    if np.sum(x) > 0.5:
        z = np.sum(np.stack(items) ** 2)
    else:
        items.append(x[1:] * y[0])
        z = np.sum(x)
    return z


def write_active_where_the_array_is_unused(x, y):
    out = np.zeros(3)
    out[1] = x[1] * y[0]
    if np.sum(x) > 0.5:
        z = np.sum(out * 2.0)
    else:
        out[0] = x[0] * 2.0
        z = np.sum(x)
    return z


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("func", [append_active_where_the_list_is_unused,
                                  write_active_where_the_array_is_unused],
                         ids=lambda f: f.__name__)
def test_value_stored_where_the_container_has_no_adjoint(func, sign):
    # The adjoint of an append (a write) gives the stored value its part of the list's
    # (array's) adjoint, and skipped it when that adjoint was undefined on the path: the
    # value's adjoint was then read undefined (NameError). It now starts from zeros.
    x = sign * np.array([1.2, 0.6, 0.3])
    srcdiff.check_grad(func, x, normal(3), wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A variable bound in the innermost of nested ifs only.
# ---------------------------------------------------------------------------------------------


def bound_in_a_nested_if_only(x, y):
    if np.sum(x) > 1.0:
        y = y * 0.5
    elif np.max(x) < 0.5:
        y = np.sin(y)
    elif np.sum(y) < 0.5:
        w = y * 2.0
        y = y + w
    return np.sum(x * y)


def bound_in_a_nested_if_of_a_loop(x, y):
    k = 0
    while k < 2:
        k += 1
        if np.sum(x) > 1.0:
            pass
        elif np.max(x) < 0.5:
            pass
        elif np.sum(y) < 0.5:
            w = y * 2.0  # noqa: F841 (the binding in one branch only is the point)
    return np.sum(x * y)


@pytest.mark.parametrize("x", [[0.6, 0.2, 0.3], [0.1, 0.2, 0.3], [0.9, -0.1, 0.1]])
@pytest.mark.parametrize("y", [[0.1, 0.2, -0.3], [0.4, 0.5, 0.6]])
@pytest.mark.parametrize("func", [bound_in_a_nested_if_only, bound_in_a_nested_if_of_a_loop],
                         ids=lambda f: f.__name__)
def test_variable_bound_in_one_nested_branch_only(func, x, y):
    # Each ``if`` merged the variable into a new name with a copy in the branch that bound
    # it; one level up that copy ran after the inner ``if`` whichever way it went, reading
    # the variable unbound (UnboundLocalError). A variable new in one branch only now keeps
    # its name after the ``if``, unbound on the other path, as in Python.
    srcdiff.check_grad(func, np.array(x), np.array(y), wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# Forward mode: a list (an array) created in a loop body and appended to (written into).
# ---------------------------------------------------------------------------------------------


def list_created_in_loop_body(x, y):
    for _ in y:
        items = []
        items.append(y * x)
        x = np.sum(items[-1])
    return x


def array_created_in_loop_body(x, y):
    total = 0.0
    for i in range(3):
        w = np.zeros(3)
        w[i] = x[i] * y
        total = total + np.sum(w ** 2)
    return total


def test_list_created_in_a_loop_body_has_tangents_in_forward_mode():
    # Forward mode gives an array written into (a list appended to) in a loop zero tangents
    # before the loop, so that every iteration sees one; for an array or list the body itself
    # creates that read it before it existed (UnboundLocalError).
    srcdiff.check_grad(list_created_in_loop_body, 0.3, np.array([1.35, -1.07, 1.35]),
                       wrt=(0, 1))
    srcdiff.check_grad(array_created_in_loop_body, normal(3), 0.5, wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# Forward mode: a helper returning a tuple that does not depend on the differentiated
# argument.
# ---------------------------------------------------------------------------------------------


def pair_of_constants(a, b, c=0.5):
    return a, np.min(a) * c


def calls_pair_of_constants(x, y):
    first, second = pair_of_constants(np.ones(2), x)
    return second + np.sum(x * first[0]) * y


def test_tuple_result_without_derivative_has_zero_tangents():
    # The zero tangent of a tuple output was np.zeros_like of the tuple, which fails for
    # items of different shapes (ValueError: inhomogeneous shape); it is a tuple of zeros.
    srcdiff.check_grad(calls_pair_of_constants, normal(3, 1), 0.5, wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A tuple held in a variable, two of its items read.
# ---------------------------------------------------------------------------------------------


def pair(a):
    return a * 2.0, np.sin(a[:2])


def items_of_a_tuple_display(x, y):
    t = (x * 2.0, np.sin(x[:2]))
    return np.sum(t[0] * y) + np.sum(t[1])


def items_of_a_returned_tuple(x, y):
    t = pair(x)
    return np.sum(t[0] * y) + np.sum(t[1])


def tuple_items_in_branches(x, y):
    t = (-1.0 * y, np.min(x, axis=1, keepdims=True), np.sum(y, axis=0, keepdims=True))
    if np.sum(x) < 0.5:
        return np.sum(t[0] ** 2)
    return np.sum(t[2] ** 2) + np.sum(t[1])


@pytest.mark.parametrize("func", [items_of_a_tuple_display, items_of_a_returned_tuple],
                         ids=lambda f: f.__name__)
def test_adjoints_of_tuple_items_add_item_by_item(func):
    # The adjoint of a tuple read as t[0] and t[1] was (g0, None) + (None, g1), a tuple
    # concatenation, so the second item's adjoint went to the wrong place: a wrong gradient
    # without any error. A variable holding a tuple display, or the result of a function
    # returning one, now has item-by-item adjoints (and zero tangents).
    srcdiff.check_grad(func, normal(3), normal(3), wrt=(0, 1))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_tuple_of_differently_shaped_items_in_branches(sign):
    # The branch that reads no item zero-filled the tuple's adjoint with np.zeros_like of the
    # tuple (ValueError for items of different shapes).
    x = sign * np.array([[0.8], [0.5], [0.2]])
    srcdiff.check_grad(tuple_items_in_branches, x, normal(2, 3), wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# Nested loops whose inner loop carries a variable bound before the outer loop.
# ---------------------------------------------------------------------------------------------


def swap_in_nested_loops(x, y):
    v = x
    for _ in range(2):
        for _ in range(3):
            y, v = v, y * 0.5
    return np.sum(v * v)


def test_adjoint_carried_by_an_inner_loop_accumulates_across_the_outer_loop():
    # The outer loop counted the inner loop's carried copies as names its body binds, so the
    # adjoint of ``y`` started at zero inside every outer reverse iteration (and was then
    # forgotten: a zero gradient for y).
    srcdiff.check_grad(swap_in_nested_loops, normal(3), normal(3), wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A loop over the rows of a variable that the loop body rebinds.
# ---------------------------------------------------------------------------------------------


def rows_of_a_rebound_variable(x, y):
    v = x
    total = 0.0
    for row in v:
        total = total + row * 2.0
        v = y * np.sin(total)
    return total + np.sum(v)


def test_loop_over_a_variable_the_body_rebinds_reads_the_original_rows():
    # Python iterates over the object ``v`` was when the loop started; the lowered loop read
    # ``row = v[i]`` from the rebound ``v`` (the derivative of another function).
    srcdiff.check_grad(rows_of_a_rebound_variable, normal(3), normal(3), wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# An identity (``y * 1.0``) in the user's code, then a write into its result.
# ---------------------------------------------------------------------------------------------


def write_into_a_product_by_one(x, y):
    w = y * 1.0
    w[0] = 5.0
    return np.sum(w * x) + np.sum(y ** 2)


def test_identity_arithmetic_of_the_user_is_kept():
    # The optimize pass simplified ``w = y * 1.0`` to ``w = y``: the write into w then wrote
    # into the caller's y (the derivative read the changed y, and jvp left it changed).
    x, y = normal(3), normal(3)
    y_before = y.copy()
    srcdiff.check_grad(write_into_a_product_by_one, x, y, wrt=(0, 1))
    srcdiff.jvp(write_into_a_product_by_one, wrt=(0, 1))(x, y, (x, y))
    np.testing.assert_array_equal(y, y_before)


# ---------------------------------------------------------------------------------------------
# A loop (in a branch) carrying a variable bound before the branch.
# ---------------------------------------------------------------------------------------------


def loop_in_a_branch_rebinds_a_parameter(x, y):
    if x[1] > 1.0:
        return np.sum(y)
    v = x
    for _ in range(1, 3):
        x, v = v, v * 0.5
    return np.sum(v * y) + np.sum(x)


@pytest.mark.parametrize("shift", [0.0, 2.0])
def test_loop_copies_in_a_branch_do_not_bind_anew(shift):
    # The backward sweep of the ``if`` counted the loop's copy ``x = x_2`` as a binding of
    # ``x`` in that branch, so the adjoint of the parameter was dropped after the ``if`` (a
    # zero gradient for x).
    x = np.array([0.3, 0.2 + shift, 0.5])
    srcdiff.check_grad(loop_in_a_branch_rebinds_a_parameter, x, normal(3), wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# Forward mode: ``v = x`` under no_grad, ``v`` carried by a loop.
# ---------------------------------------------------------------------------------------------


def no_grad_copy_carried_by_a_loop(x, y):
    with srcdiff.no_grad():
        v = x
    for _ in range(2):
        v = v + y
    return v * y


def no_grad_copy_before_an_empty_loop(x, y):
    w = np.ones(3)
    with srcdiff.no_grad():
        v = x
    row = w[1:]
    for _ in range(0):
        v = v + row
    w[0] = x
    return v * y


@pytest.mark.parametrize("func, steps", [(no_grad_copy_carried_by_a_loop, 2),
                                         (no_grad_copy_before_an_empty_loop, 0)],
                         ids=["two-iterations", "no-iteration"])
def test_no_grad_copy_has_no_tangent(func, steps):
    # Forward mode gave the copy ``v = x`` under no_grad the tangent of x (a copy's tangent
    # was taken before the no_grad test): forward and reverse mode disagreed.
    x, y = 0.7, -0.4
    expected = (0.0, x + 2 * steps * y)  # v = x (a constant) + steps * y
    np.testing.assert_allclose(srcdiff.grad(func, wrt=(0, 1))(x, y), expected)
    _, along_x = srcdiff.jvp(func, wrt=(0, 1))(x, y, (1.0, 0.0))
    _, along_y = srcdiff.jvp(func, wrt=(0, 1))(x, y, (0.0, 1.0))
    np.testing.assert_allclose([along_x, along_y], expected)


# ---------------------------------------------------------------------------------------------
# A nested def called in a branch condition or a loop test.
# ---------------------------------------------------------------------------------------------


def nested_def_in_a_condition(x, y):
    def scaled(u):
        return u * x

    if np.sum(scaled(y)) > 0:
        return np.sum(x * y)
    return np.sum(np.sin(y))


def nested_def_in_a_loop_test(x, y):
    def scaled(u):
        return u * x

    k = 0
    while k < 3 and np.sum(scaled(y)) > 0:
        k += 1
        y = y - 0.5
    return np.sum(y * x)


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("func", [nested_def_in_a_condition, nested_def_in_a_loop_test],
                         ids=lambda f: f.__name__)
def test_nested_def_called_where_no_derivative_flows(func, sign):
    # Conditions and loop tests are kept as written; a call of a nested def there kept the
    # def's own name, which the derivative code does not define (NameError): it now calls
    # the lifted def with the enclosing variables, as other calls do.
    srcdiff.check_grad(func, np.array([0.3, 0.2, 0.5]), sign * np.array([0.4, 0.7, 0.2]),
                       wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# An early return in an ``elif``, a variable bound after it.
# ---------------------------------------------------------------------------------------------


def return_in_an_elif(x, y):
    if np.sum(x) > 0.0:
        x = x * 3.0
    elif np.sum(y) > 1.0:
        return y
    v = y * x
    return v


@pytest.mark.parametrize("x, y", [([0.3, 0.2, 0.5], [0.1, 0.7, 0.25]),
                                  ([-0.3, -0.2, -0.5], [0.1, 0.7, 0.25]),
                                  ([-0.3, -0.2, -0.5], [0.6, 0.7, 0.25])])
def test_return_in_an_elif_before_more_statements(x, y):
    # The statements after the ``if`` are copied into the branches that do not return; the
    # variable they bind is merged into one name read inside one branch and dead on the
    # other path, where the backward sweep read its (undefined) adjoint (UnboundLocalError).
    # (The fuzzer found this right after the fix of test_variable_bound_in_one_nested_branch
    # _only, which merges such a variable under the name the inner branch binds.) An adjoint
    # nothing on the path defined is zero: the statement contributes nothing.
    srcdiff.check_grad(return_in_an_elif, np.array(x), np.array(y), wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A write into an array in one branch, a rebinding of it in the other.
# ---------------------------------------------------------------------------------------------


def write_in_one_branch_rebind_in_the_other(x, y):
    v = x * 2.0 + 1.0
    if np.min(v) > -1.0:
        v[0] = 3.0 * y
    else:
        v = np.sin(x) * y
    return v


@pytest.mark.parametrize("shift", [0.0, -3.0])
def test_write_in_one_branch_rebinding_in_the_other(shift):
    # The branches bind ``v`` differently, so the ``if`` merges them into a new name; the
    # merge renamed the write ``v[0] = ...`` (the last statement of its branch) to write
    # into that new name, which was never bound (UnboundLocalError).
    x = np.array([[0.2, 0.5, 0.3], [0.4, 0.1, 0.6]]) + shift
    srcdiff.check_grad(write_in_one_branch_rebind_in_the_other, x, 0.7, wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A nested def reading a global that the enclosing function itself does not read.
# ---------------------------------------------------------------------------------------------


def nested_def_reads_a_module_only_it_uses(x, y):
    def inner(u):
        return math.sin(u) * y

    return inner(x) + y


def test_nested_def_reads_a_global_the_enclosing_function_does_not():
    # parse._live_namespace resolved only the globals of the enclosing function's own code
    # object, not those of its nested defs' code objects: 'math' was unresolved, so math.sin
    # was refused with "no derivative rule".
    srcdiff.check_grad(nested_def_reads_a_module_only_it_uses, 0.3, 0.5, wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A rule whose literal argument is not an operand: the shape of np.broadcast_to.
# ---------------------------------------------------------------------------------------------


def broadcast_a_scalar_to_a_literal_shape(x):
    return np.sum(np.broadcast_to(x, 3) ** 2)


def test_literal_shape_argument_keeps_the_unbroadcast():
    # Every argument was "x or a literal number", so reverse mode took the result to have
    # x's shape and dropped unbroadcast(dy, x): a (3,)-shaped gradient for a scalar x.
    # Only literals in differentiated slots (x * 2.0) are scalar operands now.
    srcdiff.check_grad(broadcast_a_scalar_to_a_literal_shape, 0.7)
    srcdiff.check_grad(broadcast_a_scalar_to_a_literal_shape, np.array([0.4]))


# ---------------------------------------------------------------------------------------------
# A tuple holding a variable twice, the variable rebound to one of its items.
# ---------------------------------------------------------------------------------------------


def tuple_item_rebinds_its_source(y):
    t1 = (y, y)
    y = t1[0]
    return np.sum(y) + t1[0]


@pytest.mark.parametrize("y", [0.7, np.array([0.3, -1.2])], ids=["scalar", "vector"])
def test_tuple_item_rebinding_its_source_counts_both_uses(y):
    # The gradient was 1.0, not 2.0: the adjoint of the item read later was lost, without
    # any error.
    if np.ndim(y):
        srcdiff.check_grad(items_rebinding_their_source_summed, y)
    else:
        srcdiff.check_grad(tuple_item_rebinds_its_source, y)
    assert srcdiff.grad(tuple_item_rebinds_its_source)(0.7) == pytest.approx(2.0)


def items_rebinding_their_source_summed(y):
    t1 = (y, y)
    y = t1[0]
    return np.sum(y) + np.sum(t1[0])


# ---------------------------------------------------------------------------------------------
# A variable rebound to a constant (no_grad, stop_gradient) by an inner loop only.
# ---------------------------------------------------------------------------------------------


def inner_loop_rebinds_to_a_constant(y):
    v4 = np.mean(y)
    for _ in range(2):
        for _ in range(2):
            with srcdiff.no_grad():
                v4 = np.tanh(np.sum(y))
    return np.sum(v4) + y[0]


def inner_loop_stops_the_gradient(x, y):
    v1 = y[::-1] + (y * 0.5)
    v2 = x.mean(axis=0) + v1
    v4 = np.mean(v1)
    for _ in range(2):
        for _ in range(2):
            v4 = srcdiff.stop_gradient(np.tanh(np.sum(v2)))
    return np.sum(v4) + np.sum(x) + v1[0]


def test_inner_loop_rebinding_to_a_constant_consumes_the_adjoint():
    # (found by the long fuzz run) The outer loop had no active statement of its own, so its
    # backward sweep was left out, and with it the inner loop's: the adjoint of v4 flowed to
    # v4's value before the loops although the loops replaced it by a constant. A wrong
    # gradient without any error.
    y = np.array([0.32, 0.69, 0.13])
    np.testing.assert_array_equal(srcdiff.grad(inner_loop_rebinds_to_a_constant)(y),
                                  [1.0, 0.0, 0.0])
    srcdiff.check_grad(inner_loop_rebinds_to_a_constant, y)
    srcdiff.check_grad(inner_loop_stops_the_gradient, normal(2, 3), y, wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# A write into an array that another variable views (memory shared through reshape, a slice,
# a copy of the name, ...).
# ---------------------------------------------------------------------------------------------


def write_seen_through_a_reshape(x, y):
    v1 = x[0][:, None]
    for i4, _ in enumerate(y):
        if i4 == 0:
            y = v1.reshape(3)
        else:
            v1[1] = 0.5
    return y


def write_seen_through_a_local_view(x, y):
    v1 = x[0][:, None] * 1.0
    y = v1.reshape(3)
    v1[1] = 0.5
    return y * x[1]


@pytest.mark.parametrize("func", [write_seen_through_a_reshape,
                                  write_seen_through_a_local_view], ids=lambda f: f.__name__)
def test_in_place_write_seen_through_a_view_is_refused(func):
    # (found by the long fuzz run) y is a view of v1 (and v1 of the argument x): the write
    # v1[1] = 0.5 changed y, which srcdiff's single-assignment form did not know: the gradient
    # of y[1] came out as x[0, 1]'s instead of zero, without any error. srcdiff/aliasing.py
    # now refuses a write that a variable sharing the memory would see.
    with pytest.raises(srcdiff.UnsupportedSyntaxError, match="shares|whose memory"):
        srcdiff.vjp(func, wrt=0)(normal(2, 3), normal(3), np.ones(3))


# ---------------------------------------------------------------------------------------------
# A negative literal raised to a power.
# ---------------------------------------------------------------------------------------------


def negative_literal_squared(x, y):
    scale = 3.0 / (1.0 + (-1.0) ** 2)
    return x * scale + np.tanh(y * (-0.5) ** 3)


def test_negative_literal_base_keeps_its_parentheses():
    # (found by the long fuzz run) srcdiff folds -1.0 into one constant, and the code
    # printers wrote Constant(-1.0) ** 2 as "-1.0 ** 2", which Python reads as -(1.0 ** 2):
    # the emitted code divided by zero (or computed a wrong value, silently).
    assert "(-1.0) ** 2" in srcdiff.emit(negative_literal_squared, wrt=(0, 1))
    assert srcdiff.grad(negative_literal_squared)(0.3, 0.2) == pytest.approx(1.5)
    srcdiff.check_grad(negative_literal_squared, 0.3, 0.2, wrt=(0, 1))


# ---------------------------------------------------------------------------------------------
# An appended value whose adjoint is dead (it flows to a no_grad constant).
# ---------------------------------------------------------------------------------------------


def append_of_a_value_with_a_dead_adjoint(x, y):
    v6 = x[:, None]
    with srcdiff.no_grad():
        v9 = np.sum(v6, axis=1, keepdims=True)
    items = []
    items.append(np.min(y, axis=1))
    items.append(np.sum(v9, axis=1))
    v9[:, 0] = y.max(axis=1)
    return items[1]


def test_pop_adjoint_is_kept_when_the_popped_adjoint_is_dead():
    # (found by the long fuzz run) dead-code elimination removed `dsum = pop_adjoint(ditems,
    # ...)` because nothing read dsum, and with it the pop: the next pop_adjoint took the
    # second item's adjoint for the first item: a wrong gradient without any error.
    x, y = np.array([-0.21, -0.59, 0.55]), np.array([[-0.63], [-0.91], [-0.35]])
    np.testing.assert_array_equal(
        srcdiff.vjp(append_of_a_value_with_a_dead_adjoint, wrt=1)(x, y, np.ones(3)),
        np.zeros((3, 1)))
    srcdiff.check_grad(append_of_a_value_with_a_dead_adjoint, x, y, wrt=1)
