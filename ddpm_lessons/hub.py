"""DDPM's own CIFAR-10 model from the Hugging Face hub, as a chapter bundle (optional ``[hub]`` extra).

    dl.load_pretrained("ddpm-cifar10-32", device)               # downloads once (internet + diffusers)
    dl.load_pretrained("ddpm-cifar10-32", device, path=folder)  # a local copy, no network at all

The model is ``google/ddpm-cifar10-32`` (Apache-2.0): Ho et al.'s CIFAR-10 network converted to a
diffusers ``UNet2DModel``. :func:`load_hub_model` returns the same :class:`~ddpm_lessons.pretrained.Pretrained`
bundle as the shipped models: ``model(x_t, t) -> eps`` in eval mode on the device, the schedule read
from the scheduler config and checked equal to the chapter's ``NoiseSchedule.linear()``,
``clip_x0 = 1`` (the config's ``clip_sample``), ``sample_shape = (3, 32, 32)``.

Layouts accepted by ``path=``: a folder written by ``DDPMPipeline.save_pretrained`` (``unet/`` and
``scheduler/`` sub-folders, ``model_index.json``) and the hub repository's own layout (``config.json``,
``diffusion_pytorch_model.safetensors`` or ``.bin`` and ``scheduler_config.json`` at the top).

Safety: the weights are read by diffusers' loader, which takes ``.safetensors`` (no code can run)
when present — the download fetches only that file — and reads ``.bin`` with
``torch.load(weights_only=True)`` (diffusers ``models/model_loading_utils.load_state_dict``).

Failing fast: every failure raises :class:`HubError` naming the model, the cause and the fix. Before
any download a 3-second socket connection to the hub's host decides whether it is reachable (no
retry loop, no minutes-long hang); a copy already in the local Hugging Face cache is used without
any network access. ``huggingface_hub`` reads its own ``HF_HUB_*`` timeouts at import time, so the
download's ETag timeout is passed explicitly instead.

Notebook 07 uses :func:`try_load`, :func:`cost_network`, :func:`plan` and the sampling helpers at the end.
"""
from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from .checks import check_int
from .device import default_device
from .interpolation import slerp
from .models import count_parameters, ddpm_cifar10_unet
from .pretrained import Pretrained
from .sampling import (ancestral_sample, ddim_invert, ddim_sample, naive_strided_sample,
                       respaced_ancestral_sample)
from .schedule import NoiseSchedule

#: Hub models the chapter knows: name → (repository, licence, what it is).
HUB_MODELS = {
    "ddpm-cifar10-32": dict(repo_id="google/ddpm-cifar10-32", licence="Apache-2.0",
                            paper="Ho, Jain & Abbeel 2020 (DDPM), CIFAR-10 model, converted to diffusers",
                            sample_shape=(3, 32, 32)),
}
#: The architecture of google/ddpm-cifar10-32 (its config.json): DDPM's CIFAR-10 UNet as a diffusers
#: UNet2DModel — 128·(1, 2, 2, 2) channels, 2 res-blocks per level, attention at 16×16.
UNET_CONFIG = dict(
    sample_size=32, in_channels=3, out_channels=3, layers_per_block=2, block_out_channels=(128, 256, 256, 256),
    down_block_types=("DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
    downsample_padding=0, flip_sin_to_cos=False, freq_shift=1, norm_eps=1e-6, norm_num_groups=32,
    attention_head_dim=None, mid_block_scale_factor=1, act_fn="silu", center_input_sample=False,
    time_embedding_type="positional", resnet_time_scale_shift="default", add_attention=True)
#: The scheduler config of google/ddpm-cifar10-32 (DDPM's CIFAR-10 choices: σ² = β, x̂₀ clipped).
SCHEDULER_CONFIG = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear",
                        variance_type="fixed_large", clip_sample=True)
_ARCH_KEYS = ("sample_size", "in_channels", "out_channels", "layers_per_block", "block_out_channels",
              "down_block_types", "up_block_types")
