def grad_penalized_logistic_loss(w, X, y, lam):
    """Gradient of penalized_logistic_loss w.r.t. w (golden_cases.py:123)."""
    X_matmul_w = X @ w
    margins = y * X_matmul_w
    neg_margins = -margins
    exp_neg_margins = np.exp(neg_margins)
    product = 0.5 * lam
    # golden_cases.py:125: return np.mean(np.log1p(np.exp(-margins))) + 0.5 * lam * np.sum(w**2)
    dresult = scalar_seed(lam)
    dmean_log1p = sum_to_number(dresult)
    dw_pow_2 = sum_to_number(dresult * product)
    dw = dw_pow_2 * 2 * w
    dlog1p = dmean_log1p / np.size(margins)
    dexp_neg_margins = dlog1p / (1 + exp_neg_margins)
    dneg_margins = dexp_neg_margins * exp_neg_margins
    dmargins = -dneg_margins
    # golden_cases.py:124: margins = y * (X @ w)
    dX_matmul_w = unbroadcast(dmargins * y, X_matmul_w)
    dw += matmul_vjp_b(dX_matmul_w, X, w)
    return as_gradient(dw, w)
