def grad_controlled(x, scale):
    """Gradient of controlled w.r.t. x, scale (golden_cases.py:43)."""
    x_times_x = x * x
    y = x_times_x
    x_times_x_2 = x * x
    sum_x_times_x_2 = np.sum(x_times_x_2)
    norm = np.sqrt(sum_x_times_x_2)
    y_times_x = y * x
    product = y_times_x * scale
    sum_product = np.sum(product)
    result = sum_product / norm
    # golden_cases.py:47: return np.sum(y * x * scale) / norm
    dresult = scalar_seed(result)
    dsum_product = unbroadcast(dresult / norm, sum_product)
    dproduct = repeat_to_shape(dsum_product, product)
    dy_times_x = unbroadcast(dproduct * scale, y_times_x)
    dscale = unbroadcast(dproduct * y_times_x, scale)
    dx = unbroadcast(dy_times_x * y, x)
    return as_gradient(dx, x), as_gradient(dscale, scale)
