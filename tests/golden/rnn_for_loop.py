def grad_rnn(W, U, xs, h):
    """Gradient of rnn w.r.t. W, U (golden_cases.py:64)."""
    t_stack = []
    for t in range(xs.shape[0]):
        W_matmul_h = W @ h
        xs_t = xs[t]
        U_matmul_xs_t = U @ xs_t
        added = W_matmul_h + U_matmul_xs_t
        h_2 = np.tanh(added)
        # saved for the backward sweep, per iteration (golden_cases.py:66): xs_t (xs[t]), h_2 (the new h), h (h as the iteration starts); only the shapes of W_matmul_h, U_matmul_xs_t (no data)
        t_stack.append((shape_only(W_matmul_h), xs_t, shape_only(U_matmul_xs_t), h_2, h))
        h = h_2
    # golden_cases.py:67: return np.sum(h**2)
    dresult = 1.0
    dh = dresult * 2 * h
    dU = np.zeros_like(U)
    dW = np.zeros_like(W)
    # golden_cases.py:65: for t in range(xs.shape[0]):
    while t_stack:
        W_matmul_h, xs_t, U_matmul_xs_t, h_2, h = t_stack.pop()
        dh_2 = dh
        # golden_cases.py:66: h = np.tanh(W @ h + U @ xs[t])
        dadded = dh_2 * (1 - h_2 * h_2)
        dW_matmul_h = unbroadcast(dadded, W_matmul_h)
        dU_matmul_xs_t = unbroadcast(dadded, U_matmul_xs_t)
        dU += matmul_vjp_a(dU_matmul_xs_t, U, xs_t)
        dW += matmul_vjp_a(dW_matmul_h, W, h)
        dh = matmul_vjp_b(dW_matmul_h, W, h)
    return as_gradient(dW, W), as_gradient(dU, U)
