def grad_sum_of_cubes(a, b):
    """Gradient of sum_of_cubes w.r.t. a, b (golden_cases.py:110)."""
    # golden_cases.py:112: return np.sum(3 * a**3 - b**2)
    dresult = 1.0
    dproduct = unbroadcast_uniform(dresult, a, b)
    db_pow_2 = unbroadcast_uniform(-dresult, b, a)
    db = db_pow_2 * 2 * b
    da_pow_3 = dproduct * 3
    da = da_pow_3 * 3 * (a * a)
    return as_gradient(da, a), as_gradient(db, b)
