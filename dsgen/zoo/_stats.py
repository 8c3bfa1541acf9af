"""Moment propagation for the zoo builder: per-channel mean and variance of activations when
the network input is i.i.d. N(0, 1), so that BatchNormalization statistics can match them."""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _phi(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def _Phi(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))


def clip_moments(mu, var, lo=0.0, hi=None):
    """Mean and variance of ``clip(X, lo, hi)`` for ``X ~ N(mu, var)`` (element-wise)."""
    s = np.sqrt(np.maximum(var, 1e-30))
    a = (lo - mu) / s
    Pa, pa = _Phi(a), _phi(a)
    if hi is None:
        Pb, pb, bpb, top, top2 = 1.0, 0.0, 0.0, 0.0, 0.0
    else:
        b = (hi - mu) / s
        Pb, pb = _Phi(b), _phi(b)
        bpb, top, top2 = b * pb, hi * (1.0 - Pb), hi * hi * (1.0 - Pb)
    dP = Pb - Pa
    m1 = lo * Pa + top + mu * dP + s * (pa - pb)
    m2 = lo * lo * Pa + top2 + (mu * mu + var) * dP + 2 * mu * s * (pa - pb) + var * (a * pa - bpb)
    return m1, np.maximum(m2 - m1 * m1, 0.0)


def tap_patterns(size: int, k: int, stride: int, pad: int, out: int) -> dict:
    """{tuple of 0/1 per kernel tap (inside the input?): number of output positions}."""
    pats: dict[tuple, int] = {}
    for o in range(out):
        key = tuple(int(0 <= o * stride - pad + t < size) for t in range(k))
        pats[key] = pats.get(key, 0) + 1
    return pats


def tap_usage(patterns: dict, k: int) -> np.ndarray:
    """Fraction of output positions at which each kernel tap is inside the input."""
    used = sum(np.array(key, np.float64) * count for key, count in patterns.items())
    return used / sum(patterns.values())


def max_of_normals(n: int) -> tuple[float, float]:
    """Mean and variance of the maximum of ``n`` i.i.d. N(0, 1) values."""
    z = np.linspace(-10.0, 10.0, 4001)
    pdf = n * _phi(z) * _Phi(z) ** (n - 1)
    dz = z[1] - z[0]
    mean = float((z * pdf).sum() * dz)
    return mean, float(((z - mean) ** 2 * pdf).sum() * dz)


def conv_moments(m_in, v_in, wt, group, rows, cols):
    """Per-channel mean/variance over positions of a conv output, padding taken into account.

    Output positions are grouped by which kernel taps fall inside the input (``rows`` and
    ``cols`` from ``tap_patterns``); each group's mean and variance follow from the input
    statistics ``m_in``, ``v_in`` (channels and positions taken as independent).
    """
    cout, cin_g, kh, kw = wt.shape
    w64 = wt.astype(np.float64).reshape(group, cout // group, cin_g, kh, kw)
    m_in, v_in = m_in.reshape(group, cin_g), v_in.reshape(group, cin_g)
    total = sum(rows.values()) * sum(cols.values())
    mean = np.zeros(cout)
    second = np.zeros(cout)
    for rmask, rcount in rows.items():
        for cmask, ccount in cols.items():
            mask = np.outer(rmask, cmask)
            ws = (w64 * mask).sum(axis=(3, 4))
            wq = (w64 * w64 * mask).sum(axis=(3, 4))
            mu = np.einsum("goi,gi->go", ws, m_in).ravel()
            va = np.einsum("goi,gi->go", wq, v_in).ravel()
            frac = rcount * ccount / total
            mean += frac * mu
            second += frac * (va + mu * mu)
    return mean, np.maximum(second - mean * mean, 0.0)


def fn_moments(mu, var, f, points: int = 40):
    """Mean and variance of ``f(X)`` for ``X ~ N(mu, var)`` (element-wise), by Gauss–Hermite
    quadrature: exact enough for the smooth and piecewise-linear activations."""
    t, w = np.polynomial.hermite_e.hermegauss(points)
    w = w / w.sum()
    mu, s = np.asarray(mu, np.float64), np.sqrt(np.maximum(np.asarray(var, np.float64), 0.0))
    y = f(mu[..., None] + s[..., None] * t)
    m1 = (y * w).sum(axis=-1)
    m2 = (y * y * w).sum(axis=-1)
    return m1, np.maximum(m2 - m1 * m1, 0.0)
