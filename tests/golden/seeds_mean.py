def grad_seeds_mean(x):
    """Gradient of seeds_mean w.r.t. x (golden_cases.py:11)."""
    x_plus_2 = x + 2
    x_plus_2_pow_2 = x_plus_2 ** 2
    product = 3 * x_plus_2_pow_2
    result = np.mean(product)
    # golden_cases.py:12: return np.mean(3 * (x + 2) ** 2)
    dresult = scalar_seed(result)
    dproduct = repeat_to_shape(dresult, product) / np.size(product)
    dx_plus_2_pow_2 = dproduct * 3
    dx = dx_plus_2_pow_2 * (2 * x_plus_2)
    return as_gradient(dx, x)
