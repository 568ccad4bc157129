def jvp_two_layer_network(x, W1, b1, W2, b2, tangents):
    """Value and tangent of two_layer_network in the direction dW1, db1 of W1, b1 (golden_cases.py:19)."""
    dW1, db1 = tangents
    # golden_cases.py:20: h = np.tanh(x @ W1 + b1)
    x_matmul_W1 = x @ W1
    dx_matmul_W1 = np.matmul(x, dW1)
    added = x_matmul_W1 + b1
    dadded = broadcast_like(dx_matmul_W1, added) + broadcast_like(db1, added)
    h = np.tanh(added)
    dh = dadded * (1 - h * h)
    # golden_cases.py:21: out = h @ W2 + b2
    h_matmul_W2 = h @ W2
    dh_matmul_W2 = np.matmul(dh, W2)
    out = h_matmul_W2 + b2
    dout = broadcast_like(dh_matmul_W2, out)
    # golden_cases.py:22: return np.mean(out**2)
    out_pow_2 = out ** 2
    dout_pow_2 = dout * 2 * out
    result = np.mean(out_pow_2)
    dresult = np.mean(dout_pow_2)
    return result, as_tangent(dresult, result)
