"""Checkers for the chapter's exercises: run the reader's code on fixed inputs, explain what is off.

Every code exercise of the chapter has a stub cell that raises :class:`YourTurn` until the reader
fills it in, and a check cell that calls one ``check_*`` function of this module. A checker

* runs the reader's function on fixed inputs and compares it with the package's own float64
  references (:class:`~ddpm_lessons.schedule.NoiseSchedule`, ``schedule.respace``,
  ``samplers.ddim_table``, ``interpolation.slerp``);
* prints *specific* feedback: which part is wrong and the usual reason for it ("your σ is right,
  your coefficient of ε is not: did you use ᾱ_t or α_t?"), never a bare "wrong";
* returns a :class:`Verdict`, true when accepted and false when not (yet), and never raises: a stub
  left untouched prints "not attempted yet", so a notebook with every stub unfilled still runs
  from top to bottom.

Linear steps (ancestral, respaced and DDIM updates) are checked coefficient by coefficient: the
reader's step is evaluated on unit inputs, which reads off the numbers multiplying x_t, ε and z,
and each one is compared with the reference and with a catalogue of typical mistakes.
"""
from __future__ import annotations

import math
import torch

from .schedule import NoiseSchedule

__all__ = [
    "YourTurn", "your_turn", "table_part",
    "check_two_step_variance", "check_ancestral_step", "check_call_count",
    "check_time_prediction", "check_flops_claim", "check_jump_step",
    "check_first_step_gap", "check_fork_experiment", "check_eta_prediction",
    "check_lerp_midpoint", "check_slerp", "check_shell_prediction",
    "check_respaced_betas", "check_leading_timesteps", "check_exponent",
    "check_ddim_inversion_step", "check_eta_one_prediction", "check_inversion_prediction",
]

OK, NO, TODO = "✅", "❌", "⏳"


class YourTurn(NotImplementedError):
    """Raised by an exercise stub that has not been filled in yet. Checkers catch it."""

    def __init__(self, what: str = "this exercise"):
        super().__init__(f"Your turn: fill in {what}, then run the check cell below it.")


def your_turn(what: str = "this exercise"):
    """Raise :class:`YourTurn` (what a stub does until it is filled in)."""
    raise YourTurn(what)


class Verdict:
    """A checker's result: true when accepted. Shows nothing in a notebook (the feedback is printed)."""

    def __init__(self, ok: bool):
        self.ok = bool(ok)

    def __bool__(self) -> bool:
        return self.ok

    def __eq__(self, other) -> bool:
        return self.ok == bool(other)

    def __hash__(self) -> int:
        return hash(self.ok)

    def __repr__(self) -> str:
        return f"Verdict({self.ok})"

    def _ipython_display_(self):  # the printed feedback is the output; no "True"/"False" below it
        pass


class _NotAttempted(Exception):
    pass


def _call(fn, *args, **kwargs):
    """Call the reader's function; turn YourTurn into _NotAttempted and report other errors."""
    if not callable(fn):
        raise TypeError(f"expected your function, got {type(fn).__name__}")
    try:
        return fn(*args, **kwargs)
    except YourTurn as err:
        raise _NotAttempted() from err


