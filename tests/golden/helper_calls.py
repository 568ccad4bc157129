def grad_two_dense_layers(W1, W2, x):
    """Gradient of two_dense_layers w.r.t. W1, W2 (golden_cases.py:81)."""
    h = dense(W1, x)
    dense_W2 = dense(W2, h, b=1.0)
    # golden_cases.py:83: return np.sum(dense(W2, h, b=1.0) ** 2)
    dresult = 1.0
    ddense_W2 = dresult * 2 * dense_W2
    dW2, dh = vjp_dense_W_x(W2, h, 1.0, ddense_W2)
    # golden_cases.py:82: h = dense(W1, x)
    dW1 = vjp_dense_W(W1, x, 0.0, dh)
    return as_gradient(dW1, W1), as_gradient(dW2, W2)


def vjp_dense_W_x(W, x, b, dresult):
    """Vector-Jacobian product of dense w.r.t. W, x (golden_cases.py:77). The last parameter is the output cotangent."""
    W_matmul_x = W @ x
    added = W_matmul_x + b
    result = np.tanh(added)
    # golden_cases.py:78: return np.tanh(W @ x + b)
    dadded = dresult * (1 - result * result)
    dW_matmul_x = unbroadcast(dadded, W_matmul_x)
    dW = matmul_vjp_a(dW_matmul_x, W, x)
    dx = matmul_vjp_b(dW_matmul_x, W, x)
    return as_gradient(dW, W), as_gradient(dx, x)


def vjp_dense_W(W, x, b, dresult):
    """Vector-Jacobian product of dense w.r.t. W (golden_cases.py:77). The last parameter is the output cotangent."""
    W_matmul_x = W @ x
    added = W_matmul_x + b
    result = np.tanh(added)
    # golden_cases.py:78: return np.tanh(W @ x + b)
    dadded = dresult * (1 - result * result)
    dW_matmul_x = unbroadcast(dadded, W_matmul_x)
    dW = matmul_vjp_a(dW_matmul_x, W, x)
    return as_gradient(dW, W)
