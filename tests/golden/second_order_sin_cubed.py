def grad_grad_sin_cubed(x):
    """Gradient of grad_sin_cubed w.r.t. x (grad_sin_cubed_9c7307152dd2.py:3)."""
    sin_x = np.sin(x)
    x_pow_3 = x ** 3
    result = sin_x * x_pow_3
    dresult = scalar_seed(result)
    product = dresult * x_pow_3
    dsin_x = unbroadcast(product, sin_x)
    product_2 = dresult * sin_x
    dx_pow_3 = unbroadcast(product_2, x_pow_3)
    x_pow_2 = x ** 2
    product_3 = 3 * x_pow_2
    dx = dx_pow_3 * product_3
    cos_x = np.cos(x)
    product_4 = dsin_x * cos_x
    dx_2 = dx + product_4
    result_2 = as_gradient(dx_2, x)
    # grad_sin_cubed_9c7307152dd2.py:14: return as_gradient(dx, x)
    dresult_2 = scalar_seed(result_2)
    ddx_2 = as_gradient(dresult_2, dx_2)
    # grad_sin_cubed_9c7307152dd2.py:13: dx = dx + dsin_x * np.cos(x)
    ddx = unbroadcast(ddx_2, dx)
    dproduct_4 = unbroadcast(ddx_2, product_4)
    ddsin_x = unbroadcast(dproduct_4 * cos_x, dsin_x)
    dcos_x = unbroadcast(dproduct_4 * dsin_x, cos_x)
    dx_3 = dcos_x * -np.sin(x)
    # grad_sin_cubed_9c7307152dd2.py:12: dx = dx_pow_3 * (3 * x ** 2)
    ddx_pow_3 = unbroadcast(ddx * product_3, dx_pow_3)
    dproduct_3 = unbroadcast(ddx * dx_pow_3, product_3)
    dx_pow_2 = dproduct_3 * 3
    dx_3 = dx_3 + dx_pow_2 * (2 * x)
    # grad_sin_cubed_9c7307152dd2.py:11: dx_pow_3 = unbroadcast(dresult * sin_x, x_pow_3)
    dproduct_2 = broadcast_like(ddx_pow_3, product_2)
    dsin_x_2 = unbroadcast(dproduct_2 * dresult, sin_x)
    # grad_sin_cubed_9c7307152dd2.py:10: dsin_x = unbroadcast(dresult * x_pow_3, sin_x)
    dproduct = broadcast_like(ddsin_x, product)
    dx_pow_3_2 = unbroadcast(dproduct * dresult, x_pow_3)
    # grad_sin_cubed_9c7307152dd2.py:6: x_pow_3 = x ** 3
    dx_3 = dx_3 + dx_pow_3_2 * (3 * x ** 2)
    # grad_sin_cubed_9c7307152dd2.py:5: sin_x = np.sin(x)
    dx_3 = dx_3 + dsin_x_2 * np.cos(x)
    return as_gradient(dx_3, x)
