"""Rebuild the chapter's pretrained models from a clean checkout (CPU is enough):

    python -m ddpm_lessons.train toy2d            # MLP ε-model on the swiss-roll mixture
    python -m ddpm_lessons.train mnist            # 16×16 digit UNet ε-model
    python -m ddpm_lessons.train mnist-features   # digit classifier (the image metric's features)

Each run is seeded, prints its time and the path written, and updates ``data/manifest.json``
(config, SHA-256, training settings). Model *evaluation* (quality bars, metrics) is not done here:
``scripts/check_models.py --update-manifest`` measures the models and records the numbers.

Long runs are resumable: every ``--every`` steps the full training state (weights, EMA, optimiser,
random generator, step) is written to ``data/.train/<name>.ckpt`` and progress lines go to
``data/.train/<name>.log``. After an interruption, the same command with ``--resume`` continues
exactly where the last checkpoint left off (same batches, same result as an uninterrupted run). Diffusion models are trained with DDPM's
simple loss ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖² (Ho et al. 2020, Algorithm 1) on the linear
T = 1000 schedule, and the exponential moving average (EMA) of the weights is what is saved.
"""
from __future__ import annotations

import argparse
import copy
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from .data import load_mnist
from .mixture import GaussianMixture
from .models import DigitClassifier, MLPEps, UNet, count_parameters
from .pretrained import AVAILABLE, DATA_DIR, rebuild_command, sha256, write_manifest_entry
from .schedule import NoiseSchedule

CONFIGS = {
    "toy2d": dict(arch=MLPEps, config=dict(dim=2, hidden=256, num_layers=3, temb_dim=64),
                  steps=12_000, batch=512, lr=1e-3, warmup=200, ema=0.999, seed=0),
    # Stage 1 is the original 3,000-step run. Each later stage continues from the previous stage's
    # EMA weights: stage 2 with a warm restart of the learning rate (SGDR-style) and a longer EMA;
    # stage 3 at a constant learning rate (schedule="constant"), so every checkpoint of it is
    # exactly a shorter run of the same command.
    "mnist": dict(arch=UNet, config=dict(image_size=16, in_channels=1, base_channels=32, channel_mults=[1, 2, 2],
                                         num_res_blocks=1, attn_resolutions=[8], dropout=0.0, norm_groups=32),
                  steps=3_000, batch=128, lr=5e-4, warmup=200, ema=0.999, seed=0,
                  stages=[dict(steps=2_000, batch=128, lr=3e-4, warmup=100, ema=0.9995, seed=1, grad_clip=1.0),
                          dict(steps=6_750, batch=128, lr=1e-4, warmup=100, ema=0.9995, seed=2, grad_clip=1.0,
                               schedule="constant")]),
    "mnist-features": dict(arch=DigitClassifier, config=dict(channels=32, feature_dim=128, num_classes=10, dropout=0.3),
                           steps=1_000, batch=128, lr=1e-3, warmup=50, ema=None, seed=0),
}


# --------------------------------------------------------------------------- shared pieces
def lr_at(step: int, base: float, warmup: int, total: int, schedule: str = "cosine") -> float:
    """Linear warm-up to ``base`` over ``warmup`` steps, then cosine decay to base/10
    (``schedule="cosine"``) or ``base`` held (``schedule="constant"``)."""
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    if step < warmup:
        return base * (step + 1) / warmup
    if schedule == "constant":
        return base
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


def fit(model, batch_fn, loss_fn, spec, desc, gen, ckpt=None, resume=False, every=500, log=None):
    """Adam with warm-up + cosine decay or a constant rate (and optional gradient clipping); returns (ema or model, seconds, losses).

    With ``ckpt`` (a path) the whole state is saved every ``every`` steps; ``resume=True`` restarts
    from it. ``gen`` is the generator that ``batch_fn``/``loss_fn`` draw from: its state is part of
    the checkpoint, so a resumed run sees the same batches as an uninterrupted one.
    """
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"])
    ema = copy.deepcopy(model).eval() if spec["ema"] else None
    start, seconds_before, losses = 0, 0.0, []
    if resume and ckpt is not None and Path(ckpt).exists():
        state = torch.load(ckpt, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        gen.set_state(state["gen"])
        start, seconds_before, losses = int(state["step"]), float(state["seconds"]), state["losses"].tolist()
        _log(log, f"{desc}: resumed from {ckpt} at step {start}")
    t0 = time.perf_counter()
    for step in range(start, spec["steps"]):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, spec["lr"], spec["warmup"], spec["steps"], spec.get("schedule", "cosine"))
        loss = loss_fn(model, batch_fn())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if spec.get("grad_clip"):
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec["grad_clip"])
        opt.step()
        if ema is not None:
            ema_update(ema, model, spec["ema"])
        losses.append(loss.item())
        done = step + 1
        if done % 100 == 0 or done == spec["steps"]:
            elapsed = seconds_before + time.perf_counter() - t0
            _log(log, f"{desc}: step {done}/{spec['steps']}  loss(last 100) {sum(losses[-100:]) / len(losses[-100:]):.4f}"
                      f"  lr {opt.param_groups[0]['lr']:.2e}  {elapsed:.0f} s")
        if ckpt is not None and (done % every == 0 or done == spec["steps"]):
            _save_state(ckpt, model, opt, ema, gen, done, seconds_before + time.perf_counter() - t0, losses)
    seconds = seconds_before + time.perf_counter() - t0
    return (ema if ema is not None else model.eval()), seconds, losses


