"""Checkers of notebook 05 (quality versus speed): the respaced β, leading spacing, an exponent."""
from __future__ import annotations

import math

import torch

from ..stats import fit_line
from ._core import NO, OK, call, checker, close, is_missing, match, mismatch, not_predicted, schedule

__all__ = ["check_respaced_betas", "check_leading_timesteps", "check_exponent"]

RESPACED_KEPT = (999, 899, 799, 699, 599, 499, 399, 299, 199, 99)  # the kept timesteps probed (descending)
LEADING_CASES = ((1000, 10), (1000, 30), (1000, 7), (100, 100))  # (T, steps): divisible, not, odd, every step


def _diagnose_betas(got, want, ts, s) -> str:
    """The usual mistake behind a wrong set of respaced betas (same length as the reference)."""
    asc = ts.flip(0)
    ab = s.alpha_bar_64
    single = s.betas_64[asc]
    prev = torch.cat([torch.ones(1, dtype=torch.float64), ab[asc][:-1]])

    def same(x):
        return torch.allclose(got, x, rtol=1e-6)
    if same(single) or same(single.flip(0)):
        return ("you used the single-step β_t: that is the naive stride of notebook 02/05 (dividing by ᾱ_(τ_k − 1), "
                "the *timestep* before, gives the same). A kept step jumps from τ_(k−1) to τ_k, so its β must carry "
                "all the noise added in between: 1 − ᾱ_(τ_k)/ᾱ_(τ_(k−1)), with τ_(k−1) the previous *kept* timestep")
    if same(want.flip(0)):
        return ("right values, reversed order: return them ascending in time (β_1 first, as NoiseSchedule stores "
                "betas), i.e. for the kept timesteps sorted upwards")
    if torch.allclose(got[1:], want[1:], rtol=1e-6):
        return ("all but the first are right: " + mismatch("β_1", got[0], want[0]).removesuffix(".")
                + " — before the first kept step the chain is at clean data, ᾱ = 1, so β_1 = 1 − ᾱ_(τ_1), "
                "not 1 − ᾱ_(τ_1)/ᾱ_0")
    if same(1 - prev / ab[asc]) or bool((got < 0).any()):
        return ("some of your betas are negative: the ratio is upside down — ᾱ decreases with t, so "
                "use ᾱ_(τ_k)/ᾱ_(τ_(k−1)) < 1")
    if same(prev - ab[asc]):
        return ("you subtracted ᾱ's: steps compose by *multiplying* α's (ᾱ is a product), so the jump's "
                "α is the ratio ᾱ_(τ_k)/ᾱ_(τ_(k−1)) and β = 1 − that ratio")
    return (f"your first three betas are {[f'{v:.4g}' for v in got[:3].tolist()]}, expected "
            f"{[f'{v:.4g}' for v in want[:3].tolist()]}. Use β_k = 1 − ᾱ_(τ_k)/ᾱ_(τ_(k−1)), ascending in time, "
            "ᾱ = 1 before the first")


@checker
def check_respaced_betas(fn) -> bool:
    """Exercise 05·1: ``fn(alpha_bar, timesteps)`` → respaced betas, ascending in time.

    Reference: :meth:`~ddpm_lessons.schedule.NoiseSchedule.respace`.
    """
    s = schedule()
    ts = torch.tensor(RESPACED_KEPT)
    want = s.respace(ts).betas_64
    got = torch.as_tensor(call(fn, s.alpha_bar_64.clone(), ts.clone()), dtype=torch.float64).flatten()
    if got.numel() != want.numel():
        msg = f"{NO} you return {got.numel()} betas for {want.numel()} kept timesteps"
        if got.numel() == want.numel() - 1:
            msg += (": the first one is missing — before the first kept step there is clean data, "
                    "ᾱ = 1, so β_1 = 1 − ᾱ_(τ_1)")
        print(msg + ".")
        return False
    if torch.allclose(got, want, rtol=1e-6):
        print(f"{OK} correct: β_k = 1 − ᾱ_(τ_k)/ᾱ_(τ_(k−1)) (with ᾱ = 1 before the first kept step), so the "
              "respaced chain has exactly the original ᾱ at every kept timestep.")
        return True
    print(f"{NO} " + _diagnose_betas(got, want, ts, s) + ".")
    return False


