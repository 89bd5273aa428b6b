"""Every metric on cases with known answers."""
import math

import numpy as np
import pytest
import torch

from ddpm_lessons import clearly_different, clearly_less, mean_se

from ddpm_lessons.metrics import (class_histogram, confident_fraction, energy_distance,
                                  energy_distance_with_floor, frame_differences, frechet_distance,
                                  log_likelihood, pairwise_mse, run_variance)
from ddpm_lessons.mixture import GaussianMixture


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------- energy distance
def _energy_distance_brute_force(x, y, biased):
    """Independent reference: explicit pairwise sums in numpy, within-set means over i ≠ j (or all pairs)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    dist = lambda a, b: np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))  # noqa: E731
    n, m = len(x), len(y)
    within = lambda a, k: dist(a, a).sum() / (k * k if biased else k * (k - 1))  # noqa: E731
    return 2 * dist(x, y).mean() - within(x, n) - within(y, m)


@pytest.mark.parametrize("biased", [False, True])
def test_energy_distance_matches_a_brute_force_reference_and_is_symmetric(biased):
    x, y = torch.randn(30, 3, generator=gen(0)), torch.randn(23, 3, generator=gen(1)) + 0.5
    want = _energy_distance_brute_force(x.numpy(), y.numpy(), biased)
    assert energy_distance(x, y, biased=biased) == pytest.approx(want, rel=1e-10)
    assert energy_distance(x, y, biased=biased) == pytest.approx(energy_distance(y, x, biased=biased), rel=1e-12)
    # identical sets: the V-statistic is exactly 0, the U-statistic negative (its within-set means skip i = j)
    same = energy_distance(x, x, biased=biased)
    assert same == pytest.approx(0.0, abs=1e-12) if biased else same < 0


def test_unbiased_energy_distance_is_zero_in_expectation_and_the_v_statistic_is_not():
    """≥ 200 independent same-distribution pairs at n = 200 in 2D."""
    g = gen(11)
    u, v = [], []
    for _ in range(200):
        x, y = torch.randn(200, 2, generator=g), torch.randn(200, 2, generator=g)
        u.append(energy_distance(x, y))
        v.append(energy_distance(x, y, biased=True))
    mu, mv = mean_se(u), mean_se(v)
    assert abs(mu.value) < 3 * mu.se, f"U-statistic mean {mu} is not within 3 se of 0"
    assert mv.value > 10 * mv.se, f"V-statistic mean {mv} should be clearly above 0"
    assert min(u) < 0 < max(u)  # single draws fall on both sides of 0


def test_unbiased_energy_distance_penalises_an_over_concentrated_sample_more_than_the_v_statistic():
    g = gen(12)
    rows = {"correct": [], "concentrated": []}
    bias = {"correct": [], "concentrated": []}
    for _ in range(60):
        ref = torch.randn(150, 2, generator=g)
        for name, scale in (("correct", 1.0), ("concentrated", 0.75)):
            x = scale * torch.randn(150, 2, generator=g)
            u = energy_distance(x, ref)
            rows[name].append(u)
            bias[name].append(energy_distance(x, ref, biased=True) - u)
    assert clearly_less(mean_se(rows["correct"]), mean_se(rows["concentrated"]))
    # the V-statistic's bias E‖X−X'‖/n + E‖Y−Y'‖/m shrinks for the concentrated sample: it hides the defect
    assert clearly_less(mean_se(bias["concentrated"]), mean_se(bias["correct"]))


def test_energy_distance_chunking_does_not_change_the_value():
    x, y = torch.randn(257, 3, generator=gen(2)), torch.randn(190, 3, generator=gen(3))
    assert energy_distance(x, y, chunk=7) == pytest.approx(energy_distance(x, y, chunk=4096), abs=1e-10)


def test_energy_distance_point_masses_closed_form():
    # X ≡ a, Y ≡ b: 2‖a − b‖ − 0 − 0
    x, y = torch.zeros(5, 2), torch.tensor([[3.0, 4.0]]).repeat(7, 1)
    assert energy_distance(x, y) == pytest.approx(10.0)


def test_energy_distance_grows_with_shift_and_floor_is_small():
    mixture = GaussianMixture.preset("swiss_roll")
    x = mixture.sample(1000, gen(4))
    d_true, floor = energy_distance_with_floor(x, mixture, generator=gen(5))
    d_shift, _ = energy_distance_with_floor(x + 0.5, mixture, generator=gen(5))
    assert d_true.se > 0 and floor.se > 0 and floor.n == 5 and floor.kind == "sd" and d_true.n == 5
    assert abs(floor.value) < 3 * floor.mean_of_draws().se  # a perfect sampler's score: ≈ 0 ± its spread
    assert clearly_different(d_shift, d_true) and not clearly_different(d_true, floor.mean_of_draws())


def test_feature_space_fd_has_error_bars_and_refuses_too_few_samples():
    from ddpm_lessons import load_mnist, load_pretrained
    from ddpm_lessons.metrics import FeatureSpace

    clf = load_pretrained("mnist-features", device="cpu").model
    held, _ = load_mnist("heldout")
    train, _ = load_mnist("train")
    space = FeatureSpace(clf, held, dims=16)
    real = space.fd(train[:64], generator=gen(0))
    floor = space.floor(train, 64, generator=gen(1))
    noise = space.fd(torch.rand(64, 1, 16, 16, generator=gen(2)) * 2 - 1, generator=gen(3))
    assert real.se > 0 and floor.n == 5 and floor.se > 0 and floor.kind == "sd"
    assert not clearly_different(real, floor.mean_of_draws())  # real digits score the floor
    assert clearly_different(noise, floor.mean_of_draws())  # noise images do not
    with pytest.raises(ValueError, match="2·16"):
        space.fd(train[:20])
    with pytest.raises(ValueError, match="2·128"):
        FeatureSpace(clf, held).fd(train[:100])


def test_confident_and_loglik_estimates_have_standard_errors():
    from ddpm_lessons.metrics import confident_estimate, log_likelihood_estimate

    probs = torch.tensor([[0.95, 0.05], [0.5, 0.5], [0.99, 0.01], [0.2, 0.8]])
    e = confident_estimate(probs)
    assert e.value == 0.5 and e.se == pytest.approx(0.25)
    mixture = GaussianMixture.preset("swiss_roll")
    ll = log_likelihood_estimate(mixture.sample(500, gen(1)), mixture)
    assert 0 < ll.se < 0.2


def test_energy_distance_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="same dimension"):
        energy_distance(torch.zeros(3, 2), torch.zeros(3, 3))


def test_log_likelihood_prefers_true_samples():
    mixture = GaussianMixture.preset("swiss_roll")
    x = mixture.sample(500, gen(8))
    good, blurred = log_likelihood(x, mixture), log_likelihood(x + 0.1 * torch.randn(500, 2, generator=gen(9)), mixture)
    assert set(good) == {"mean", "median"}
    assert good["mean"] > blurred["mean"] + 1.0


# ----------------------------------------------------------------------------- Fréchet distance
def test_frechet_distance_identical_is_zero():
    a = torch.randn(6, 6, generator=gen(10), dtype=torch.float64)
    c = a @ a.T + torch.eye(6, dtype=torch.float64)
    mu = torch.randn(6, generator=gen(11), dtype=torch.float64)
    assert frechet_distance(mu, c, mu, c) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_closed_form_isotropic():
    # N(μ1, s1² I) vs N(μ2, s2² I): ‖μ1 − μ2‖² + d (s1 − s2)²
    d, s1, s2 = 5, 1.5, 0.5
    mu1, mu2 = torch.zeros(d), torch.arange(d, dtype=torch.float64)
    expected = float((mu2 ** 2).sum()) + d * (s1 - s2) ** 2
    got = frechet_distance(mu1, s1 ** 2 * torch.eye(d), mu2, s2 ** 2 * torch.eye(d))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_non_commuting_covariances_match_2x2_closed_form():
    # for 2×2 SPD matrices tr √M = √(tr M + 2√det M) with M = √C1 C2 √C1 (det M = det C1 det C2)
    c1 = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    c2 = torch.tensor([[1.0, -0.3], [-0.3, 0.5]], dtype=torch.float64)
    tr_sqrt = math.sqrt(float((c1 @ c2).trace()) + 2 * math.sqrt(float(c1.det() * c2.det())))
    expected = 1.0 + float(c1.trace() + c2.trace()) - 2 * tr_sqrt
    got = frechet_distance(torch.zeros(2), c1, torch.tensor([1.0, 0.0]), c2)
    assert got == pytest.approx(expected, rel=1e-9)
    assert got == pytest.approx(frechet_distance(torch.tensor([1.0, 0.0]), c2, torch.zeros(2), c1), rel=1e-9)


def test_frechet_distance_rejects_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        frechet_distance(torch.zeros(3), torch.eye(3), torch.zeros(2), torch.eye(2))


# ----------------------------------------------------------------------------- classifier summaries
def test_confident_fraction_and_histogram():
    probs = torch.tensor([[0.95, 0.05, 0.0], [0.5, 0.5, 0.0], [0.0, 0.05, 0.95], [0.0, 0.0, 1.0]])
    assert confident_fraction(probs, 0.9) == pytest.approx(0.75)
    assert class_histogram(probs).tolist() == pytest.approx([0.5, 0.0, 0.5])
    with pytest.raises(ValueError, match="threshold"):
        confident_fraction(probs, 1.5)


# ----------------------------------------------------------------------------- runs and paths
def test_pairwise_mse_known_values():
    runs = torch.stack([torch.zeros(2, 2), torch.ones(2, 2), 3 * torch.ones(2, 2)])
    m = pairwise_mse(runs)
    assert m.shape == (3, 3)
    assert torch.allclose(m, torch.tensor([[0.0, 1.0, 9.0], [1.0, 0.0, 4.0], [9.0, 4.0, 0.0]], dtype=torch.float64))


def test_frame_differences_known_values():
    frames = torch.tensor([0.0, 1.0, 3.0, 3.0]).view(4, 1, 1).repeat(1, 2, 2)
    assert frame_differences(frames).tolist() == pytest.approx([1.0, 4.0, 0.0])
    with pytest.raises(ValueError, match="at least 2"):
        frame_differences(frames[:1])


def test_run_variance_known_values():
    # 2 runs, 3 points: values (0, 0), (0, 2), (1, 3) → unbiased variances 0, 2, 2
    a = torch.tensor([0.0, 0.0, 1.0]).view(3, 1).repeat(1, 4)
    b = torch.tensor([0.0, 2.0, 3.0]).view(3, 1).repeat(1, 4)
    v = run_variance(torch.stack([a, b]))
    assert v.tolist() == pytest.approx([0.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="at least 2 runs"):
        run_variance(a[None])