def _checker(func):
    """Decorator: YourTurn → 'not attempted yet'; any other exception → printed, False."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            ok = bool(func(*args, **kwargs))
        except _NotAttempted:
            print(f"{TODO} not attempted yet: fill in the cell above (replace the `your_turn(...)` line), "
                  "then run this cell again.")
            return Verdict(False)
        except Exception as err:  # the reader's code failed: say where, do not raise
            print(f"{NO} your code raised {type(err).__name__}: {err}")
            print("   Run your function on its own in a new cell to see the full traceback.")
            return Verdict(False)
        return Verdict(ok)
    return wrapper


def _close(a, b, rel=1e-5, abs_=1e-9) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


def _match(value, catalogue, rel=1e-4):
    """First hint in ``catalogue`` ({hint: value}) whose value matches ``value``, else None."""
    for hint, v in catalogue.items():
        if _close(value, v, rel=rel, abs_=1e-10):
            return hint
    return None


def _is_missing(x) -> bool:
    return x is None or x is Ellipsis


def _not_predicted(name: str) -> bool:
    print(f"{TODO} not attempted yet: set `{name}` in the cell above to your prediction "
          "(the measurement is shown anyway — but predict first, it is the point of the exercise).")
    return False


# --------------------------------------------------------------------------- linear steps
def _probe(step, n_inputs: int, shape=(3, 2)):
    """Coefficients of a step linear in its first ``n_inputs`` tensor arguments.

    ``step(*tensors)`` is evaluated on unit inputs (one 1, others 0); then a random input checks
    that the function really is that linear combination. Returns (coefficients, is_linear).
    """
    coeffs = []
    for i in range(n_inputs):
        args = [torch.full(shape, 1.0 if j == i else 0.0, dtype=torch.float64) for j in range(n_inputs)]
        out = torch.as_tensor(step(*args), dtype=torch.float64)
        if out.shape != torch.Size(shape):
            raise ValueError(f"your step returned shape {tuple(out.shape)}, expected {shape} (the shape of x_t)")
        coeffs.append(out.mean().item())
    g = torch.Generator().manual_seed(1234)
    rand = [torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(n_inputs)]
    out = torch.as_tensor(step(*rand), dtype=torch.float64)
    expect = sum(c * r for c, r in zip(coeffs, rand))
    return coeffs, bool(torch.allclose(out, expect, rtol=1e-5, atol=1e-7))


def _compare_coefficients(where: str, got, want, catalogues, names) -> bool:
    """Print one line per coefficient (right / wrong with the matching hint); True if all right."""
    all_ok = True
    right = [n for n, g, w in zip(names, got, want) if _close(g, w)]
    for name, g, w, cat in zip(names, got, want, catalogues):
        if _close(g, w):
            continue
        all_ok = False
        hint = _match(g, cat)
        lead = f"your {', '.join(right)} {'is' if len(right) == 1 else 'are'} right, " if right else ""
        msg = f"{NO} {where}: {lead}your {name} is not ({g:.6g}, expected {w:.6g})"
        print(msg + (f": {hint}" if hint else "."))
    return all_ok


def _schedule():
    return NoiseSchedule.linear(1000)


@_checker
def check_two_step_variance(fn) -> bool:
    """Exercise 01·1: ``fn(beta_1, beta_2)`` is the variance of x_2 given x_0 after two forward steps."""
    cases = [(0.1, 0.2), (1e-4, 0.02), (0.5, 0.3)]
    for b1, b2 in cases:
        got = float(_call(fn, b1, b2))
        want = 1 - (1 - b1) * (1 - b2)
        if _close(got, want, rel=1e-9):
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
        hint = _match(got, cat, rel=1e-9)
        print(f"{NO} for β₁ = {b1}, β₂ = {b2} you return {got:.6g}; the variance is {want:.6g}"
              + (f": {hint}." if hint else ". Write x₂ in terms of x₀, ε₁, ε₂ and add the variances of the two noise terms."))
        return False
    print(f"{OK} correct: Var(x₂ | x₀) = α₂β₁ + β₂ = 1 − α₁α₂ = 1 − ᾱ₂, the closed form of q(x_t | x₀) at t = 2.")
    return True


@_checker
def check_ancestral_step(fn) -> bool:
    """Exercise 01·2: ``fn(x_t, eps, t, z, schedule)`` is one DDPM ancestral step with σ_t² = β_t."""
    s = _schedule()
    for t in (999, 500, 20):
        coeffs, linear = _probe(lambda x, e, z: _call(fn, x, e, t, z, s), 3)
        a, b, ab = (float(v) for v in (s.alphas_64[t], s.betas_64[t], s.alpha_bar_64[t]))
        ab_prev, bt = float(s.alpha_bar_prev_64[t]), float(s.beta_tilde_64[t])
        want = [1 / math.sqrt(a), -b / (math.sqrt(1 - ab) * math.sqrt(a)), math.sqrt(b)]
        cx = {
            "you divided by √ᾱ_t — that is the formula for x̂₀, a jump all the way to t = 0; "
            "one step back divides by √α_t": 1 / math.sqrt(ab),
            "you multiplied by √α_t instead of dividing by it": math.sqrt(a),
            "the mean is (x_t − …)/√α_t: x_t itself is divided by √α_t too": 1.0,
        }
        ce = {
            "did you use ᾱ_t or α_t? The coefficient is β_t/√(1 − ᾱ_t) (cumulative ᾱ under the root)": -b / (math.sqrt(1 - a) * math.sqrt(a)),
            "the whole bracket (x_t − β_t/√(1−ᾱ_t)·ε) is divided by √α_t, the ε term included": -b / math.sqrt(1 - ab),
            "the square root is missing: β_t/√(1 − ᾱ_t), not β_t/(1 − ᾱ_t)": -b / ((1 - ab) * math.sqrt(a)),
            "check the sign: the step *subtracts* the predicted noise": b / (math.sqrt(1 - ab) * math.sqrt(a)),
            "that is the x̂₀ coefficient √(1−ᾱ_t)/√ᾱ_t, not the one-step posterior mean": -math.sqrt(1 - ab) / math.sqrt(ab),
        }
        cz = {
            "σ_t multiplies z, so it is the standard deviation √β_t — you used the variance β_t": b,
            "that is √β̃_t, the other valid choice (DDPM eq. 7); this exercise, like the package's default, uses σ_t² = β_t": math.sqrt(bt),
            "you used the cumulative 1 − ᾱ_t: the step adds only one step's worth of noise, √β_t": math.sqrt(1 - ab),
            "that noise level is √(1 − ᾱ_{t−1}), a jump from x₀; one step adds √β_t": math.sqrt(max(1 - ab_prev, 0.0)),
        }
        ok = _compare_coefficients(f"at t = {t}", coeffs, want, [cx, ce, cz],
                                   ["coefficient of x_t", "coefficient of ε", "σ_t (coefficient of z)"])
        if not ok:
            return False
        if not linear:
            print(f"{NO} at t = {t} every coefficient is right on unit inputs, but not on random ones: the "
                  "step must be c_x·x_t + c_ε·ε + σ_t·z, element by element (no sums over the batch, no clipping).")
            return False
    print(f"{OK} correct: x_(t−1) = (x_t − β_t/√(1−ᾱ_t)·ε)/√α_t + √β_t·z at t = 999, 500 and 20.")
    return True


@_checker
def check_call_count(predicted_calls, predicted_rows, measured_calls, measured_rows) -> bool:
    """Exercise 01·3 (predict, then run): network calls and rows evaluated for a batch of 64 at T = 1000."""
    if _is_missing(predicted_calls) or _is_missing(predicted_rows):
        return _not_predicted("predicted_calls and predicted_rows")
    ok = True
    if int(predicted_calls) == measured_calls:
        print(f"{OK} calls: you predicted {predicted_calls}, the counter says {measured_calls}.")
    else:
        ok = False
        hint = {measured_rows: "that is the number of *rows* evaluated: one call processes the whole batch of 64 at once",
                measured_calls // 1000 if measured_calls >= 1000 else -1: "one call per *step*, not one per sample",
                measured_calls - 1: "the loop calls the network at every step, including the last one (t = 0)"}.get(int(predicted_calls))
        print(f"{NO} calls: you predicted {predicted_calls}, the counter says {measured_calls}"
              + (f": {hint}." if hint else ": one call per step, and the batch shares each call."))
    if int(predicted_rows) == measured_rows:
        print(f"{OK} rows evaluated: you predicted {predicted_rows}, the counter says {measured_rows}.")
    else:
        ok = False
        hint = {measured_calls: "every call evaluates all 64 rows of the batch, so the work is calls × 64"}.get(int(predicted_rows))
        print(f"{NO} rows evaluated: you predicted {predicted_rows}, the counter says {measured_rows}"
              + (f": {hint}." if hint else ": each of the calls evaluates the whole batch."))
    if ok:
        print("   Batching shares each call among the samples, but the chain still needs T calls one after "
              "another: the wall-clock time of a sample cannot drop below T sequential network passes.")
    return ok


# --------------------------------------------------------------------------- notebook 02
@_checker
def check_time_prediction(predicted_s, measured_s, seconds_per_step, steps) -> bool:
    """Exercise 02·1: a chain's time predicted from one timed step, against the measured time."""
    if _is_missing(predicted_s):
        return _not_predicted("predicted_s")
    predicted_s, ratio = float(predicted_s), measured_s / float(predicted_s)
    if _close(predicted_s, seconds_per_step, rel=0.05):
        print(f"{NO} you predicted the time of one step ({predicted_s:.3g} s); the chain makes {steps} "
              f"sequential steps, so multiply by {steps}.")
        return False
    if 0.6 <= ratio <= 1.6:
        print(f"{OK} predicted {predicted_s:.3g} s, measured {measured_s:.3g} s (ratio {ratio:.2f}). "
              "One step's time × the number of steps predicts the chain: the network call is nearly all of it; "
              "what is left over is the loop's own bookkeeping and timing noise.")
        return True
    print(f"{NO} predicted {predicted_s:.3g} s, measured {measured_s:.3g} s (ratio {ratio:.2f}). "
          f"Expected about {steps} × {seconds_per_step:.3g} s = {steps * seconds_per_step:.3g} s; "
          + ("did you use a different number of steps?" if not _close(ratio, 1, rel=0.5) else "check your units (ms vs s)."))
    return False


