def grad_rebinding(x):
    """Gradient of rebinding w.r.t. x (golden_cases.py:36)."""
    x_2 = x * 2
    sin_x_2 = np.sin(x_2)
    x_3 = x_2 + sin_x_2
    # golden_cases.py:40: return np.sum(x)
    dresult = 1.0
    # golden_cases.py:39: x = x * x
    dx_3 = dresult * x_3
    dx_3 += dresult * x_3
    # golden_cases.py:38: x += np.sin(x)
    dx_2 = dx_3 + dx_3 * np.cos(x_2)
    # golden_cases.py:37: x = x * 2
    dx = dx_2 * 2
    return as_gradient(dx, x)
