# %% [markdown] slideshow={"slide_type": "slide"}
# # 07 · The same limitations on a real model
#
# Every sample in notebooks 01–06 came from a 16×16 digit model or a 2D toy, while the chapter's source speaks of real image models: a 35.7M-parameter UNet called a thousand times per image. DDPM's own CIFAR-10 network (Ho, Jain & Abbeel 2020) is published on the Hugging Face hub as `google/ddpm-cifar10-32` (Apache-2.0), and the chapter's samplers can drive it unchanged. This notebook runs what your machine can: what one image costs on your device, five samplers from the same $x_T$, repeated runs, a DDIM encode → decode round trip and a slerp path, each on real 32×32 images.
#
# It needs internet and the `[hub]` extra (`pip install "ddpm-lessons[hub]"`: diffusers, huggingface_hub, safetensors); Colab has both, and a T4 GPU (Runtime → Change runtime type) runs the whole notebook in under 5 minutes. Without the weights every cell that needs them prints one line saying so, and the rest still runs.
#
# > **The stored outputs come from the no-weights mode.** The machines that build this repository cannot reach the model hub, so the outputs you see were produced without the weights: section 2 timed the same architecture with random weights, and the image sections printed why they were skipped. Run the notebook yourself to see the images.
#
# **Learning objectives**
# - Load a published diffusers model into the chapter's samplers and check its schedule against the chapter's.
# - Turn a measured network call into seconds per image for ancestral 1000, DDIM 50 / 20 / 10 and naive 50 steps on your device, and set them beside the published figures and a FLOP bound.
# - See on real images what notebooks 02–06 measured on digits: naive striding leaves the noise in, respacing and DDIM repair it, ancestral runs differ while DDIM runs repeat, DDIM inversion round-trips, and slerp paths decode smoothly only under DDIM.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/07_real_model.ipynb) [![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://kaggle.com/kernels/welcome?src=https://github.com/ddpm-lessons/ddpm-lessons/blob/main/notebooks/07_real_model.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F07_real_model.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebooks 01–06 · **Time to read** ~15 min · **Time to run** under 5 min on a Colab T4 with the weights; about a minute without them · **Needs** internet and the `[hub]` extra (Colab has both); a GPU recommended
# <!-- /prereq -->

# %% slideshow={"slide_type": "skip"}
# --- colab/kaggle setup (written by make badges) ---
# On Colab or Kaggle: fetch the chapter's package and data once, install only what the platform
# lacks (never its torch, ipywidgets or Jupyter), and make the package importable without a restart.
# Safe to re-run. On Kaggle, first switch on "Internet" in the notebook's settings (the clone needs it).
import os
import sys

REPO_URL = "https://github.com/ddpm-lessons/ddpm-lessons"
HOSTED_DIRS = {"colab": "/content/ddpm-lessons", "kaggle": "/kaggle/working/ddpm-lessons"}
HOST = "colab" if "google.colab" in sys.modules else "kaggle" if "KAGGLE_KERNEL_RUN_TYPE" in os.environ else None
if HOST:
    import importlib.metadata, importlib.util, subprocess

    def _hosted_run(*command):  # show the command's own message in the notebook if it fails
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            hint = "\nOn Kaggle, switch on Internet in the notebook's settings." if HOST == "kaggle" else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}{hint}")

    REPO_DIR = HOSTED_DIRS[HOST]
    if not os.path.isdir(REPO_DIR):
        _hosted_run("git", "clone", "-q", "--depth", "1", REPO_URL, REPO_DIR)
    try:
        importlib.metadata.version("ddpm-lessons")
    except importlib.metadata.PackageNotFoundError:
        _hosted_run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", REPO_DIR)
        missing = [m for m in ("torch", "numpy", "matplotlib", "tqdm", "ipywidgets")
                   if importlib.util.find_spec(m) is None]
        if missing:  # Colab ships all five; elsewhere, install what is absent
            _hosted_run(sys.executable, "-m", "pip", "install", "-q", *missing)
    if REPO_DIR not in sys.path:
        sys.path.insert(0, REPO_DIR)
    if HOST == "colab":
        import ipywidgets
        if int(ipywidgets.__version__.split(".")[0]) >= 8:
            from google.colab import output
            output.enable_custom_widget_manager()
# --- end colab/kaggle setup ---

import torch
import ddpm_lessons as dl