@_checker
def check_flops_claim(flops_per_image, ratio_to_claim, flops_per_call, steps, claim=1e15) -> bool:
    """Exercise 02·2: FLOPs per image of a 1000-step sampler, and how far the circulating 1e15 is."""
    if _is_missing(flops_per_image) or _is_missing(ratio_to_claim):
        return _not_predicted("flops_per_image and ratio_to_claim")
    want = steps * flops_per_call
    f = float(flops_per_image)
    if not _close(f, want, rel=1e-3):
        cat = {f"that is one call; the sampler makes {steps} calls per image": flops_per_call,
               "FLOPs from FlopCounterMode already count a multiply–add as 2 FLOPs; do not halve them": want / 2,
               "do not double: FlopCounterMode already counts multiply and add separately": want * 2}
        hint = _match(f, cat, rel=1e-3)
        print(f"{NO} FLOPs per image: you have {f:.3g}, expected {steps} × {flops_per_call:.3g} = {want:.3g}"
              + (f": {hint}." if hint else "."))
        return False
    if not _close(float(ratio_to_claim), claim / want, rel=1e-2):
        hint = "you divided the other way round: how many times *more* is the claim than the measurement? claim / measured" \
            if _close(float(ratio_to_claim), want / claim, rel=1e-2) else f"compute claim / measured = {claim:.0e} / {want:.3g}"
        print(f"{NO} FLOPs per image right ({want:.3g}), ratio not: {hint}.")
        return False
    print(f"{OK} {want:.3g} FLOPs per 32×32 image: the 1e15 figure is {claim / want:.0f}× more. "
          f"A network's FLOPs grow with the number of pixels it convolves over: 256×256 has 64× the pixels of 32×32, "
          f"so about {64 * want:.2g} FLOPs per image at the same widths — the circulating figure fits a 256×256 model, not CIFAR-10.")
    return True


@_checker
def check_jump_step(fn) -> bool:
    """Exercise 02·3: ``fn(x_t, eps, t, t_prev, z, schedule)`` jumps correctly from t to t_prev < t."""
    s = _schedule()
    for t, tp in ((999, 899), (500, 480), (100, 0)):
        coeffs, linear = _probe(lambda x, e, z: _call(fn, x, e, t, tp, z, s), 3)
        ab, abp = float(s.alpha_bar_64[t]), float(s.alpha_bar_64[tp])
        a_new = ab / abp
        b_new = 1 - a_new
        want = [1 / math.sqrt(a_new), -b_new / (math.sqrt(1 - ab) * math.sqrt(a_new)), math.sqrt(b_new)]
        a1, b1 = float(s.alphas_64[t]), float(s.betas_64[t])
        naive = "you used the single-step α_t, β_t: that is the naive stride of notebook 02/05 — for a jump use " \
                "α = ᾱ_t/ᾱ_(t_prev) and β = 1 − ᾱ_t/ᾱ_(t_prev)"
        cx = {naive: 1 / math.sqrt(a1), "you divided by √ᾱ_t, the jump to t = 0; the jump to t_prev divides by "
              "√(ᾱ_t/ᾱ_(t_prev))": 1 / math.sqrt(ab), "the ratio is upside down: α_jump = ᾱ_t/ᾱ_(t_prev) < 1": math.sqrt(a_new)}
        ce = {naive: -b1 / (math.sqrt(1 - ab) * math.sqrt(a1)),
              "the β of the jump is right but the root is under ᾱ of the jump: the noise level at t is √(1 − ᾱ_t), with the full ᾱ_t": -b_new / (math.sqrt(1 - a_new) * math.sqrt(a_new)),
              "the whole bracket is divided by √α_jump, the ε term included": -b_new / math.sqrt(1 - ab)}
        cz = {naive: math.sqrt(b1), "σ is the standard deviation √β_jump, not the variance": b_new}
        if not _compare_coefficients(f"t = {t} → {tp}", coeffs, want, [cx, ce, cz],
                                     ["coefficient of x_t", "coefficient of ε", "σ (coefficient of z)"]):
            return False
        if not linear:
            print(f"{NO} t = {t} → {tp}: right on unit inputs, not on random ones: the step must be "
                  "c_x·x_t + c_ε·ε + σ·z element by element.")
            return False
    print(f"{OK} correct: the jump uses α = ᾱ_t/ᾱ_(t_prev), β = 1 − α (the respaced schedule), so one call "
          "removes the noise of the whole jump.")
    return True


