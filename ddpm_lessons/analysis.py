"""Measure the limitations of ancestral sampling: reproducibility, step degradation, interpolation.

:class:`AncestralSamplingAnalyzer` is the chapter's analyzer done with controls. Every stochastic
comparison comes with its *noise floor*: the brief's "MSE against a 1000-step reference" compares
two stochastic runs, so even a perfect sampler scores > 0 on it. The analyzer therefore also runs
the 1000-step sampler a second time from the same x_T with a different generator and reports that
MSE beside every number. Quality is also judged at the level of distributions (``metrics``):

* 2D data with a known :class:`~ddpm_lessons.mixture.GaussianMixture`: the energy distance to
  fresh data, beside its real-vs-real floor (two-sided: it penalises samples that are too spread
  out *and* too concentrated), and the mean log-likelihood under the true mixture (one-sided: it
  rewards under-dispersed samples, so it is never shown alone).
* Images with a digit classifier: the Fréchet distance in the classifier's features against held-out
  digits, beside the real-vs-real floor at the same sample count, and the fraction of samples the
  classifier labels confidently.

All sampling goes through the package samplers (one loop, :func:`~ddpm_lessons.samplers.run_chain`);
randomness comes from explicit ``torch.Generator`` seeds; results are plain dicts / dataclasses.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .checks import check_choice, check_int
from .device import seed as seed_generator
from .samplers import ddim_sample, naive_strided_sample, respaced_ancestral_sample
from .stats import Estimate, clearly_different, fit_power_law
from .tables import Table

#: Sampler names the analyzer understands (see :func:`sample_with`).
SAMPLERS = ("naive", "ancestral", "ancestral_beta_tilde", "ddim")
LABELS = {
    "naive": "naive stride (DDPM coefficients)",
    "ancestral": "respaced ancestral, σ²=β (DDIM's σ̂)",
    "ancestral_beta_tilde": "respaced ancestral, σ²=β̃ (= DDIM η=1)",
    "ddim": "DDIM η=0",
}


def sample_with(sampler: str, model, schedule, x_T, steps: int, *, eta: float = 0.0, spacing: str = "trailing",
                clip_x0=None, generator=None, progress=False):
    """Run one of the package samplers by name with ``steps`` network calls.

    ``"naive"``: :func:`naive_strided_sample` with stride T/steps (wrong coefficients; always the
    trailing timesteps T−1, T−1−T/steps, …); ``"ancestral"`` / ``"ancestral_beta_tilde"``:
    :func:`respaced_ancestral_sample` with σ² = β (DDIM Table 1's σ̂ row) or β̃ (= DDIM η = 1); with
    steps = T this *is* DDPM's ancestral sampler; ``"ddim"``: :func:`ddim_sample` with ``eta``.
    ``spacing`` picks the sub-sequence of the correct samplers (default "trailing", the naive
    stride's timesteps, so all are compared like-for-like); ``clip_x0`` clips x̂₀ (images).
    """
    check_choice("sampler", sampler, SAMPLERS)
    steps = check_int("steps", steps, 1, schedule.T)
    kw = dict(generator=generator, progress=progress, clip_x0=clip_x0)
    if sampler == "naive":
        if schedule.T % steps:
            raise ValueError(f"naive striding needs steps dividing T = {schedule.T}, got {steps}")
        return naive_strided_sample(model, schedule, x_T, schedule.T // steps, **kw)
    if sampler == "ddim":
        return ddim_sample(model, schedule, x_T, steps, eta=eta, spacing=spacing, **kw)
    variance = "beta" if sampler == "ancestral" else "beta_tilde"
    return respaced_ancestral_sample(model, schedule, x_T, steps, variance=variance, spacing=spacing, **kw)


def _randn(shape, seed, device):
    return torch.randn(shape, generator=seed_generator(seed)).to(device)


def pairwise_mse(samples: torch.Tensor) -> torch.Tensor:
    """Per-dimension MSE between every pair of rows of ``samples`` (n, ...): a vector of n(n−1)/2."""
    from . import metrics

    m = metrics.pairwise_mse(samples)
    i, j = torch.triu_indices(len(m), len(m), 1)
    return m[i, j]


@dataclass
class DegradationResult:
    """What :meth:`AncestralSamplingAnalyzer.measure_step_degradation` returns.

    ``rows``: one dict per (sampler, steps) with ``sampler``, ``steps``, ``skip`` (= T/steps),
    ``nfe``, ``seconds_per_sample``, ``mse_vs_reference`` and the quality numbers as
    :class:`~ddpm_lessons.stats.Estimate` s (``energy_distance`` and ``log_likelihood`` for 2D;
    ``fd`` and ``confident`` for images).
    ``floor``: the noise floors — ``mse`` (the reference chain vs itself with another generator,
    same x_T) and the metric floors as Estimates, mean ± sd over draws (``energy_distance`` true vs
    true; ``fd`` real vs real; ``log_likelihood`` of real data, a reference level, mean ± se).
    """

    rows: list
    floor: dict
    num_samples: int
    kind: str
    samples: dict = field(default_factory=dict, repr=False)
    reference_steps: int = 1000

    def select(self, sampler: str, key: str):
        """(steps list, values list) of one sampler, in the order measured."""
        rs = [r for r in self.rows if r["sampler"] == sampler]
        return [r["steps"] for r in rs], [r[key] for r in rs]

    def value(self, sampler: str, steps: int, key: str):
        for r in self.rows:
            if r["sampler"] == sampler and r["steps"] == steps:
                return r[key]
        raise KeyError(f"no row for sampler={sampler!r}, steps={steps}")

    def quality_key(self) -> str:
        return "energy_distance" if self.kind == "2d" else "fd"

    def excess(self, sampler: str, key: str | None = None, baseline=None):
        """(skips, excess Estimates) of one sampler: metric − floor for distances, real − sample for
        log-likelihood; the se combines the row's se and the floor's (sd of one draw). ``baseline``
        (an Estimate) replaces the floor, e.g. the model's own 1000-step result."""
        key = key or self.quality_key()
        fl = self.floor[key] if baseline is None else baseline
        rs = [r for r in self.rows if r["sampler"] == sampler]
        sign = -1.0 if key == "log_likelihood" else 1.0
        return [r["skip"] for r in rs], [Estimate(sign * (r[key].value - fl.value), math.hypot(r[key].se, fl.se))
                                         for r in rs]

    def exponent(self, sampler: str, key: str | None = None, baseline=None, k: float = 3.0):
        """Fit excess ∝ skip^p over this sampler's reduced-step rows (skip > 1).

        The excess is measured against ``baseline`` (an Estimate, default the metric's floor / the
        real data level). Only rows whose excess is clearly above the noise (> ``k`` combined
        standard errors) enter; fewer than 3 such points → "not measurable". Returns a
        :class:`~ddpm_lessons.stats.PowerLaw` (exponent with a 95 % interval).
        """
        skips, excess = self.excess(sampler, key, baseline)
        kept = [(s, e.value) for s, e in zip(skips, excess) if s > 1 and e.value > k * e.se]
        xs, ys = [s for s, _ in kept], [v for _, v in kept]
        return fit_power_law(xs, ys)

    def clearly_better(self, a: tuple, b: tuple, key: str | None = None, k: float = 3.0) -> bool:
        """Row ``a`` = (sampler, steps) scores clearly better than row ``b`` on ``key`` (lower distance,
        higher log-likelihood / confident fraction), beyond ``k`` combined standard errors."""
        key = key or self.quality_key()
        va, vb = self.value(*a, key), self.value(*b, key)
        higher_is_better = key in ("log_likelihood", "confident")
        better = va.value > vb.value if higher_is_better else va.value < vb.value
        return better and clearly_different(va, vb, k)

    def table(self, caption=None) -> Table:
        q = self.quality_key()
        fl = self.floor
        if self.kind == "2d":
            headers = ["sampler", "steps", "energy distance", "log-lik", "MSE vs ref", "ms / sample"]
            rows = [[LABELS.get(r["sampler"], r["sampler"]), r["steps"], r["energy_distance"], r["log_likelihood"],
                     r["mse_vs_reference"], 1e3 * r["seconds_per_sample"]] for r in self.rows]
            rows.append(["real data (floor: mean ± sd)", "–", fl["energy_distance"], fl["log_likelihood"], fl["mse"], "–"])
        else:
            headers = ["sampler", "steps", "FD (features)", "confident", "MSE vs ref", "ms / sample"]
            rows = [[LABELS.get(r["sampler"], r["sampler"]), r["steps"], r[q], r.get("confident", "–"),
                     r["mse_vs_reference"], 1e3 * r["seconds_per_sample"]] for r in self.rows]
            rows.append(["real data (floor: mean ± sd)", "–", fl[q], fl.get("confident", "–"), fl["mse"], "–"])
        return Table(headers, rows, caption=caption)


class AncestralSamplingAnalyzer:
    """Measure what ancestral sampling costs in reproducibility, speed and interpolation.

    ``model(x_t, t) -> eps`` and its :class:`NoiseSchedule`; ``sample_shape`` is the shape of ONE
    sample, e.g. ``(2,)`` or ``(1, 16, 16)``. Optional quality references: ``mixture`` (the true
    2D data distribution) or ``classifier`` (a digit classifier with ``.features``) together with
    ``reference_images`` (held-out real images for the Fréchet distance and its floor).
    """

    def __init__(self, model, schedule, sample_shape, *, mixture=None, classifier=None,
                 reference_images=None, floor_images=None, feature_dims=None, spacing="trailing",
                 clip_x0=None, device=None, progress=True):
        from .models import model_device

        self.model = model.eval() if hasattr(model, "eval") else model
        self.schedule = schedule
        self.sample_shape = tuple(int(s) for s in sample_shape)
        self.mixture = mixture
        self.classifier = classifier
        self.reference_images = reference_images
        self.floor_images = floor_images if floor_images is not None else reference_images
        self.feature_dims = feature_dims
        self.spacing = spacing
        self.clip_x0 = clip_x0
        self._space = None
        self.device = torch.device(device) if device is not None else model_device(model)
        self.progress = progress

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

    def _run(self, sampler, x_T, steps, seed, eta=0.0):
        t0 = time.perf_counter()
        out = sample_with(sampler, self.model, self.schedule, x_T, steps, eta=eta, spacing=self.spacing,
                          clip_x0=self.clip_x0, generator=seed_generator(seed))
        if out.device.type == "cuda":
            torch.cuda.synchronize(out.device)
        return out.detach().cpu(), time.perf_counter() - t0

    def feature_space(self):
        """The classifier's feature space fitted on the reference images (built once)."""
        from .metrics import FeatureSpace

        if self._space is None:
            self._space = FeatureSpace(self.classifier, self.reference_images, dims=self.feature_dims)
        return self._space

    def quality(self, x: torch.Tensor, seed: int = 0) -> dict:
        """Distribution-level quality of samples ``x`` with standard errors, and the floors at the same n.

        2D: ``energy_distance`` (bootstrap se) and its true-vs-true floor (mean ± sd of 5 draws),
        ``log_likelihood`` (mean ± se) and that of real data. Images: ``fd`` in classifier features
        against the reference images (bootstrap se) and the real-vs-real floor at the same n (mean ± sd
        of 5 draws from ``floor_images``), and the ``confident`` fraction (binomial se).
        """
        from . import metrics

        x = x.detach().cpu()
        if self.kind == "2d":
            g = seed_generator(seed)
            ed, floor = metrics.energy_distance_with_floor(x, self.mixture, generator=g)
            real = self.mixture.sample(max(len(x), 5000), seed_generator(seed + 1))
            return {"energy_distance": ed, "energy_distance_floor": floor,
                    "log_likelihood": metrics.log_likelihood_estimate(x, self.mixture),
                    "log_likelihood_real": metrics.log_likelihood_estimate(real, self.mixture)}
        if self.kind == "images":
            space, n, g = self.feature_space(), len(x), seed_generator(seed)
            real = self.floor_images[torch.randperm(len(self.floor_images), generator=g)[:n]]
            return {"fd": space.fd(x, generator=g), "fd_floor": space.floor(self.floor_images, n, generator=g),
                    "confident": metrics.confident_estimate(metrics.classify(x, self.classifier)),
                    "confident_real": metrics.confident_estimate(metrics.classify(real, self.classifier))}
        return {}

    # ------------------------------------------------------------------ 1. reproducibility
    def measure_reproducibility(self, x_T, num_runs: int = 10, *, sampler: str = "ancestral",
                                steps: int | None = None, eta: float = 0.0, seed: int = 0) -> dict:
        """Run the sampler ``num_runs`` times from the SAME x_T (separate calls, generator seeds
        ``seed``, ``seed + 1``, …: the runs differ only in the noise drawn during sampling) and
        measure how much the outputs differ. A deterministic sampler gives bit-identical runs.

        Returns ``variance`` (per-dimension variance across runs, averaged), ``mean_pairwise_mse``,
        ``std_pairwise_mse``, ``mean_sample``, ``samples`` (num_runs, *sample_shape) and the settings.
        """
        num_runs = check_int("num_runs", num_runs, 2, 100_000)
        steps = steps or self.schedule.T
        x = self._as_batch(x_T)
        if x.shape[0] != 1:
            raise ValueError(f"x_T must be ONE starting noise of shape {self.sample_shape}, got a batch of {x.shape[0]}")
        out = torch.cat([self._run(sampler, x, steps, seed + r, eta)[0] for r in range(num_runs)])
        pm = pairwise_mse(out)
        return {"sampler": sampler, "steps": steps, "eta": eta, "num_runs": num_runs,
                "variance": float(out.double().var(0).mean()),
                "mean_pairwise_mse": float(pm.mean()), "std_pairwise_mse": float(pm.std()),
                "mean_sample": out.mean(0), "samples": out}

    # ------------------------------------------------------------------ 2. step degradation
    def measure_step_degradation(self, num_samples: int = 256, step_counts=(1000, 500, 250, 100, 50, 20, 10),
                                 samplers=("naive", "ancestral", "ancestral_beta_tilde", "ddim"), *,
                                 seed: int = 0, keep: int = 8, mse_floor: bool = True,
                                 full_steps_for=None, reference_steps: int | None = None) -> DegradationResult:
        """Every sampler at every step count from the SAME ``num_samples`` starting noises.

        Controls: a 1000-step (= T) ancestral reference run, and a second one with a different
        generator, whose MSE to the first is the noise floor of "MSE vs reference". Rows with
        steps = T are run once per distinct sampler (naive with stride 1, respaced ancestral with
        σ² = β and the reference are the same chain, so that chain is reused). ``mse_floor=False``
        skips the second reference run (for expensive models); the MSE floor is then NaN.
        ``full_steps_for``: if given, only these samplers are run at steps = T (saves time).
        ``reference_steps`` (default T): length of the ancestral reference chain (a respaced chain if < T).
        """
        num_samples = check_int("num_samples", num_samples, 2, 10**7)
        T = self.schedule.T
        for s in samplers:
            check_choice("sampler", s, SAMPLERS)
        x_T = _randn((num_samples, *self.sample_shape), seed, self.device)
        R = check_int("reference_steps", reference_steps or T, 1, T)
        ref, t_ref = self._run("ancestral", x_T, R, seed + 1)
        if mse_floor:
            ref2, _ = self._run("ancestral", x_T, R, seed + 2)
            floor_mse = float((ref.double() - ref2.double()).pow(2).mean())
        else:
            floor_mse = float("nan")
        floor = {"mse": floor_mse}
        q_ref = self.quality(ref, seed=seed + 100)
        if self.kind == "2d":
            floor.update(energy_distance=q_ref["energy_distance_floor"], log_likelihood=q_ref["log_likelihood_real"])
        elif self.kind == "images":
            floor.update(fd=q_ref["fd_floor"], confident=q_ref["confident_real"])
        rows, kept = [], {}
        for s in samplers:
            for steps in step_counts:
                steps = check_int("steps", steps, 1, T)
                if steps == T and full_steps_for is not None and s not in full_steps_for:
                    continue
                same_as_ref = steps == R and (s == "ancestral" or (s == "naive" and steps == T))
                if same_as_ref:
                    out, secs = ref, t_ref
                else:
                    out, secs = self._run(s, x_T, steps, seed + 1)
                q = q_ref if same_as_ref else self.quality(out, seed=seed + 100)
                row = {"sampler": s, "steps": steps, "skip": T / steps, "nfe": steps,
                       "seconds_per_sample": secs / num_samples,
                       "mse_vs_reference": float((out.double() - ref.double()).pow(2).mean()),
                       "mse_floor": floor_mse}
                row.update({k: v for k, v in q.items() if not k.endswith(("_floor", "_real"))})
                rows.append(row)
                kept[(s, steps)] = out[:keep]
        return DegradationResult(rows=rows, floor=floor, num_samples=num_samples, kind=self.kind, samples=kept,
                                 reference_steps=R)

    # ------------------------------------------------------------------ 3. interpolation
    def measure_interpolation_smoothness(self, z1, z2, num_points: int = 9, num_runs: int = 4, *,
                                         path: str = "slerp", samplers=("ancestral", "ddim"),
                                         steps: int | None = None, seed: int = 0) -> dict:
        """Decode the path from z1 to z2 (``"lerp"`` or ``"slerp"``) ``num_runs`` times per sampler.

        Returns per sampler: ``frames`` (num_runs, num_points, *shape), ``frame_differences``
        (mean over runs of the MSE between adjacent frames), ``run_variance`` (per α: variance
        across runs), and their means. A deterministic sampler has run variance exactly 0.
        ``steps`` is one number for every sampler or a dict ``{sampler: steps}``.
        """
        from . import metrics
        from .interpolation import lerp, slerp

        check_choice("path", path, ("lerp", "slerp"))
        num_points = check_int("num_points", num_points, 2, 10_000)
        num_runs = check_int("num_runs", num_runs, 2, 10_000)
        steps = steps or self.schedule.T
        steps_of = steps if isinstance(steps, dict) else {s: steps for s in samplers}
        a, b = self._as_batch(z1)[0], self._as_batch(z2)[0]
        alphas = torch.linspace(0, 1, num_points)
        zs = (slerp if path == "slerp" else lerp)(a.cpu(), b.cpu(), alphas).to(self.device)
        out = {"alphas": alphas, "path": path, "steps": steps}
        for s in samplers:
            # one call per run (generator seed + 1 + r): runs share x_T and differ only in sampling noise
            frames = torch.stack([self._run(s, zs, steps_of[s], seed + 1 + r)[0] for r in range(num_runs)])
            frames = frames.view(num_runs, num_points, *self.sample_shape)
            fd = torch.stack([metrics.frame_differences(f) for f in frames]).mean(0)
            rv = metrics.run_variance(frames)
            out[s] = {"steps": steps_of[s], "frames": frames, "frame_differences": fd, "mean_frame_diff": float(torch.as_tensor(fd).mean()),
                      "run_variance": rv, "mean_run_variance": float(torch.as_tensor(rv).mean())}
        return out


def analyze_ancestral_limitations(model, schedule, sample_shape, *, mixture=None, classifier=None,
                                  reference_images=None, num_runs=8, num_samples=256,
                                  step_counts=(1000, 250, 50, 10), interp_steps=None, repro_steps=None, seed=0,
                                  device=None, print_report=True) -> dict:
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
                    [[LABELS[s], r["steps"], r["variance"], r["mean_pairwise_mse"]] for s, r in repro.items()]))
        print(f"\n{bar}\n2. STEP DEGRADATION: {num_samples} samples, same x_T for every sampler\n{bar}")
        print(degr.table())
        print(f"noise floor of 'MSE vs ref' ({degr.reference_steps}-step ancestral vs itself, another generator): "
              f"{degr.floor['mse']:.4g}")
        print(f"\n{bar}\n3. INTERPOLATION ({interp['path']}, {interp['steps']} steps, "
              f"{len(interp['alphas'])} points)\n{bar}")
        print(Table(["sampler", "mean adjacent-frame MSE", "mean run-to-run variance"],
                    [[LABELS[s], interp[s]["mean_frame_diff"], interp[s]["mean_run_variance"]]
                     for s in ("ancestral", "ddim")]))
    return {"reproducibility": repro, "degradation": degr, "interpolation": interp}


