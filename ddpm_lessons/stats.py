"""Numbers with error bars: estimates, the "clearly different" rule, bootstrap, line fits with intervals.

Every quality number of the chapter is an :class:`Estimate` — a value with its spread, which says
whether it is a standard error (``kind="se"``: how well the value is known) or a standard
deviation (``kind="sd"``: how much one draw varies, as for a noise floor). Every comparative claim
goes through :func:`clearly_different` / :func:`clearly_less`, which take standard errors only:
two estimates differ clearly when their difference exceeds ``k`` (default 3) combined standard
errors. Runs that share their starting noise (two samplers from the same x_T) are compared with
:func:`paired_difference`, which resamples the same indices for both, so the shared part of their
noise cancels; treating their errors as independent would overstate the uncertainty.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import NamedTuple

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


KINDS = ("se", "sd")


@dataclass(frozen=True)
class Estimate:
    """A measured value with its spread ``se`` and how it was obtained (``n``, ``how``).

    ``kind`` says what the spread is: ``"se"`` (default), a standard error of the value, or
    ``"sd"``, the standard deviation of one draw (``mean_sd``: noise floors). Formats as
    ``"value ± spread"``; ``format(e, ".3g")`` applies the spec to both numbers.
    """

    value: float
    se: float
    n: int = 0
    how: str = ""
    kind: str = "se"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS} (standard error or standard deviation), got {self.kind!r}")

    def __format__(self, spec: str) -> str:
        spec = spec or ".3g"
        return f"{format(self.value, spec)} ± {format(self.se, spec)}"

    def __str__(self) -> str:
        return format(self, ".3g")

    def __float__(self) -> float:
        return float(self.value)

    def mean_of_draws(self) -> "Estimate":
        """An sd-Estimate over ``n`` draws as the standard error of their mean (sd/√n); an se stays."""
        if self.kind == "se":
            return self
        if self.n < 2:
            raise ValueError(f"an sd-Estimate needs n >= 2 draws to give the se of their mean, got n = {self.n}")
        return Estimate(self.value, self.se / math.sqrt(self.n), self.n, f"{self.how} → se of the mean", "se")


def mean_se(values, how: str = "mean ± se over repeats") -> Estimate:
    """Mean and standard error (sd/√n, unbiased sd) of repeated measurements."""
    v = _at_least_two(values, "repeated measurements for a standard error")
    return Estimate(float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)), int(v.size), how)


def mean_sd(values, how: str = "mean ± sd over draws") -> Estimate:
    """Mean and standard deviation of draws (the spread of ONE draw, as for a noise floor): kind "sd"."""
    v = _at_least_two(values, "draws for a standard deviation")
    return Estimate(float(v.mean()), float(v.std(ddof=1)), int(v.size), how, "sd")


def _at_least_two(values, what):
    v = np.asarray([float(x) for x in values], dtype=float)
    if v.size < 2:
        raise ValueError(f"values must hold at least 2 {what}, got {v.size}")
    return v


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


def paired_difference(statistic, a, b, *rest, reps: int = 200, generator: torch.Generator | None = None) -> Estimate:
    """statistic(a, *rest) − statistic(b, *rest) with a **paired** bootstrap standard error.

    ``a`` and ``b`` hold the same number of rows, row i of each coming from the same starting
    noise (two samplers run from one x_T). Each replicate resamples ONE set of indices and applies
    it to both, so what the two runs share cancels in the difference. ``rest`` (e.g. a reference
    set) is passed unchanged. Decide with ``clearly_different(d, 0)``. Used by the analyzer's
    ``clearly_better`` (notebooks 05, 06) and wherever notebooks compare samplers from one x_T.
    """
    reps = check_int("reps", reps, 2, 100_000)
    if len(a) != len(b):
        raise ValueError(f"a and b must be paired row by row (same length), got {len(a)} and {len(b)}")
    value = float(statistic(a, *rest)) - float(statistic(b, *rest))
    out = []
    for _ in range(reps):
        idx = torch.randint(0, len(a), (len(a),), generator=generator)
        out.append(float(statistic(a[idx], *rest)) - float(statistic(b[idx], *rest)))
    return Estimate(value, float(np.std(out, ddof=1)), len(a), f"paired bootstrap over {len(a)} shared starts ({reps} reps)")


def clearly_different(a, b, k: float = 3.0) -> bool:
    """True when |a − b| > k·√(se_a² + se_b²): a difference clearly larger than the noise.

    ``a`` and ``b`` are :class:`Estimate` s with standard errors (a plain number counts as exact,
    se = 0). An Estimate of kind "sd" is refused: convert it with ``.mean_of_draws()``.
    """
    va, sa = _parts(a)
    vb, sb = _parts(b)
    return abs(va - vb) > k * math.hypot(sa, sb)


def clearly_less(a, b, k: float = 3.0) -> bool:
    """a < b by more than k combined standard errors (Estimates of kind "sd" are refused)."""
    va, sa = _parts(a)
    vb, sb = _parts(b)
    return vb - va > k * math.hypot(sa, sb)


def _parts(e):
    if isinstance(e, Estimate):
        if e.kind != "se":
            raise ValueError(f"comparisons need standard errors, but this Estimate's ± is a standard deviation "
                             f"({e.how or 'kind=sd'}); use estimate.mean_of_draws() for the se of the mean over its "
                             f"{e.n} draws")
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
        extra = f"; {self.reason}" if self.reason else ""
        return f"{self.exponent:.2f} [{self.ci[0]:.2f}, {self.ci[1]:.2f}] ({self.points} points{extra})"


class Line(NamedTuple):
    """A least-squares line: ``slope``, ``intercept``, ``r2`` and the slope's standard error."""

    slope: float
    intercept: float
    r2: float
    slope_se: float


