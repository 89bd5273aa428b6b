"""ddpm-lessons: the helper package of the chapter *Limitations of ancestral sampling*.

The notebooks need one import, ``import ddpm_lessons as dl``; everything they use is here.
The code is layered (lower layers never import higher ones; ``tests/test_project.py`` checks it):

* Base — ``device``, ``checks``, ``tables`` (a plain table value that every layer may return);
* Math — ``schedule`` (noise schedule, timestep spacings), ``samplers`` (one loop, many
  coefficient tables), ``mixture`` (2D data with an exact noise predictor), ``interpolation``
  (lerp/slerp), ``stats`` (estimates with standard errors, "clearly different", power-law fits);
* Models — ``models`` (networks, NFE counter), ``data`` (the digits), ``pretrained`` (safe loading);
* Measure — ``metrics``, ``analysis``, ``costs``;
* Show — ``plots``, ``widgets``;
* Teaching tools on top — ``exercises`` (a package: ``dl.exercises.nb01`` … ``nb06``, one module of
  checkers per notebook, on a shared ``_core``), ``teaching``, ``notebook_tools``.
"""
from .device import default_device, device_name, env_flag, fast_mode, pick, seed
from .interpolation import lerp, slerp
from .mixture import ExactEpsModel, GaussianMixture
from .samplers import (
    StepTable,
    ancestral_sample,
    ancestral_table,
    ddim_invert,
    ddim_inversion_table,
    ddim_sample,
    ddim_table,
    naive_strided_sample,
    naive_strided_table,
    respaced_ancestral_sample,
    run_chain,
)
from .schedule import SPACINGS, NoiseSchedule
from .stats import Estimate, bootstrap, clearly_different, clearly_less, fit_power_law, mean_sd, mean_se

__version__ = "0.2.0"

__all__ = [
    "NoiseSchedule", "SPACINGS", "GaussianMixture", "ExactEpsModel", "StepTable", "run_chain",
    "ancestral_table", "naive_strided_table", "ddim_table", "ddim_inversion_table",
    "ancestral_sample", "naive_strided_sample", "respaced_ancestral_sample", "ddim_sample",
    "ddim_invert", "lerp", "slerp", "default_device", "device_name", "env_flag", "fast_mode", "pick", "seed",
    "Estimate", "bootstrap", "clearly_different", "clearly_less", "fit_power_law", "mean_sd", "mean_se",
]

# --- models, data, measurement and display (higher layers) ---
from . import analysis, costs, metrics, plots, widgets  # noqa: E402
from .data import load_mnist, make_grid, to_image  # noqa: E402
from .models import CountingModel, DigitClassifier, MLPEps, UNet, count_parameters, ddpm_cifar10_unet, model_device  # noqa: E402
from .pretrained import CheckpointError, Pretrained, load_pretrained  # noqa: E402
from .tables import Table  # noqa: E402
from . import exercises  # noqa: E402  (top layer: the checkers of the notebooks' exercises)

__all__ += ["analysis", "costs", "metrics", "plots", "widgets", "load_mnist", "make_grid", "to_image", "CountingModel",
            "DigitClassifier", "MLPEps", "UNet", "count_parameters", "ddpm_cifar10_unet", "model_device",
            "CheckpointError", "Pretrained", "load_pretrained", "Table", "exercises"]
