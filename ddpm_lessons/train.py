"""Rebuild the chapter's pretrained models from a clean checkout (CPU is enough):

    python -m ddpm_lessons.train toy2d            # MLP ε-model on the swiss-roll mixture
    python -m ddpm_lessons.train mnist            # 16×16 digit UNet ε-model
    python -m ddpm_lessons.train mnist-features   # digit classifier (the image metric's features)

Each run is seeded, prints its time, metric(s) and the path written, and updates
``data/manifest.json`` (config, SHA-256, metrics). Diffusion models are trained with DDPM's
simple loss ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖² (Ho et al. 2020, Algorithm 1) on the linear
T = 1000 schedule, and the exponential moving average (EMA) of the weights is what is saved.
"""
from __future__ import annotations

import argparse
import copy
import math
import time

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import load_mnist
from .mixture import GaussianMixture
from .models import DigitClassifier, MLPEps, UNet, count_parameters
from .pretrained import AVAILABLE, DATA_DIR, rebuild_command, sha256, write_manifest_entry
from .samplers import ancestral_sample
from .schedule import NoiseSchedule

CONFIGS = {
    "toy2d": dict(arch=MLPEps, config=dict(dim=2, hidden=256, num_layers=3, temb_dim=64),
                  steps=12_000, batch=512, lr=1e-3, warmup=200, ema=0.999, seed=0),
    "mnist": dict(arch=UNet, config=dict(image_size=16, in_channels=1, base_channels=32, channel_mults=[1, 2, 2],
                                         num_res_blocks=1, attn_resolutions=[8], dropout=0.0, norm_groups=32),
                  steps=3_000, batch=128, lr=5e-4, warmup=200, ema=0.999, seed=0),
    "mnist-features": dict(arch=DigitClassifier, config=dict(channels=32, feature_dim=128, num_classes=10, dropout=0.3),
                           steps=1_000, batch=128, lr=1e-3, warmup=50, ema=None, seed=0),
}


# --------------------------------------------------------------------------- shared pieces
def lr_at(step: int, base: float, warmup: int, total: int) -> float:
    """Linear warm-up to ``base`` over ``warmup`` steps, then cosine decay to base/10."""
    if step < warmup:
        return base * (step + 1) / warmup
    frac = (step - warmup) / max(total - warmup, 1)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """θ_ema ← decay·θ_ema + (1 − decay)·θ (parameters and buffers)."""
    for pe, p in zip(ema.state_dict().values(), model.state_dict().values()):
        if pe.is_floating_point():
            pe.mul_(decay).add_(p, alpha=1 - decay)
        else:
            pe.copy_(p)


def diffusion_loss(model, schedule: NoiseSchedule, x0: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """DDPM Algorithm 1: t ~ U{0..T−1}, ε ~ N(0, I), loss = mean ‖ε − ε_θ(x_t, t)‖²."""
    t = torch.randint(0, schedule.T, (x0.shape[0],), generator=gen)
    noise = torch.randn(x0.shape, generator=gen)
    return F.mse_loss(model(schedule.q_sample(x0, t, noise), t), noise)


def fit(model, batch_fn, loss_fn, spec, desc):
    """Adam with warm-up + cosine decay; returns (ema or model, seconds, last losses)."""
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"])
    ema = copy.deepcopy(model).eval() if spec["ema"] else None
    losses, t0 = [], time.perf_counter()
    bar = tqdm(range(spec["steps"]), desc=desc, mininterval=5)
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, spec["lr"], spec["warmup"], spec["steps"])
        loss = loss_fn(model, batch_fn())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if ema is not None:
            ema_update(ema, model, spec["ema"])
        losses.append(loss.item())
        if step % 100 == 0:
            bar.set_postfix(loss=f"{sum(losses[-100:]) / len(losses[-100:]):.4f}")
    return (ema if ema is not None else model.eval()), time.perf_counter() - t0, losses


def save(name, model, spec, seconds, metrics, sample_shape, dataset, schedule=None, extra=None):
    """Write ``data/<name>.pt`` (tensors only) and its manifest entry; return the path."""
    path = DATA_DIR / f"{name.replace('-', '_')}.pt"
    state = {"model": {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}}
    if schedule is not None:
        state["betas"] = schedule.betas_64.clone()
    torch.save(state, path)
    entry = dict(
        file=path.name, sha256=sha256(path), size_bytes=path.stat().st_size,
        architecture=type(model).__name__, config=spec["config"], parameters=count_parameters(model),
        sample_shape=list(sample_shape), dataset=dataset, command=rebuild_command(name),
        schedule=None if schedule is None else dict(kind="linear", T=schedule.T, beta_start=1e-4, beta_end=0.02),
        training=dict(steps=spec["steps"], batch=spec["batch"], lr=spec["lr"], warmup=spec["warmup"],
                      ema=spec["ema"], seed=spec["seed"], threads=torch.get_num_threads(),
                      seconds=round(seconds, 1), torch=torch.__version__),
        metrics=metrics, **(extra or {}),
    )
    write_manifest_entry(name, entry)
    return path