# --------------------------------------------------------------------------- notebook 03
@_checker
def check_first_step_gap(value) -> bool:
    """Exercise 03·1: variance per coordinate of x_(T−1)^(a) − x_(T−1)^(b) for two runs from one x_T."""
    if _is_missing(value):
        return _not_predicted("gap_variance")
    s = _schedule()
    b = float(s.betas_64[-1])
    want = 2 * b
    cat = {"the difference of two independent noises has the *sum* of their variances, 2σ², not σ²": b,
           "σ_T = √β_T is a standard deviation; the variance of σ_T(z_a − z_b) is 2σ_T² = 2β_T": 2 * math.sqrt(b),
           "the network terms are identical for both runs (same x_T, same ε_θ(x_T, T)) and cancel: "
           "only σ_T(z_a − z_b) is left": 2 * b + 1.0,
           "that is √2·σ_T, the standard deviation of the gap; the exercise asks for its variance": math.sqrt(2 * b)}
    if _close(float(value), want, rel=1e-3):
        print(f"{OK} 2β_T = {want:.4f}: the runs share x_T and ε_θ(x_T, T), so after one step they differ by "
              "σ_T(z_a − z_b) only. That is small — the runs will separate through the *following* steps.")
        return True
    hint = _match(float(value), cat, rel=1e-3)
    print(f"{NO} you have {float(value):.4g}, the variance is 2β_T = {want:.4g}" + (f": {hint}." if hint else "."))
    return False


def table_part(table, start: int, stop: int | None = None):
    """Rows ``start:stop`` of a :class:`~ddpm_lessons.samplers.StepTable` (run them with ``run_chain``)."""
    return table[start:stop]


def fork_setup(steps: int = 25):
    """(model, table, mixture, x_T) of the fork experiment: the exact noise predictor of the swiss roll
    (fast, and no network error), a ``steps``-step respaced ancestral chain, one starting noise (1, 2)."""
    from .mixture import GaussianMixture
    from .samplers import ancestral_table

    s = _schedule()
    mixture = GaussianMixture.preset("swiss_roll")
    table = ancestral_table(s.respace(s.timesteps(steps)))
    x_T = torch.randn(1, 2, generator=torch.Generator().manual_seed(0))
    return mixture.eps_model(s), table, mixture, x_T


def reference_fork_finals(model, table, x_T, k, M, generator):
    """The reference solution of exercise 03·2 (used by the checker)."""
    from .samplers import run_chain

    trunk = run_chain(model, x_T, table_part(table, 0, k), generator=generator, progress=False)
    return run_chain(model, trunk.repeat(M, 1), table_part(table, k), generator=generator, progress=False)


def _spread(x) -> float:
    """Mean per-coordinate variance across runs (rows)."""
    return float(torch.as_tensor(x, dtype=torch.float64).var(0).mean())


