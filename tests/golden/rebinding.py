def grad_rebinding(x):
    """Gradient of rebinding w.r.t. x (golden_cases.py:36)."""
    x_2 = x * 2
    sin_x_2 = np.sin(x_2)
    x_3 = x_2 + sin_x_2
    x_4 = x_3 * x_3
    result = np.sum(x_4)
    # golden_cases.py:40: return np.sum(x)
    dresult = scalar_seed(result)
    dx_4 = repeat_to_shape(dresult, x_4)
    # golden_cases.py:39: x = x * x
    dx_3 = dx_4 * x_3
    dx_3 = dx_3 + dx_4 * x_3
    # golden_cases.py:38: x += np.sin(x)
    dx_2 = unbroadcast(dx_3, x_2)
    dsin_x_2 = unbroadcast(dx_3, sin_x_2)
    dx_2 = dx_2 + dsin_x_2 * np.cos(x_2)
    # golden_cases.py:37: x = x * 2
    dx = dx_2 * 2
    return as_gradient(dx, x)