DOWNLOAD_PATTERNS = ["*.json", "*.safetensors"]  # configs and the safe weights file only (not the .bin)
CONNECT_TIMEOUT_S = 3.0


class HubError(RuntimeError):
    """The hub model cannot be loaded; the message names the model, the cause and the fix."""


def _fix(name: str) -> str:
    return (f"open the notebook in Colab (internet, diffusers and huggingface_hub are preinstalled), or install "
            f"the extra with pip install \"ddpm-lessons[hub]\" on a machine with internet, or pass "
            f"path=<folder> with a local copy of {HUB_MODELS[name]['repo_id']} (a download of the repository "
            f"or a folder written by DDPMPipeline.save_pretrained)")


def _fail(name: str, cause: str) -> HubError:
    return HubError(f"cannot load {name!r}: {cause}. Fix: {_fix(name)}")


def require_diffusers(name: str = "ddpm-cifar10-32"):
    """The ``diffusers`` module, or :class:`HubError` saying how to get it."""
    try:
        import diffusers
    except ImportError as err:
        raise _fail(name, f"the optional package diffusers is not installed ({err})") from None
    return diffusers


# --------------------------------------------------------------------------- network
def hub_unreachable(timeout: float = CONNECT_TIMEOUT_S) -> str | None:
    """None when the hub's host accepts a TCP connection within ``timeout`` s, else the reason.

    Offline mode (``HF_HUB_OFFLINE=1``) counts as unreachable. Behind an HTTP(S) proxy the direct
    connection says nothing, so the check is left to the download's own timeout.
    """
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set (huggingface_hub's offline mode)"
    if any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None
    url = urlparse(constants.ENDPOINT)
    host, port = url.hostname, url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        return f"there is no network connection to {host}:{port} ({type(err).__name__}: {err})"
    return None


def download(name: str, timeout: float = CONNECT_TIMEOUT_S) -> Path:
    """A local folder with the model's configs and safetensors weights: the Hugging Face cache if it
    holds them (no network), else a download after the reachability check."""
    from huggingface_hub import snapshot_download

    repo = HUB_MODELS[name]["repo_id"]
    try:
        folder = Path(snapshot_download(repo, allow_patterns=DOWNLOAD_PATTERNS, local_files_only=True))
        find_layout(folder, name)
        return folder
    except Exception:  # not cached (or only partly): fetch it
        pass
    reason = hub_unreachable(timeout)
    if reason:
        raise _fail(name, f"the model hub cannot be reached: {reason}")
    try:
        return Path(snapshot_download(repo, allow_patterns=DOWNLOAD_PATTERNS, etag_timeout=3 * timeout))
    except Exception as err:
        raise _fail(name, f"downloading {repo} failed ({type(err).__name__}: {err})") from err


# --------------------------------------------------------------------------- a local folder
def find_layout(folder, name: str = "ddpm-cifar10-32") -> tuple[Path, Path]:
    """(folder of the UNet's config.json and weights, scheduler config file) in either accepted layout."""
    folder = Path(folder)
    if not folder.is_dir():
        raise _fail(name, f"path={str(folder)!r} is not a folder")
    unet = next((d for d in (folder / "unet", folder) if (d / "config.json").is_file()), None)
    sched = next((f for f in (folder / "scheduler" / "scheduler_config.json", folder / "scheduler_config.json")
                  if f.is_file()), None)
    weights = unet is not None and any((unet / f"diffusion_pytorch_model.{ext}").is_file()
                                       for ext in ("safetensors", "bin"))
    if unet is None or sched is None or not weights:
        raise _fail(name, f"{folder} holds neither layout: expected unet/config.json + unet/diffusion_pytorch_model."
                          f"safetensors (or .bin) + scheduler/scheduler_config.json (DDPMPipeline.save_pretrained), "
                          f"or config.json + diffusion_pytorch_model.safetensors + scheduler_config.json at its top "
                          f"(the hub repository)")
    return unet, sched


def read_schedule(scheduler_file, name: str = "ddpm-cifar10-32") -> tuple[NoiseSchedule, dict]:
    """The chapter's :class:`NoiseSchedule` for a DDPMScheduler config file, and the config (with
    diffusers' defaults filled in). Refuses anything but ε-prediction on the chapter's linear schedule."""
    from diffusers import DDPMScheduler

    cfg = dict(DDPMScheduler.from_config(DDPMScheduler.load_config(str(Path(scheduler_file).parent))).config)
    if cfg.get("prediction_type", "epsilon") != "epsilon" or cfg.get("thresholding"):
        raise _fail(name, f"its scheduler predicts {cfg.get('prediction_type')!r} (thresholding "
                          f"{cfg.get('thresholding')}); the chapter's samplers need ε-prediction without thresholding")
    if cfg.get("trained_betas") is not None or cfg["beta_schedule"] != "linear":
        raise _fail(name, f"its schedule is {cfg['beta_schedule']!r}, not DDPM's linear one")
    schedule = NoiseSchedule.linear(int(cfg["num_train_timesteps"]), float(cfg["beta_start"]), float(cfg["beta_end"]))
    chapter = NoiseSchedule.linear()
    if schedule.T != chapter.T or not torch.allclose(schedule.betas_64, chapter.betas_64, rtol=0, atol=1e-12):
        raise _fail(name, f"its schedule ({schedule}) is not the chapter's ({chapter})")
    return schedule, cfg


class EpsUNet(nn.Module):
    """A diffusers ``UNet2DModel`` behind the chapter's contract ``model(x_t, t) -> eps``
    (t: LongTensor of shape (batch,) holding training timesteps)."""

    def __init__(self, unet: nn.Module):
        super().__init__()
        self.unet = unet

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.unet(x_t, t).sample


def build_unet(config: dict | None = None) -> nn.Module:
    """A diffusers ``UNet2DModel`` of the hub model's architecture with fresh (random) weights."""
    return require_diffusers().UNet2DModel(**(config or UNET_CONFIG))


def load_hub_model(name: str, device=None, *, path=None) -> Pretrained:
    """Load a hub model (see the module docstring); what ``dl.load_pretrained`` does for hub names."""
    if name not in HUB_MODELS:
        raise ValueError(f"unknown hub model {name!r}; available: {', '.join(HUB_MODELS)}")
    diffusers = require_diffusers(name)
    folder = Path(path) if path is not None else download(name)
    unet_dir, sched_file = find_layout(folder, name)
    safe = (unet_dir / "diffusion_pytorch_model.safetensors").is_file()
    try:
        unet = diffusers.UNet2DModel.from_pretrained(str(unet_dir), use_safetensors=safe, local_files_only=True)
    except Exception as err:
        raise _fail(name, f"diffusers could not read the UNet in {unet_dir} ({type(err).__name__}: {err})") from err
    wrong = {k: unet.config.get(k) for k in _ARCH_KEYS if _as_tuple(unet.config.get(k)) != _as_tuple(UNET_CONFIG[k])}
    if wrong:
        raise _fail(name, f"the UNet in {unet_dir} is not DDPM's CIFAR-10 architecture (differs in {wrong})")
    schedule, cfg = read_schedule(sched_file, name)
    info = HUB_MODELS[name]
    device = torch.device(device) if device is not None else default_device()
    metadata = dict(name=name, source=f"https://huggingface.co/{info['repo_id']}", repo_id=info["repo_id"],
                    licence=info["licence"], paper=info["paper"], folder=str(folder),
                    weights="safetensors" if safe else "bin (torch.load weights_only=True)",
                    parameters=count_parameters(unet), variance_type=cfg["variance_type"],
                    clip_sample=bool(cfg["clip_sample"]), data_range=[-1.0, 1.0], dataset="CIFAR-10")
    return Pretrained(model=EpsUNet(unet).to(device).eval(), schedule=schedule,
                      sample_shape=tuple(info["sample_shape"]), metadata=metadata)


def _as_tuple(v):
    return tuple(v) if isinstance(v, (list, tuple)) else v


# --------------------------------------------------------------------------- notebook 07
@dataclass
class HubAttempt:
    """What notebook 07 holds after :func:`try_load`: the bundle, or why there is none."""

    bundle: Pretrained | None
    reason: str | None

    def ready(self, what: str) -> bool:
        """True with weights; otherwise print one line saying that ``what`` is skipped, and why."""
        if self.bundle is None:
            print(f"skipped: {what} needs the weights, which are not loaded (the reason is printed in section 1)")
        return self.bundle is not None


def try_load(name: str = "ddpm-cifar10-32", device=None, *, path=None) -> HubAttempt:
    """:func:`load_hub_model`, turning a :class:`HubError` into a printed one-line reason (notebook 07)."""
    try:
        bundle = load_hub_model(name, device, path=path)
    except HubError as err:
        print(f"weights not loaded: {err}")
        return HubAttempt(None, str(err).split(". Fix:")[0])
    print(f"loaded {name}: {bundle.metadata['parameters'] / 1e6:.2f}M parameters from {bundle.metadata['source']} "
          f"({bundle.metadata['licence']}), {bundle.metadata['weights']}, on {next(bundle.model.parameters()).device}")
    return HubAttempt(bundle, None)


def cost_network(attempt: HubAttempt, device) -> tuple[nn.Module, str]:
    """The network to time (notebook 07): the loaded model, else the same architecture with random
    weights — a forward pass costs the same whatever the weights — from diffusers if it is installed,
    else the chapter's own DDPM CIFAR-10 UNet (same parameter and FLOP counts, tests/test_hub.py)."""
    if attempt.bundle is not None:
        return attempt.bundle.model, "the loaded model"
    try:
        return EpsUNet(build_unet()).to(device).eval(), "diffusers UNet2DModel, same architecture, random weights"
    except HubError:
        return ddpm_cifar10_unet().to(device).eval(), "the chapter's DDPM CIFAR-10 UNet, random weights"


@dataclass(frozen=True)
class Plan:
    """Sizes of notebook 07's sampling sections, chosen from the measured cost of one call."""

    n_images: int        # images per strip (one x_T each)
    ancestral_1000: bool  # whether the full 1000-step ancestral sampler runs
    frames: int          # slerp frames per path
    inversion_steps: tuple = (10, 50, 100)

    def image_calls(self, T: int = 1000) -> int:
        """Network calls × images of every section (strips, repeated runs, round trips, slerp)."""
        full = T if self.ancestral_1000 else 0
        strips = full + 50 + 50 + 50 + 10          # ancestral, naive, respaced, DDIM 50, DDIM 10
        repeats = 2 * (full or 50) + 2 * 50        # two ancestral runs (1000 or 50 steps), two DDIM 50
        trips = 2 * sum(self.inversion_steps)      # encode + decode
        slerp_ = self.frames * (50 + 50)           # DDIM 50 and respaced ancestral 50 per frame
        return self.n_images * (strips + repeats + trips) + slerp_


def plan(seconds_per_image_call: float, budget_s: float = 240.0, fast: bool = False) -> Plan:
    """The largest sizes whose sampling fits ``budget_s`` at the measured seconds per image-call.

    Tries 8, 4, 2, 1 images with the 1000-step sampler, then 1 image without it; in test mode the
    smallest plan. The 1000-step runs dominate (3000 of the ≈ 3600 calls per image).
    """
    if fast:
        return Plan(1, False, 2, (5, 10))
    for p in (Plan(8, True, 8), Plan(4, True, 8), Plan(2, True, 6), Plan(1, True, 5), Plan(1, False, 5)):
        if p.image_calls() * seconds_per_image_call <= budget_s:
            return p
    return Plan(1, False, 3, (10, 50))  # the smallest plan, even where it exceeds the budget


def noise(n: int, bundle: Pretrained, seed: int, device=None) -> torch.Tensor:
    """``n`` starting noises x_T for the bundle's sample shape, drawn on the CPU from ``seed``."""
    n = check_int("n", n, 1, 10_000)
    g = torch.Generator().manual_seed(int(seed))
    x = torch.randn(n, *bundle.sample_shape, generator=g)
    return x.to(device if device is not None else next(bundle.model.parameters()).device)


def _kw(bundle, seed=None):
    g = None if seed is None else torch.Generator().manual_seed(int(seed))
    return dict(clip_x0=bundle.clip_x0, generator=g, progress=False)


def _timed(fn, device):
    """(result, wall-clock seconds) of ``fn()``, CUDA-synchronised around it."""
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    out = fn()
    sync()
    return out, time.perf_counter() - start


def sampler_strips(bundle: Pretrained, x_T: torch.Tensor, ancestral_1000: bool = True, seed: int = 1):
    """({label: images}, {label: seconds}) of the five samplers from the same x_T (ancestral 1000 only
    if asked); the ancestral ones share the noise seed."""
    m, s = bundle.model, bundle.schedule
    runs = {"naive stride, 50 steps": lambda: naive_strided_sample(m, s, x_T, s.T // 50, **_kw(bundle, seed)),
            "respaced ancestral, 50": lambda: respaced_ancestral_sample(m, s, x_T, 50, **_kw(bundle, seed)),
            "DDIM, 50 steps": lambda: ddim_sample(m, s, x_T, 50, **_kw(bundle)),
            "DDIM, 10 steps": lambda: ddim_sample(m, s, x_T, 10, **_kw(bundle))}
    if ancestral_1000:
        runs = {"ancestral, 1000 steps": lambda: ancestral_sample(m, s, x_T, **_kw(bundle, seed)), **runs}
    done = {k: _timed(fn, x_T.device) for k, fn in runs.items()}
    return {k: v[0] for k, v in done.items()}, {k: v[1] for k, v in done.items()}


def repeated_runs(bundle: Pretrained, x_T: torch.Tensor, ancestral_steps: int = 1000, seeds=(11, 12)) -> dict:
    """{label: images}: two ancestral runs (different noise seeds) and two DDIM-50 runs from one x_T."""
    m, s = bundle.model, bundle.schedule
    ts = None if ancestral_steps == s.T else s.timesteps(ancestral_steps)
    rows = {}
    for k, seed in enumerate(seeds, 1):
        rows[f"ancestral {ancestral_steps}, run {k}"] = (
            ancestral_sample(m, s, x_T, **_kw(bundle, seed)) if ts is None
            else respaced_ancestral_sample(m, s, x_T, timesteps=ts, **_kw(bundle, seed)))
    for k, seed in enumerate(seeds, 1):
        rows[f"DDIM 50, run {k}"] = ddim_sample(m, s, x_T, 50, **_kw(bundle, seed))
    return rows


def round_trip(bundle: Pretrained, x_0: torch.Tensor, steps=(10, 50, 100)) -> tuple[dict, dict]:
    """DDIM encode → decode of images ``x_0`` at each step count: ({label: images}, {steps: MSE on [0, 1]})."""
    m, s = bundle.model, bundle.schedule
    rows, mse = {"original": x_0}, {}
    for n in steps:
        x_T = ddim_invert(m, s, x_0, n, progress=False)
        back = ddim_sample(m, s, x_T, n, **_kw(bundle))
        rows[f"decoded, {n} steps"] = back
        mse[n] = float(((back - x_0) / 2).pow(2).mean())  # [-1, 1] → [0, 1] scale
    return rows, mse


def slerp_rows(bundle: Pretrained, a: torch.Tensor, b: torch.Tensor, frames: int, seed: int = 21) -> dict:
    """Frames along the slerp path from x_T = a to b, decoded by DDIM 50 and by respaced ancestral 50
    (each frame with its own noise seed, as separate samples are drawn)."""
    path = slerp(a, b, torch.linspace(0, 1, check_int("frames", frames, 2, 64)))
    m, s = bundle.model, bundle.schedule
    ddim = ddim_sample(m, s, path, 50, **_kw(bundle))
    anc = torch.cat([respaced_ancestral_sample(m, s, p[None], 50, **_kw(bundle, seed + k)) for k, p in enumerate(path)])
    return {"DDIM η=0, 50 steps": ddim, "ancestral, 50 steps": anc}
