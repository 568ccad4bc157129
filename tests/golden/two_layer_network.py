def grad_two_layer_network(x, W1, b1, W2, b2):
    """Gradient of two_layer_network w.r.t. W1, b1, W2, b2 (golden_cases.py:19)."""
    x_matmul_W1 = x @ W1
    added = x_matmul_W1 + b1
    h = np.tanh(added)
    h_matmul_W2 = h @ W2
    out = h_matmul_W2 + b2
    # golden_cases.py:22: return np.mean(out**2)
    dresult = 1.0
    dout_pow_2 = dresult / np.size(out)
    dout = dout_pow_2 * 2 * out
    # golden_cases.py:21: out = h @ W2 + b2
    dh_matmul_W2 = unbroadcast(dout, h_matmul_W2)
    db2 = unbroadcast(dout, b2)
    dh = matmul_vjp_a(dh_matmul_W2, h, W2)
    dW2 = matmul_vjp_b(dh_matmul_W2, h, W2)
    # golden_cases.py:20: h = np.tanh(x @ W1 + b1)
    dadded = dh * (1 - h * h)
    dx_matmul_W1 = unbroadcast(dadded, x_matmul_W1)
    db1 = unbroadcast(dadded, b1)
    dW1 = matmul_vjp_b(dx_matmul_W1, x, W1)
    return as_gradient(dW1, W1), as_gradient(db1, b1), as_gradient(dW2, W2), as_gradient(db2, b2)
