"""Error bars: estimates, the clearly-different rule, bootstrap, power-law fits with intervals."""
import math

import pytest
import torch

import ddpm_lessons as dl
from ddpm_lessons.stats import Estimate, fit_line, fit_power_law, t975


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
    slope, intercept, r2 = fit_line([1, 2, 3, 4], [3, 5, 7, 9])
    assert slope == pytest.approx(2) and intercept == pytest.approx(1) and r2 == pytest.approx(1)
    assert dl.costs.fit_line is fit_line  # the notebooks' dl.costs.fit_line is the same helper
    with pytest.raises(ValueError, match="constant"):
        fit_line([1, 1], [2, 3])
    with pytest.raises(ValueError, match="same length"):
        fit_line([1, 2, 3], [2, 3])


def test_power_law_at_a_single_x_is_not_measurable():
    fit = fit_power_law([4, 4, 4], [1.0, 2.0, 3.0])
    assert not fit.measurable and "same x" in str(fit)
