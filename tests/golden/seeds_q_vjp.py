def vjp_seeds_q(a, b, dresult):
    """Vector-Jacobian product of seeds_q w.r.t. a, b (golden_cases.py:15). The last parameter is the output cotangent."""
    a_pow_3 = a ** 3
    product = 3 * a_pow_3
    b_pow_2 = b ** 2
    result = product - b_pow_2
    # golden_cases.py:16: return 3 * a**3 - b**2
    dresult = as_cotangent(dresult, result)
    dproduct = unbroadcast(dresult, a)
    db_pow_2 = unbroadcast(-dresult, b)
    db = db_pow_2 * 2 * b
    da_pow_3 = dproduct * 3
    da = da_pow_3 * 3 * (a * a)
    return as_gradient(da, a), as_gradient(db, b)