def _diagnose_leading(got, want, T, S) -> str:
    """The usual mistake behind a wrong leading sub-sequence."""
    from ..schedule import NoiseSchedule

    n = want.numel()
    trailing = NoiseSchedule.linear(T).timesteps(S, "trailing")
    candidates = {
        "right set, wrong order — samplers take timesteps descending (from noise to data)": want.flip(0),
        f"that is *trailing* spacing (it starts at {T - 1}); leading spacing starts at 0 and goes up in strides of "
        f"⌊T/S⌋ = {T // S}, so its largest timestep is {int(want[0])}": trailing,
        f"that is *linspace* spacing (rounded linspace from {T - 1} to 0); leading spacing uses the integer stride "
        f"⌊T/S⌋ = {T // S} from 0": torch.linspace(T - 1, 0, S).round().long(),
        f"you used the fractional stride T/S = {T / S:.4g}; DDIM's code uses the integer stride ⌊T/S⌋ = {T // S} "
        f"(c = T // S), so the timesteps are k·{T // S}": torch.tensor([int(k * (T / S)) for k in range(S - 1, -1, -1)]),
        "off by one: you are using 1-based timesteps (DDIM's code adds 1 for its own indexing); the package's "
        "timesteps are 0-based, the first is 0": want + 1,
    }
    for hint, c in candidates.items():
        if got.numel() == n and torch.equal(got, c):
            return hint
    if abs(got.numel() - n) == 1:
        return f"{got.numel()} timesteps for {S} steps: k runs over S−1, …, 0 (S values)"
    return f"your timesteps start {got[:5].tolist()}…, expected {want[:5].tolist()}…: k·⌊T/S⌋ for k = S−1 down to 0"


@checker
def check_leading_timesteps(fn) -> bool:
    """Exercise 05·2: ``fn(T, steps)`` → "leading" timesteps k·⌊T/S⌋, k = S−1 … 0, descending.

    Reference: :meth:`~ddpm_lessons.schedule.NoiseSchedule.timesteps` with ``spacing="leading"``.
    """
    from ..schedule import NoiseSchedule

    for T, S in LEADING_CASES:
        got = torch.as_tensor(call(fn, T, S)).to(torch.long).flatten()
        want = NoiseSchedule.linear(T).timesteps(S, "leading")
        if got.numel() == want.numel() and torch.equal(got, want):
            continue
        print(f"{NO} for T = {T}, steps = {S}: " + _diagnose_leading(got, want, T, S) + ".")
        return False
    print(f"{OK} correct: leading spacing k·⌊T/S⌋. At 10 steps it starts at t = 900, not 999 — the first step "
          "treats N(0, I) noise as if it were x_900.")
    return True


@checker
def check_exponent(value, skips, errors) -> bool:
    """Exercise 05·3: the slope of log(error) against log(skip), fitted by the reader.

    ``errors`` is a per-sample squared error (median over samples) at each skip; the reference
    slope is :func:`~ddpm_lessons.stats.fit_line` on the logs.
    """
    if is_missing(value):
        return not_predicted("exponent")
    ly = [math.log(e) for e in errors]
    want = fit_line([math.log(s) for s in skips], ly)[0]
    v = float(value)
    if close(v, want, rel=1e-3):
        print(f"{OK} exponent {want:.2f}. A first-order sampler moves each sample by an error O(h), h the step size, "
              "so that sample's *squared* error grows like h²: slope ≈ 2 on log–log axes.")
        return True
    cat = {"you fitted against the number of steps: the skip is h = T/steps, so the sign flips":
               fit_line([math.log(1000 / s) for s in skips], ly)[0],
           "you fitted the raw values; an exponent is the slope in log–log coordinates (log error vs log skip)":
               fit_line(list(skips), list(errors))[0],
           "you fitted log(skip) against log(error) — swap the axes: y = log(error)": 1 / want if want else float("nan")}
    print(f"{NO} " + mismatch("exponent", v, want, match(v, cat, rel=1e-3), "Fit log(error) against log(skip)."))
    return False
