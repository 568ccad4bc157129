def grad_scalar_loop(x):
    """Gradient of scalar_loop w.r.t. x (golden_cases.py:115)."""
    total = 0.0
    i_stack = []
    for i in range(len(x) - 1):
        i_plus_1 = i + 1
        x_i_plus_1 = x[i_plus_1]
        x_i = x[i]
        x_i_pow_2 = x_i ** 2
        diff = x_i_plus_1 - x_i_pow_2
        diff_pow_2 = diff ** 2
        product = 100.0 * diff_pow_2
        added = total + product
        x_i_2 = x[i]
        diff_2 = 1.0 - x_i_2
        diff_2_pow_2 = diff_2 ** 2
        total_2 = added + diff_2_pow_2
        # saved for the backward sweep, per iteration:
        #   golden_cases.py:118: i (the loop index)
        #   golden_cases.py:119: i_plus_1 (i + 1), x_i (x[i]), diff (x[i + 1] - x[i] ** 2), diff_2 (1.0 - x[i]), total (total as the iteration starts)
        #   and only the shapes of x_i_plus_1, added, x_i_2 (no data)
        i_stack.append((i, i_plus_1, shape_only(x_i_plus_1), x_i, diff, shape_only(added), shape_only(x_i_2), diff_2, total))
        total = total_2
    # golden_cases.py:120: return total
    dtotal = scalar_seed(total)
    dx = np.zeros_like(x)
    # golden_cases.py:118: for i in range(len(x) - 1):
    while i_stack:
        i, i_plus_1, x_i_plus_1, x_i, diff, added, x_i_2, diff_2, total = i_stack.pop()
        dtotal_2 = dtotal
        # golden_cases.py:119: total = total + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
        dadded = unbroadcast(dtotal_2, added)
        ddiff_2_pow_2 = unbroadcast(dtotal_2, x_i_2)
        ddiff_2 = ddiff_2_pow_2 * 2 * diff_2
        dx_i_2 = -ddiff_2
        dx[i] += dx_i_2
        dtotal = unbroadcast(dadded, total)
        dproduct = unbroadcast(dadded, diff)
        ddiff_pow_2 = dproduct * 100.0
        ddiff = ddiff_pow_2 * 2 * diff
        dx_i_plus_1 = unbroadcast(ddiff, x_i_plus_1)
        dx_i_pow_2 = unbroadcast(-ddiff, x_i)
        dx_i = dx_i_pow_2 * 2 * x_i
        dx[i] += dx_i
        dx[i_plus_1] += dx_i_plus_1
    return as_gradient(dx, x)
