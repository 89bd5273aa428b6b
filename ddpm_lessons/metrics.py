"""The chapter's measurements: 2D sample quality, image sample quality, run-to-run variation.

2D (the swiss roll, whose true density is known):
  * :func:`log_likelihood` — mean (and median) log p(x) under the true mixture;
  * :func:`energy_distance` — Székely & Rizzo's energy distance
    E(X, Y) = 2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖ (unbiased U-statistic: 0 in expectation for samples
    of one distribution), and :func:`energy_distance_with_floor`, which also reports the distance
    between two fresh true sets of the same size (what a perfect sampler scores, ± its spread).

Images (16×16 digits):
  * :func:`classify`, :func:`confident_fraction`, :func:`class_histogram` — what the digit
    classifier says about samples (are they clearly digits? are all classes there?);
  * :func:`frechet_distance` and :class:`FeatureSpace` — **FD in MNIST-classifier
    features**: the Fréchet (2-Wasserstein) distance between Gaussians fitted to penultimate
    features of the chapter's small digit classifier. This is *not* FID. FID (Heusel et al. 2017)
    uses Inception-v3 features trained on natural 299×299 RGB photographs (ImageNet); on 16×16
    grayscale digits those features are mostly about upsampling artefacts, the weights would have
    to be downloaded (~100 MB), and one Inception pass per sample would dwarf the cost of the
    sampler on a laptop CPU. A classifier trained on the same digits gives features that respond
    to digit shape, and its numbers are only comparable with each other, at the same sample size
    (the estimate is biased upward at small n; see :meth:`FeatureSpace.floor`).
  * :func:`kid` and :meth:`FeatureSpace.kid` — the kernel distance (unbiased MMD², cubic
    kernel; KID of Bińkowski et al. 2018 when the features are Inception's) on the same features:
    unbiased at every n, so it can be reported beside FD where FD's small-n bias matters.

Runs and paths:
  * :func:`pairwise_mse`, :func:`frame_differences`, :func:`run_variance`.

Error bars (:mod:`ddpm_lessons.stats`): :func:`energy_distance_with_floor` (mean ± se over
disjoint groups of samples), :func:`log_likelihood_estimate` (se of the mean),
:func:`confident_estimate` (binomial se) and :class:`FeatureSpace` ``.fd`` (bootstrap over the
samples) return :class:`~ddpm_lessons.stats.Estimate` s; floors are mean ± sd over ≥ 5 draws at
the same sample size (Estimates of kind "sd": compare with ``floor.mean_of_draws()``).
"""
from __future__ import annotations

import torch

from .checks import check_float_tensor, check_int
from .mixture import GaussianMixture
from .stats import Estimate, bootstrap, mean_sd, mean_se


# =========================================================================== 2D
def log_likelihood(x: torch.Tensor, mixture: GaussianMixture) -> dict:
    """Mean and median log p(x) under the true mixture (nats per sample)."""
    lp = mixture.log_prob(x)
    return {"mean": lp.mean().item(), "median": lp.median().item()}


def _mean_pairwise_distance(a: torch.Tensor, b: torch.Tensor, chunk: int) -> float:
    """E‖a_i − b_j‖ over all pairs, in float64, chunked so memory is O(chunk·len(b))."""
    total = 0.0
    for i in range(0, a.shape[0], chunk):
        total += torch.cdist(a[i:i + chunk], b).sum().item()
    return total / (a.shape[0] * b.shape[0])