device = dl.default_device()
print(f"device: {dl.device_name(device)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Loading DDPM's CIFAR-10 model
#
# `dl.load_pretrained("ddpm-cifar10-32", device)` downloads the model once (into the Hugging Face cache) and returns the same kind of bundle as the chapter's own models: `bundle.model(x_t, t)` predicts ε, `bundle.schedule` is read from the model's scheduler config and checked equal to the chapter's linear schedule (β from $10^{-4}$ to 0.02, T = 1000), `bundle.clip_x0 = 1` because the config clips $\hat x_0$ to the data range (`clip_sample`, as notebook 05 does), and its `variance_type` is `"fixed_large"`, σ² = β, the variance notebooks 01–04 sample with. With `path="folder"` it loads a local copy instead, without any network.
#
# Without network or without diffusers the loader fails within seconds with a message that names the cause and the fix; `dl.hub.try_load` prints that message and keeps going.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
real = dl.hub.try_load("ddpm-cifar10-32", device)   # path="folder" loads a local copy
bundle = real.bundle

# %% slideshow={"slide_type": "-"}
if real.ready("checking the bundle"):
    assert bundle.schedule.T == 1000 and torch.equal(bundle.schedule.betas_64, dl.NoiseSchedule.linear().betas_64)
    assert bundle.clip_x0 == 1.0 and bundle.sample_shape == (3, 32, 32)
    assert bundle.metadata["variance_type"] == "fixed_large", "σ² = β, DDPM's CIFAR-10 choice"
    print(f"schedule {bundle.schedule}, clip_x0 = {bundle.clip_x0}, σ² = β")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · What one image costs on this device
#
# We time one network call at a small batch (warm-up first, synchronised on a GPU; notebook 02 explains why) and divide by the batch size. Without the weights we time the same architecture with random weights: a forward pass costs the same whatever the weights are. The FLOPs of one call are counted on PyTorch's `meta` device, shapes only. The diffusers network and the chapter's own DDPM CIFAR-10 UNet of notebook 02 have the same parameter count and the same FLOP count (`tests/test_hub.py` checks both), so the count below holds for either.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-ignore-output"]
net, what = dl.hub.cost_network(real, device)
n_params, flops = dl.costs.meta_flops(dl.ddpm_cifar10_unet, (3, 32, 32))
batch = dl.pick(reader=2, fast=1, cuda=8)
x = torch.randn(batch, 3, 32, 32, generator=dl.seed(0)).to(device)
t = torch.full((batch,), 500, dtype=torch.long, device=device)
s_call = dl.costs.time_per_call(net, x, t, repeats=dl.pick(reader=3, fast=2, cuda=10), warmup=1)
s_image_call = s_call / batch
print(f"timed: {what}, batch {batch}: {dl.costs.format_seconds(s_call)} per call, "
      f"{dl.costs.format_seconds(s_image_call)} per image and call")
print(f"{n_params / 1e6:.2f}M parameters, {flops / 1e9:.1f} GFLOP per call and image (a multiply-add counts as 2)")
assert abs(n_params / 35.7e6 - 1) < 0.002, "DDPM App. B: 35.7M parameters"

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
calls = {"ancestral, 1000 steps": 1000, "DDIM, 50 steps": 50, "DDIM, 20 steps": 20, "DDIM, 10 steps": 10,
         "naive stride, 50 steps": 50}
rows = [dl.costs.cost_row(name, n, s_image_call, flops) for name, n in calls.items()]
dl.costs.cost_table(rows, ratio_pairs=[(0, 1)], caption=f"{dl.device_name(device)}, timed on {what}")

# %% [markdown] slideshow={"slide_type": "-"}
# The time per image is the number of calls times the time per call: the sampler's loop costs almost nothing beside the network, so DDIM 50 costs 1/20 of ancestral 1000 on any device. Naive 50 costs exactly as much as DDIM 50; section 3 shows what it buys.
#
# > **Claims you may read.** "You may read that DDPM takes **about 20 seconds per image on a V100**", and that 50 naively skipped steps take about 1 s. The source gives no image size. What the DDIM paper reports (Song, Meng & Ermon 2021, §1): "it takes around 20 hours to sample 50k images of size 32 × 32 from a DDPM, but less than a minute to do so from a GAN on a Nvidia 2080 Ti GPU", and nearly 1000 hours for 50k images of size 256 × 256 on the same GPU. That is 1.4 s per 32×32 image.
#
# A lower bound needs no GPU at all: no device can beat its peak arithmetic rate, so 1000 calls × the FLOPs per call ÷ the peak FLOP/s bounds the time of one 1000-step image from below. The V100's datasheet peak is 15.7 TFLOP/s in fp32 (notebook 02); a Colab T4's is about 8.1 TFLOP/s in fp32 (NVIDIA's T4 specification). Real networks reach a fraction of the peak, less at small batches.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
V100_FP32, T4_FP32 = 15.7e12, 8.1e12   # FLOP/s, fp32 peaks from NVIDIA's V100 datasheet and T4 specification
per_image = {f"measured here ({dl.device_name(device)})": 1000 * s_image_call,
             "source's claim (V100)": 20.0, "Song et al. 2021 §1 (RTX 2080 Ti)": 20 * 3600 / 50_000,
             "V100 fp32 lower bound": 1000 * flops / V100_FP32, "T4 fp32 lower bound": 1000 * flops / T4_FP32}
steps = [10, 20, 50, 100, 1000]
dl.plots.curves(steps, {f"measured here ({dl.device_name(device)})": [n * s_image_call for n in steps],
                        "V100 fp32 lower bound": [n * flops / V100_FP32 for n in steps],
                        "T4 fp32 lower bound": [n * flops / T4_FP32 for n in steps]},
                xlabel="network calls per image (steps)", ylabel="seconds per 32×32 image", logx=True, logy=True,
                hlines={"source's claim, 1000 steps (V100)": 20.0, "Song et al. 2021 §1, 1000 steps (2080 Ti)": 1.44},
                title="Time per image grows with the steps: here, the FLOP bounds, published figures")

# %% slideshow={"slide_type": "fragment"}
assert per_image["source's claim (V100)"] > 20 * per_image["V100 fp32 lower bound"], "20 s is over 20x the V100 bound"
assert per_image["source's claim (V100)"] > 10 * per_image["Song et al. 2021 §1 (RTX 2080 Ti)"], "20 s is over 10x DDIM's 32x32 figure"

# %% [markdown] slideshow={"slide_type": "-"}
# **How big this notebook's runs are.** The sampling sections below need about 3,600 network calls per image with the 1000-step sampler (ancestral 1000 three times, the 50-step samplers, the round trips) plus the slerp frames. `dl.hub.plan` picks the largest sizes whose calls fit a 4-minute budget at the time per call measured above: 8 images per strip when that fits, down to one image without the 1000-step runs on a CPU. The same arithmetic at the T4's fp32 peak, and at half of it, estimates the whole sampling part on a Colab T4.

# %% slideshow={"slide_type": "fragment"} tags=["nbval-ignore-output"]
sizes = dl.hub.plan(s_image_call, budget_s=240, fast=dl.fast_mode())
t4 = dl.hub.plan(flops / (0.5 * T4_FP32))            # what a T4 at half its fp32 peak would run
t4_bound = t4.image_calls() * flops / T4_FP32
print(f"this device: {sizes}: {sizes.image_calls()} image-calls, about "
      f"{dl.costs.format_seconds(sizes.image_calls() * s_image_call)}")
if sizes.image_calls() * s_image_call > 240:
    print("this device is slower than the budget allows even for the smallest plan: the image sections take longer")
print(f"a Colab T4: {t4}: at least {t4_bound:.0f} s at the fp32 peak, about {2 * t4_bound:.0f} s at half of it")
assert t4.n_images == 8 and t4.ancestral_1000 and 2 * t4_bound < 240, "the full plan fits 4 min on a T4 at half its peak"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Five samplers from one $x_T$
#
# The same starting noises go to ancestral sampling with all 1000 steps (when the plan affords it), the naive stride of 50 steps (notebook 02's broken shortcut), respaced ancestral sampling with 50 steps (notebook 05's repair), DDIM with 50 and with 10 steps. The two ancestral samplers and the naive one draw their step noise from the same seed. Every sampler clips $\hat x_0$ to [−1, 1], as the model's config says.
#
# What to look for: naive striding removes only one step's worth of noise per visit, so its images are mostly noise; we measure that with the mean absolute difference between neighbouring pixels ("roughness"), which noise makes large and natural images keep small.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
roughness = lambda images: float((images[..., 1:] - images[..., :-1]).abs().mean())
if real.ready("five samplers from one x_T"):
    x_T = dl.hub.noise(sizes.n_images, bundle, seed=0)
    strips, seconds = dl.hub.sampler_strips(bundle, x_T, ancestral_1000=sizes.ancestral_1000)
    display(dl.plots.image_rows(strips, size=1.0, title="Same x_T, five samplers: naive 50 leaves the noise in"))
    print({k: f"roughness {roughness(v):.3f}, {seconds[k]:.1f} s" for k, v in strips.items()})
    assert roughness(strips["naive stride, 50 steps"]) > 2 * roughness(strips["DDIM, 50 steps"])
    if sizes.ancestral_1000:  # the full run against the extrapolation from section 2
        ratio = seconds["ancestral, 1000 steps"] / (1000 * s_image_call * sizes.n_images)
        print(f"ancestral 1000 took {ratio:.2f}x the time extrapolated from the timed calls")
        assert sizes.n_images != batch or 0.5 < ratio < 2, "same batch: the loop costs about its calls"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Two runs from one $x_T$
#
# Notebook 03 showed on digits that ancestral sampling gives a different image every time it runs from the same $x_T$, because it adds fresh noise at every step, while DDIM with η = 0 is a fixed map from $x_T$ to an image. Here are two runs of each, with different noise seeds.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if real.ready("two ancestral and two DDIM runs from one x_T"):
    runs = dl.hub.repeated_runs(bundle, x_T, ancestral_steps=1000 if sizes.ancestral_1000 else 50)
    display(dl.plots.image_rows(runs, size=1.0, title="Same x_T: ancestral runs differ, DDIM runs repeat"))
    (a1, a2), (d1, d2) = list(runs.values())[:2], list(runs.values())[2:]
    gap = lambda u, v: float((u - v).norm() / u.norm())
    print(f"relative difference between the two runs: ancestral {gap(a1, a2):.2f}, DDIM {gap(d1, d2):.1e}")
    assert gap(d1, d2) < 1e-4 < 0.1 < gap(a1, a2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · DDIM inversion: encode a generated image and decode it again
#
# Running DDIM backwards maps an image to the noise it came from (notebook 06). The inversion is approximate, because each backward step evaluates the network at the level it leaves rather than the one it reaches, and the error shrinks with more steps (DDIM Table 2). We encode the DDIM-50 images of section 3 with 10, 50 and 100 steps and decode with the same timesteps.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if real.ready("the DDIM encode → decode round trip"):
    trips, mse = dl.hub.round_trip(bundle, strips["DDIM, 50 steps"], sizes.inversion_steps)
    display(dl.plots.image_rows(trips, size=1.0, title="DDIM encode → decode: the error shrinks with more steps"))
    print({f"{n} steps": f"MSE {v:.2e} (on the [0, 1] scale)" for n, v in mse.items()})
    assert mse[max(mse)] < mse[min(mse)], "more inversion steps, smaller round-trip error"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · A slerp path, decoded by DDIM and by ancestral sampling
#
# Notebook 04 walked between two noises on the digit model. Here the same walk on real images: frames along the great circle from $x_T = a$ to $x_T = b$, decoded by DDIM 50 (one fixed map, so neighbouring frames stay close) and by respaced ancestral 50 with fresh noise for every frame, as separate samples are drawn.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
if real.ready("the slerp strip"):
    a, b = dl.hub.noise(2, bundle, seed=5)
    frames = dl.hub.slerp_rows(bundle, a, b, sizes.frames)
    alphas = [f"α={w:.2f}" for w in torch.linspace(0, 1, sizes.frames).tolist()]
    display(dl.plots.image_rows(frames, col_labels=alphas, size=1.0, title="Slerp from a to b: DDIM frames change smoothly"))
    print({k: f"mean squared change between neighbouring frames {dl.metrics.frame_differences(v).mean():.3f}"
           for k, v in frames.items()})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# The chapter's limitations do not depend on the toy models. One DDPM image costs 1000 calls of a 35.7M-parameter network, about 12 GFLOP each; section 2 measured what that means on your device and set it beside the published 1.4 s per image on a 2080 Ti and the FLOP bounds, while the circulating "20 s per image on a V100" is over 20 times the V100's fp32 bound for 32×32 images. With the weights, the same $x_T$ shows naive striding leaving the noise in and respacing or DDIM at 50 steps repairing it at 1/20 of the cost; ancestral runs from one $x_T$ differ while DDIM runs repeat; DDIM inversion round-trips a generated image, better with more steps; and a slerp path decodes to a smooth sequence only under DDIM. The stored outputs were made without the weights; open the notebook in Colab with a T4 to see the images.
