"""ddpm-lessons: the helper package of the chapter *Limitations of ancestral sampling*.

The notebooks import everything from here; the math lives in small modules:
``schedule`` (noise schedule), ``samplers`` (one loop, many coefficient tables),
``mixture`` (2D data with an exact noise predictor), ``interpolation`` (lerp/slerp).
"""
from .device import default_device, device_name, fast_mode, pick
from .interpolation import lerp, slerp
from .mixture import ExactEpsModel, GaussianMixture
from .samplers import (
    StepTable,
    ancestral_sample,
    ddim_invert,
    ddim_sample,
    naive_strided_sample,
    respaced_ancestral_sample,
    run_chain,
)
from .schedule import NoiseSchedule

__version__ = "0.1.0"

__all__ = [
    "NoiseSchedule", "GaussianMixture", "ExactEpsModel", "StepTable", "run_chain",
    "ancestral_sample", "naive_strided_sample", "respaced_ancestral_sample", "ddim_sample",
    "ddim_invert", "lerp", "slerp", "default_device", "device_name", "fast_mode", "pick",
]

# --- pretrained models, networks, data and metrics (models/, pretrained.py, data.py, metrics.py) ---
from . import metrics  # noqa: E402
from .data import load_mnist, make_grid, to_image  # noqa: E402
from .models import CountingModel, DigitClassifier, MLPEps, UNet, ddpm_cifar10_unet  # noqa: E402
from .pretrained import CheckpointError, Pretrained, load_pretrained  # noqa: E402

__all__ += ["metrics", "load_mnist", "make_grid", "to_image", "CountingModel", "DigitClassifier", "MLPEps",
            "UNet", "ddpm_cifar10_unet", "CheckpointError", "Pretrained", "load_pretrained"]
