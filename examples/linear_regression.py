"""Fit y = w * x by gradient descent, with the gradient written by srcdiff.

The training loop of the PyTorch autograd tutorial, without a graph or ``.backward()``:
srcdiff reads the source of ``loss`` and emits a Python function computing d loss / d w.

Convergence: d loss / d w = 2 * mean(x**2) * (w - 2) = 15 * (w - 2) for these data, so one
step of size lr multiplies the error w - 2 by (1 - 15 * lr). lr = 0.01 gives 0.85 per step;
starting from w = 0, 100 epochs leave an error of 2 * 0.85**100 ~ 1.7e-7.

Run from the repository root:  python examples/linear_regression.py
"""

import numpy as np

import srcdiff

LEARNING_RATE = 0.01
EPOCHS = 100


def loss(w, x, y):
    return np.mean((w * x - y) ** 2)


def main():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = 2 * x  # the true w is 2

    print("Gradient code srcdiff emits for loss (w.r.t. w):")
    print(srcdiff.emit(loss))

    dloss = srcdiff.grad(loss)  # gradient with respect to the first parameter, w
    w = 0.0
    print(f"{'epoch':>5}  {'loss':>12}  {'w':>8}")
    for epoch in range(1, EPOCHS + 1):
        w -= LEARNING_RATE * dloss(w, x, y)
        if epoch == 1 or epoch % 10 == 0:
            print(f"{epoch:>5}  {loss(w, x, y):>12.4e}  {w:>8.5f}")

    print(f"final w = {w:.5f} (true w = 2)")
    return w


if __name__ == "__main__":
    main()
