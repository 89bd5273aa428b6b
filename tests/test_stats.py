"""Error bars: estimates, the clearly-different rule, bootstrap, power-law fits with intervals."""
import math

import pytest
import torch

import ddpm_lessons as dl
import numpy as np

from ddpm_lessons.stats import Estimate, fit_line, fit_power_law, fit_power_law_over_seeds, paired_difference, t975


def test_mean_se_and_format():
    e = dl.mean_se([1.0, 2.0, 3.0, 4.0])
    assert e.value == 2.5 and e.se == pytest.approx(math.sqrt(5 / 3) / 2)
    assert format(Estimate(0.123456, 0.0123), ".2g") == "0.12 ± 0.012"
    with pytest.raises(ValueError, match="at least 2"):
        dl.mean_se([1.0])


def test_clearly_different_uses_combined_errors():
    a, b = Estimate(1.0, 0.1), Estimate(1.5, 0.1)
    assert dl.clearly_different(a, b)  # 0.5 > 3·0.141
    assert not dl.clearly_different(a, Estimate(1.3, 0.1))  # 0.3 < 0.42
    assert dl.clearly_less(a, b) and not dl.clearly_less(b, a)


def test_bootstrap_se_matches_the_standard_error_of_a_mean():
    x = torch.randn(2000, generator=dl.seed(0)).double()
    e = dl.bootstrap(lambda v: v.mean(), x, reps=300, generator=dl.seed(1))
    assert e.se == pytest.approx(x.std().item() / math.sqrt(2000), rel=0.15)


def test_power_law_recovers_exponent_with_an_interval():
    x = [2, 4, 8, 16, 32]
    y = [3 * v**2 * (1 + 0.02 * (-1) ** i) for i, v in enumerate(x)]
    fit = fit_power_law(x, y)
    assert fit.measurable and fit.ci[0] < 2 < fit.ci[1] and fit.ci[1] - fit.ci[0] < 0.3
    assert "[" in str(fit)


def test_power_law_with_two_points_is_not_measurable():
    fit = fit_power_law([2, 4, 8], [1.0, -1.0, 2.0])
    assert not fit.measurable and "not measurable" in str(fit) and "2 point" in str(fit)


def test_t_quantiles():
    assert t975(1) == pytest.approx(12.706) and t975(1000) == pytest.approx(1.96)


def test_fit_line_recovers_an_exact_line_and_rejects_degenerate_input():
    line = fit_line([1, 2, 3, 4], [3, 5, 7, 9])
    assert line.slope == pytest.approx(2) and line.intercept == pytest.approx(1) and line.r2 == pytest.approx(1)
    assert line.slope_se == pytest.approx(0, abs=1e-12)
    with pytest.raises(ValueError, match="constant"):
        fit_line([1, 1], [2, 3])
    with pytest.raises(ValueError, match="same length"):
        fit_line([1, 2, 3], [2, 3])


def test_power_law_at_a_single_x_is_not_measurable():
    fit = fit_power_law([4, 4, 4], [1.0, 2.0, 3.0])
    assert not fit.measurable and "same x" in str(fit)


def test_fit_line_slope_se_matches_numpy_polyfit_covariance():
    g = np.random.default_rng(0)
    x = np.arange(12.0)
    y = 0.7 * x + 2 + g.normal(0, 0.5, x.size)
    line = fit_line(x, y)
    (slope, _), cov = np.polyfit(x, y, 1, cov=True)  # numpy scales the covariance by Σres²/(n − 2)
    assert line.slope == pytest.approx(slope) and line.slope_se == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-9)


# ----------------------------------------------------------------------------- se vs sd
def test_mean_sd_is_marked_as_a_standard_deviation_and_comparisons_refuse_it():
    floor = dl.mean_sd([1.0, 2.0, 3.0, 4.0, 5.0])
    assert floor.kind == "sd" and floor.se == pytest.approx(np.std([1, 2, 3, 4, 5], ddof=1))
    with pytest.raises(ValueError, match="mean_of_draws"):
        dl.clearly_different(floor, 10.0)
    with pytest.raises(ValueError, match="standard deviation"):
        dl.clearly_less(Estimate(0.0, 0.1), floor)
    mean = floor.mean_of_draws()
    assert mean.kind == "se" and mean.se == pytest.approx(floor.se / math.sqrt(5)) and mean.value == floor.value
    assert dl.clearly_less(mean, 10.0) and mean.mean_of_draws() is mean
    with pytest.raises(ValueError, match="kind"):
        Estimate(1.0, 0.1, kind="sem")


# ----------------------------------------------------------------------------- paired differences
def _shifted_pair(shift, n=400, seed=0):
    """b = a + shift + small own noise: most of a's variation is shared with b."""
    g = dl.seed(seed)
    a = torch.randn(n, generator=g, dtype=torch.float64)
    return a, a + shift + 0.05 * torch.randn(n, generator=g, dtype=torch.float64)


def test_paired_bootstrap_separates_a_shift_that_unpaired_errors_hide():
    a, b = _shifted_pair(0.1)
    mean = lambda v: v.mean()  # noqa: E731
    ea, eb = (dl.bootstrap(mean, v, reps=300, generator=dl.seed(1)) for v in (a, b))
    assert not dl.clearly_different(ea, eb)  # se ≈ 0.05 each: 0.1 < 3·0.07
    d = paired_difference(mean, b, a, reps=300, generator=dl.seed(2))
    assert d.value == pytest.approx(float(b.mean() - a.mean()))
    assert d.se == pytest.approx(0.05 / math.sqrt(400), rel=0.25)  # only the unshared noise is left
    assert dl.clearly_different(d, 0.0)


def test_paired_bootstrap_finds_no_difference_where_there_is_none():
    a, b = _shifted_pair(0.0, seed=3)
    mean = lambda v: v.mean()  # noqa: E731
    d = paired_difference(mean, b, a, reps=300, generator=dl.seed(4))
    assert not dl.clearly_different(d, 0.0)
    assert not dl.clearly_different(*(dl.bootstrap(mean, v, reps=300, generator=dl.seed(5)) for v in (a, b)))


def test_paired_bootstrap_passes_the_rest_unchanged_and_checks_lengths():
    a, b = _shifted_pair(0.5, n=50)
    ref = torch.full((7,), 2.0, dtype=torch.float64)
    d = paired_difference(lambda v, r: (v.mean() - r.mean()).abs(), a, b, ref, reps=20, generator=dl.seed(0))
    assert d.value == pytest.approx(float((a.mean() - 2).abs() - (b.mean() - 2).abs()))
    with pytest.raises(ValueError, match="paired"):
        paired_difference(lambda v: v.mean(), a, b[:-1])


def test_power_law_over_seeds_puts_the_seed_spread_in_the_interval():
    x = [2, 4, 8, 16]
    g = np.random.default_rng(1)
    slopes = [1.0 + 0.1 * g.normal() for _ in range(6)]
    ys = [[3 * v ** p for v in x] for p in slopes]  # each seed an exact power law with its own slope
    fit = fit_power_law_over_seeds(x, ys)
    assert fit.measurable and fit.exponent == pytest.approx(np.mean(slopes))
    half = t975(5) * np.std(slopes, ddof=1) / math.sqrt(6)
    assert fit.ci == pytest.approx((np.mean(slopes) - half, np.mean(slopes) + half))
    pooled = fit_power_law(x, np.mean(ys, axis=0))
    assert fit.ci[1] - fit.ci[0] > pooled.ci[1] - pooled.ci[0]  # a fit on pooled means ignores that spread
    assert not fit_power_law_over_seeds(x, ys[:1]).measurable

