def grad_newton_sqrt(a, tol):
    """Gradient of newton_sqrt w.r.t. a (golden_cases.py:70)."""
    x = a + 1.0
    # golden_cases.py:72: while np.abs(x * x - a) > tol * a, checkpointed: nothing saved per iteration, only the state the loop carries (x) at the start of every segment of while_segment iterations (1 at first, doubled as they grow: about the square root of their number)
    while_count = 0
    while_segment = 1
    while_checkpoints = []
    while_stack = []
    while np.abs(x * x - a) > tol * a:
        if while_count % while_segment == 0:
            while_checkpoints.append((while_count, x))
            if len(while_checkpoints) > 2 * while_segment:
                # too many checkpoints for segments this short: keep every other one, segments twice as long
                while_checkpoints = while_checkpoints[::2]
                while_segment = 2 * while_segment
        a_div_x = a / x
        x_plus_a_div_x = x + a_div_x
        x_2 = 0.5 * x_plus_a_div_x
        x = x_2
        while_count = while_count + 1
    while_end = while_count
    # golden_cases.py:74: return x
    dx = scalar_seed(x)
    da = np.zeros_like(a)
    # golden_cases.py:72: while np.abs(x * x - a) > tol * a:
    while while_checkpoints:
        # the last segment not yet swept: its state back from its checkpoint, its iterations run again (saving onto while_stack), then their adjoints
        while_start, x = while_checkpoints.pop()
        for while_again in range(while_end - while_start):
            a_div_x = a / x
            x_plus_a_div_x = x + a_div_x
            x_2 = 0.5 * x_plus_a_div_x
            # saved for the backward sweep, per iteration (golden_cases.py:73): a_div_x (a / x), x (x as the iteration starts)
            while_stack.append((a_div_x, x))
            x = x_2
        while while_stack:
            a_div_x, x = while_stack.pop()
            dx_2 = dx
            # golden_cases.py:73: x = 0.5 * (x + a / x)
            dx_plus_a_div_x = dx_2 * 0.5
            dx = unbroadcast(dx_plus_a_div_x, x)
            da_div_x = unbroadcast(dx_plus_a_div_x, a_div_x)
            da += unbroadcast(da_div_x / x, a)
            dx = dx + unbroadcast(da_div_x * (-a_div_x / x), x)
        while_end = while_start
    # golden_cases.py:71: x = a + 1.0
    da += dx
    return as_gradient(da, a)
