def grad_softmax_cross_entropy(logits, labels):
    """Gradient of softmax_cross_entropy w.r.t. logits (golden_cases.py:30)."""
    max_logits = np.max(logits, axis=1, keepdims=True)
    shifted = logits - max_logits
    exp_shifted = np.exp(shifted)
    sum_exp_shifted = np.sum(exp_shifted, axis=1, keepdims=True)
    log_norm = np.log(sum_exp_shifted)
    diff = shifted - log_norm
    logits_shape = logits.shape
    logits_shape_0 = logits_shape[0]
    # golden_cases.py:33: return -np.sum(labels * (shifted - log_norm)) / logits.shape[0]
    dresult = 1.0
    dneg_sum_product = dresult / logits_shape_0
    dproduct = -dneg_sum_product
    ddiff = unbroadcast(dproduct * labels, diff)
    dshifted = unbroadcast(ddiff, shifted)
    dlog_norm = unbroadcast(-ddiff, sum_exp_shifted)
    # golden_cases.py:32: log_norm = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dsum_exp_shifted = dlog_norm / sum_exp_shifted
    dexp_shifted = repeat_to_shape(dsum_exp_shifted, shifted)
    dshifted = dshifted + dexp_shifted * exp_shifted
    # golden_cases.py:31: shifted = logits - np.max(logits, axis=1, keepdims=True)
    dlogits = unbroadcast(dshifted, logits)
    dmax_logits = unbroadcast(-dshifted, max_logits)
    dlogits = dlogits + dmax_logits * tie_weights(logits, max_logits, 1, True)
    return as_gradient(dlogits, logits)
