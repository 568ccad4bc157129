def jvp_rnn(W, U, xs, h, dW):
    """Value and tangent of rnn in the direction dW of W (golden_cases.py:64)."""
    dh = np.zeros_like(h)
    for t in range(xs.shape[0]):
        # golden_cases.py:66: h = np.tanh(W @ h + U @ xs[t])
        W_matmul_h = W @ h
        dW_matmul_h = np.matmul(dW, h) + np.matmul(W, dh)
        xs_t = xs[t]
        U_matmul_xs_t = U @ xs_t
        added = W_matmul_h + U_matmul_xs_t
        dadded = broadcast_like(dW_matmul_h, added)
        h_2 = np.tanh(added)
        dh_2 = dadded * (1 - h_2 * h_2)
        # golden_cases.py:65: for t in range(xs.shape[0]):
        h = h_2
        dh = dh_2
    # golden_cases.py:67: return np.sum(h**2)
    h_pow_2 = h ** 2
    dh_pow_2 = dh * 2 * h
    result = np.sum(h_pow_2)
    dresult = np.sum(dh_pow_2)
    return result, as_tangent(dresult, result)