def fit_line(x, y) -> Line:
    """Least-squares line y ≈ slope·x + intercept, as a :class:`Line` (used in notebook 02).

    ``slope_se`` is the usual standard error √(Σres²/(n−2)/Sxx) (inf for two points).
    """
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
    slope_se = math.sqrt(ss_res / (len(xs) - 2) / sxx) if len(xs) > 2 else float("inf")
    return Line(slope, intercept, r2, slope_se)


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
    if n < min_points:
        return _not_measurable(n, f"{n} point(s) clearly above the noise, {min_points} needed")
    if np.ptp(x[keep]) == 0:
        return _not_measurable(n, "all points at the same x: no slope to fit")
    slope, icpt, _, se = fit_line(np.log(x[keep]), np.log(y[keep]))
    half = t975(n - 2) * se
    return PowerLaw(float(slope), (float(slope - half), float(slope + half)), float(math.exp(icpt)), n, True)


def fit_power_law_over_seeds(x, ys, *, min_points: int = 3) -> PowerLaw:
    """One power-law slope per seed (``ys[k]`` the values of seed k at ``x``), combined.

    The exponent is the mean of the per-seed slopes and the 95 % interval is mean ± t·se over the
    seeds, so the between-seed spread is inside the interval (with one fit on pooled means it is
    not). Needs ≥ 2 seeds whose fits are measurable. Used by notebook 06's order-of-accuracy fit.
    """
    fits = [fit_power_law(x, y, min_points=min_points) for y in ys]
    ok = [f for f in fits if f.measurable]
    if len(ok) < 2:
        return _not_measurable(min((f.points for f in fits), default=0),
                               f"{len(ok)} of {len(fits)} seeds gave a measurable fit, 2 needed")
    slopes = np.array([f.exponent for f in ok])
    mean, se = float(slopes.mean()), float(slopes.std(ddof=1) / math.sqrt(len(slopes)))
    half = t975(len(slopes) - 1) * se
    return PowerLaw(mean, (mean - half, mean + half), float(np.mean([f.prefactor for f in ok])),
                    min(f.points for f in ok), True, f"mean over {len(ok)} seeds")


def _not_measurable(points, reason):
    nan = float("nan")
    return PowerLaw(nan, (nan, nan), nan, points, False, reason)