def energy_distance(x: torch.Tensor, y: torch.Tensor, chunk: int = 1024, *, biased: bool = False) -> float:
    """Energy distance 2E‖X−Y‖ − E‖X−X'‖ − E‖Y−Y'‖ between two sample sets (Székely & Rizzo 2013).

    By default the **U-statistic**: the within-set means run over pairs i ≠ j, so its expectation
    is exactly the energy distance — 0 when x and y come from the same distribution (a single
    value may then be negative). ``biased=True`` gives the V-statistic, whose within-set means
    include the zero diagonal: it is ≥ 0, but its expectation exceeds the energy distance by
    E‖X−X'‖/n + E‖Y−Y'‖/m, a bias that *shrinks* for an over-concentrated sample (small
    E‖X−X'‖) and so partly hides that defect. ``x`` (n, D) and ``y`` (m, D), n, m ≥ 2; flattened
    beyond the batch dimension. Memory is O(chunk·max(n, m)).
    Used in notebook 05 (scores of 2D samplers) and by :func:`energy_distance_with_floor`.
    """
    x = check_float_tensor("x", x).detach().flatten(1).to("cpu", torch.float64)
    y = check_float_tensor("y", y).detach().flatten(1).to("cpu", torch.float64)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
    n, m = x.shape[0], y.shape[0]
    if min(n, m) < 2:
        raise ValueError(f"x and y must hold at least 2 points each, got {n} and {m}")
    chunk = check_int("chunk", chunk, 1, 10**7)
    # the diagonal of a within-set distance matrix is 0: the sum over i ≠ j is the sum over all pairs
    within_x = _mean_pairwise_distance(x, x, chunk) * n * n
    within_y = _mean_pairwise_distance(y, y, chunk) * m * m
    nx, ny = (n * n, m * m) if biased else (n * (n - 1), m * (m - 1))
    return 2 * _mean_pairwise_distance(x, y, chunk) - within_x / nx - within_y / ny


