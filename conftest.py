"""Test configuration shared by the unit tests and nbval.

Test mode (``DDPM_LESSONS_FAST=1``) is switched on here, before any notebook kernel starts, so a
bare ``pytest`` runs the notebooks with small sample counts. Set ``DDPM_LESSONS_FAST=0`` in the
environment to run the notebooks at reader size under pytest.
"""
import os

os.environ.setdefault("DDPM_LESSONS_FAST", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