@_checker
def check_fork_experiment(fn, M: int = 128, show: bool = True) -> bool:
    """Exercise 03·2: ``fn(model, table, x_T, k, M, generator)`` forks M runs after k shared steps.

    Checks that forks share the first k steps (fork after the last step → M identical finals), get
    fresh noise afterwards (fork at k = 0 → spread of independent runs), and end on the data.
    """
    model, table, mixture, x_T = fork_setup()
    n = len(table)
    calls = []

    def recorder(x, t):  # the model, recording (rows, timestep) of every call
        calls.append((int(x.shape[0]), int(t[0])))
        return model(x, t)

    def run(k, seed):
        calls.clear()
        out = _call(fn, recorder, table, x_T.clone(), k, M, torch.Generator().manual_seed(seed))
        out = torch.as_tensor(out)
        if out.shape != (M, 2):
            raise ValueError(f"fn must return the M = {M} final samples, shape ({M}, 2); got {tuple(out.shape)}")
        return out

    k_mid = n // 2
    run(k_mid, 0)
    ts = [int(t) for t in table.t_model]
    trunk = [c for c in calls if c[0] == 1]
    fork_rows = sum(b for b, t in calls if b != 1 or t in ts[k_mid:])
    if not trunk:
        if sum(b for b, _ in calls) == M * n:
            print(f"{NO} with k = {k_mid} your function ran all {n} steps on the M = {M} rows: the first k steps must be "
                  "shared — run them on ONE copy of x_T (shape (1, D)), then repeat that state M times.")
        else:
            print(f"{NO} with k = {k_mid} nothing ran on a single row: run the first k rows of the table (table[:k]) "
                  "once, on x_T itself, before forking — your forks do not continue from a shared trunk.")
        return False
    if [t for _, t in trunk[:k_mid]] != ts[:k_mid] or len([c for c in trunk if c[1] in ts[:k_mid]]) != k_mid:
        print(f"{NO} with k = {k_mid} the shared trunk should be exactly the first k = {k_mid} rows of the table, run "
              f"once; your single-row calls were at t = {[t for _, t in trunk][:8]}…")
        return False
    if fork_rows < M * (n - k_mid):
        print(f"{NO} with k = {k_mid} the forks should run the remaining {n - k_mid} rows (table[k:]) on M = {M} rows; "
              f"your calls evaluated {fork_rows} rows after the trunk instead of {M * (n - k_mid)}.")
        return False

    ref0 = _spread(reference_fork_finals(model, table, x_T, 0, M, torch.Generator().manual_seed(99)))
    f0 = run(0, 1)
    s0 = _spread(f0)
    if s0 < 1e-12:
        print(f"{NO} forking at k = 0 gives {M} identical finals: every fork must draw its own fresh noise after "
              "the fork (run the M forks as one batch from one generator, or give each fork a different seed).")
        return False
    ll = float(mixture.log_prob(f0).mean())
    ll_real = float(mixture.log_prob(mixture.sample(2000, torch.Generator().manual_seed(0))).mean())
    if ll < ll_real - 2.0:
        print(f"{NO} your finals are not samples of the swiss roll (mean log-likelihood {ll:.2f}; real data {ll_real:.2f}): "
              "after the fork, run the *remaining* rows of the table (table_part(table, k)) from the trunk's state.")
        return False
    if not 0.6 < s0 / ref0 < 1.6:
        print(f"{NO} at k = 0 your forks spread {s0:.3g} per coordinate, independent runs from one x_T spread "
              f"about {ref0:.3g}: check that every fork runs all {n} steps after the fork.")
        return False
    s_end = _spread(run(n, 2))
    if s_end > 1e-10:
        print(f"{NO} forked after the last step (k = {n}), your {M} finals still differ (spread {s_end:.3g}): the "
              "first k steps must be shared — run them on ONE copy of x_T, then repeat that state M times. "
              "Repeating x_T first and running the trunk on all M rows gives each row its own noise.")
        return False
    ks = [0, n // 2, 4 * n // 5, n - 2, n]
    finals = [run(k, 3 + i) for i, k in enumerate(ks)]
    spreads = [_spread(f) for f in finals]
    ll_late = float(mixture.log_prob(finals[2]).mean())
    if ll_late < ll_real - 2.0:
        print(f"{NO} forked at k = {ks[2]}, your finals are not samples of the swiss roll (mean log-likelihood "
              f"{ll_late:.2f}; real data {ll_real:.2f}): continue the forks from the trunk's state after k steps, "
              "not from x_T.")
        return False
    if not spreads[2] < 0.7 * spreads[0] or not spreads[3] < spreads[2]:
        print(f"{NO} the spread should shrink as the fork moves later (more shared steps); yours: "
              + ", ".join(f"k={k}: {v:.3g}" for k, v in zip(ks, spreads)))
        return False
    if show:
        print(f"fork after k of {n} shared steps → spread of the {M} finals (mean per-coordinate variance):")
        for k, v in zip(ks, spreads):
            print(f"   k = {k:3d} (t = {int(table.t_model[k - 1]) if k else 'x_T'}): {v:.4f}  " + "█" * int(40 * v / spreads[0]))
    print(f"{OK} correct: the forks share the trunk and get fresh noise afterwards. Compare the spread halfway "
          "through the chain with the spread at k = 0: how much of the outcome was decided by then?")
    return True


@_checker
def check_eta_prediction(prediction, variances) -> bool:
    """Exercise 03·3: A/B/C — how large is the run-to-run variance of DDIM at η = 0.5, next to η = 0 and 1?

    ``variances`` maps η (0.0, 0.5, 1.0) to the measured variance of the finals of runs from one x_T.
    A: zero, like η = 0 · B: about a quarter of η = 1's (σ² ∝ η²) · C: most of η = 1's.
    """
    if _is_missing(prediction):
        return _not_predicted("my_prediction")
    p = str(prediction).strip().upper()[:1]
    v0, v5, v1 = (variances[e] for e in (0.0, 0.5, 1.0))
    r = v5 / v1 if v1 > 0 else float("nan")
    answer = "A" if v5 < 1e-12 else ("B" if r < 0.5 else "C")
    explain = (f"measured: η = 0 → {v0:.3g}, η = 0.5 → {v5:.3g}, η = 1 → {v1:.3g} ({r:.0%} of η = 1's). "
               "Each step injects variance ∝ η², but the runs do not add those variances up: they are pulled onto "
               "the data, and once the injected noise is enough to push a run to a different part of the data "
               "it ends up there. So the outcome decorrelates almost as fully at η = 0.5 as at η = 1 — "
               "reproducibility from x_T needs η = 0 exactly, not just a small η.")
    if p == answer:
        print(f"{OK} {p}. " + explain)
        return True
    why = {"A": "only η = 0 is deterministic: any η > 0 draws σz with σ ∝ η",
           "B": "that would hold if the final variance were the sum of the injected variances (∝ η²)",
           "C": "not on this data"}.get(p, "answer A, B or C")
    print(f"{NO} {p}: {why}. " + explain)
    return False


# --------------------------------------------------------------------------- notebook 04
@_checker
def check_slerp(fn) -> bool:
    """Exercise 04·2: ``fn(a, b, w)`` is spherical interpolation over the whole tensor (one angle θ)."""
    from .interpolation import slerp

    g = torch.Generator().manual_seed(4)
    d = 256
    u = torch.randn(d, generator=g, dtype=torch.float64)
    v = torch.randn(d, generator=g, dtype=torch.float64)
    v = v - (v @ u) / (u @ u) * u
    u, v = u / u.norm() * 16, v / v.norm() * 16
    a, b = u, math.cos(math.pi / 3) * u + math.sin(math.pi / 3) * v  # equal norms, θ = 60°
    for w in (0.0, 0.25, 0.5, 1.0):
        got = torch.as_tensor(_call(fn, a.clone(), b.clone(), w), dtype=torch.float64)
        want = slerp(a, b, w)
        if got.shape != want.shape:
            print(f"{NO} at w = {w} you return shape {tuple(got.shape)}, expected {tuple(want.shape)} (the shape of a).")
            return False
        if torch.isnan(got).any():
            print(f"{NO} at w = {w} your result has NaNs: clamp cos θ to [−1, 1] before arccos.")
            return False
        if torch.allclose(got, want, rtol=1e-5, atol=1e-6):
            continue
        lerp = (1 - w) * a + w * b
        ratio = float(got.norm() / a.norm())
        theta = math.pi / 3
        if torch.allclose(got, lerp, atol=1e-6):
            print(f"{NO} at w = {w} your result is lerp (1−w)·a + w·b: its norm is {ratio:.3f} of the endpoints', "
                  "not 1. Rotate along the great circle instead: sin((1−w)θ)/sin θ·a + sin(wθ)/sin θ·b.")
        elif torch.allclose(got, want * math.sin(theta), atol=1e-6):
            print(f"{NO} at w = {w} your result is slerp times sin θ: divide both weights by sin θ.")
        elif abs(float(got.norm()) - 1.0) < 1e-6:
            print(f"{NO} at w = {w} your result has norm 1: you normalised a and b but did not scale back to their norm.")
        else:
            print(f"{NO} at w = {w} your result differs from slerp by {float((got - want).norm()):.3g} "
                  f"(norm {ratio:.3f} of the endpoints', slerp keeps 1.000). Check θ = arccos(⟨a,b⟩/(‖a‖‖b‖)) "
                  "over the whole tensor and the weights sin((1−w)θ)/sin θ, sin(wθ)/sin θ.")
        return False
    same = torch.as_tensor(_call(fn, a.clone(), 2 * a.clone(), 0.5), dtype=torch.float64)
    if torch.isnan(same).any() or torch.isinf(same).any():
        print(f"{NO} slerp of two parallel vectors (θ = 0) gives NaN/inf: sin θ = 0 divides by zero. "
              "Fall back to lerp when sin θ is tiny (the package uses sin θ < 1e-6).")
        return False
    if not torch.allclose(same, 1.5 * a, atol=1e-5):
        print(f"{NO} for parallel vectors a and 2a, w = 0.5 should give 1.5·a (lerp: the path is a straight line); "
              "fall back to lerp when sin θ is tiny.")
        return False
    print(f"{OK} correct, including the θ → 0 fallback. The midpoint keeps the endpoints' norm exactly "
          "(‖a‖ = ‖b‖), where lerp's dips to cos(θ/2) of it.")
    return True


@_checker
def check_lerp_midpoint(value, theta_deg: float = 60.0) -> bool:
    """Exercise 04·1: norm of the lerp midpoint of two equal-norm vectors at angle θ, as a fraction of their norm."""
    if _is_missing(value):
        return _not_predicted("lerp_midpoint_ratio")
    th = math.radians(theta_deg)
    want = math.cos(th / 2)
    cat = {"1/√2 is the ratio for *orthogonal* endpoints (θ = 90°); redo it with ⟨a, b⟩ = ‖a‖²cos θ": 1 / math.sqrt(2),
           "that is the *squared* norm ratio (1 + cos θ)/2; take the square root": (1 + math.cos(th)) / 2,
           "that is cos θ; ‖(a + b)/2‖² = ‖a‖²(2 + 2cos θ)/4, so the ratio is √((1 + cos θ)/2) = cos(θ/2)": math.cos(th),
           "check your half-angle: the ratio is cos(θ/2), not sin(θ/2)": math.sin(th / 2)}
    v = float(value)
    if _close(v, want, rel=1e-3):
        print(f"{OK} cos(θ/2) = {want:.4f} at θ = {theta_deg:g}°. At θ = 90° it is 1/√2; independent Gaussian "
              "noises in high dimension are almost exactly orthogonal, hence the 0.71 of the notebook.")
        return True
    hint = _match(v, cat, rel=1e-3)
    print(f"{NO} you have {v:.4g}, expected {want:.4g}" + (f": {hint}." if hint else ": expand ‖(a + b)/2‖² with ‖a‖ = ‖b‖."))
    return False


@_checker
def check_shell_prediction(prediction, std_by_dim) -> bool:
    """Exercise 04·3: does the lerp midpoint's norm ratio vary more across pairs at d = 2 or d = 256?"""
    if _is_missing(prediction):
        return _not_predicted("my_prediction")
    p = str(prediction).strip().lower().removeprefix("d").strip(" =")
    small, big = min(std_by_dim), max(std_by_dim)
    explain = (f"measured spread of the ratio: d = {small} → {std_by_dim[small]:.3f}, d = {big} → {std_by_dim[big]:.3f}. "
               "In high dimension ‖x‖²/d averages d independent terms, so norms concentrate on the shell and "
               "independent noises are nearly orthogonal: 1/√2 holds for almost every pair. In 2D it is a rough average.")
    if p == str(small) or p in {"small", "low"}:
        print(f"{OK} d = {small}. " + explain)
        return True
    print(f"{NO} not d = {p}. " + explain)
    return False


# --------------------------------------------------------------------------- notebook 05
@_checker
def check_respaced_betas(fn) -> bool:
    """Exercise 05·1: ``fn(alpha_bar, timesteps)`` → respaced betas, ascending in time (like ``respace``)."""
    s = _schedule()
    ts = torch.tensor([999, 899, 799, 699, 599, 499, 399, 299, 199, 99])  # descending, as samplers keep them
    want = s.respace(ts).betas_64
    got = torch.as_tensor(_call(fn, s.alpha_bar_64.clone(), ts.clone()), dtype=torch.float64).flatten()
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
    asc = ts.flip(0)
    ab = s.alpha_bar_64
    single = s.betas_64[asc]
    if torch.allclose(got, single, rtol=1e-6) or torch.allclose(got, single.flip(0), rtol=1e-6):
        print(f"{NO} you used the single-step β_t: that is the naive stride of notebook 02/05. A kept step jumps "
              "from τ_(k−1) to τ_k, so its β must carry all the noise added in between: 1 − ᾱ_(τ_k)/ᾱ_(τ_(k−1)).")
        return False
    if torch.allclose(got, want.flip(0), rtol=1e-6):
        print(f"{NO} right values, reversed order: return them ascending in time (β_1 first, as NoiseSchedule stores "
              "betas), i.e. for the kept timesteps sorted upwards.")
        return False
    if torch.allclose(got[1:], want[1:], rtol=1e-6):
        print(f"{NO} all but the first are right (you have {got[0]:.4g}, expected {want[0]:.4g}): before the first "
              "kept step the chain is at clean data, ᾱ = 1, so β_1 = 1 − ᾱ_(τ_1) — not 1 − ᾱ_(τ_1)/ᾱ_0.")
        return False
    shifted = 1 - ab[asc] / ab[asc - 1]
    if torch.allclose(got, shifted, rtol=1e-6):
        print(f"{NO} off by one: you divided by ᾱ_(τ_k − 1), the *timestep* before, which gives the single-step "
              "β again; divide by ᾱ at the previous *kept* timestep, ᾱ_(τ_(k−1)).")
        return False
    prev = torch.cat([torch.ones(1, dtype=torch.float64), ab[asc][:-1]])
    if torch.allclose(got, 1 - prev / ab[asc], rtol=1e-6) or bool((got < 0).any()):
        print(f"{NO} some of your betas are negative: the ratio is upside down — ᾱ decreases with t, so "
              "use ᾱ_(τ_k)/ᾱ_(τ_(k−1)) < 1.")
        return False
    if torch.allclose(got, prev - ab[asc], rtol=1e-6):
        print(f"{NO} you subtracted ᾱ's: steps compose by *multiplying* α's (ᾱ is a product), so the jump's "
              "α is the ratio ᾱ_(τ_k)/ᾱ_(τ_(k−1)) and β = 1 − that ratio.")
        return False
    print(f"{NO} your betas differ from the respaced ones (first three: yours {got[:3].tolist()}, expected "
          f"{want[:3].tolist()}). Use β_k = 1 − ᾱ_(τ_k)/ᾱ_(τ_(k−1)), ascending in time, ᾱ = 1 before the first.")
    return False


def reference_leading_timesteps(T: int, steps: int) -> torch.Tensor:
    """DDIM's own spacing (its code and Table 1/2): k·⌊T/S⌋ for k = S−1, …, 0 (descending)."""
    c = T // steps
    return torch.arange(steps - 1, -1, -1, dtype=torch.long) * c


@_checker
def check_leading_timesteps(fn) -> bool:
    """Exercise 05·2: ``fn(T, steps)`` → "leading" timesteps k·⌊T/S⌋, k = S−1 … 0, descending."""
    for T, S in ((1000, 10), (1000, 30), (1000, 7), (100, 100)):
        got = torch.as_tensor(_call(fn, T, S)).to(torch.long).flatten()
        want = reference_leading_timesteps(T, S)
        if got.numel() == want.numel() and torch.equal(got, want):
            continue
        trailing = torch.tensor([T - 1 - (k * T) // S for k in range(S)])
        lin = torch.linspace(T - 1, 0, S).round().long()
        arange_float = torch.tensor([int(k * (T / S)) for k in range(S - 1, -1, -1)])
        head = f"for T = {T}, steps = {S}:"
        if got.numel() == want.numel() and torch.equal(got, want.flip(0)):
            print(f"{NO} {head} right set, wrong order — samplers take timesteps descending (from noise to data).")
        elif got.numel() == want.numel() and torch.equal(got, trailing):
            print(f"{NO} {head} that is *trailing* spacing (T−1−⌊kT/S⌋, starts at {T - 1}); leading spacing starts "
                  f"at 0 and goes up in strides of ⌊T/S⌋ = {T // S}, so its largest timestep is {int(want[0])}.")
        elif got.numel() == want.numel() and torch.equal(got, lin):
            print(f"{NO} {head} that is *linspace* spacing (rounded linspace from {T - 1} to 0); leading spacing "
                  f"uses the integer stride ⌊T/S⌋ = {T // S} from 0.")
        elif got.numel() == want.numel() and torch.equal(got, arange_float):
            print(f"{NO} {head} you used the fractional stride T/S = {T / S:.4g}; DDIM's code uses the integer "
                  f"stride ⌊T/S⌋ = {T // S} (c = T // S), so the timesteps are k·{T // S}.")
        elif got.numel() == want.numel() and torch.equal(got, want + 1):
            print(f"{NO} {head} off by one: you are using 1-based timesteps (DDIM's code adds 1 for its own "
                  "indexing); the package's timesteps are 0-based, the first is 0.")
        elif got.numel() == want.numel() + 1 or got.numel() == want.numel() - 1:
            print(f"{NO} {head} {got.numel()} timesteps for {S} steps: k runs over S−1, …, 0 (S values).")
        else:
            print(f"{NO} {head} got {got[:5].tolist()}…, expected {want[:5].tolist()}…: k·⌊T/S⌋ for k = S−1 down to 0.")
        return False
    print(f"{OK} correct: leading spacing k·⌊T/S⌋. At 10 steps it starts at t = 900, not 999 — the first step "
          "treats N(0, I) noise as if it were x_900.")
    return True


@_checker
def check_exponent(value, skips, excess) -> bool:
    """Exercise 05·3: the slope of log(excess) against log(skip), fitted by the reader."""
    if _is_missing(value):
        return _not_predicted("exponent")
    from .stats import fit_line

    lx = [math.log(s) for s in skips]
    want = fit_line(lx, [math.log(e) for e in excess])[0]
    v = float(value)
    if _close(v, want, rel=1e-3):
        print(f"{OK} exponent {want:.2f}. A first-order sampler has an error O(h) in the samples, h the step size; "
              "energy distance (like FID) is a *squared* distance for small errors, so it grows like h²: slope ≈ 2 "
              "on log-log axes.")
        return True
    steps_slope = fit_line([math.log(1000 / s) for s in skips], [math.log(e) for e in excess])[0]
    lin_slope = fit_line(list(skips), list(excess))[0]
    cat = {"you fitted against the number of steps: the skip is h = T/steps, so the sign flips": steps_slope,
           "you fitted the raw values; an exponent is the slope in log–log coordinates (log excess vs log skip)": lin_slope,
           "you fitted log(skip) against log(excess) — swap the axes: y = log(excess)": 1 / want if want else float("nan")}
    hint = _match(v, cat, rel=1e-3)
    print(f"{NO} you have {v:.3g}, the log–log slope is {want:.3g}" + (f": {hint}." if hint else "."))
    return False


# --------------------------------------------------------------------------- notebook 06
@_checker
def check_ddim_inversion_step(fn) -> bool:
    """Exercise 06·1: ``fn(x, eps, t, t_next, schedule)`` is one DDIM inversion step: DDIM eq. 12 at
    η = 0 run upwards, from level t (−1: clean data, ᾱ = 1) to t_next > t."""
    from .samplers import ddim_inversion_table

    s = _schedule()
    for t, tn in ((-1, 39), (39, 79), (499, 599), (899, 999)):
        coeffs, linear = _probe(lambda x, e: _call(fn, x, e, t, tn, s), 2)
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
        if not _compare_coefficients(f"t = {t} → {tn}", coeffs, want, [cx, ce], ["coefficient of x", "coefficient of ε"]):
            return False
        if not linear:
            print(f"{NO} t = {t} → {tn}: right on unit inputs but not on random ones; the step must be linear "
                  "in x and ε (no noise, no clipping).")
            return False
    print(f"{OK} correct from x₀ (t = −1) up to t = 999: x_next = √ᾱ_next·x̂₀ + √(1−ᾱ_next)·ε, the η = 0 step "
          "with the two levels exchanged.")
    return True


@_checker
def check_inversion_prediction(prediction, errors) -> bool:
    """Exercise 06·3: which inversion error is smaller, 10 or 50 steps, and by roughly how much."""
    if _is_missing(prediction):
        return _not_predicted("my_prediction")
    p = str(prediction).strip()
    e10, e50 = errors[10], errors[50]
    explain = (f"measured round-trip MSE: 10 steps → {e10:.3g}, 50 steps → {e50:.3g} ({e10 / e50:.0f}× larger at 10). "
               "Each upward step uses ε at the level it leaves instead of the level it arrives at; the error per step "
               "shrinks with the step size, so finer steps invert better (DDIM Table 2).")
    if p.startswith("50"):
        print(f"{OK} 50 steps. " + explain)
        return True
    print(f"{NO} {p}. " + explain)
    return False


@_checker
def check_eta_one_prediction(prediction, max_differences) -> bool:
    """Exercise 06·2: is DDIM η = 1 the σ² = β chain of notebooks 01–04, or the σ² = β̃ chain?"""
    if _is_missing(prediction):
        return _not_predicted("my_prediction")
    p = str(prediction).strip().lower().replace("~", "_").replace(" ", "_")
    d_bt, d_b = max_differences["beta_tilde"], max_differences["beta"]
    explain = (f"measured with the same noise: max |DDIM η=1 − respaced DDPM σ²=β̃| = {d_bt:.2g}, "
               f"max |DDIM η=1 − respaced DDPM σ²=β| = {d_b:.2g}. At η = 1, σ² = (1−ᾱ_prev)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_prev), "
               "which is exactly the posterior variance β̃ of the jump — not β. DDIM's Table 1 compares η = 1 (β̃) with "
               "σ̂ (σ² = β) for this reason: at 1000 steps on CIFAR-10 they score FID 4.73 and 3.17.")
    if "tilde" in p or p in {"b̃", "β̃"}:
        print(f"{OK} β̃. " + explain)
        return True
    print(f"{NO} not {prediction!r}. " + explain)
    return False
