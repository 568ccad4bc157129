def grad_logistic_loss(w, X, y):
    """Gradient of logistic_loss w.r.t. w (golden_cases.py:25)."""
    X_matmul_w = X @ w
    margins = y * X_matmul_w
    neg_margins = -margins
    exp_neg_margins = np.exp(neg_margins)
    # golden_cases.py:27: return np.mean(np.log1p(np.exp(-margins)))
    dresult = 1.0
    dlog1p = dresult / np.size(margins)
    dexp_neg_margins = dlog1p / (1 + exp_neg_margins)
    dneg_margins = dexp_neg_margins * exp_neg_margins
    dmargins = -dneg_margins
    # golden_cases.py:26: margins = y * (X @ w)
    dX_matmul_w = unbroadcast(dmargins * y, X_matmul_w)
    dw = matmul_vjp_b(dX_matmul_w, X, w)
    return as_gradient(dw, w)