def _save_state(path, model, opt, ema, gen, step, seconds, losses):
    """Write the resumable training state atomically (a crash mid-write leaves the old one)."""
    state = dict(model=model.state_dict(), opt=opt.state_dict(), gen=gen.get_state(), step=torch.tensor(step),
                 seconds=torch.tensor(seconds), losses=torch.tensor(losses))
    if ema is not None:
        state["ema"] = ema.state_dict()
    tmp = Path(f"{path}.tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def _log(path, line):
    print(line, flush=True)
    if path is not None:
        with open(path, "a") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M:%S ") + line + "\n")


def save(name, model, spec, seconds, metrics, sample_shape, dataset, schedule=None, extra=None):  # noqa: PLR0913
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
                      ema=spec["ema"], grad_clip=spec.get("grad_clip"), seed=spec["seed"], stages=spec.get("stages"), threads=torch.get_num_threads(),
                      seconds=round(seconds, 1), torch=torch.__version__),
        metrics=metrics, **(extra or {}),
    )
    write_manifest_entry(name, entry)
    return path


# --------------------------------------------------------------------------- the three models
def train_toy2d(spec, **fit_kw):
    mixture, schedule = GaussianMixture.preset("swiss_roll"), NoiseSchedule.linear(1000)
    gen = torch.Generator().manual_seed(spec["seed"])
    model = MLPEps(**spec["config"])
    ema, seconds, _ = fit(model, lambda: mixture.sample(spec["batch"], gen),
                          lambda m, x0: diffusion_loss(m, schedule, x0, gen), spec, "toy2d", gen, **fit_kw)
    return ema, seconds, {}, (2,), "GaussianMixture.preset('swiss_roll') (48 components)", schedule


def train_mnist(spec, **fit_kw):
    """Stage 1 from scratch, then each later stage from the previous stage's EMA weights. A finished
    stage k keeps its weights in data/.train/mnist_stage<k>.pt, so an interrupted run never repeats
    it; the stage in progress is resumable as usual."""
    images, _ = load_mnist("train")
    held, _ = load_mnist("heldout")
    schedule = NoiseSchedule.linear(1000)
    work = Path(fit_kw["ckpt"]).parent
    seconds = 0.0

    def run(stage, model, desc, **kw):
        gen = torch.Generator().manual_seed(stage["seed"])

        def batch():
            return images[torch.randint(0, len(images), (stage["batch"],), generator=gen)]

        return fit(model, batch, lambda m, x0: diffusion_loss(m, schedule, x0, gen), stage, desc, gen, **kw)

    model = UNet(**spec["config"])
    for k, stage in enumerate([spec, *spec.get("stages", [])], start=1):
        done = work / f"mnist_stage{k}.pt"
        if done.exists():
            state = torch.load(done, weights_only=True)
            model.load_state_dict(state["model"])
            seconds += float(state.get("seconds", 0.0))
            _log(fit_kw.get("log"), f"mnist: stage {k} weights read from {done}")
            continue
        model = copy.deepcopy(model).train()
        model, stage_seconds, _ = run(stage, model, f"mnist stage {k}", **dict(fit_kw, ckpt=done.with_suffix(".ckpt")))
        torch.save({"model": model.state_dict(), "seconds": torch.tensor(stage_seconds)}, done)
        seconds += stage_seconds
    with torch.inference_mode():  # held-out ε-MSE at seeded (t, ε): an overfitting check
        g = torch.Generator().manual_seed(1234)
        heldout_mse = diffusion_loss(model, schedule, held, g).item()
    return (model, seconds, dict(heldout_eps_mse=heldout_mse), (1, 16, 16),
            "MNIST 5k subset (data/mnist_5k.npz, train split, 4500 images) at 16x16", schedule)


def shift_augment(x: torch.Tensor, gen: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Random translations by up to ``max_shift`` pixels (pad with background −1, crop)."""
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2, n), generator=gen).tolist()
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def train_classifier(spec, **fit_kw):
    images, labels = load_mnist("train")
    held, held_labels = load_mnist("heldout")
    gen = torch.Generator().manual_seed(spec["seed"])
    model = DigitClassifier(**spec["config"]).train()

    def batch():
        idx = torch.randint(0, len(images), (spec["batch"],), generator=gen)
        return shift_augment(images[idx], gen), labels[idx]

    model, seconds, _ = fit(model, batch, lambda m, b: F.cross_entropy(m(b[0]), b[1]), spec, "mnist-features",
                                gen, **fit_kw)
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
    parser.add_argument("--resume", action="store_true", help="continue from data/.train/<name>.ckpt if present")
    parser.add_argument("--every", type=int, default=500, help="checkpoint every N steps (default 500)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    spec = dict(CONFIGS[args.name])
    if args.steps is not None:
        spec["steps"] = args.steps
    torch.manual_seed(spec["seed"])  # parameter initialisation
    work = DATA_DIR / ".train"
    work.mkdir(exist_ok=True)
    stem = args.name.replace("-", "_")
    fit_kw = dict(ckpt=work / f"{stem}.ckpt", resume=args.resume, every=args.every, log=work / f"{stem}.log")
    model, seconds, metrics, shape, dataset, schedule = TRAINERS[args.name](spec, **fit_kw)
    extra = {"data_range": [-1.0, 1.0]} if args.name == "mnist" else None  # load_mnist scales to [-1, 1]
    path = save(args.name, model, spec, seconds, metrics, shape, dataset, schedule, extra)
    steps = spec["steps"] + sum(stage["steps"] for stage in spec.get("stages", []))
    print(f"{args.name}: trained {steps} steps in {seconds:.0f} s ({torch.get_num_threads()} threads)")
    for k, v in metrics.items():
        print(f"  {k} = {v:.4f}")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) and updated data/manifest.json")


if __name__ == "__main__":
    main()
