def grad_grad_sin_cubed(x):
    """Gradient of grad_sin_cubed w.r.t. x (grad_sin_cubed_ce01fc87737a.py:3)."""
    sin_x = np.sin(x)
    x_pow_3 = x ** 3
    dresult = scalar_seed(x)
    dsin_x = dresult * x_pow_3
    dx_pow_3 = dresult * sin_x
    dx_pow_3_times_3 = dx_pow_3 * 3
    x_times_x = x * x
    dx = dx_pow_3_times_3 * x_times_x
    cos_x = np.cos(x)
    product = dsin_x * cos_x
    dx_2 = dx + product
    result = as_gradient(dx_2, x)
    # grad_sin_cubed_ce01fc87737a.py:13: return as_gradient(dx, x)
    dresult_2 = scalar_seed(result)
    ddx_2 = as_gradient(dresult_2, dx_2)
    # grad_sin_cubed_ce01fc87737a.py:12: dx += dsin_x * np.cos(x)
    ddx = unbroadcast(ddx_2, dx)
    dproduct = unbroadcast(ddx_2, product)
    ddsin_x = unbroadcast(dproduct * cos_x, dsin_x)
    dcos_x = unbroadcast(dproduct * dsin_x, x)
    dx_3 = dcos_x * -sin_x
    # grad_sin_cubed_ce01fc87737a.py:11: dx = dx_pow_3 * 3 * (x * x)
    ddx_pow_3_times_3 = unbroadcast(ddx * x_times_x, dx_pow_3)
    dx_times_x = unbroadcast(ddx * dx_pow_3_times_3, x)
    dx_3 += dx_times_x * x
    dx_3 += dx_times_x * x
    ddx_pow_3 = ddx_pow_3_times_3 * 3
    # grad_sin_cubed_ce01fc87737a.py:10: dx_pow_3 = dresult * sin_x
    dsin_x_2 = unbroadcast(ddx_pow_3 * dresult, x)
    # grad_sin_cubed_ce01fc87737a.py:9: dsin_x = dresult * x_pow_3
    dx_pow_3_2 = unbroadcast(ddsin_x * dresult, x)
    # grad_sin_cubed_ce01fc87737a.py:6: x_pow_3 = x ** 3
    dx_3 += dx_pow_3_2 * 3 * x_times_x
    # grad_sin_cubed_ce01fc87737a.py:5: sin_x = np.sin(x)
    dx_3 += dsin_x_2 * cos_x
    return as_gradient(dx_3, x)
