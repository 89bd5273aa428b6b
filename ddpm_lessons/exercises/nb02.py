"""Checkers of notebook 02 (the computational cost problem): a chain's time, the FLOPs claim,
a jump that removes the right amount of noise."""
from __future__ import annotations

import math

from ..samplers import ancestral_table
from ._core import NO, OK, call, checker, close, is_missing, match, mismatch, not_predicted, probe, schedule, \
    step_is_right, table_row

__all__ = ["check_time_prediction", "check_flops_claim", "check_jump_step"]

TIME_RATIO_ACCEPTED = (0.6, 1.6)  # measured / predicted chain time that counts as "predicted": the loop's
#                                   own bookkeeping and a busy CPU's timing noise stay inside it
JUMPS = ((999, 899), (500, 480), (100, 0))  # (t, t_prev) probed: a big jump at the start, a small one, the last


@checker
def check_time_prediction(predicted_s, measured_s, seconds_per_step, steps) -> bool:
    """Exercise 02·1: a chain's time predicted from one timed step, against the measured time."""
    if is_missing(predicted_s):
        return not_predicted("predicted_s")
    predicted_s, ratio = float(predicted_s), measured_s / float(predicted_s)
    if close(predicted_s, seconds_per_step, rel=0.05):
        print(f"{NO} you predicted the time of one step ({predicted_s:.3g} s); the chain makes {steps} "
              f"sequential steps, so multiply by {steps}.")
        return False
    low, high = TIME_RATIO_ACCEPTED
    if low <= ratio <= high:
        print(f"{OK} predicted {predicted_s:.3g} s, measured {measured_s:.3g} s (ratio {ratio:.2f}). "
              "One step's time × the number of steps predicts the chain: the network call is nearly all of it; "
              "what is left over is the loop's own bookkeeping and timing noise.")
        return True
    print(f"{NO} your prediction is {predicted_s:.3g} s, the chain took {measured_s:.3g} s (ratio {ratio:.2f}). "
          f"Expected about {steps} × {seconds_per_step:.3g} s = {steps * seconds_per_step:.3g} s; "
          + ("did you use a different number of steps?" if not close(ratio, 1, rel=0.5) else "check your units (ms vs s)."))
    return False


@checker
def check_flops_claim(flops_per_image, ratio_to_claim, flops_per_call, steps, claim=1e15) -> bool:
    """Exercise 02·2: FLOPs per image of a 1000-step sampler, and how far the circulating 1e15 is."""
    if is_missing(flops_per_image) or is_missing(ratio_to_claim):
        return not_predicted("flops_per_image and ratio_to_claim")
    want = steps * flops_per_call
    f = float(flops_per_image)
    if not close(f, want, rel=1e-3):
        cat = {f"that is one call; the sampler makes {steps} calls per image": flops_per_call,
               "FLOPs from FlopCounterMode already count a multiply–add as 2 FLOPs; do not halve them": want / 2,
               "do not double: FlopCounterMode already counts multiply and add separately": want * 2}
        print(f"{NO} " + mismatch("FLOPs per image", f, want, match(f, cat, rel=1e-3),
                                  f"It is {steps} calls × {flops_per_call:.3g} FLOPs per call."))
        return False
    r = float(ratio_to_claim)
    if not close(r, claim / want, rel=1e-2):
        hint = ("you divided the other way round: how many times *more* is the claim than the measurement? "
                "claim / measured") if close(r, want / claim, rel=1e-2) else None
        print(f"{NO} FLOPs per image right ({want:.3g}); " + mismatch("ratio", r, claim / want, hint,
              f"Compute claim / measured = {claim:.0e} / {want:.3g}."))
        return False
    print(f"{OK} {want:.3g} FLOPs per 32×32 image: the 1e15 figure is {claim / want:.0f}× more. "
          f"A network's FLOPs grow with the number of pixels it convolves over: 256×256 has 64× the pixels of 32×32, "
          f"so about {64 * want:.2g} FLOPs per image at the same widths — the circulating figure fits a 256×256 model, "
          "not CIFAR-10.")
    return True


@checker
def check_jump_step(fn) -> bool:
    """Exercise 02·3: ``fn(x_t, eps, t, t_prev, z, schedule)`` jumps correctly from t to t_prev < t.

    Reference: the first row of :func:`~ddpm_lessons.samplers.ancestral_table` over the kept
    timesteps (t, t_prev) — the respaced step from t to t_prev.
    """
    s = schedule()
    for t, tp in JUMPS:
        probed = probe(lambda x, e, z: call(fn, x, e, t, tp, z, s), 3)
        want = table_row(ancestral_table(s, [t, tp]), 0)
        ab, abp = float(s.alpha_bar_64[t]), float(s.alpha_bar_64[tp])
        a_new = ab / abp
        b_new = 1 - a_new
        a1, b1 = float(s.alphas_64[t]), float(s.betas_64[t])
        naive = ("you used the single-step α_t, β_t: that is the naive stride of notebook 02/05 — for a jump use "
                 "α = ᾱ_t/ᾱ_(t_prev) and β = 1 − ᾱ_t/ᾱ_(t_prev)")
        cx = {naive: 1 / math.sqrt(a1), "you divided by √ᾱ_t, the jump to t = 0; the jump to t_prev divides by "
              "√(ᾱ_t/ᾱ_(t_prev))": 1 / math.sqrt(ab), "the ratio is upside down: α_jump = ᾱ_t/ᾱ_(t_prev) < 1": math.sqrt(a_new)}
        ce = {naive: -b1 / (math.sqrt(1 - ab) * math.sqrt(a1)),
              "the β of the jump is right but the root is under ᾱ of the jump: the noise level at t is √(1 − ᾱ_t), "
              "with the full ᾱ_t": -b_new / (math.sqrt(1 - a_new) * math.sqrt(a_new)),
              "the whole bracket is divided by √α_jump, the ε term included": -b_new / math.sqrt(1 - ab)}
        cz = {naive: math.sqrt(b1), "σ is the standard deviation √β_jump, not the variance": b_new}
        if not step_is_right(f"t = {t} → {tp}", probed, want, [cx, ce, cz],
                             ["coefficient of x_t", "coefficient of ε", "σ (coefficient of z)"], "c_x·x_t + c_ε·ε + σ·z"):
            return False
    print(f"{OK} correct: the jump uses α = ᾱ_t/ᾱ_(t_prev), β = 1 − α (the respaced schedule), so one call "
          "removes the noise of the whole jump.")
    return True
