"""Q = 2F1(1, b; a+1; w), the Gauss hypergeometric function of the Pareto/NBD likelihood.

The Pareto/NBD module needs Q for 0 <= w < 1, b > 0, a > 0 and m = a - b > -1 (there
every term of its series is positive), fast, on tens of thousands of (x, t) pairs per
likelihood evaluation.  scipy's ``hyp2f1`` is exact to rounding for w <= 0.9, but as w
approaches 1 (customers whose purchase and drop-out time scales differ by orders of
magnitude, and fits sliding along a ridge) it slows down 10-50 times and, for some large
b, returns inf or NaN.  So:

* :func:`method` picks, per pair, 0 = scipy, 1 = the linear transformation to y = 1 - w
  (where it is well conditioned: w > 0.9, a y <= 1/2, m < 20), or 2 = that transformation
  interpolated across an integer m, where its two terms have cancelling poles;
* :func:`q` evaluates, falling back to Gauss's continued fraction where scipy returns a
  non-finite value.

Against a positive-term series summed to convergence, all methods agree to about 2e-11
(relative) on random parameters, and ln F to 1e-12 against numerical integration (tests).
"""

from __future__ import annotations

import numpy as np
from scipy import special

#: Above this argument w (with a (1 - w) <= 1/2 and m < 20) Q comes from the connection formula.
W_HIGH = 0.9
_M_MAX = 20.0
#: Closer than this to an integer, m = a - b is a pole of the formula's two terms ...
_NEAR_INTEGER = 1e-3
#: ... and Q is interpolated from a -+ 1, 2 and 3 times this step (quintic, error about 1e-10).
_STEP = 4e-3


def _series_1b(b: np.ndarray, c: np.ndarray, y: np.ndarray, m_max: float) -> np.ndarray:
    """2F1(1, b; c; y) = sum_n (b)_n / (c)_n y^n, summed term by term (c = 1 - m may be negative).

    Used only where a y <= 1/2, so the terms shrink by a factor of two or more until n
    passes m - 1 (where (c)_n comes close to 0); the sum runs past that and stops when the
    terms are below 1e-17 of the total.
    """
    term = np.ones_like(y)
    total = np.ones_like(y)
    for n in range(int(m_max) + 80):
        term = term * (b + n) * y / (c + n)
        total += term
        if n > m_max + 1 and (np.abs(term) <= 1e-17 * np.abs(total)).all():
            break
    return total


def _connection(b: np.ndarray, a1: np.ndarray, y: np.ndarray) -> np.ndarray:
    """2F1(1, b; a1; 1-y) by the linear transformation to y = 1 - w (DLMF 15.8.4), a = a1 - 1, m = a - b:

        (a/m) 2F1(1, b; 1-m; y) + G(a+1) G(-m) / G(b) * y^m (1-y)^-a.
    """
    a = a1 - 1.0
    m = a - b
    term2 = np.exp(special.gammaln(a + 1.0) + special.gammaln(-m) - special.gammaln(b)
                   + m * np.log(y) - a * np.log1p(-y))
    return a / m * _series_1b(b, 1.0 - m, y, float(m.max())) + special.gammasgn(-m) * term2


def _fraction(b: np.ndarray, a1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """2F1(1, b; a1; w) by Gauss's continued fraction (that of the incomplete beta function
    B_w(p, q) with p = a1 - 1, q = b - p; modified Lentz).  Slow near w = 1 for m < 1; only
    where scipy's hyp2f1 returns inf or NaN (it does for some large b near w = 1).
    """
    p, q = a1 - 1.0, b - (a1 - 1.0)
    g, C, D = np.ones_like(w), np.ones_like(w), np.zeros_like(w)
    active = np.ones(w.shape, dtype=bool)
    for j in range(1, 20000):
        k = j // 2
        if j % 2:
            d = -(p + k) * (p + q + k) * w / ((p + 2 * k) * (p + 2 * k + 1))
        else:
            d = k * (q - k) * w / ((p + 2 * k - 1) * (p + 2 * k))
        D = 1.0 + d * D
        D = 1.0 / np.where(np.abs(D) < 1e-300, 1e-300, D)
        C = 1.0 + d / C
        C = np.where(np.abs(C) < 1e-300, 1e-300, C)
        g = np.where(active, g * C * D, g)
        active &= np.abs(C * D - 1.0) > 1e-16
        if not active.any():
            break
    return 1.0 / g


def q(b: np.ndarray, a1: np.ndarray, w: np.ndarray, y: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """Q = 2F1(1, b; a1; w), with y = 1 - w computed without cancellation by the caller.

    ``mode`` 0: scipy's hyp2f1 (accurate where finite; where it returns inf or NaN, which
    happens for some large b near w = 1, the continued fraction).  Near w = 1 scipy slows
    down 10-50 times (fits where beta >> alpha or alpha >> beta, and ridges), so where
    w > 0.9 and a y <= 1/2 the linear transformation to 1 - w is used instead: ``mode`` 1
    directly; ``mode`` 2 (m within 1e-3 of an integer, where its two terms have cancelling
    poles) as the quintic through its values at a -+ 0.004, 0.008, 0.012.  All agree with
    numerical integration to about 1e-10 (tests).
    """
    out = np.empty(w.shape)
    for k, sel in enumerate((mode == 0, mode == 1, mode == 2)):
        if not sel.any():
            continue
        bb, aa, yy = b[sel], a1[sel], y[sel]
        if k == 0:
            vals = special.hyp2f1(1.0, bb, aa, w[sel])
            bad = ~np.isfinite(vals)
            if bad.any():
                vals[bad] = _fraction(bb[bad], aa[bad], w[sel][bad])
            out[sel] = vals
        elif k == 1:
            out[sel] = _connection(bb, aa, yy)
        else:
            at = [_connection(bb, aa - j * _STEP, yy) + _connection(bb, aa + j * _STEP, yy) for j in (1, 2, 3)]
            out[sel] = (15.0 * at[0] - 6.0 * at[1] + at[2]) / 20.0
    return out


def method(a: np.ndarray, b: np.ndarray, w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which way :func:`q` evaluates each Q: 0 scipy, 1 connection formula, 2 interpolated formula.

    Decided once per point from (a, b, w, y = 1 - w) and reused for the finite differences
    around it, so a derivative never mixes two methods.
    """
    m = a - b
    connect = (w > W_HIGH) & (a * y <= 0.5) & (m < _M_MAX)
    return np.where(connect, np.where(np.abs(m - np.round(m)) > _NEAR_INTEGER, 1, 2), 0)
