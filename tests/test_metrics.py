"""Every metric on cases with known answers."""
import math

import pytest

from ddpm_lessons import clearly_different
import torch

from ddpm_lessons.metrics import (class_histogram, confident_fraction, energy_distance,
                                  energy_distance_with_floor, frame_differences, frechet_distance,
                                  log_likelihood, pairwise_mse, run_variance, sliced_wasserstein)
from ddpm_lessons.mixture import GaussianMixture


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------- energy distance
def test_energy_distance_identical_sets_is_zero_and_symmetric():
    x, y = torch.randn(300, 2, generator=gen(0)), torch.randn(200, 2, generator=gen(1)) + 0.5
    assert energy_distance(x, x) == pytest.approx(0.0, abs=1e-12)
    assert energy_distance(x, y) == pytest.approx(energy_distance(y, x), rel=1e-12)
    assert energy_distance(x, y) > 0.05


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
    assert d_true.value < 5 * floor.value and d_true.se > 0 and floor.se > 0 and floor.n == 200
    assert d_shift.value > 10 * floor.value
    assert clearly_different(d_shift, d_true) and not clearly_different(d_true, floor)


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
    assert real.se > 0 and floor.n == 5 and floor.se > 0
    assert not clearly_different(real, floor)  # real digits score the floor
    assert clearly_different(noise, floor)  # noise images do not
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


def test_sliced_wasserstein_known_shift():
    # shifting every point by v changes each 1D projection by θᵀv; E[(θᵀv)²] = ‖v‖²/D for uniform θ
    x = torch.randn(500, 2, generator=gen(6))
    v = torch.tensor([1.0, 0.0])
    assert sliced_wasserstein(x, x, generator=gen(7)) == pytest.approx(0.0, abs=1e-12)
    assert sliced_wasserstein(x, x + v, n_projections=4000, generator=gen(7)) == pytest.approx(0.5, rel=0.05)


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
