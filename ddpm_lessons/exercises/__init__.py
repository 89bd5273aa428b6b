"""Checkers for the chapter's exercises, one module per notebook: ``dl.exercises.nb01`` … ``nb06``.

Every code exercise of the chapter has a stub cell that raises :class:`YourTurn` until the reader
fills it in (``dl.exercises.your_turn(...)``), and a check cell that calls one
``dl.exercises.nbNN.check_*`` function. A checker

* runs the reader's function on fixed inputs and compares it with the package's own float64
  references — :class:`~ddpm_lessons.schedule.NoiseSchedule` (its ᾱ, ``respace``, ``timesteps``),
  the samplers' coefficient tables (``ancestral_table``, ``ddim_table``, ``ddim_inversion_table``),
  ``run_chain``, ``interpolation.slerp``, ``stats.fit_line`` — never a formula of its own;
* prints *specific* feedback: the quantity, the reader's value and the expected one, and the usual
  reason ("your coefficient of ε is −0.1386, expected −0.1404: did you use ᾱ_t or α_t?"), never a
  bare "wrong";
* returns a :class:`Verdict`, true when accepted and false when not (yet), and never raises: a stub
  left untouched prints "not attempted yet", so a notebook with every stub unfilled still runs
  from top to bottom.

Linear steps (ancestral, respaced and DDIM updates) are checked coefficient by coefficient: the
reader's step is evaluated on unit inputs, which reads off the numbers multiplying x_t, ε and z,
and each one is compared with the reference and with a catalogue of typical mistakes.
``_core`` holds what the six modules share (the decorator, probes, message formatting).
"""
from . import nb01, nb02, nb03, nb04, nb05, nb06
from ._core import Verdict, YourTurn, your_turn

__all__ = ["YourTurn", "your_turn", "Verdict", "nb01", "nb02", "nb03", "nb04", "nb05", "nb06"]
