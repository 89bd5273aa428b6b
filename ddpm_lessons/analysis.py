"""Measure the limitations of ancestral sampling: reproducibility, step degradation, interpolation.

:class:`AncestralSamplingAnalyzer` is the chapter's analyzer done with controls. Every stochastic
comparison comes with its *noise floor*: an "MSE against a 1000-step reference" compares
two stochastic runs, so even a perfect sampler scores > 0 on it (the analyzer measures that floor
and explains why its report leaves the measure out). Quality is judged at the level of
distributions (``metrics``), and samplers run from the same x_T are compared *paired*
(:meth:`DegradationResult.difference`):

* 2D data with a known :class:`~ddpm_lessons.mixture.GaussianMixture`: the energy distance to
  fresh data, beside its real-vs-real floor (two-sided: it penalises samples that are too spread
  out *and* too concentrated), and the mean log-likelihood under the true mixture (one-sided: it
  rewards under-dispersed samples, so it is never shown alone).
* Images with a digit classifier: the Fréchet distance in the classifier's features against held-out
  digits, beside the real-vs-real floor at the same sample count, and the fraction of samples the
  classifier labels confidently.

All sampling goes through the one front door :func:`~ddpm_lessons.sampling.sample` (sampler names
and labels from its registry); randomness comes from explicit ``torch.Generator`` seeds; the
results are typed: :class:`Reproducibility`; :class:`Row`, :class:`Floor` and
:class:`DegradationResult`; :class:`Interpolation` of :class:`InterpolationRun` s;
:class:`LimitationsReport`, :class:`PathNorms`, :class:`X0Trajectory`. Used in notebooks 04, 05 and 06.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import cached_property

import torch

from . import sampling
from .checks import check_choice, check_int
from .device import model_device
from .device import seed as make_generator
from .schedule import SPACINGS
from .stats import Estimate, clearly_different, fit_power_law, fit_power_law_over_seeds, mean_se, paired_difference
from .tables import Table

def _randn(shape, seed, device):
    return torch.randn(shape, generator=make_generator(seed)).to(device)


def _pair_mses(samples: torch.Tensor) -> torch.Tensor:
    """Per-dimension MSE between every pair of rows of ``samples`` (n, ...): a vector of n(n−1)/2
    (the upper triangle of :func:`ddpm_lessons.metrics.pairwise_mse`'s matrix)."""
    from . import metrics

    m = metrics.pairwise_mse(samples)
    i, j = torch.triu_indices(len(m), len(m), 1)
    return m[i, j]


@dataclass
class Row:
    """One (sampler, steps, spacing) run of :meth:`AncestralSamplingAnalyzer.measure_step_degradation`.

    ``quality`` maps a metric name (``energy_distance``, ``log_likelihood`` for 2D; ``fd``,
    ``confident`` for images) to its :class:`~ddpm_lessons.stats.Estimate`; ``paired`` keeps what
    a paired comparison with another row from the same x_T needs (per-sample values, features,
    per-group energy distances).
    """

    sampler: str
    steps: int
    spacing: str
    seconds_per_sample: float
    mse_vs_reference: float
    quality: dict
    paired: dict = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return sampling.label(self.sampler)

    @property
    def nfe(self) -> int:
        return self.steps


@dataclass
class Floor:
    """Reference levels beside the rows: ``mse`` (the reference chain against itself with another
    generator, same x_T; NaN if not measured) and, per metric, what real data score at the same
    n (``quality``: Estimates of kind "sd" for the distances — compare with ``.mean_of_draws()``)."""

    mse: float
    quality: dict

    def __getitem__(self, key):
        return self.mse if key == "mse" else self.quality[key]


@dataclass
class DegradationResult:
    """What :meth:`AncestralSamplingAnalyzer.measure_step_degradation` returns: typed rows, the
    floor, and the first ``keep`` samples of each row (``samples[(sampler, steps, spacing)]``)."""

    rows: list
    floor: Floor
    num_samples: int
    kind: str
    T: int
    samples: dict = field(default_factory=dict, repr=False)
    reference_steps: int = 1000
    _differences: dict = field(default_factory=dict, repr=False)  # paired differences, computed once

    def _matches(self, r, spacing) -> bool:
        """A row belongs to every spacing at steps = T (all spacings keep every timestep there)."""
        return spacing is None or r.spacing == spacing or r.steps == self.T

    def row(self, sampler: str, steps: int, spacing: str | None = None) -> Row:
        """The row of (sampler, steps[, spacing]); spacing may be omitted where it is unambiguous."""
        hits = [r for r in self.rows if r.sampler == sampler and r.steps == steps and self._matches(r, spacing)]
        if len(hits) != 1:
            raise KeyError(f"{len(hits)} rows for sampler={sampler!r}, steps={steps}, spacing={spacing!r}"
                           + ("; name the spacing" if hits else ""))
        return hits[0]

    def value(self, sampler: str, steps: int, key: str, spacing: str | None = None):
        return self.row(sampler, steps, spacing).quality[key]

    def select(self, sampler: str, key: str, spacing: str | None = None):
        """(steps list, values list) of one sampler (and spacing), in the order measured."""
        rs = [r for r in self.rows if r.sampler == sampler and self._matches(r, spacing)]
        return [r.steps for r in rs], [r.quality[key] for r in rs]

    def series(self, key: str, spacing: str, samplers=None) -> dict:
        """{sampler name: (steps, values)} for one spacing, ready for ``dl.plots.curves``."""
        names = samplers or list(dict.fromkeys(r.sampler for r in self.rows))
        return {s: self.select(s, key, spacing) for s in names
                if any(r.sampler == s and r.spacing == spacing and r.steps < self.T for r in self.rows)}

    def quality_key(self) -> str:
        return "energy_distance" if self.kind == "2d" else "fd"

    def excess(self, sampler: str, key: str | None = None, baseline=None, spacing: str | None = None):
        """(skips, excess Estimates) of one sampler: metric − floor for distances, real − sample for
        log-likelihood; the se combines the row's se and the baseline's (the floor's mean over its
        draws by default, or ``baseline``, e.g. the model's own 1000-step result)."""
        key = key or self.quality_key()
        fl = (self.floor.quality[key] if baseline is None else baseline).mean_of_draws()
        rs = [r for r in self.rows if r.sampler == sampler and self._matches(r, spacing)]
        sign = -1.0 if key == "log_likelihood" else 1.0
        return [self.T / r.steps for r in rs], [Estimate(sign * (r.quality[key].value - fl.value),
                                                         math.hypot(r.quality[key].se, fl.se)) for r in rs]

    def exponent(self, sampler: str, key: str | None = None, baseline=None, k: float = 3.0, spacing: str | None = None):
        """Fit excess ∝ skip^p over this sampler's reduced-step rows (skip > 1).

        Only rows whose mean excess is clearly above the noise (> ``k`` combined standard errors)
        enter; fewer than 3 such points → "not measurable". For the energy distance and the
        log-likelihood the fit is done **once per seed** — each of the 5 disjoint groups of
        starting noises — and the exponent is the mean of the per-seed slopes, with the
        between-seed spread inside its 95 % interval (:func:`~ddpm_lessons.stats.fit_power_law_over_seeds`);
        for FD (no groups) it is one fit to the values. Returns a :class:`~ddpm_lessons.stats.PowerLaw`.
        """
        key = key or self.quality_key()
        skips, excess = self.excess(sampler, key, baseline, spacing)
        rs = [r for r in self.rows if r.sampler == sampler and self._matches(r, spacing)]
        kept = [i for i, (s, e) in enumerate(zip(skips, excess)) if s > 1 and e.value > k * e.se]
        xs = [skips[i] for i in kept]
        if key not in ("energy_distance", "log_likelihood") or len(kept) < 3:
            return fit_power_law(xs, [excess[i].value for i in kept])
        fl = (self.floor.quality[key] if baseline is None else baseline).mean_of_draws().value
        sign = -1.0 if key == "log_likelihood" else 1.0
        per_seed = [self._groups(rs[i], key) for i in kept]  # (points, seeds)
        ys = [[sign * (g[seed] - fl) for g in per_seed] for seed in range(len(per_seed[0]))]
        return fit_power_law_over_seeds(xs, ys)

    @staticmethod
    def _groups(row, key, groups: int = 5):
        """The metric of each of the row's disjoint groups of starting noises (its seeds)."""
        if key == "energy_distance":
            return list(row.paired["ed_groups"])
        lp = row.paired["log_likelihood"]
        m = len(lp) // groups
        return [float(lp[j * m:(j + 1) * m].mean()) for j in range(groups)]

    def difference(self, a: tuple, b: tuple, key: str | None = None, reps: int = 200, seed: int = 0) -> Estimate:
        """Paired estimate of quality(a) − quality(b) for rows a, b = (sampler, steps[, spacing]).

        Both rows start from the same x_T, so the comparison is paired: per-sample means for
        log-likelihood and the confident fraction, the same disjoint groups (and fresh true sets)
        for the energy distance, and :func:`~ddpm_lessons.stats.paired_difference` (one set of
        resampled indices for both) for FD.
        """
        key = key or self.quality_key()
        ra, rb = self.row(*a), self.row(*b)
        memo = (ra.sampler, ra.steps, ra.spacing, rb.sampler, rb.steps, rb.spacing, key, reps, seed)
        if memo not in self._differences:
            self._differences[memo] = self._difference(ra, rb, key, reps, seed)
        return self._differences[memo]

    @staticmethod
    def _difference(ra, rb, key, reps, seed) -> Estimate:
        return paired_quality_difference(ra.paired, rb.paired, key, reps=reps, seed=seed)

    def clearly_better(self, a: tuple, b: tuple, key: str | None = None, k: float = 3.0) -> bool:
        """Row ``a`` scores clearly better than row ``b`` on ``key`` (lower distance, higher
        log-likelihood / confident fraction): the paired difference is > ``k`` se from 0."""
        key = key or self.quality_key()
        d = self.difference(a, b, key)
        better = d.value > 0 if key in ("log_likelihood", "confident") else d.value < 0
        return better and clearly_different(d, 0.0, k)

    def table(self, caption=None) -> Table:
        """All rows with their quality numbers and the floor (for the analyzer's report)."""
        keys = ("energy_distance", "log_likelihood") if self.kind == "2d" else ("fd", "kid", "confident")
        heads = {"energy_distance": "energy distance", "log_likelihood": "log-lik", "fd": "FD (features)",
                 "kid": "KID (features)", "confident": "confident"}
        rows = [[r.label, r.steps, r.spacing, *[r.quality.get(q, "–") for q in keys], 1e3 * r.seconds_per_sample]
                for r in self.rows]
        rows.append(["real data (floor: mean ± sd)", "–", "–", *[self.floor.quality.get(q, "–") for q in keys], "–"])
        return Table(["sampler", "steps", "spacing", *[heads[q] for q in keys], "ms / sample"], rows, caption=caption)


def paired_quality_difference(a: dict, b: dict, key: str, *, reps: int = 200, seed: int = 0) -> Estimate:
    """Paired estimate of quality(a) − quality(b) on ``key`` for two sample sets drawn from the same
    starting noises and scored with the same seed; ``a``, ``b`` are the third value of
    :meth:`AncestralSamplingAnalyzer.quality` (its paired data). Per-sample means for
    ``log_likelihood`` and ``confident``, the same disjoint groups (and fresh true sets) for
    ``energy_distance``, :func:`~ddpm_lessons.stats.paired_difference` (one set of resampled indices
    for both) for ``fd``. Used by :meth:`DegradationResult.difference` and in notebook 06."""
    if key in ("log_likelihood", "confident"):
        return mean_se((a[key] - b[key]).tolist(), how="paired mean ± se over shared starts")
    if key == "energy_distance":
        ga, gb = a["ed_groups"], b["ed_groups"]
        return mean_se([x - y for x, y in zip(ga, gb)], how=f"paired mean ± se over {len(ga)} shared groups")
    if key == "fd":
        return paired_difference(a["fd_statistic"], a["features"], b["features"], reps=reps,
                                 generator=make_generator(seed))
    raise ValueError(f"key must be one of ['confident', 'energy_distance', 'fd', 'log_likelihood'], got {key!r}")


@dataclass
class Reproducibility:
    """What :meth:`AncestralSamplingAnalyzer.measure_reproducibility` returns: ``num_runs`` runs of
    one sampler from ONE x_T that differ only in the noise drawn while sampling.

    ``variance`` is the per-dimension variance across runs, averaged over dimensions (exactly 0 for a
    deterministic sampler); ``pairwise_mse`` the MSE between every two runs, mean ± sd over the
    pairs (an sd-:class:`~ddpm_lessons.stats.Estimate`: the pairs share runs, so they are not
    independent draws); ``samples`` the runs themselves, (num_runs, *sample_shape)."""

    sampler: str
    steps: int
    eta: float | None
    spacing: str
    num_runs: int
    variance: float
    pairwise_mse: Estimate
    samples: torch.Tensor = field(repr=False)

    @property
    def label(self) -> str:
        return sampling.label(self.sampler)

    @property
    def mean_sample(self) -> torch.Tensor:
        return self.samples.mean(0)


@dataclass
class InterpolationRun:
    """One sampler's decodes of one noise path, ``runs`` times (:class:`Interpolation`).

    ``frames`` (runs, points, *shape) is all it holds; from it: ``gaps`` (runs, points − 1), the
    MSE between adjacent frames of each run; ``frame_differences`` (points − 1,), those averaged
    over runs; ``run_variance`` (points,), at each α the variance across runs (exactly 0 for a
    deterministic sampler)."""

    sampler: str
    steps: int
    frames: torch.Tensor = field(repr=False)

    @property
    def label(self) -> str:
        return sampling.label(self.sampler)

    @cached_property
    def gaps(self) -> torch.Tensor:
        from . import metrics

        return torch.stack([metrics.frame_differences(f) for f in self.frames])

    @property
    def frame_differences(self) -> torch.Tensor:
        return self.gaps.mean(0)

    @cached_property
    def run_variance(self) -> torch.Tensor:
        from . import metrics

        return metrics.run_variance(self.frames)

    @property
    def jump(self) -> Estimate:
        """Adjacent-frame MSE, mean ± se over every (run, gap): how far a frame lies from the next."""
        return mean_se(self.gaps.flatten().tolist(), how="mean ± se over runs × gaps")

    @property
    def spread(self) -> Estimate:
        """Run-to-run variance, mean ± se over the α values (0 ± 0 for a deterministic sampler)."""
        return mean_se(self.run_variance.tolist(), how="mean ± se over α")

    @property
    def mean_frame_diff(self) -> float:
        return float(self.frame_differences.mean())

    @property
    def mean_run_variance(self) -> float:
        return float(self.run_variance.mean())


@dataclass
class Interpolation:
    """What :meth:`AncestralSamplingAnalyzer.measure_interpolation_smoothness` returns: the path's
    ``alphas`` and kind, and one :class:`InterpolationRun` per sampler (``result["ddim"]``)."""

    alphas: torch.Tensor
    path: str
    spacing: str
    runs: dict

    def __getitem__(self, sampler: str) -> InterpolationRun:
        if sampler not in self.runs:
            raise KeyError(f"sampler {sampler!r} was not measured; measured: {sorted(self.runs)}")
        return self.runs[sampler]

    @property
    def num_points(self) -> int:
        return len(self.alphas)

    def jump_difference(self, a: str, b: str) -> Estimate:
        """Paired estimate of sampler ``a``'s adjacent-frame MSE minus sampler ``b``'s. Both decoded
        the same noise path with the same number of runs, so the gap between frames k and k+1 of
        run r is compared with the same gap of run r: mean ± se over the (run, gap) pairs."""
        ra, rb = self[a], self[b]
        if ra.gaps.shape != rb.gaps.shape:
            raise ValueError(f"{a!r} and {b!r} must have the same runs and points to be paired, got "
                             f"{tuple(ra.frames.shape[:2])} and {tuple(rb.frames.shape[:2])}")
        return mean_se((ra.gaps - rb.gaps).flatten().tolist(), how="paired mean ± se over shared (run, gap)")


@dataclass
class LimitationsReport:
    """What :func:`analyze_ancestral_limitations` returns: ``reproducibility`` ({sampler:
    :class:`Reproducibility`}), ``degradation`` (:class:`DegradationResult`) and ``interpolation``
    (:class:`Interpolation`)."""

    reproducibility: dict
    degradation: DegradationResult
    interpolation: Interpolation


@dataclass
class PathNorms:
    """What :func:`path_norms` returns: ‖x(α)‖/√d along lerp and slerp, mean and sd over
    ``num_pairs`` pairs of independent noises, at each of ``alphas``."""

    alphas: torch.Tensor
    num_pairs: int
    lerp: torch.Tensor
    slerp: torch.Tensor
    lerp_sd: torch.Tensor
    slerp_sd: torch.Tensor

    def curve(self, kind: str) -> torch.Tensor:
        return getattr(self, check_choice("kind", kind, ("lerp", "slerp")))

    def band(self, kind: str) -> tuple:
        """(mean − sd, mean + sd): the spread over pairs, for ``dl.plots.curves(bands=…)``."""
        m, sd = self.curve(kind), getattr(self, f"{kind}_sd")
        return m - sd, m + sd

    def at(self, kind: str, index: int) -> Estimate:
        """The mean norm at ``alphas[index]`` ± its standard error over the pairs."""
        m, sd = self.curve(kind), getattr(self, f"{kind}_sd")
        return Estimate(float(m[index]), float(sd[index]) / math.sqrt(self.num_pairs), self.num_pairs,
                        "mean ± se over pairs")


@dataclass
class X0Trajectory:
    """What :func:`x0_predictions` returns: the timesteps ``t`` of one run, the predicted clean
    samples ``x0`` at each (steps, *x_T.shape) and the ``final`` samples, all on the CPU."""

    t: list
    x0: torch.Tensor = field(repr=False)
    final: torch.Tensor = field(repr=False)

    def nearest(self, ts) -> list:
        """For each timestep in ``ts``, the index of the step whose t is closest."""
        return [min(range(len(self.t)), key=lambda i: abs(self.t[i] - t)) for t in ts]


class AncestralSamplingAnalyzer:
    """Measure what ancestral sampling costs in reproducibility, speed and interpolation.

    ``model(x_t, t) -> eps`` and its :class:`NoiseSchedule`; ``sample_shape`` is the shape of ONE
    sample, e.g. ``(2,)`` or ``(1, 16, 16)``. Optional quality references: ``mixture`` (the true
    2D data distribution) or ``classifier`` (a digit classifier with ``.features``) together with
    ``reference_images`` (held-out real images for the Fréchet distance and its floor).
    """

    def __init__(self, model, schedule, sample_shape, *, mixture=None, classifier=None,
                 reference_images=None, floor_images=None, feature_dims=None, clip_x0=None, device=None):
        self.model = model.eval() if hasattr(model, "eval") else model
        self.schedule = schedule
        self.sample_shape = tuple(int(s) for s in sample_shape)
        self.mixture = mixture
        self.classifier = classifier
        self.reference_images = reference_images
        self.floor_images = floor_images if floor_images is not None else reference_images
        self.feature_dims = feature_dims
        self.clip_x0 = clip_x0
        self._space = None
        self.device = torch.device(device) if device is not None else model_device(model)

    # ------------------------------------------------------------------ helpers
    @property
    def kind(self) -> str:
        if self.mixture is not None:
            return "2d"
        if self.classifier is not None and self.reference_images is not None:
            return "images"
        return "none"

    def _as_batch(self, x):
        x = torch.as_tensor(x)
        if tuple(x.shape) == self.sample_shape:
            x = x.unsqueeze(0)
        if tuple(x.shape[1:]) != self.sample_shape:
            raise ValueError(f"x_T must have shape {self.sample_shape} or (n, *{self.sample_shape}), got {tuple(x.shape)}")
        return x.to(self.device)

    def _run(self, sampler, x_T, steps, seed, eta=None, spacing="trailing"):
        t0 = time.perf_counter()
        out = sampling.sample(sampler, self.model, self.schedule, x_T, steps=steps, spacing=spacing, eta=eta,
                              clip_x0=self.clip_x0, generator=make_generator(seed), progress=False)
        if out.device.type == "cuda":
            torch.cuda.synchronize(out.device)
        return out.detach().cpu(), time.perf_counter() - t0

    def feature_space(self):
        """The classifier's feature space fitted on the reference images (built once)."""
        from .metrics import FeatureSpace

        if self._space is None:
            self._space = FeatureSpace(self.classifier, self.reference_images, dims=self.feature_dims)
        return self._space

    def quality(self, x: torch.Tensor, seed: int = 0, *, floors: bool = True) -> tuple[dict, dict, dict]:
        """(quality Estimates, floors, paired data) of samples ``x``, the floors at the same n.

        2D: ``energy_distance`` (mean ± se over 5 disjoint groups, each against its own fresh true
        set drawn from ``seed``, so two sample sets scored with one seed meet the same true sets)
        and its true-vs-true floor; ``log_likelihood`` (mean ± se) and that of real data. Images:
        ``fd`` and ``kid`` in classifier features (bootstrap se), FD's real-vs-real floor, the ``confident``
        fraction (binomial se) and that of real digits. ``floors=False`` skips the floors (they
        depend only on n, so a measurement computes them once) and returns ``{}`` for them.
        """
        from . import metrics

        x = x.detach().cpu()
        if self.kind == "2d":
            groups, m = 5, len(x) // 5
            g = make_generator(seed)
            eds = [metrics.energy_distance(x[k * m:(k + 1) * m], self.mixture.sample(m, g)) for k in range(groups)]
            lp = self.mixture.log_prob(x).double()
            quality = {"energy_distance": mean_se(eds, how=f"mean ± se over {groups} groups of {m} samples"),
                       "log_likelihood": metrics.log_likelihood_estimate(x, self.mixture)}
            fl = {}
            if floors:
                _, ed_floor = metrics.energy_distance_with_floor(x, self.mixture, generator=make_generator(seed + 1))
                real = self.mixture.sample(max(len(x), 5000), make_generator(seed + 2))
                fl = {"energy_distance": ed_floor, "log_likelihood": metrics.log_likelihood_estimate(real, self.mixture)}
            return quality, fl, {"ed_groups": eds, "log_likelihood": lp}
        if self.kind == "images":
            space, n, g = self.feature_space(), len(x), make_generator(seed)
            real = self.floor_images[torch.randperm(len(self.floor_images), generator=g)[:n]]  # drawn first, always
            probs = metrics.classify(x, self.classifier)
            feats = space.features(x)
            quality = {"fd": space.fd(x, generator=g, features=feats), "kid": space.kid(x, generator=g, features=feats),
                       "confident": metrics.confident_estimate(probs)}
            fl = {}
            if floors:
                fl = {"fd": space.floor(self.floor_images, n, generator=g),
                      "confident": metrics.confident_estimate(metrics.classify(real, self.classifier))}
            return quality, fl, {"features": feats, "fd_statistic": space.fd_of_features,
                                 "confident": (probs.max(1).values >= 0.9).double()}
        return {}, {}, {}

    # ------------------------------------------------------------------ 1. reproducibility
    def measure_reproducibility(self, x_T, num_runs: int = 10, *, sampler: str = "ancestral",
                                steps: int | None = None, eta: float | None = None, spacing: str = "trailing",
                                seed: int = 0) -> Reproducibility:
        """Run the sampler ``num_runs`` times from the SAME x_T (separate calls, generator seeds
        ``seed``, ``seed + 1``, …: the runs differ only in the noise drawn during sampling) and
        measure how much the outputs differ (:class:`Reproducibility`). A deterministic sampler
        gives bit-identical runs: variance exactly 0.
        """
        num_runs = check_int("num_runs", num_runs, 2, 100_000)
        steps = steps or self.schedule.T
        x = self._as_batch(x_T)
        if x.shape[0] != 1:
            raise ValueError(f"x_T must be ONE starting noise of shape {self.sample_shape}, got a batch of {x.shape[0]}")
        out = torch.cat([self._run(sampler, x, steps, seed + r, eta, spacing)[0] for r in range(num_runs)])
        pm = _pair_mses(out).double()
        spread = float(pm.std()) if len(pm) > 1 else 0.0
        return Reproducibility(sampler, steps, eta, spacing, num_runs, float(out.double().var(0).mean()),
                               Estimate(float(pm.mean()), spread, len(pm), "mean ± sd over pairs of runs", "sd"), out)

    # ------------------------------------------------------------------ 2. step degradation
    def measure_step_degradation(self, num_samples: int = 256, step_counts=(1000, 500, 250, 100, 50, 20, 10),
                                 samplers=("naive", "ancestral", "ancestral_beta_tilde", "ddim"), *,
                                 spacings=("trailing",), seed: int = 0, keep: int = 8, mse_floor: bool = True,
                                 reference_steps: int | None = None) -> DegradationResult:
        """Every sampler at every step count under every spacing, from the SAME ``num_samples``
        starting noises (so any two rows can be compared paired, :meth:`DegradationResult.difference`).

        Controls: an ancestral reference run of ``reference_steps`` (default T; trailing spacing),
        and with ``mse_floor`` a second one with another generator, whose MSE to the first is the
        noise floor of "MSE vs reference". A row identical to the reference chain is not run twice.
        The naive stride has no spacing of its own: it runs once per step count, on its stride's
        timesteps (trailing), whatever ``spacings`` holds; at steps = T (stride 1) it is DDPM's own
        chain, so the ancestral T-step run is reused for it.
        """
        num_samples = check_int("num_samples", num_samples, 10, 10**7)
        T = self.schedule.T
        for s in samplers:
            check_choice("sampler", s, tuple(sampling.SAMPLERS))
        for sp in spacings:
            check_choice("spacing", sp, SPACINGS)
        x_T = _randn((num_samples, *self.sample_shape), seed, self.device)
        R = check_int("reference_steps", reference_steps or T, 1, T)
        ref, t_ref = self._run("ancestral", x_T, R, seed + 1)
        floor_mse = float("nan")
        if mse_floor:
            ref2, _ = self._run("ancestral", x_T, R, seed + 2)
            floor_mse = float((ref.double() - ref2.double()).pow(2).mean())
        q_ref, floors, paired_ref = self.quality(ref, seed=seed + 100)
        rows, kept, done, full_chain = [], {}, set(), {}
        for sp in spacings:
            for s in samplers:
                for steps in step_counts:
                    steps = check_int("steps", steps, 1, T)
                    spacing = "trailing" if s == "naive" or steps == T else sp
                    if (s, steps, spacing) in done:
                        continue
                    done.add((s, steps, spacing))
                    same_as_ref = s == "ancestral" and steps == R and spacing == "trailing"
                    if s == "naive" and steps == T and ("ancestral", T, "trailing") in full_chain:
                        out, secs, q, paired = full_chain[("ancestral", T, "trailing")]  # stride 1 is DDPM itself
                    elif same_as_ref:
                        out, secs, q, paired = ref, t_ref, q_ref, paired_ref
                    else:
                        out, secs = self._run(s, x_T, steps, seed + 1, spacing=spacing)
                        q, _, paired = self.quality(out, seed=seed + 100, floors=False)
                    if steps == T:
                        full_chain[(s, T, spacing)] = (out, secs, q, paired)
                    rows.append(Row(s, steps, spacing, secs / num_samples,
                                    float((out.double() - ref.double()).pow(2).mean()), q, paired))
                    kept[(s, steps, spacing)] = out[:keep]
        return DegradationResult(rows=rows, floor=Floor(floor_mse, floors), num_samples=num_samples, kind=self.kind,
                                 T=T, samples=kept, reference_steps=R)

    # ------------------------------------------------------------------ 3. interpolation
    def measure_interpolation_smoothness(self, z1, z2, num_points: int = 9, num_runs: int = 4, *,
                                         path: str = "slerp", samplers=("ancestral", "ddim"),
                                         steps: int | None = None, spacing: str = "trailing", seed: int = 0) -> Interpolation:
        """Decode the path from z1 to z2 (``"lerp"`` or ``"slerp"``) ``num_runs`` times per sampler:
        an :class:`Interpolation` holding one :class:`InterpolationRun` per sampler (frames,
        adjacent-frame differences, run-to-run variance per α). A deterministic sampler has run
        variance exactly 0. ``steps`` is one number for every sampler or a dict ``{sampler: steps}``.
        """
        from .interpolation import path as noise_path

        num_points = check_int("num_points", num_points, 2, 10_000)
        num_runs = check_int("num_runs", num_runs, 2, 10_000)
        steps = steps or self.schedule.T
        steps_of = steps if isinstance(steps, dict) else {s: steps for s in samplers}
        a, b = self._as_batch(z1)[0], self._as_batch(z2)[0]
        alphas = torch.linspace(0, 1, num_points)
        zs = noise_path(a.cpu(), b.cpu(), alphas, path).to(self.device)
        runs = {}
        for s in samplers:
            # one call per run (generator seed + 1 + r): runs share x_T and differ only in sampling noise
            frames = torch.stack([self._run(s, zs, steps_of[s], seed + 1 + r, spacing=spacing)[0] for r in range(num_runs)])
            runs[s] = InterpolationRun(s, steps_of[s], frames.view(num_runs, num_points, *self.sample_shape))
        return Interpolation(alphas, path, spacing, runs)


def analyze_ancestral_limitations(model, schedule, sample_shape, *, mixture=None, classifier=None,
                                  reference_images=None, num_runs=8, num_samples=256,
                                  step_counts=(1000, 250, 50, 10), interp_steps=None, repro_steps=None, seed=0,
                                  device=None, print_report=True) -> LimitationsReport:
    """Run the three measurements and print a summary with the noise floors beside every number.

    ``interp_steps`` / ``repro_steps`` (default T) set the chain lengths of the interpolation and
    reproducibility runs; the degradation reference is the longest of ``step_counts``.
    """
    an = AncestralSamplingAnalyzer(model, schedule, sample_shape, mixture=mixture, classifier=classifier,
                                   reference_images=reference_images, device=device)
    x = _randn((1, *an.sample_shape), seed + 10, an.device)
    repro = {s: an.measure_reproducibility(x, num_runs, sampler=s, steps=st, seed=seed)
             for s, st in (("ancestral", repro_steps or schedule.T), ("ddim", min(50, schedule.T)))}
    degr = an.measure_step_degradation(num_samples, step_counts, ("naive", "ancestral", "ddim"), seed=seed,
                                       reference_steps=max(step_counts))
    z1, z2 = _randn((1, *an.sample_shape), seed + 11, an.device), _randn((1, *an.sample_shape), seed + 12, an.device)
    interp = an.measure_interpolation_smoothness(z1, z2, steps=interp_steps, seed=seed)
    if print_report:
        bar = "=" * 64
        print(f"{bar}\n1. REPRODUCIBILITY: {num_runs} runs from one fixed x_T\n{bar}")
        print(Table(["sampler", "steps", "variance across runs", "mean pairwise MSE"],
                    [[r.label, r.steps, r.variance, r.pairwise_mse.value] for r in repro.values()]))
        print(f"\n{bar}\n2. STEP DEGRADATION: {num_samples} samples, same x_T for every sampler\n{bar}")
        print(degr.table())
        print(f"Not shown: 'MSE against a {degr.reference_steps}-step ancestral reference'. Two stochastic runs from one "
              f"x_T differ by {degr.floor['mse']:.4g} (the reference against itself with another generator), so that "
              f"measure rewards a sampler for staying close to x_T — naive striding scores best on it — not for "
              f"sampling the data.")
        print(f"\n{bar}\n3. INTERPOLATION ({interp.path}, {interp.num_points} points)\n{bar}")
        print(Table(["sampler", "steps", "adjacent-frame MSE", "run-to-run variance"],
                    [[r.label, r.steps, r.jump, r.spread] for r in interp.runs.values()],
                    caption="mean ± se over runs × gaps / over α"))
    return LimitationsReport(repro, degr, interp)


def path_norms(dim: int, alphas, num_pairs: int = 64, seed: int = 0) -> PathNorms:
    """‖x(α)‖/√dim along lerp and slerp between ``num_pairs`` pairs of independent N(0, I) noises
    (:class:`PathNorms`: mean and sd over pairs). For independent Gaussians ‖lerp(½)‖/√d ≈
    √(½² + ½²) = 1/√2; slerp stays ≈ 1. Used in notebook 04."""
    from .interpolation import path as noise_path

    g = make_generator(seed)
    alphas = torch.as_tensor(alphas, dtype=torch.float32)
    num_pairs = check_int("num_pairs", num_pairs, 2, 10**6)
    res = {"lerp": [], "slerp": []}
    for _ in range(num_pairs):
        a, b = torch.randn(dim, generator=g), torch.randn(dim, generator=g)
        for kind in res:
            res[kind].append(noise_path(a, b, alphas, kind).norm(dim=1) / math.sqrt(dim))
    lerp, slerp = torch.stack(res["lerp"]), torch.stack(res["slerp"])
    return PathNorms(alphas, num_pairs, lerp.mean(0), slerp.mean(0), lerp.std(0), slerp.std(0))


def x0_predictions(bundle, name: str, x_T, *, steps: int, spacing: str = "trailing", generator=None) -> X0Trajectory:
    """The predicted clean sample x̂₀ at every step of one run of sampler ``name`` with a shipped
    model (``bundle.sample``, so its own ``clip_x0`` applies), as an :class:`X0Trajectory`.
    Used in notebook 06 (when a chain decides its digit)."""
    seen_t, seen = [], []

    def keep(i, t, x, x0):
        seen_t.append(t)
        seen.append(x0.detach().cpu())

    final = bundle.sample(name, x_T, steps=steps, spacing=spacing, generator=generator, callback=keep)
    return X0Trajectory(seen_t, torch.stack(seen), final.detach().cpu())


def label_agreement(x0s: torch.Tensor, final: torch.Tensor, classifier) -> list:
    """Per step: the fraction of samples whose x̂₀ the classifier gives the label of the final sample,
    as :class:`~ddpm_lessons.stats.Estimate` s (binomial se). Used in notebook 06."""
    from . import metrics

    end = metrics.classify(final, classifier).argmax(1)
    out = []
    for x0 in x0s:
        agree = (metrics.classify(x0, classifier).argmax(1) == end).double()
        p, n = float(agree.mean()), len(agree)
        out.append(Estimate(p, math.sqrt(max(p * (1 - p), 1e-12) / n), n, "binomial se"))
    return out
