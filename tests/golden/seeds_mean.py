def grad_seeds_mean(x):
    """Gradient of seeds_mean w.r.t. x (golden_cases.py:11)."""
    x_plus_2 = x + 2
    # golden_cases.py:12: return np.mean(3 * (x + 2) ** 2)
    dresult = 1.0
    dproduct = dresult / np.size(x)
    dx_plus_2_pow_2 = dproduct * 3
    dx = dx_plus_2_pow_2 * 2 * x_plus_2
    return as_gradient(dx, x)
