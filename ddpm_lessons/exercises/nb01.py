"""Checkers of notebook 01 (ancestral sampling, a recap): two forward steps, one ancestral step,
the network-call count."""
from __future__ import annotations

import math

from ..samplers import ancestral_table
from ._core import NO, OK, call, checker, close, is_missing, match, mismatch, not_predicted, probe, schedule, \
    step_is_right, table_row

__all__ = ["check_two_step_variance", "check_ancestral_step", "check_call_count"]

ANCESTRAL_PROBE_T = (500, 20, 999)  # timesteps probed: the middle first (where the hints are told apart:
#                                    at t = 999, √β̃ ≈ √β and √(1−ᾱ_t) ≈ √(1−ᾱ_(t−1))), near the data, the start


@checker
def check_two_step_variance(fn) -> bool:
    """Exercise 01·1: ``fn(beta_1, beta_2)`` is the variance of x_2 given x_0 after two forward steps.

    Reference: 1 − ᾱ₂ of a two-step :class:`~ddpm_lessons.schedule.NoiseSchedule` (its closed form).
    """
    from ..schedule import NoiseSchedule

    for b1, b2 in ((0.1, 0.2), (1e-4, 0.02), (0.5, 0.3)):
        got = float(call(fn, b1, b2))
        want = 1 - float(NoiseSchedule([b1, b2]).alpha_bar_64[-1])
        if close(got, want, rel=1e-9):
            continue
        cat = {
            "you added the two variances, but the first step's noise passes through the second step, "
            "which multiplies it by √α₂ — its variance by α₂ = 1 − β₂": b1 + b2,
            "that is ᾱ₂ = α₁α₂, the share of the *signal's* variance that survives; the noise "
            "variance is what is missing from 1, i.e. 1 − ᾱ₂": (1 - b1) * (1 - b2),
            "you scaled the wrong step: x₂ = √α₂·x₁ + √β₂·ε₂, so it is β₁ (from step 1) that gets "
            "the factor α₂ = 1 − β₂": b1 * (1 - b1) + b2,
            "you used standard deviations where variances add: variances of independent terms add, "
            "standard deviations do not": (math.sqrt(b1 * (1 - b2)) + math.sqrt(b2)) ** 2,
        }
        print(f"{NO} for β₁ = {b1}, β₂ = {b2}: " + mismatch("Var(x₂ | x₀)", got, want, match(got, cat, rel=1e-9),
              "Write x₂ in terms of x₀, ε₁, ε₂ and add the variances of the two noise terms."))
        return False
    print(f"{OK} correct: Var(x₂ | x₀) = α₂β₁ + β₂ = 1 − α₁α₂ = 1 − ᾱ₂, the closed form of q(x_t | x₀) at t = 2.")
    return True


@checker
def check_ancestral_step(fn) -> bool:
    """Exercise 01·2: ``fn(x_t, eps, t, z, schedule)`` is one DDPM ancestral step with σ_t² = β_t.

    Reference: the row of :func:`~ddpm_lessons.samplers.ancestral_table` that leaves timestep t.
    """
    s = schedule()
    table = ancestral_table(s)
    for t in ANCESTRAL_PROBE_T:
        probed = probe(lambda x, e, z: call(fn, x, e, t, z, s), 3)
        want = table_row(table, s.T - 1 - t)
        a, b, ab = (float(v) for v in (s.alphas_64[t], s.betas_64[t], s.alpha_bar_64[t]))
        ab_prev, bt = float(s.alpha_bar_prev_64[t]), float(s.beta_tilde_64[t])
        cx = {
            "you divided by √ᾱ_t — that is the formula for x̂₀, a jump all the way to t = 0; "
            "one step back divides by √α_t": 1 / math.sqrt(ab),
            "you multiplied by √α_t instead of dividing by it": math.sqrt(a),
            "the mean is (x_t − …)/√α_t: x_t itself is divided by √α_t too": 1.0,
        }
        ce = {
            "did you use ᾱ_t or α_t? The coefficient is β_t/√(1 − ᾱ_t) (cumulative ᾱ under the root)":
                -b / (math.sqrt(1 - a) * math.sqrt(a)),
            "the whole bracket (x_t − β_t/√(1−ᾱ_t)·ε) is divided by √α_t, the ε term included": -b / math.sqrt(1 - ab),
            "the square root is missing: β_t/√(1 − ᾱ_t), not β_t/(1 − ᾱ_t)": -b / ((1 - ab) * math.sqrt(a)),
            "check the sign: the step *subtracts* the predicted noise": b / (math.sqrt(1 - ab) * math.sqrt(a)),
            "that is the x̂₀ coefficient √(1−ᾱ_t)/√ᾱ_t, not the one-step posterior mean": -math.sqrt(1 - ab) / math.sqrt(ab),
        }
        cz = {
            "σ_t multiplies z, so it is the standard deviation √β_t — you used the variance β_t": b,
            "that is √β̃_t, the other valid choice (DDPM eq. 7); this exercise, like the package's default, "
            "uses σ_t² = β_t": math.sqrt(bt),
            "you used the cumulative 1 − ᾱ_t: the step adds only one step's worth of noise, √β_t": math.sqrt(1 - ab),
            "that noise level is √(1 − ᾱ_{t−1}), a jump from x₀; one step adds √β_t": math.sqrt(max(1 - ab_prev, 0.0)),
        }
        if not step_is_right(f"at t = {t}", probed, want, [cx, ce, cz],
                             ["coefficient of x_t", "coefficient of ε", "σ_t (coefficient of z)"], "c_x·x_t + c_ε·ε + σ_t·z"):
            return False
    print(f"{OK} correct: x_(t−1) = (x_t − β_t/√(1−ᾱ_t)·ε)/√α_t + √β_t·z at t = "
          + ", ".join(map(str, sorted(ANCESTRAL_PROBE_T, reverse=True))) + ".")
    return True


@checker
def check_call_count(predicted_calls, predicted_rows, measured_calls, measured_rows) -> bool:
    """Exercise 01·3 (predict, then run): network calls and rows evaluated for a batch of 64 at T = 1000."""
    if is_missing(predicted_calls) or is_missing(predicted_rows):
        return not_predicted("predicted_calls and predicted_rows")
    ok = True
    if int(predicted_calls) == measured_calls:
        print(f"{OK} calls: you predicted {predicted_calls}, the counter says {measured_calls}.")
    else:
        ok = False
        hint = {measured_rows: "that is the number of *rows* evaluated: one call processes the whole batch of 64 at once",
                measured_calls // 1000 if measured_calls >= 1000 else -1: "one call per *step*, not one per sample",
                measured_calls - 1: "the loop calls the network at every step, including the last one (t = 0)"
                }.get(int(predicted_calls))
        print(f"{NO} calls: you predicted {predicted_calls}, the counter says {measured_calls}"
              + (f": {hint}." if hint else ": one call per step, and the batch shares each call."))
    if int(predicted_rows) == measured_rows:
        print(f"{OK} rows evaluated: you predicted {predicted_rows}, the counter says {measured_rows}.")
    else:
        ok = False
        hint = {measured_calls: "every call evaluates all 64 rows of the batch, so the work is calls × 64"
                }.get(int(predicted_rows))
        print(f"{NO} rows evaluated: you predicted {predicted_rows}, the counter says {measured_rows}"
              + (f": {hint}." if hint else ": each of the calls evaluates the whole batch."))
    if ok:
        print("   Batching shares each call among the samples, but the chain still needs T calls one after "
              "another: the wall-clock time of a sample cannot drop below T sequential network passes.")
    return ok
