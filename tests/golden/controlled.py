def grad_controlled(x, scale):
    """Gradient of controlled w.r.t. x, scale (golden_cases.py:43)."""
    x_times_x = x * x
    y = x_times_x
    x_times_x_2 = x * x
    sum_x_times_x_2 = np.sum(x_times_x_2)
    norm = np.sqrt(sum_x_times_x_2)
    y_times_x = y * x
    # golden_cases.py:47: return np.sum(y * x * scale) / norm
    dresult = 1.0
    dproduct = dresult / norm
    dy_times_x = unbroadcast(dproduct * scale, y_times_x)
    dscale = unbroadcast(dproduct * y_times_x, scale)
    dx = unbroadcast(dy_times_x * y, x)
    return as_gradient(dx, x), as_gradient(dscale, scale)
