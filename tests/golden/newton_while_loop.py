def grad_newton_sqrt(a, tol):
    """Gradient of newton_sqrt w.r.t. a (golden_cases.py:70)."""
    x = a + 1.0
    while_stack = []
    while np.abs(x * x - a) > tol * a:
        a_div_x = a / x
        x_plus_a_div_x = x + a_div_x
        x_2 = 0.5 * x_plus_a_div_x
        # saved for the backward sweep, per iteration (golden_cases.py:73): a_div_x (a / x), x (x as the iteration starts)
        while_stack.append((a_div_x, x))
        x = x_2
    # golden_cases.py:74: return x
    dx = scalar_seed(x)
    da = np.zeros_like(a)
    # golden_cases.py:72: while np.abs(x * x - a) > tol * a:
    while while_stack:
        a_div_x, x = while_stack.pop()
        dx_2 = dx
        # golden_cases.py:73: x = 0.5 * (x + a / x)
        dx_plus_a_div_x = dx_2 * 0.5
        dx = unbroadcast(dx_plus_a_div_x, x)
        da_div_x = unbroadcast(dx_plus_a_div_x, a_div_x)
        da += unbroadcast(da_div_x / x, a)
        dx = dx + unbroadcast(da_div_x * (-a_div_x / x), x)
    # golden_cases.py:71: x = a + 1.0
    da += dx
    return as_gradient(da, a)
