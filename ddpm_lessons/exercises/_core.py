"""The machinery every checker shares: the stub, the verdict, the decorator, probes and messages.

A checker is a function decorated with :func:`checker`. It runs the reader's code through
:func:`call` (which turns an untouched stub into "not attempted yet"), prints one line per finding
and returns true when the answer is accepted. Feedback lines name the quantity, the reader's value
and the expected one — "your coefficient of x_t is 0.9996, expected 0.9903: <the usual reason>" —
built by :func:`mismatch`.
"""
from __future__ import annotations

import functools
import math

import torch

from ..schedule import NoiseSchedule

OK, NO, TODO = "✅", "❌", "⏳"


class YourTurn(NotImplementedError):
    """Raised by an exercise stub that has not been filled in yet. Checkers catch it."""

    def __init__(self, what: str = "this exercise"):
        super().__init__(f"Your turn: fill in {what}, then run the check cell below it.")


def your_turn(what: str = "this exercise"):
    """Raise :class:`YourTurn` (what a stub does until it is filled in; every notebook's stubs)."""
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


class NotAttempted(Exception):
    """The reader's function raised :class:`YourTurn`: the stub is still there."""


def call(fn, *args, **kwargs):
    """Call the reader's function; turn YourTurn into NotAttempted (other errors pass through)."""
    if not callable(fn):
        raise TypeError(f"expected your function, got {type(fn).__name__}")
    try:
        return fn(*args, **kwargs)
    except YourTurn as err:
        raise NotAttempted() from err


def checker(func):
    """Decorator: YourTurn → 'not attempted yet'; any other exception → printed, Verdict(False)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            ok = bool(func(*args, **kwargs))
        except NotAttempted:
            print(f"{TODO} not attempted yet: fill in the cell above (replace the `your_turn(...)` line), "
                  "then run this cell again.")
            return Verdict(False)
        except Exception as err:  # the reader's code failed: say where, do not raise
            print(f"{NO} your code raised {type(err).__name__}: {err}")
            print("   Run your function on its own in a new cell to see the full traceback.")
            return Verdict(False)
        return Verdict(ok)
    return wrapper


# --------------------------------------------------------------------------- comparing numbers
def close(a, b, rel=1e-5, abs_=1e-9) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


def match(value, catalogue, rel=1e-4):
    """First hint in ``catalogue`` ({hint: value}) whose value matches ``value``, else None."""
    for hint, v in catalogue.items():
        if close(value, v, rel=rel, abs_=1e-10):
            return hint
    return None


def show_pair(got, want) -> tuple[str, str]:
    """``got`` and ``want`` printed with the fewest significant digits (≥ 4) that tell them apart."""
    g, w = float(got), float(want)
    for digits in range(4, 13):
        a, b = f"{g:.{digits}g}", f"{w:.{digits}g}"
        if a != b or g == w:
            return a, b
    return a, b


def mismatch(name: str, got, want, hint: str | None = None, fallback: str = "") -> str:
    """'your <name> is <got>, expected <want>: <hint>.' (or '. <fallback>' without a hint)."""
    a, b = show_pair(got, want)
    line = f"your {name} is {a}, expected {b}"
    if hint:
        return f"{line}: {hint}."
    return f"{line}." + (f" {fallback}" if fallback else "")


def is_missing(x) -> bool:
    return x is None or x is Ellipsis


def not_predicted(name: str) -> bool:
    print(f"{TODO} not attempted yet: set `{name}` in the cell above to your prediction "
          "(the measurement is shown anyway — but predict first, it is the point of the exercise).")
    return False


def schedule() -> NoiseSchedule:
    """The chapter's schedule (DDPM's linear β, T = 1000), on which every step checker probes."""
    return NoiseSchedule.linear(1000)


# --------------------------------------------------------------------------- linear steps
def probe(step, n_inputs: int, shape=(3, 2)):
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


def table_row(table, i: int = 0) -> list[float]:
    """Row ``i`` of a :class:`~ddpm_lessons.samplers.StepTable` as [c_x, c_eps, σ] (the reference)."""
    return [float(table.c_x[i]), float(table.c_eps[i]), float(table.sigma[i])]


def compare_coefficients(where: str, got, want, catalogues, names) -> bool:
    """Print one line per wrong coefficient (its value, the expected one, the matching hint); True if all right."""
    right = [n for n, g, w in zip(names, got, want) if close(g, w)]
    all_ok, told = True, set()
    for name, g, w, cat in zip(names, got, want, catalogues):
        if close(g, w):
            continue
        all_ok = False
        lead = f"your {', '.join(right)} {'is' if len(right) == 1 else 'are'} right, " if right else ""
        hint = match(g, cat)
        if hint is not None and hint in told:  # one mistake behind several coefficients: say it once
            hint = "the same slip"
        told.add(hint)
        print(f"{NO} {where}: {lead}" + mismatch(name, g, w, hint))
    return all_ok


def step_is_right(where: str, probed, want, catalogues, names, form: str) -> bool:
    """A probed step (``probe``'s result) against the reference coefficients, then its linearity."""
    coeffs, linear = probed
    if not compare_coefficients(where, coeffs, want, catalogues, names):
        return False
    if not linear:
        print(f"{NO} {where}: every coefficient is right on unit inputs, but not on random ones: the step must "
              f"be {form}, element by element (no sums over the batch, no clipping, no noise of its own).")
        return False
    return True


def value_is_right(name: str, value, want, catalogue, accepted: str, fallback: str, rel=1e-3) -> bool:
    """One number against the reference: print ``accepted`` or the mismatch with its hint."""
    v = float(value)
    if close(v, want, rel=rel):
        print(f"{OK} {accepted}")
        return True
    print(f"{NO} " + mismatch(name, v, want, match(v, catalogue, rel=rel), fallback))
    return False
