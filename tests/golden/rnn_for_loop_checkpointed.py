def grad_rnn(W, U, xs, h):
    """Gradient of rnn w.r.t. W, U (golden_cases.py:64)."""
    # golden_cases.py:65: for t in range(xs.shape[0]), checkpointed: nothing saved per iteration, only the state the loop carries (h) at the start of every segment of t_segment iterations (about the square root of their number)
    t_range = range(xs.shape[0])
    t_segment = max(1, int(len(t_range) ** 0.5))
    t_checkpoints = []
    t_stack = []
    for t_start in range(0, len(t_range), t_segment):
        t_checkpoints.append((t_start, h))
        for t in t_range[t_start:t_start + t_segment]:
            W_matmul_h = W @ h
            xs_t = xs[t]
            U_matmul_xs_t = U @ xs_t
            added = W_matmul_h + U_matmul_xs_t
            h_2 = np.tanh(added)
            h = h_2
    # golden_cases.py:67: return np.sum(h**2)
    dresult = 1.0
    dh = dresult * 2 * h
    dU = np.zeros_like(U)
    dW = np.zeros_like(W)
    # golden_cases.py:65: for t in range(xs.shape[0]):
    while t_checkpoints:
        # the last segment not yet swept: its state back from its checkpoint, its iterations run again (saving onto t_stack), then their adjoints
        t_start, h = t_checkpoints.pop()
        for t in t_range[t_start:t_start + t_segment]:
            W_matmul_h = W @ h
            xs_t = xs[t]
            U_matmul_xs_t = U @ xs_t
            added = W_matmul_h + U_matmul_xs_t
            h_2 = np.tanh(added)
            # saved for the backward sweep, per iteration (golden_cases.py:66): xs_t (xs[t]), h_2 (the new h), h (h as the iteration starts); only the shapes of W_matmul_h, U_matmul_xs_t (no data)
            t_stack.append((shape_only(W_matmul_h), xs_t, shape_only(U_matmul_xs_t), h_2, h))
            h = h_2
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