def path_norms(dim: int, alphas, num_pairs: int = 64, seed: int = 0) -> dict:
    """‖x(α)‖/√dim along lerp and slerp between ``num_pairs`` pairs of independent N(0, I) noises.

    Returns ``{"alphas", "lerp", "slerp"}`` (mean over pairs) and the spreads ``lerp_std``,
    ``slerp_std``. For independent Gaussians ‖lerp(½)‖/√d ≈ √(½² + ½²) = 1/√2; slerp stays ≈ 1.
    """
    from .interpolation import lerp, slerp

    g = seed_generator(seed)
    alphas = torch.as_tensor(alphas, dtype=torch.float32)
    res = {"lerp": [], "slerp": []}
    for _ in range(check_int("num_pairs", num_pairs, 1, 10**6)):
        a, b = torch.randn(dim, generator=g), torch.randn(dim, generator=g)
        res["lerp"].append(lerp(a, b, alphas).norm(dim=1) / math.sqrt(dim))
        res["slerp"].append(slerp(a, b, alphas).norm(dim=1) / math.sqrt(dim))
    out = {"alphas": alphas}
    for k, v in res.items():
        v = torch.stack(v)
        out[k], out[f"{k}_std"] = v.mean(0), v.std(0)
    return out


def decode_path_points(model, schedule, sample_shape, num_pairs: int, alpha: float = 0.5, *, steps: int = 50,
                       seed: int = 0, device=None) -> dict:
    """Decode x(α) with DDIM η=0 for ``num_pairs`` independent pairs of noises, along lerp and slerp.

    Returns ``{"lerp": (num_pairs, *shape), "slerp": ..., "endpoint": ...}`` where ``endpoint`` decodes
    the first noise of each pair (α = 0: an ordinary sample, the in-distribution reference).
    """
    from .interpolation import lerp, slerp

    g = seed_generator(seed)
    num_pairs = check_int("num_pairs", num_pairs, 1, 10**6)
    a = torch.randn(num_pairs, *sample_shape, generator=g)
    b = torch.randn(num_pairs, *sample_shape, generator=g)
    starts = {"endpoint": a,
              "lerp": torch.stack([lerp(x, y, alpha) for x, y in zip(a, b)]),
              "slerp": torch.stack([slerp(x, y, alpha) for x, y in zip(a, b)])}
    x = torch.cat(list(starts.values())).to(device or "cpu")
    out = ddim_sample(model, schedule, x, steps, progress=False).cpu()
    return dict(zip(starts, out.split(num_pairs)))
