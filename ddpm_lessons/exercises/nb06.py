"""Checkers of notebook 06 (the DDIM solution): one inversion step, which DDPM η = 1 is, inversion at
10 and 50 steps, and why DDIM's q_σ keeps DDPM's marginals."""
from __future__ import annotations

import math

import torch

from ..samplers import ddim_inversion_table, ddim_table
from ._core import NO, OK, call, checker, close, is_missing, match, mismatch, not_predicted, probe, schedule, \
    step_is_right

__all__ = ["check_ddim_inversion_step", "check_eta_one_prediction", "check_inversion_prediction",
           "check_marginal_variance"]

INVERSION_STEPS = ((-1, 39), (39, 79), (499, 599), (899, 999))  # (t, t_next) probed: from x₀ up to t = 999
MARGINAL_JUMPS = ((999, 899), (500, 480), (100, 0), (20, 19))  # (t, t_prev) at which the variance is probed
MARGINAL_SIGMA_DRAWS = 3  # random σ per jump, besides η = 1's σ of ddim_table


@checker
def check_ddim_inversion_step(fn) -> bool:
    """Exercise 06·1: ``fn(x, eps, t, t_next, schedule)`` is one DDIM inversion step: DDIM eq. 12 at
    η = 0 run upwards, from level t (−1: clean data, ᾱ = 1) to t_next > t.

    Reference: the row of :func:`~ddpm_lessons.samplers.ddim_inversion_table` that arrives at t_next.
    """
    s = schedule()
    for t, tn in INVERSION_STEPS:
        probed = probe(lambda x, e: call(fn, x, e, t, tn, s), 2)
        kept = torch.tensor([tn, t] if t >= 0 else [tn])  # descending, as every sampler takes them
        tab = ddim_inversion_table(s, kept)
        want = [tab.c_x[-1], tab.c_eps[-1]]  # the row that arrives at t_next
        abn, a_n = float(s.alpha_bar_64[tn]), float(s.alphas_64[tn])
        ab, a = (float(s.alpha_bar_64[t]), float(s.alphas_64[t])) if t >= 0 else (1.0, 1.0)
        ab999 = float(s.alpha_bar_64[-1])
        cx = {"t = −1 stands for x₀, where ᾱ = 1; in Python schedule.alpha_bar_64[-1] is ᾱ_999, the *last* "
              "entry — handle t < 0 yourself": math.sqrt(abn / ab999) if t < 0 else float("nan"),
              "did you use α_t or ᾱ_t? DDIM's α is DDPM's ᾱ: c_x = √(ᾱ_next/ᾱ_t)": math.sqrt(a_n / a),
              "the ratio is upside down: that is the factor of a step *down* from t_next to t": math.sqrt(ab / abn),
              "x̂₀ = (x − √(1−ᾱ_t)ε)/√ᾱ_t: you did not divide by √ᾱ_t": math.sqrt(abn)}
        ce = {"the x̂₀ term also contributes to ε: c_ε = √(1−ᾱ_next) − √ᾱ_next·√(1−ᾱ_t)/√ᾱ_t": math.sqrt(1 - abn),
              "did you use α_t or ᾱ_t? Every α in DDIM eq. 12 is DDPM's cumulative ᾱ":
                  math.sqrt(1 - a_n) - math.sqrt(a_n * (1 - a) / a),
              "t and t_next swapped roles: x̂₀ comes from the level you leave (t), the noise is put back at the "
              "level you reach (t_next)": math.sqrt(1 - ab) - math.sqrt(ab * (1 - abn) / abn)}
        if not step_is_right(f"t = {t} → {tn}", probed, want, [cx, ce], ["coefficient of x", "coefficient of ε"],
                             "c_x·x + c_ε·ε"):
            return False
    print(f"{OK} correct from x₀ (t = −1) up to t = 999: x_next = √ᾱ_next·x̂₀ + √(1−ᾱ_next)·ε, the η = 0 step "
          "with the two levels exchanged.")
    return True


@checker
def check_eta_one_prediction(prediction, max_differences) -> bool:
    """Exercise 06·2: is DDIM η = 1 the σ² = β chain of notebooks 01–04, or the σ² = β̃ chain?

    ``max_differences`` maps "beta" and "beta_tilde" to the measured max |DDIM η=1 − respaced DDPM|;
    the answer is the smaller one.
    """
    if is_missing(prediction):
        return not_predicted("my_prediction")
    p = str(prediction).strip().lower().replace("~", "_").replace(" ", "_")
    d_bt, d_b = max_differences["beta_tilde"], max_differences["beta"]
    answer = "beta_tilde" if d_bt < d_b else "beta"
    explain = (f"measured with the same noise: max |DDIM η=1 − respaced DDPM σ²=β̃| = {d_bt:.2g}, "
               f"max |DDIM η=1 − respaced DDPM σ²=β| = {d_b:.2g}. At η = 1, σ² = (1−ᾱ_prev)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_prev), "
               "which is exactly the posterior variance β̃ of the jump — not β. DDIM's Table 1 compares η = 1 (β̃) with "
               "σ̂ (σ² = β) for this reason: at 1000 steps on CIFAR-10 they score FID 4.73 and 3.17.")
    said = "beta_tilde" if ("tilde" in p or p in {"b̃", "β̃"}) else p
    if said == answer:
        print(f"{OK} {'β̃' if answer == 'beta_tilde' else 'β'}. " + explain)
        return True
    print(f"{NO} not {prediction!r}. " + explain)
    return False


def _error_summary(errors) -> dict:
    """{steps: (mean, median, largest point's share of the sum)} of per-point squared errors."""
    out = {}
    for steps, e in errors.items():
        e = torch.as_tensor(e, dtype=torch.float64).flatten()
        out[steps] = (float(e.mean()), float(e.median()), float(e.max() / e.sum()) if e.sum() > 0 else 0.0)
    return out


