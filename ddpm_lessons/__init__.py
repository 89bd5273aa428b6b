"""ddpm-lessons: the helper package of the chapter *Limitations of ancestral sampling*.

The notebooks need one import, ``import ddpm_lessons as dl``; everything they use is here.
The code is layered: Base ← Math ← Models ← Measure ← Show ← Teach, and a module imports only
its own layer or lower ones. Which module sits in which layer is one table, ``LAYERS`` in
``ddpm_lessons/layers.py`` (the README shows it; ``tests/test_layers.py`` holds the code to it).
"""
from .device import default_device, device_name, env_flag, fast_mode, pick, seed
from .interpolation import lerp, slerp
from .mixture import ExactEpsModel, GaussianMixture
from .samplers import StepTable, ancestral_table, ddim_inversion_table, ddim_table, naive_strided_table, run_chain
from .sampling import (SAMPLERS, SamplerSpec, ancestral_sample, ddim_invert, ddim_sample, naive_strided_sample,
                       respaced_ancestral_sample, sample)
from .schedule import SPACINGS, NoiseSchedule
from .stats import (Estimate, bootstrap, clearly_different, clearly_less, fit_power_law, mean_sd, mean_se,
                    paired_difference)

__version__ = "0.2.0"

__all__ = [
    "NoiseSchedule", "SPACINGS", "GaussianMixture", "ExactEpsModel", "StepTable", "run_chain",
    "ancestral_table", "naive_strided_table", "ddim_table", "ddim_inversion_table",
    "ancestral_sample", "naive_strided_sample", "respaced_ancestral_sample", "ddim_sample",
    "ddim_invert", "SAMPLERS", "SamplerSpec", "sample", "paired_difference", "lerp", "slerp", "default_device", "device_name", "env_flag", "fast_mode", "pick", "seed",
    "Estimate", "bootstrap", "clearly_different", "clearly_less", "fit_power_law", "mean_sd", "mean_se",
]

# --- models, data, measurement and display (higher layers) ---
from . import analysis, costs, hub, metrics, plots, widgets  # noqa: E402
from .data import load_mnist, make_grid, to_image  # noqa: E402
from .costs import CountingModel  # noqa: E402
from .device import model_device  # noqa: E402
from .models import DigitClassifier, MLPEps, UNet, count_parameters, ddpm_cifar10_unet  # noqa: E402
from .pretrained import CheckpointError, Pretrained, load_pretrained  # noqa: E402
from .tables import Table  # noqa: E402
from . import exercises  # noqa: E402  (top layer: the checkers of the notebooks' exercises)

__all__ += ["analysis", "costs", "hub", "metrics", "plots", "widgets", "load_mnist", "make_grid", "to_image", "CountingModel",
            "DigitClassifier", "MLPEps", "UNet", "count_parameters", "ddpm_cifar10_unet", "model_device",
            "CheckpointError", "Pretrained", "load_pretrained", "Table", "exercises"]
