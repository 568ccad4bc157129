"""Backpropagation through time for a small recurrent network, written as a Python loop.

The network reads an input sequence xs (one row per time step) and updates its hidden state
with the same weights at every step:

    h_t = tanh(W @ h_{t-1} + U @ x_t),   t = 0 .. T-1,   loss = sum(h_T ** 2)

srcdiff reads the loop in ``loss`` and emits its reverse: a forward sweep that runs the loop
and keeps what the backward sweep needs, then a loop running backwards over the time steps
that accumulates d loss / d W and d loss / d U (backpropagation through time, by hand, but
written by the compiler).

Run from the repository root:  python examples/rnn.py
"""

import numpy as np

import srcdiff

HIDDEN = 6
INPUTS = 3
STEPS = 50


def loss(W, U, h0, xs):
    h = h0
    for t in range(len(xs)):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h**2)


def main():
    rng = np.random.default_rng(0)
    # Small weights keep the recurrence contracting, so the gradient neither explodes nor
    # vanishes over 50 steps and finite differences stay accurate.
    W = rng.standard_normal((HIDDEN, HIDDEN)) * 0.4 / np.sqrt(HIDDEN)
    U = rng.standard_normal((HIDDEN, INPUTS)) * 0.5
    h0 = np.zeros(HIDDEN)
    xs = rng.standard_normal((STEPS, INPUTS))

    print(f"loss(W, U, h0, xs) over {STEPS} steps = {loss(W, U, h0, xs):.6f}")
    print("\nGradient code srcdiff emits for loss (w.r.t. W and U):")
    print(srcdiff.emit(loss, wrt=(0, 1)))

    dW, dU = srcdiff.grad(loss, wrt=(0, 1))(W, U, h0, xs)
    print(f"|d loss / d W| = {np.linalg.norm(dW):.6f}, |d loss / d U| = {np.linalg.norm(dU):.6f}")

    # Raises srcdiff.GradientCheckError (and so exits non-zero) on a mismatch.
    error = srcdiff.check_grad(loss, W, U, h0, xs, wrt=(0, 1))
    print(f"check_grad: max difference from central finite differences = {error:.3e}")
    return error


if __name__ == "__main__":
    main()