# --------------------------------------------------------------------------- the three models
def train_toy2d(spec):
    from .metrics import energy_distance_with_floor  # local: metrics imports pretrained

    mixture, schedule = GaussianMixture.preset("swiss_roll"), NoiseSchedule.linear(1000)
    gen = torch.Generator().manual_seed(spec["seed"])
    model = MLPEps(**spec["config"])
    ema, seconds, _ = fit(model, lambda: mixture.sample(spec["batch"], gen),
                          lambda m, x0: diffusion_loss(m, schedule, x0, gen), spec, "toy2d")
    g = torch.Generator().manual_seed(1234)
    x = ancestral_sample(ema, schedule, torch.randn(2000, 2, generator=g), generator=g)
    ed, floor = energy_distance_with_floor(x, mixture, generator=g)
    metrics = dict(energy_distance_2000=ed, energy_distance_floor_2000=floor,
                   mean_log_likelihood=mixture.log_prob(x).mean().item(),
                   median_log_likelihood=mixture.log_prob(x).median().item())
    return ema, seconds, metrics, (2,), "GaussianMixture.preset('swiss_roll') (48 components)", schedule


def train_mnist(spec):
    images, _ = load_mnist("train")
    held, _ = load_mnist("heldout")
    schedule = NoiseSchedule.linear(1000)
    gen = torch.Generator().manual_seed(spec["seed"])
    model = UNet(**spec["config"])

    def batch():
        return images[torch.randint(0, len(images), (spec["batch"],), generator=gen)]

    ema, seconds, _ = fit(model, batch, lambda m, x0: diffusion_loss(m, schedule, x0, gen), spec, "mnist")
    with torch.inference_mode():  # held-out ε-MSE at seeded (t, ε): an overfitting check
        g = torch.Generator().manual_seed(1234)
        heldout_mse = diffusion_loss(ema, schedule, held, g).item()
    return (ema, seconds, dict(heldout_eps_mse=heldout_mse), (1, 16, 16),
            "MNIST 5k subset (data/mnist_5k.npz, train split, 4500 images) at 16x16", schedule)


def shift_augment(x: torch.Tensor, gen: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Random translations by up to ``max_shift`` pixels (pad with background −1, crop)."""
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2, n), generator=gen).tolist()
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def train_classifier(spec):
    images, labels = load_mnist("train")
    held, held_labels = load_mnist("heldout")
    gen = torch.Generator().manual_seed(spec["seed"])
    model = DigitClassifier(**spec["config"]).train()

    def batch():
        idx = torch.randint(0, len(images), (spec["batch"],), generator=gen)
        return shift_augment(images[idx], gen), labels[idx]

    model, seconds, _ = fit(model, batch, lambda m, b: F.cross_entropy(m(b[0]), b[1]), spec, "mnist-features")
    with torch.inference_mode():
        acc = (model(held).argmax(1) == held_labels).float().mean().item()
    return model, seconds, dict(heldout_accuracy=acc), (1, 16, 16), \
        "MNIST 5k subset (data/mnist_5k.npz, train split) at 16x16; held-out split for accuracy", None


TRAINERS = {"toy2d": train_toy2d, "mnist": train_mnist, "mnist-features": train_classifier}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ddpm_lessons.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=AVAILABLE)
    parser.add_argument("--steps", type=int, default=None, help="override the number of training steps")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    spec = dict(CONFIGS[args.name])
    if args.steps is not None:
        spec["steps"] = args.steps
    torch.manual_seed(spec["seed"])  # parameter initialisation
    model, seconds, metrics, shape, dataset, schedule = TRAINERS[args.name](spec)
    path = save(args.name, model, spec, seconds, metrics, shape, dataset, schedule)
    print(f"{args.name}: trained {spec['steps']} steps in {seconds:.0f} s ({torch.get_num_threads()} threads)")
    for k, v in metrics.items():
        print(f"  {k} = {v:.4f}")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) and updated data/manifest.json")


if __name__ == "__main__":
    main()
