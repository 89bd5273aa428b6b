"""The map of the package: its layers, lowest first, and the modules in each.

This table is the one source of truth for the layering. The package docstring and the README
describe it, and ``tests/test_layers.py`` reads it and holds the code to it:

* a module may import modules of its own layer or of lower ones, never of a higher one (relative
  and absolute imports, at the top of a file or inside a function, all count);
* every module of the package (a ``*.py`` file or a subpackage such as ``models/``) sits in
  exactly one layer, and every name here is a module that exists: a new module fails the test
  until it is placed here;
* the package never imports ``scripts/``, ``benchmarks/``, ``tools/`` or ``tests/``; they may
  import the package.

``ddpm_lessons/__init__.py`` sits above every layer: it gathers the names the notebooks use
(``import ddpm_lessons as dl``), so no module of the package imports the bare package.

This module imports nothing, so any layer may read it.
"""

#: layer name → the package's modules (files or subpackages) in it, lowest layer first
LAYERS = {
    # plain helpers with no chapter logic; ``tables`` is a value type that every layer may return
    "Base": ("device", "checks", "tables", "layers"),
    # the mathematics: schedules, the one sampling loop and its tables, the samplers by name and
    # their front door, exact 2D data, statistics
    "Math": ("schedule", "samplers", "sampling", "mixture", "interpolation", "stats"),
    # networks, the digits, safe loading of shipped checkpoints, DDPM's CIFAR-10 model from the
    # Hugging Face hub (optional [hub] extra), and the training commands
    "Models": ("models", "data", "pretrained", "hub", "train"),
    # what the chapter measures
    "Measure": ("metrics", "analysis", "costs"),
    # figures and widgets
    "Show": ("plots", "widgets"),
    # the exercises' checkers (the teaching build tools live outside the package, in tools/)
    "Teach": ("exercises",),
}