def energy_distance_with_floor(samples: torch.Tensor, mixture: GaussianMixture,
                               generator: torch.Generator | None = None, groups: int = 5,
                               floor_draws: int = 5) -> tuple[Estimate, Estimate]:
    """(energy distance of ``samples`` to fresh true samples, the true-vs-true floor), with error bars.

    The samples are split into ``groups`` disjoint groups of m = n // groups (independent starting
    noises, so this is "over repeated seeds"); each group is compared with its own fresh true set
    of m points, and the result is the mean ± se over the groups. (A bootstrap is not used: the
    energy distance is a degenerate V-statistic and resampling with ties inflates it.)
    The floor is the distance between two independent fresh true sets of m points: what a perfect
    sampler scores at this m, as mean ± sd over ``floor_draws`` pairs (an Estimate of kind "sd").
    With the unbiased statistic its mean is ≈ 0 and single draws may be negative; it is a reference
    level with its spread, not a lower bound.
    """
    n = check_float_tensor("samples", samples).shape[0]
    groups = check_int("groups", groups, 2, max(2, n // 2))
    floor_draws = check_int("floor_draws", floor_draws, 2, 1000)
    m = n // groups
    if m < 2:
        raise ValueError(f"samples must hold at least 2·groups = {2 * groups} points, got {n}")
    x = samples.detach().cpu()
    distance = mean_se([energy_distance(x[k * m:(k + 1) * m], mixture.sample(m, generator)) for k in range(groups)],
                       how=f"mean ± se over {groups} groups of {m} samples")
    floor = mean_sd([energy_distance(mixture.sample(m, generator), mixture.sample(m, generator))
                     for _ in range(floor_draws)], how=f"true vs true at {m} points, mean ± sd over {floor_draws} draws")
    return distance, floor


def log_likelihood_estimate(x: torch.Tensor, mixture: GaussianMixture) -> Estimate:
    """Mean log p(x) under the true mixture with its standard error (sd/√n of the per-sample values)."""
    lp = mixture.log_prob(check_float_tensor("x", x).detach().cpu()).double()
    return Estimate(lp.mean().item(), (lp.std() / lp.numel() ** 0.5).item(), lp.numel(), "mean ± se over samples")


# =========================================================================== images
def _check_images(name, x):
    x = check_float_tensor(name, x, min_dim=4)
    if tuple(x.shape[1:]) != (1, 16, 16):
        raise ValueError(f"{name} must have shape (N, 1, 16, 16) in [-1, 1], got {tuple(x.shape)}")
    return x


@torch.inference_mode()
def _batched(fn, x, batch_size):
    return torch.cat([fn(x[i:i + batch_size]).float().cpu() for i in range(0, x.shape[0], batch_size)])


def _prep(classifier, x):
    """Samples may overshoot [−1, 1] slightly; the classifier saw [−1, 1] only, so clamp."""
    device = next(classifier.parameters()).device
    return x.detach().clamp(-1.0, 1.0).to(device, torch.float32)


def classify(samples: torch.Tensor, classifier, batch_size: int = 512) -> torch.Tensor:
    """Class probabilities (N, 10) of 16×16 ``samples`` under the digit classifier (eval mode)."""
    x = _prep(classifier, _check_images("samples", samples))
    classifier.eval()
    return _batched(lambda b: torch.softmax(classifier(b), dim=1), x, batch_size)


def confident_fraction(probs: torch.Tensor, threshold: float = 0.9) -> float:
    """Fraction of samples whose top class probability is >= ``threshold``."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
    probs = check_float_tensor("probs", probs)
    return (probs.max(dim=1).values >= threshold).float().mean().item()


def confident_estimate(probs: torch.Tensor, threshold: float = 0.9) -> Estimate:
    """:func:`confident_fraction` with its binomial standard error √(p(1−p)/n)."""
    p = confident_fraction(probs, threshold)
    n = probs.shape[0]
    return Estimate(p, (p * (1 - p) / n) ** 0.5, n, "binomial se")


def class_histogram(probs: torch.Tensor) -> torch.Tensor:
    """Fraction of samples assigned (argmax) to each class, shape (num_classes,), sums to 1."""
    probs = check_float_tensor("probs", probs)
    counts = torch.bincount(probs.argmax(dim=1), minlength=probs.shape[1]).double()
    return counts / counts.sum()


def classifier_features(samples: torch.Tensor, classifier, batch_size: int = 512) -> torch.Tensor:
    """Penultimate classifier features (N, feature_dim) in float64."""
    x = _prep(classifier, _check_images("samples", samples))
    classifier.eval()
    return _batched(classifier.features, x, batch_size).double()


def feature_statistics(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and unbiased covariance (d, d) of features (n, d), in float64."""
    f = check_float_tensor("features", features).double()
    if f.shape[0] < 2:
        raise ValueError(f"features must hold at least 2 rows for a covariance, got {f.shape[0]}")
    return f.mean(0), torch.cov(f.T)


def _sqrtm_psd(a: torch.Tensor) -> torch.Tensor:
    """Symmetric PSD square root by eigendecomposition (negative rounding eigenvalues → 0)."""
    lam, U = torch.linalg.eigh((a + a.T) / 2)
    return (U * lam.clamp(min=0).sqrt()) @ U.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """Fréchet distance between N(μ₁, C₁) and N(μ₂, C₂) (Dowson & Landau 1982), in float64:

        d² = ‖μ₁ − μ₂‖² + tr C₁ + tr C₂ − 2 tr (√C₁ C₂ √C₁)^{1/2}

    The cross term uses the symmetric form (√C₁ C₂ √C₁)^{1/2}, whose trace equals that of
    (C₁C₂)^{1/2} but needs only symmetric eigendecompositions (no scipy).
    """
    mu1, mu2 = (torch.as_tensor(m, dtype=torch.float64).flatten() for m in (mu1, mu2))
    cov1, cov2 = (torch.as_tensor(c, dtype=torch.float64) for c in (cov1, cov2))
    d = mu1.numel()
    if mu2.numel() != d or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(f"mu1, mu2 must have shape (d,) and cov1, cov2 shape (d, d); got {tuple(mu1.shape)}, "
                         f"{tuple(mu2.shape)}, {tuple(cov1.shape)}, {tuple(cov2.shape)}")
    s1 = _sqrtm_psd(cov1)
    cross = _sqrtm_psd(s1 @ cov2 @ s1)
    value = (mu1 - mu2).pow(2).sum() + cov1.trace() + cov2.trace() - 2 * cross.trace()
    return max(value.item(), 0.0)


def _cubic_kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """k(x, y) = (xᵀy/d + 1)³ for every pair of rows, (n, d) × (m, d) → (n, m): the KID kernel of
    Bińkowski et al. 2018 (§4, "Kernel Inception Distance"; d is the feature dimension)."""
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def _mmd2_unbiased(a: torch.Tensor, b: torch.Tensor) -> float:
    """Unbiased MMD² of Gretton et al. 2012 (Lemma 6): the within-set kernel means skip i = j,
    the cross mean runs over all n·m pairs. Same-distribution sets give 0 on average (it can be < 0)."""
    n, m = len(a), len(b)
    k_aa, k_bb = _cubic_kernel(a, a), _cubic_kernel(b, b)
    within_a = (k_aa.sum() - k_aa.diagonal().sum()) / (n * (n - 1))
    within_b = (k_bb.sum() - k_bb.diagonal().sum()) / (m * (m - 1))
    return (within_a + within_b - 2 * _cubic_kernel(a, b).mean()).item()


def kid(a: torch.Tensor, b: torch.Tensor, reps: int = 50, generator: torch.Generator | None = None) -> Estimate:
    """Kernel distance between two feature sets a (n, d) and b (m, d), in float64: the unbiased
    MMD² with the cubic kernel (xᵀy/d + 1)³ over the *full* sets (no random subsets, so the value
    is deterministic), with a bootstrap standard error (both sets resampled, :func:`~ddpm_lessons.stats.bootstrap`).

    Computed on Inception features this is KID (Bińkowski et al. 2018); on the chapter's classifier
    features it is the kernel counterpart of FD in those features. Unlike FD it is unbiased at any
    n, m ≥ 2: two sets from the same distribution score 0 on average (a single value may be < 0).
    The bootstrap se is honest when the sets differ and conservative when they do not (resampled
    ties inflate it): over 60 pairs of 200 Gaussian points in 16 dimensions it was 1.05× the sd
    of the values at a mean shift of 0.3 per coordinate and 1.8× at no shift
    (tests/test_metrics_library.py checks the first). Memory is O(n² + m² + nm).
    """
    a = check_float_tensor("a", a).detach().flatten(1).to("cpu", torch.float64)
    b = check_float_tensor("b", b).detach().flatten(1).to("cpu", torch.float64)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same feature dimension, got {a.shape[1]} and {b.shape[1]}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"a and b must hold at least 2 rows each for the unbiased estimate, got {len(a)} and {len(b)}")
    return bootstrap(_mmd2_unbiased, a, b, reps=reps, generator=generator)


class FeatureSpace:
    """Classifier features of a fixed set of real reference images, optionally projected onto their
    top ``dims`` principal components (a smaller feature layer: FD needs n ≥ 2·dims samples).

    ``fd(samples)`` is the FD of the samples' features to the reference's, with a bootstrap se;
    ``kid(samples)`` the kernel distance (:func:`kid`) between the same two feature sets, which
    is unbiased where FD is not (report it beside FD when comparing samplers at small n);
    ``floor(pool, n)`` is the FD of ``draws`` random n-subsets of other real images ``pool`` to
    the same reference (mean ± sd): what real digits score at that n.
    """

    def __init__(self, classifier, reference: torch.Tensor, dims: int | None = None):
        self.classifier = classifier
        feats = classifier_features(reference, classifier)
        self.center = feats.mean(0)
        if dims is None:
            self.basis = None
        else:
            dims = check_int("dims", dims, 1, feats.shape[1])
            _, _, v = torch.linalg.svd(feats - self.center, full_matrices=False)
            self.basis = v[:dims].T
        self.dims = feats.shape[1] if dims is None else dims
        self.ref_features = self._project(feats)
        self.ref_stats = feature_statistics(self.ref_features)

    def _project(self, feats):
        return feats if self.basis is None else (feats - self.center) @ self.basis

    def features(self, images):
        return self._project(classifier_features(images, self.classifier))

    def fd_of_features(self, f):
        """FD of already-projected features ``f`` to the reference (the statistic a bootstrap resamples)."""
        mu, cov = feature_statistics(f)
        return frechet_distance(mu, cov, *self.ref_stats)

    def _check_n(self, n):
        if n < 2 * self.dims:
            raise ValueError(f"FD in {self.dims} feature dimensions needs at least 2·{self.dims} = {2 * self.dims} "
                             f"samples (else the covariance is rank-deficient and the FD is mostly bias), got {n}; "
                             f"use more samples or FeatureSpace(..., dims=k) with k <= {n // 2}")

    def fd(self, samples, reps: int = 50, generator=None, *, features=None) -> Estimate:
        """FD of the samples' features to the reference's, bootstrap se; ``features`` (from
        :meth:`features`) saves the classifier pass when the caller has them already."""
        f = self.features(samples) if features is None else features
        self._check_n(len(f))
        return bootstrap(self.fd_of_features, f, reps=reps, generator=generator)

    def kid(self, samples, reps: int = 50, generator=None, *, features=None) -> Estimate:
        """:func:`kid` of the samples' features to the reference features (both resampled for the se)."""
        return kid(self.features(samples) if features is None else features, self.ref_features, reps=reps,
                   generator=generator)

    def floor(self, pool: torch.Tensor, n: int, draws: int = 5, generator=None) -> Estimate:
        self._check_n(n)
        f = self.features(pool)
        if len(f) < n:
            raise ValueError(f"pool must hold at least n = {n} real images, got {len(f)}")
        vals = [self.fd_of_features(f[torch.randperm(len(f), generator=generator)[:n]]) for _ in range(draws)]
        return mean_sd(vals, how=f"real vs real at n = {n}, mean ± sd over {draws} draws")


# =========================================================================== runs and paths
def pairwise_mse(runs: torch.Tensor) -> torch.Tensor:
    """R×R matrix of mean squared differences between runs (R, ...): M[i, j] = mean((r_i − r_j)²)."""
    r = check_float_tensor("runs", runs).detach().flatten(1).double()
    sq = r.pow(2).sum(1)
    m = (sq[:, None] + sq[None, :] - 2 * r @ r.T) / r.shape[1]
    m = m.clamp(min=0)
    m.fill_diagonal_(0)
    return m


def frame_differences(frames: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between consecutive frames (P, ...) → (P − 1,)."""
    f = check_float_tensor("frames", frames).detach().flatten(1).double()
    if f.shape[0] < 2:
        raise ValueError(f"frames must hold at least 2 frames, got {f.shape[0]}")
    return (f[1:] - f[:-1]).pow(2).mean(1)


def run_variance(all_runs: torch.Tensor) -> torch.Tensor:
    """Variance across runs at each point, averaged over elements: (runs, points, ...) → (points,)."""
    r = check_float_tensor("all_runs", all_runs, min_dim=2).detach().double()
    if r.shape[0] < 2:
        raise ValueError(f"all_runs must hold at least 2 runs (dimension 0), got {r.shape[0]}")
    return r.var(dim=0, unbiased=True).flatten(1).mean(1) if r.ndim > 2 else r.var(dim=0, unbiased=True)


def group_spread(images: torch.Tensor, labels: torch.Tensor, n_groups: int, within: bool = True) -> dict:
    """How different images are, for a batch arranged as ``n_groups`` equal groups (e.g. runs that
    share a starting noise): pixel MSE and label agreement between pairs, mean ± se over groups.

    ``within=True``: pairs inside each group; ``within=False``: each group's images against every
    other group's (pairs that share nothing). Returns ``{"mse": Estimate, "agree": Estimate}``.
    """
    n_groups = check_int("n_groups", n_groups, 2, max(2, len(images)))
    if len(images) % n_groups or len(labels) != len(images):
        raise ValueError(f"images ({len(images)}) and labels ({len(labels)}) must split into {n_groups} equal groups")
    x = images.detach().flatten(1).double().cpu().view(n_groups, -1, images[0].numel())
    lab = labels.cpu().view(n_groups, -1)
    mse, agree = [], []
    for i in range(n_groups):
        others = [j for j in range(n_groups) if j != i]
        a, la = x[i], lab[i]
        b, lb = (x[i], lab[i]) if within else (x[others].flatten(0, 1), lab[others].flatten())
        d = ((a[:, None] - b[None]) ** 2).mean(-1)
        keep = torch.ones_like(d, dtype=torch.bool)
        if within:
            keep = keep.triu(1)
        mse.append(d[keep].mean())
        agree.append((la[:, None] == lb[None]).double()[keep].mean())
    how = "mean ± se over groups"
    return {"mse": mean_se(mse, how), "agree": mean_se(agree, how)}


def pixel_range(images: torch.Tensor, bright: int = 10) -> dict:
    """Background (mean of each image's darkest half of pixels) and strokes (mean of its ``bright``
    brightest pixels), mean ± se over images: real digits in [−1, 1] give about −1 and 0.8."""
    v = check_float_tensor("images", images).detach().flatten(1).sort(1).values.double().cpu()
    return {"background": mean_se(v[:, : v.shape[1] // 2].mean(1)), "strokes": mean_se(v[:, -bright:].mean(1))}

