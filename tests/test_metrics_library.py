"""FD and the kernel distance (KID) checked against a maintained library, and KID's unbiasedness.

The library is torchmetrics (a [test] extra): its FrechetInceptionDistance and
KernelInceptionDistance accept any ``nn.Module`` as the feature extractor, so an identity module
on precomputed features compares the two formulas on the same arrays, with no downloaded weights.
KID there averages over random subsets; one subset of the full size is the full-set estimate
(a permutation of all rows leaves the U-statistic unchanged).
"""
import numpy as np
import pytest
import torch

from ddpm_lessons.metrics import FeatureSpace, feature_statistics, frechet_distance, kid
from ddpm_lessons.stats import mean_se

# torchmetrics warns that its KID keeps every feature in memory: that is what is asked of it here
pytestmark = pytest.mark.filterwarnings("ignore:Metric `Kernel Inception Distance` will save")


def gen(seed):
    return torch.Generator().manual_seed(seed)


class _Identity(torch.nn.Module):
    """The 'feature extractor' for precomputed features; ``num_features`` spares FID a probe call."""

    def __init__(self, d):
        super().__init__()
        self.num_features = d

    def forward(self, x):
        return x


def _library_fd_kid(a, b):
    why = "torchmetrics is not installed (a [test] extra: pip install 'ddpm-lessons[test]')"
    # the submodules, not torchmetrics.image: that one exports the metrics only with torch-fidelity
    fid_mod = pytest.importorskip("torchmetrics.image.fid", reason=why)
    kid_mod = pytest.importorskip("torchmetrics.image.kid", reason=why)
    d = a.shape[1]
    fid = fid_mod.FrechetInceptionDistance(feature=_Identity(d))
    kid_lib = kid_mod.KernelInceptionDistance(feature=_Identity(d), subsets=1, subset_size=len(a))
    for m in (fid, kid_lib):
        m.update(a, real=True)
        m.update(b, real=False)
    return float(fid.compute()), float(kid_lib.compute()[0])


@pytest.fixture(scope="module")
def digit_features():
    """Classifier features of real held-out digits (the reference) and of two sample sets:
    other real digits, and the same digits blurred (a mild, realistic defect)."""
    from ddpm_lessons import load_mnist, load_pretrained

    clf = load_pretrained("mnist-features", device="cpu").model
    held, _ = load_mnist("heldout")
    train, _ = load_mnist("train")
    space = FeatureSpace(clf, held[:400], dims=16)
    real = train[:400]
    blurred = torch.nn.functional.avg_pool2d(real, 3, stride=1, padding=1, count_include_pad=False)
    return space, {"real": real, "blurred": blurred}


@pytest.mark.parametrize("which", ["real", "blurred"])
def test_fd_and_kid_of_classifier_features_agree_with_torchmetrics(digit_features, which):
    space, samples = digit_features
    f = space.features(samples[which])
    lib_fd, lib_kid = _library_fd_kid(space.ref_features, f)
    ours_fd = space.fd(samples[which], reps=2, generator=gen(0)).value
    ours_kid = space.kid(samples[which], reps=2, generator=gen(0)).value
    assert ours_fd == pytest.approx(lib_fd, rel=1e-4)
    assert ours_kid == pytest.approx(lib_kid, rel=1e-4)
    assert frechet_distance(*feature_statistics(f), *space.ref_stats) == pytest.approx(lib_fd, rel=1e-4)


def test_fd_and_kid_agree_with_torchmetrics_on_skewed_features_in_64_dimensions():
    """Non-Gaussian features (exponential, correlated) with different means and covariances."""
    a = torch.empty(300, 64, dtype=torch.float64).exponential_(generator=gen(1))
    mix = torch.randn(64, 64, generator=gen(2), dtype=torch.float64) / 8
    b = torch.empty(300, 64, dtype=torch.float64).exponential_(generator=gen(3)) @ (torch.eye(64) + mix) + 0.2
    lib_fd, lib_kid = _library_fd_kid(a, b)
    assert frechet_distance(*feature_statistics(a), *feature_statistics(b)) == pytest.approx(lib_fd, rel=1e-4)
    assert kid(a, b, reps=2, generator=gen(4)).value == pytest.approx(lib_kid, rel=1e-4)


def _kid_biased(a, b):
    """The V-statistic (diagonal kept), written independently in numpy: biased upward."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    k = lambda x, y: (x @ y.T / x.shape[1] + 1.0) ** 3  # noqa: E731
    return k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean()


def test_kid_is_unbiased_where_the_v_statistic_is_not():
    """Same-distribution sets: the mean KID over repeated draws is within 3 se of 0; the biased
    estimator's mean lies many se above 0 (its bias is (E k(x,x) − E k(x,x'))·(1/n + 1/m))."""
    g = gen(5)
    unbiased, biased = [], []
    for _ in range(300):
        a = torch.randn(20, 8, generator=g, dtype=torch.float64)
        b = torch.randn(30, 8, generator=g, dtype=torch.float64)
        unbiased.append(kid(a, b, reps=2, generator=g).value)
        biased.append(_kid_biased(a, b))
    u, v = mean_se(unbiased), mean_se(biased)
    assert abs(u.value) < 3 * u.se, u
    assert v.value > 10 * v.se, v
    assert min(unbiased) < 0 < max(unbiased)  # an unbiased estimate of 0 must go negative sometimes


def test_kid_is_deterministic_grows_with_the_shift_and_its_bootstrap_se_matches_the_spread():
    a = torch.randn(100, 8, generator=gen(6), dtype=torch.float64)
    b = torch.randn(100, 8, generator=gen(7), dtype=torch.float64)
    assert kid(a, b + 0.5, generator=gen(8)).value == kid(a, b + 0.5, generator=gen(9)).value
    values = [kid(a, b + s, reps=2, generator=gen(10)).value for s in (0.25, 0.5, 1.0)]
    assert values == sorted(values) and values[0] > 0
    # the se is the spread of the value over fresh draws (shifted sets, where the bootstrap is honest)
    g = gen(11)
    draws, ses = [], []
    for _ in range(30):
        x = torch.randn(100, 8, generator=g, dtype=torch.float64)
        y = torch.randn(100, 8, generator=g, dtype=torch.float64) + 0.4
        e = kid(x, y, reps=30, generator=g)
        draws.append(e.value)
        ses.append(e.se)
    spread = float(np.std(draws, ddof=1))
    assert 0.6 * spread < float(np.mean(ses)) < 1.6 * spread, (spread, np.mean(ses))


def test_kid_rejects_bad_input():
    a = torch.randn(10, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="same feature dimension"):
        kid(a, torch.randn(10, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="at least 2 rows"):
        kid(a, a[:1])
    with pytest.raises(TypeError, match="b must be a floating-point"):
        kid(a, torch.ones(10, 4, dtype=torch.long))
