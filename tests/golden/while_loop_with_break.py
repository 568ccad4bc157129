def grad_cube_root(a, tol):
    """Gradient of cube_root w.r.t. a (golden_cases.py:94)."""
    x = a
    steps = 0
    stopped = False
    while_stack = []
    while not stopped and steps < 100:
        x_times_x = x * x
        product = x_times_x * x
        product_minus_a = product - a
        product_2 = 3.0 * x
        product_3 = product_2 * x
        step = product_minus_a / product_3
        x_2 = x - step
        steps_2 = steps + 1
        cond = abs(step) < tol
        if cond:
            stopped_3 = True
        else:
            stopped_3 = stopped
        # saved for the backward sweep, per iteration:
        #   golden_cases.py:98: x_times_x (x * x), product_2 (3.0 * x), product_3 (3.0 * x * x), step
        #   golden_cases.py:99: x (x as the iteration starts)
        #   and only the shapes of product, product_minus_a (no data)
        while_stack.append((x_times_x, shape_only(product), shape_only(product_minus_a), product_2, product_3, step, x))
        steps = steps_2
        stopped = stopped_3
        x = x_2
    # golden_cases.py:103: return x
    dx = scalar_seed(x)
    da = np.zeros_like(a)
    # golden_cases.py:97: while steps < 100:
    while while_stack:
        x_times_x, product, product_minus_a, product_2, product_3, step, x = while_stack.pop()
        dx_2 = dx
        # golden_cases.py:99: x = x - step
        dx = unbroadcast(dx_2, x)
        dstep = unbroadcast(-dx_2, step)
        # golden_cases.py:98: step = (x * x * x - a) / (3.0 * x * x)
        dproduct_minus_a = unbroadcast(dstep / product_3, product_minus_a)
        dproduct_3 = unbroadcast(dstep * (-step / product_3), product_3)
        dproduct_2 = unbroadcast(dproduct_3 * x, product_2)
        dx = dx + unbroadcast(dproduct_3 * product_2, x)
        dx += dproduct_2 * 3.0
        dproduct = unbroadcast(dproduct_minus_a, product)
        da += unbroadcast(-dproduct_minus_a, a)
        dx_times_x = unbroadcast(dproduct * x, x_times_x)
        dx += unbroadcast(dproduct * x_times_x, x)
        dx += dx_times_x * x
        dx += dx_times_x * x
    # golden_cases.py:95: x = a
    da += dx
    return as_gradient(da, a)
