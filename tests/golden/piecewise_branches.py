def grad_piecewise(x, y):
    """Gradient of piecewise w.r.t. x, y (golden_cases.py:53)."""
    cond = x < -1.0
    if cond:
        neg_x = -x
        result_3 = neg_x * y
    else:
        scaled = x * y
        cond_2 = scaled > 1.0
        if cond_2:
            scaled_5 = np.log(scaled)
        else:
            cond_3 = scaled < -1.0
            if cond_3:
                scaled_4 = -scaled
            else:
                scaled_4 = scaled
            scaled_5 = scaled_4
        cond_4 = y > 0
        if cond_4:
            chosen = x
        else:
            chosen = y
        result_3 = scaled_5 + chosen
    # golden_cases.py:61: return scaled + (x if y > 0 else y)
    dresult_3 = scalar_seed(result_3)
    # golden_cases.py:54: if x < -1.0:
    if cond:
        # golden_cases.py:55: return -x * y
        dneg_x = unbroadcast(dresult_3 * y, x)
        dy = unbroadcast(dresult_3 * neg_x, y)
        dx = -dneg_x
    else:
        # golden_cases.py:61: return scaled + (x if y > 0 else y)
        dscaled_5 = unbroadcast(dresult_3, scaled_5)
        dchosen = unbroadcast(dresult_3, chosen)
        # golden_cases.py:61: return scaled + (x if y > 0 else y)
        if cond_4:
            # golden_cases.py:61: return scaled + (x if y > 0 else y)
            dx = dchosen
            dy = np.zeros_like(y)
        else:
            # golden_cases.py:61: return scaled + (x if y > 0 else y)
            dy = dchosen
            dx = np.zeros_like(x)
        # golden_cases.py:57: if scaled > 1.0:
        if cond_2:
            # golden_cases.py:58: scaled = np.log(scaled)
            dscaled = dscaled_5 / scaled
        else:
            dscaled_4 = dscaled_5
            # golden_cases.py:59: elif scaled < -1.0:
            if cond_3:
                # golden_cases.py:60: scaled = -scaled
                dscaled = -dscaled_4
            else:
                dscaled = dscaled_4
        # golden_cases.py:56: scaled = x * y
        dx = dx + unbroadcast(dscaled * y, x)
        dy = dy + unbroadcast(dscaled * x, y)
    return as_gradient(dx, x), as_gradient(dy, y)
