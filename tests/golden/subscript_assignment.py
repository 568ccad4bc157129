def grad_running_state(x):
    """Gradient of running_state w.r.t. x (golden_cases.py:86)."""
    state = np.zeros(2)
    t_stack = []
    for t in range(x.shape[0]):
        state_0 = state[0]
        product = state_0 * 0.5
        x_t = x[t]
        product_plus_x_t = product + x_t
        state_overwritten = np.copy(state[0])
        state[0] = product_plus_x_t
        state_1 = state[1]
        state_0_2 = state[0]
        state_0_2_pow_2 = state_0_2 ** 2
        added = state_1 + state_0_2_pow_2
        state_overwritten_2 = np.copy(state[1])
        state[1] = added
        # saved for the backward sweep, per iteration:
        #   golden_cases.py:88: t (the loop index)
        #   golden_cases.py:89: state_overwritten (state[0] before the write)
        #   golden_cases.py:90: state_0_2 (state[0]), state_overwritten_2 (state[1] before the write)
        #   and only the shapes of state_0, x_t, product_plus_x_t, state_1, added (no data)
        t_stack.append((t, shape_only(state_0), shape_only(x_t), shape_only(product_plus_x_t), state_overwritten, shape_only(state_1), state_0_2, shape_only(added), state_overwritten_2))
    result = state[1]
    # golden_cases.py:91: return state[1]
    dresult = scalar_seed(result)
    dstate = index_adjoint(dresult, state, 1)
    dx = np.zeros_like(x)
    # golden_cases.py:88: for t in range(x.shape[0]):
    while t_stack:
        t, state_0, x_t, product_plus_x_t, state_overwritten, state_1, state_0_2, added, state_overwritten_2 = t_stack.pop()
        # golden_cases.py:90: state[1] = state[1] + state[0] ** 2
        dadded = unbroadcast(dstate[1], added)
        dstate = zero_slot(dstate, 1)
        state[1] = state_overwritten_2
        dstate_1 = unbroadcast(dadded, state_1)
        dstate_0_2_pow_2 = unbroadcast(dadded, state_0_2)
        dstate_0_2 = dstate_0_2_pow_2 * 2 * state_0_2
        dstate = dstate + index_adjoint(dstate_0_2, state, 0)
        dstate[1] += dstate_1
        # golden_cases.py:89: state[0] = state[0] * 0.5 + x[t]
        dproduct_plus_x_t = unbroadcast(dstate[0], product_plus_x_t)
        dstate = zero_slot(dstate, 0)
        state[0] = state_overwritten
        dproduct = unbroadcast(dproduct_plus_x_t, state_0)
        dx_t = unbroadcast(dproduct_plus_x_t, x_t)
        dx[t] += dx_t
        dstate_0 = dproduct * 0.5
        dstate = dstate + index_adjoint(dstate_0, state, 0)
    return as_gradient(dx, x)
