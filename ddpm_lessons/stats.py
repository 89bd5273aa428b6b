"""Numbers with error bars: estimates, the "clearly different" rule, bootstrap, line fits with intervals.

Every quality number of the chapter is an :class:`Estimate` — a value with its standard error —
and every comparative claim goes through :func:`clearly_different`: two estimates differ clearly
when their difference exceeds ``k`` (default 3) combined standard errors. Treating the two errors
as independent is conservative for the chapter's paired comparisons only when the pairing makes
them positively correlated (same x_T for both samplers), which is the usual case.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np
import torch

from .checks import check_int

#: two-sided 95 % Student-t quantiles t_{0.975, df} for df = 1 … 30 (beyond: 1.96 is within 2 %).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (a 95 % two-sided interval)."""
    df = check_int("df", df, 1, 10**9)
    return _T975[df - 1] if df <= len(_T975) else 1.96


@dataclass(frozen=True)
class Estimate:
    """A measured value with its standard error (``se``) and how it was obtained (``n``, ``how``).

    Formats as ``"value ± se"``; ``format(e, ".3g")`` applies the spec to both numbers.
    """

    value: float
    se: float
    n: int = 0
    how: str = ""

    def __format__(self, spec: str) -> str:
        spec = spec or ".3g"
        return f"{format(self.value, spec)} ± {format(self.se, spec)}"

    def __str__(self) -> str:
        return format(self, ".3g")

    def __float__(self) -> float:
        return float(self.value)

    @property
    def low(self) -> float:
        return self.value - 2 * self.se

    @property
    def high(self) -> float:
        return self.value + 2 * self.se


def mean_se(values, how: str = "mean ± se over repeats") -> Estimate:
    """Mean and standard error (sd/√n, unbiased sd) of repeated measurements."""
    v = np.asarray([float(x) for x in values], dtype=float)
    if v.size < 2:
        raise ValueError(f"values must hold at least 2 repeated measurements for a standard error, got {v.size}")
    return Estimate(float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)), int(v.size), how)


def mean_sd(values, how: str = "mean ± sd over draws") -> Estimate:
    """Mean and standard deviation (the spread of one draw, as for a noise floor)."""
    v = np.asarray([float(x) for x in values], dtype=float)
    if v.size < 2:
        raise ValueError(f"values must hold at least 2 draws for a standard deviation, got {v.size}")
    return Estimate(float(v.mean()), float(v.std(ddof=1)), int(v.size), how)


def bootstrap(statistic, *samples, reps: int = 100, generator: torch.Generator | None = None) -> Estimate:
    """``statistic(*samples)`` with a bootstrap standard error: resample the rows of each sample
    set with replacement ``reps`` times (each set independently) and take the sd of the replicates.

    The value is the statistic on the original sets. ``generator`` makes the resampling reproducible.
    """
    reps = check_int("reps", reps, 2, 100_000)
    if not samples:
        raise ValueError("bootstrap needs at least one sample set")
    value = float(statistic(*samples))
    reps_out = []
    for _ in range(reps):
        resampled = [s[torch.randint(0, len(s), (len(s),), generator=generator)] for s in samples]
        reps_out.append(float(statistic(*resampled)))
    return Estimate(value, float(np.std(reps_out, ddof=1)), len(samples[0]), f"bootstrap over samples ({reps} reps)")


def clearly_different(a, b, k: float = 3.0) -> bool:
    """True when |a − b| > k·√(se_a² + se_b²): a difference clearly larger than the noise.

    ``a`` and ``b`` are :class:`Estimate` s (a plain number counts as exact, se = 0).
    """
    va, sa = _parts(a)
    vb, sb = _parts(b)
    return abs(va - vb) > k * math.hypot(sa, sb)


def clearly_less(a, b, k: float = 3.0) -> bool:
    """a < b by more than k combined standard errors."""
    va, sa = _parts(a)
    vb, sb = _parts(b)
    return vb - va > k * math.hypot(sa, sb)


def _parts(e):
    if isinstance(e, Estimate):
        return float(e.value), float(e.se)
    return float(e), 0.0


@dataclass(frozen=True)
class PowerLaw:
    """A fit ``y ≈ prefactor · x**exponent`` on log–log axes, or the reason it is not measurable."""

    exponent: float
    ci: tuple
    prefactor: float
    points: int
    measurable: bool
    reason: str = ""

    def __str__(self) -> str:
        if not self.measurable:
            return f"not measurable ({self.reason})"
        return f"{self.exponent:.2f} [{self.ci[0]:.2f}, {self.ci[1]:.2f}] ({self.points} points)"


def fit_line(x, y):
    """Least-squares line y ≈ slope·x + intercept; returns (slope, intercept, r2)."""
    xs, ys = [float(v) for v in x], [float(v) for v in y]
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError(f"x and y need the same length >= 2, got {len(xs)} and {len(ys)}")
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((a - mx) ** 2 for a in xs)
    if sxx == 0:
        raise ValueError("x must not be constant")
    slope = sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    ss_res = sum((b - (slope * a + intercept)) ** 2 for a, b in zip(xs, ys))
    ss_tot = sum((b - my) ** 2 for b in ys)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return slope, intercept, r2


def fit_power_law(x, y, *, min_points: int = 3) -> PowerLaw:
    """Least-squares slope of log y against log x with a 95 % confidence interval.

    Needs at least ``min_points`` (≥ 3) points with x > 0 and y > 0; otherwise the result says
    "not measurable" (no NaN, no R² from two points). The interval is slope ± t_{0.975, n−2}·se.
    """
    min_points = check_int("min_points", min_points, 3, 10**6)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    n = int(keep.sum())
    if n >= min_points and np.ptp(x[keep]) == 0:
        return PowerLaw(float("nan"), (float("nan"), float("nan")), float("nan"), n, False,
                        "all points at the same x: no slope to fit")
    if n < min_points:
        return PowerLaw(float("nan"), (float("nan"), float("nan")), float("nan"), n, False,
                        f"{n} point(s) clearly above the noise, {min_points} needed")
    lx, ly = np.log(x[keep]), np.log(y[keep])
    slope, icpt, _ = fit_line(lx, ly)
    resid = ly - (slope * lx + icpt)
    sxx = float(((lx - lx.mean()) ** 2).sum())
    se = math.sqrt(float((resid**2).sum()) / (n - 2) / sxx) if sxx > 0 else float("inf")
    half = t975(n - 2) * se
    return PowerLaw(float(slope), (float(slope - half), float(slope + half)), float(math.exp(icpt)), n, True)