@checker
def check_inversion_prediction(prediction, errors) -> bool:
    """Exercise 06·3: which inversion round trip is closer, 10 or 50 steps, and by roughly how much.

    ``errors`` maps a step count to the per-point squared round-trip errors (10 and 50 are required;
    two more counts, e.g. 100 and 500, show the fine-step limit). The explanation compares the measured
    mean and median ratios with the 25× an O(h) error predicts for a squared error at 5× finer steps.
    """
    if is_missing(prediction):
        return not_predicted("my_prediction")
    p = str(prediction).strip()
    summary = _error_summary(errors)
    (m10, med10, _), (m50, med50, top50) = summary[10], summary[50]
    r_mean, r_med = m10 / m50, med10 / med50
    explain = (f"measured round-trip squared error, 10 → 50 steps: mean {m10:.3g} → {m50:.3g} ({r_mean:.1f}× larger at 10), "
               f"median {med10:.3g} → {med50:.3g} ({r_med:.1f}×). An O(h) error per point predicts 25× for a squared "
               f"error at 5× finer steps, for a typical point and in the limit of small steps. The mean does not "
               f"isolate the typical point: at 50 steps the single worst point carries {top50:.0%} of the sum. "
               f"The median does, and its ratio is {r_med:.1f}× (exponent {math.log(r_med) / math.log(5):.2f} of 2)")
    finer = sorted(k for k in summary if k > 50)
    if len(finer) >= 2:
        a, b = finer[0], finer[-1]
        r = summary[a][1] / summary[b][1]
        explain += (f"; from {a} to {b} steps the median falls {r:.1f}× (exponent "
                    f"{math.log(r) / math.log(b / a):.2f}): the h² law is approached only at fine steps")
    explain += (". Each upward step evaluates ε on the state it leaves instead of the one it arrives at; that error "
                "shrinks with the step size, so finer steps invert better (DDIM Table 2).")
    answer = "50" if m50 < m10 else "10"
    if p.startswith(answer):
        print(f"{OK} {answer} steps. " + explain)
        return True
    print(f"{NO} {p}. " + explain)
    return False


def _marginal_cases():
    """(ᾱ_t, ᾱ_prev, σ) triples: η = 1's σ from ddim_table, and random σ in (0, √(1−ᾱ_prev)) per jump."""
    s = schedule()
    g = torch.Generator().manual_seed(6)
    for t, tp in MARGINAL_JUMPS:
        ab, ap = s.alpha_bar_64[t], s.alpha_bar_64[tp]
        sigmas = [torch.tensor(ddim_table(s, [t, tp], eta=1.0).sigma[0], dtype=torch.float64)]
        top = (1 - ap).sqrt()
        sigmas += [top * (0.1 + 0.85 * torch.rand((), generator=g, dtype=torch.float64))
                   for _ in range(MARGINAL_SIGMA_DRAWS)]
        for sigma in sigmas:
            yield t, tp, ab, ap, sigma


def _marginal_mistakes(ab, ap, sigma) -> dict:
    s2 = sigma**2
    return {"you left out σz: it is independent of ε and adds its own variance σ²": 1 - ap - s2,
            "that is 1 − ᾱ_t, the variance of x_t; the step lands on level t−1, whose coefficient has ᾱ_{t−1}": 1 - ab,
            "two slips: ᾱ_t instead of ᾱ_{t−1}, and σz's variance σ² left out": 1 - ab - s2,
            "σ is a standard deviation: σz has variance σ², not σ": 1 - ap - s2 + sigma,
            "you added standard deviations: for independent ε and z the *variances* add": ((1 - ap - s2).sqrt() + sigma) ** 2,
            "c·ε has variance c², and c² = 1 − ᾱ_{t−1} − σ² already: you squared it once more": (1 - ap - s2) ** 2 + s2,
            "given x₀, the term √ᾱ_{t−1}·x₀ is a constant: it moves the mean and adds no variance": 1.0,
            "the variance of the noise part is 1 − ᾱ_{t−1}, not its standard deviation": (1 - ap).sqrt()}


@checker
def check_marginal_variance(fn) -> bool:
    """Exercise 06·5: ``fn(alpha_bar_t, alpha_bar_prev, sigma)`` is Var(√(1−ᾱ_{t−1}−σ²)·ε + σz).

    Reference: 1 − ᾱ_{t−1}, the variance of DDPM's marginal q(x_{t−1} | x₀) from the schedule, at η = 1's σ
    (:func:`~ddpm_lessons.samplers.ddim_table`) and at random σ in range.
    """
    for t, tp, ab, ap, sigma in _marginal_cases():
        got = float(torch.as_tensor(call(fn, ab.clone(), ap.clone(), sigma.clone()), dtype=torch.float64))
        want = float(1 - ap)
        if close(got, want, rel=1e-9):
            continue
        cat = {h: float(v) for h, v in _marginal_mistakes(ab, ap, sigma).items()}
        print(f"{NO} at t = {t} → {tp} with σ = {float(sigma):.4g}: "
              + mismatch("variance", got, want, match(got, cat, rel=1e-9),
                         "ε and z are independent standard normals: add c_ε² and σ²."))
        return False
    print(OK + " correct: (1 − ᾱ_{t−1} − σ²) + σ² = 1 − ᾱ_{t−1} for every σ in range, so x_{t−1} given x₀ is "
          "N(√ᾱ_{t−1}·x₀, (1 − ᾱ_{t−1})I) — DDPM's marginal, whatever η. Training only ever saw these marginals, "
          "which is why the same network serves every η.")
    return True
