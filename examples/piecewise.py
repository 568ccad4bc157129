"""A piecewise function with early returns: the Huber loss of a residual t.

    huber(t, delta) = -delta * (t + delta / 2)   if t < -delta
                      t**2 / 2                   if -delta <= t <= delta
                      delta * (t - delta / 2)    if t > delta

Quadratic near 0 and linear in the tails, with matching values and slopes at +-delta. srcdiff
differentiates only the piece each call takes, so the gradient is exact in every piece:

    d huber / dt     = -delta, t, delta           (t clipped to [-delta, delta])
    d huber / ddelta = -t - delta, 0, t - delta

Run from the repository root:  python examples/piecewise.py
"""

import numpy as np

import srcdiff

DELTA = 1.0
POINTS = [-3.0, -1.5, -0.4, 0.3, 2.0, 5.0]


def huber(t, delta):
    if t < -delta:
        return -delta * (t + 0.5 * delta)
    if t <= delta:
        return 0.5 * t * t
    return delta * (t - 0.5 * delta)


def main():
    print("Gradient code srcdiff emits for huber (w.r.t. t and delta):")
    print(srcdiff.emit(huber, wrt=(0, 1)))

    dhuber = srcdiff.grad(huber, wrt=(0, 1))
    print(f"{'t':>6}  {'piece':>14}  {'huber':>8}  {'d/dt':>8}  {'d/ddelta':>9}  check_grad")
    for t in POINTS:
        piece = "t < -delta" if t < -DELTA else "|t| <= delta" if t <= DELTA else "t > delta"
        dt, ddelta = dhuber(t, DELTA)
        expected = (float(np.clip(t, -DELTA, DELTA)),
                    -t - DELTA if t < -DELTA else 0.0 if t <= DELTA else t - DELTA)
        if not np.allclose((dt, ddelta), expected, rtol=1e-12, atol=1e-12):
            raise SystemExit(f"gradient at t = {t}: {(dt, ddelta)}, expected {expected}")
        # Raises srcdiff.GradientCheckError (and so exits non-zero) on a mismatch.
        error = srcdiff.check_grad(huber, t, DELTA, wrt=(0, 1))
        print(f"{t:>6}  {piece:>14}  {huber(t, DELTA):>8.4f}  {dt:>8.4f}  {ddelta:>9.4f}"
              f"  {error:.1e}")


if __name__ == "__main__":
    main()
