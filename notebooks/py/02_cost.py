# %% [markdown] slideshow={"slide_type": "slide"}
# # 02 · The computational cost problem
#
# Ancestral sampling calls the network once per step, a thousand times per sample (notebook 01). This notebook turns that count into seconds and FLOPs **measured on your machine**, for the chapter's small digit model and for a network with DDPM's CIFAR-10 configuration, and sets them beside a one-pass generator of the same size. It counts the FLOPs of DDPM's 256×256 network without running it, places all of this next to the published wall-clock figures, and checks the cost figures that circulate about DDPM. It then shows that sampling time is a straight line in the number of steps, and asks the obvious question — why not just take fewer steps? — with an experiment whose failure tells us exactly what a fix has to do.
#
# **Learning objectives**
# - Measure time per network call and FLOPs per call correctly (warm-up, synchronisation, `torch.utils.flop_counter`) and turn them into time and FLOPs per sample.
# - Count the FLOPs of a network too large to run, on PyTorch's `meta` device.
# - Explain why the cost ratio between DDPM and a one-pass generator of the same size is the number of steps, independent of hardware.
# - Tell sourced from unsourced cost figures, and check a quoted number against a count and a measurement.
# - Show that sampling time is linear in the number of steps, and explain why naively skipping steps leaves most of the noise in.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/02_cost.ipynb) [![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://kaggle.com/kernels/welcome?src=https://github.com/ddpm-lessons/ddpm-lessons/blob/main/notebooks/02_cost.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F02_cost.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebook 01 (one network call per step); timing code in Python · **Time to read** ~25 min · **Time to run** ~70 s (laptop CPU) · **Exercises** 4, ~24 min
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
# ## 1 · How to time a network call
#
# Three habits make a timing trustworthy (they live in `dl.costs`):
#
# 1. **Warm up.** The first calls pay for memory allocation and kernel selection; they are run but not timed.
# 2. **Synchronise on a GPU.** CUDA calls return before the work is done; without `torch.cuda.synchronize()` before reading the clock one measures the launch, not the computation.
# 3. **Repeat, and interleave what you compare.** Other processes only ever make a run slower. When two things are compared, they are timed in alternating rounds and each keeps its fastest round, so a burst of load cannot favour one of them.
#
# FLOPs come from `torch.utils.flop_counter.FlopCounterMode`, which counts every matrix product, convolution and attention product of one forward pass (a multiply–add counts as 2 FLOPs; normalisations and activations are not counted, so it is a slight underestimate). It needs only the *shapes* of the tensors, which section 3 uses to count a network too slow to run here.
#
# The number of network calls per sample does not need a stopwatch: it is the length of the sampler's step table, and the counting wrapper of notebook 01 agrees with it.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
mnist = dl.load_pretrained("mnist", device)
T = mnist.schedule.T
nfe_ddpm = dl.ancestral_table(mnist.schedule).nfe
nfe_50 = dl.ancestral_table(mnist.schedule, mnist.schedule.timesteps(50)).nfe
counted = dl.CountingModel(mnist.model)
_ = dl.respaced_ancestral_sample(counted, mnist.schedule, torch.zeros(1, *mnist.sample_shape, device=device),
                                 steps=50, progress=False)
print(f"ancestral sampling, T = {T}: {nfe_ddpm} network calls per sample")
print(f"a 50-step sub-sequence: its table has {nfe_50} rows; the counting wrapper saw {counted.calls} calls")

# %% slideshow={"slide_type": "fragment"}
assert nfe_ddpm == T == 1000
assert nfe_50 == counted.calls == 50

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · Two networks, measured
#
# * **The chapter's digit model**: a small UNet for 16×16 grey-scale images.
# * **DDPM's CIFAR-10 network**: the same architecture family at DDPM's CIFAR-10 configuration (32×32 RGB, 128 base channels, multipliers 1-2-2-2, two residual blocks per level, attention at 16×16). We build it with **random weights**. That is enough, and not a shortcut: the cost of a forward pass depends on the shapes of the tensors and the layers, never on the values of the weights, so a trained copy would take the same time and the same FLOPs. (We check the size against the paper's 35.7M parameters.)
#
# A GAN generator or a VAE decoder produces an image in **one** forward pass. To compare like with like, our "one-pass generator" is each network called once — the same size, the same hardware, measured with the same stopwatch, not quoted from elsewhere.

# %% slideshow={"slide_type": "fragment"}
cifar = dl.ddpm_cifar10_unet().to(device).eval()
n_params = dl.count_parameters(cifar)
print(f"DDPM CIFAR-10 configuration: {n_params / 1e6:.2f}M parameters (paper: 35.7M)")
assert abs(n_params / 35.7e6 - 1) < 0.02, "within 2% of DDPM's 35.7M parameters"


# %% slideshow={"slide_type": "skip"}
def timed_pair(model, sample_shape, repeats):
    # one sampler step (a call at t = T/2) and a one-pass generator (ONE call), interleaved; plus the FLOPs
    x = torch.randn(1, *sample_shape, generator=dl.seed(0)).to(device)
    t_mid = torch.full((1,), T // 2, dtype=torch.long, device=device)
    t_0 = torch.zeros(1, dtype=torch.long, device=device)
    s = dl.costs.time_interleaved({"call": lambda: model(x, t_mid), "generator": lambda: model(x, t_0)},
                                  repeats=repeats, warmup=1, device=device)
    return s["call"], s["generator"], dl.costs.flops_per_call(model, x, t_mid)


# %% slideshow={"slide_type": "-"}
s_mnist, s_gen_mnist, f_mnist = timed_pair(mnist.model, mnist.sample_shape, repeats=dl.pick(reader=30, fast=10))
s_cifar, s_gen_cifar, f_cifar = timed_pair(cifar, (3, 32, 32), repeats=dl.pick(reader=4, fast=2, cuda=20))
rows = [dl.costs.cost_row("DDPM, digit UNet (16x16)", nfe_ddpm, s_mnist, f_mnist),
        dl.costs.cost_row("one pass, digit UNet", 1, s_gen_mnist, f_mnist),
        dl.costs.cost_row("DDPM, CIFAR-10 UNet (32x32)", nfe_ddpm, s_cifar, f_cifar),
        dl.costs.cost_row("one pass, CIFAR-10 UNet", 1, s_gen_cifar, f_cifar)]

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
dl.costs.cost_table(rows, ratio_pairs=[(0, 1), (2, 3)],
                    caption=f"Measured on {dl.device_name(device)} at batch size 1; "
                            f"'time / image' for DDPM = {nfe_ddpm} x time / call.")

# %% slideshow={"slide_type": "fragment"}
print(f"FLOPs per call: digit UNet {f_mnist / 1e9:.3f} GFLOP, CIFAR-10 UNet {f_cifar / 1e9:.2f} GFLOP")
assert rows[0]["flops_per_image"] == 1000 * rows[1]["flops_per_image"], "FLOPs ratio is exactly the number of steps"
assert 10e9 < f_cifar < 15e9, "about 12 GFLOP per forward pass of the CIFAR-10 network"
assert f_cifar > 20 * f_mnist, "the CIFAR-10 network is more than 20x the work of the digit network"
for many, one in ((rows[0], rows[1]), (rows[2], rows[3])):
    ratio = many["s_per_image"] / one["s_per_image"]
    assert 250 < ratio < 4000, f"time ratio {ratio:.0f}: the step count (1000) up to the noise of timing two separate runs"

# %% [markdown] slideshow={"slide_type": "-"}
# Read the ratio rows first. **The number of network calls — and therefore the FLOPs — differ by exactly the number of steps**, 1000×, by construction; the measured time ratio lands near 1000× too (timing noise moves it a little). This ratio does not depend on the hardware: a faster GPU speeds up both samplers alike. Batching many images into one call helps both samplers alike as well. What the device changes is the absolute scale: the time columns above are *your* machine's, and the extrapolation to 50,000 images (the sample size behind every FID number) shows what a 1000-call sampler means for evaluating even a small model.
#
# ## 3 · Counting a network too big to run: DDPM at 256×256
#
# DDPM's LSUN and CelebA-HQ models generate 256×256 images with a larger network (Ho et al. 2020, App. B: 128 base channels, multipliers 1-1-2-2-4-4, two residual blocks per level, attention at 16×16; 114M parameters). One forward pass of it would take many seconds on a laptop CPU, and a 1000-step image far longer. We do not need to run it to count its FLOPs: on PyTorch's **`meta` device** a tensor has a shape and a dtype but no storage, so building the network and calling it does no arithmetic and allocates no memory — yet `FlopCounterMode` sees every operation with its shapes. As a check, the same count for the CIFAR-10 network must equal the one measured above on real tensors.

# %% slideshow={"slide_type": "-"}
# FLOPs of one call at batch 1, counted on the meta device (shapes only: no memory, no arithmetic)
ddpm_256 = lambda: dl.UNet(image_size=256, in_channels=3, base_channels=128, channel_mults=(1, 1, 2, 2, 4, 4),
                           num_res_blocks=2, attn_resolutions=(16,))
n_params_256, f_256 = dl.costs.meta_flops(ddpm_256, (3, 256, 256), t=T // 2)
n_params_32, f_cifar_meta = dl.costs.meta_flops(dl.ddpm_cifar10_unet, (3, 32, 32), t=T // 2)

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
dl.Table(["network", "parameters", "FLOPs / call", "FLOPs / 1000-step image", "counted on"],
         [["DDPM CIFAR-10, 32x32", f"{n_params_32 / 1e6:.1f}M", f"{f_cifar:.3g}", f"{1000 * f_cifar:.3g}", "real tensors (section 2)"],
          ["DDPM CIFAR-10, 32x32", f"{n_params_32 / 1e6:.1f}M", f"{f_cifar_meta:.3g}", f"{1000 * f_cifar_meta:.3g}", "meta device"],
          ["DDPM LSUN/CelebA-HQ, 256x256", f"{n_params_256 / 1e6:.1f}M", f"{f_256:.3g}", f"{1000 * f_256:.3g}", "meta device"]])

# %% slideshow={"slide_type": "fragment"}
assert f_cifar_meta == f_cifar, "the meta-device count equals the count on real tensors"
assert abs(n_params_256 / 114e6 - 1) < 0.02, "within 2% of the paper's 114M parameters"
assert 30 < f_256 / f_cifar < 50, "the 256x256 network costs about 40x the CIFAR-10 one per call"

# %% [markdown] slideshow={"slide_type": "-"}
# The 256×256 network has 64× the pixels of CIFAR-10 but "only" about 40× the FLOPs per call: a convolution's cost grows with the number of pixels times the square of the channel count, and the 256×256 network keeps just 128 channels at its two largest resolutions, where most of the pixels are.
#
# ## 4 · Claims you may read
#
# > You may read that DDPM with $T=1000$ takes **about 20 s per image on a V100**, hence **about 12 days for 50K images**, and **about $10^{15}$ FLOPs per image**, against about 0.02 s (GAN) and 0.01 s (VAE), and $10^{12}$ / $10^{11}$ FLOPs.
#
# None of these numbers appears in the DDPM or DDIM papers, and none says what image size it means. What the papers do report (per-image figures derived below from their batch figures):
#
# * DDPM (Ho et al. 2020, App. B): a batch of 256 CIFAR-10 images in 17 s, and a batch of 128 images at 256×256 in 300 s, on a TPU v3-8.
# * DDIM (Song et al. 2021, §1): about 20 hours for 50K 32×32 images and nearly 1000 hours for 50K 256×256 images from a DDPM, on one RTX 2080 Ti.
#
# And what we can compute: a GPU cannot beat its peak arithmetic rate, so (FLOPs per image) / (peak FLOP/s) is a lower bound on the time per image. NVIDIA's V100 datasheet gives 15.7 TFLOP/s in fp32 and 125 TFLOP/s in fp16 on its tensor cores (SXM2 version).

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
per_img = {"DDPM paper, CIFAR-10 32x32, TPU v3-8": 17 / 256, "DDIM paper, 32x32, RTX 2080 Ti": 20 * 3600 / 50_000,
           "DDPM paper, 256x256, TPU v3-8": 300 / 128, "DDIM paper, 256x256, RTX 2080 Ti": 1000 * 3600 / 50_000}
dl.Table(["published anchor", "time / image", "time for 50K images"],
         [[k, dl.costs.format_seconds(v), dl.costs.format_seconds(50_000 * v)] for k, v in per_img.items()]
         + [[f"measured here: CIFAR-10 UNet, {dl.device_name(device)}", dl.costs.format_seconds(rows[2]["s_per_image"]),
             dl.costs.format_seconds(rows[2]["s_total"])]])

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
V100_PEAK = {"fp32": 15.7e12, "fp16 tensor cores": 125e12}  # FLOP/s, NVIDIA V100 (SXM2) datasheet
claimed_flops, claimed_seconds = 1e15, 20.0
flops_per_image = {"32x32 (CIFAR-10)": 1000 * f_cifar, "256x256 (LSUN, CelebA-HQ)": 1000 * f_256}
v100_bound = {(res, p): f / rate for res, f in flops_per_image.items() for p, rate in V100_PEAK.items()}
dl.Table(["resolution", "FLOPs / 1000-step image", "1e15 ÷ count", "V100 lower bound, fp32", "V100 lower bound, fp16 tensor cores"],
         [[res, f"{f:.2e}", f"{claimed_flops / f:.1f}x", dl.costs.format_seconds(v100_bound[(res, 'fp32')]),
           dl.costs.format_seconds(v100_bound[(res, 'fp16 tensor cores')])] for res, f in flops_per_image.items()])

# %% slideshow={"slide_type": "fragment"}
f32, f256 = flops_per_image.values()
assert claimed_flops / f32 > 50, "1e15 is nearly two orders of magnitude above the CIFAR-10 count"
assert 1 < claimed_flops / f256 < 3, "1e15 is within a factor of 2-3 of the 256x256 count"
assert v100_bound[("256x256 (LSUN, CelebA-HQ)", "fp16 tensor cores")] < claimed_seconds < v100_bound[("256x256 (LSUN, CelebA-HQ)", "fp32")]
assert claimed_seconds > 20 * v100_bound[("32x32 (CIFAR-10)", "fp32")], "at 32x32, 20 s is > 20x the fp32 bound"
assert per_img["DDPM paper, 256x256, TPU v3-8"] < claimed_seconds < per_img["DDIM paper, 256x256, RTX 2080 Ti"]
assert claimed_seconds > 10 * per_img["DDIM paper, 32x32, RTX 2080 Ti"], "20 s is > 10x every published 32x32 figure"

# %% [markdown] slideshow={"slide_type": "-"}
# **Verdict.** Both circulating figures fit **256×256** images, not CIFAR-10:
#
# * **$10^{15}$ FLOPs per image** is about 2× our count for DDPM's 256×256 network ($1000\times$ about $5\times10^{11}$ FLOPs per call, multiply–adds counted as 2) — the same order of magnitude — and about 80× the count at 32×32.
# * **20 s per image on a V100** lies between the V100's lower bounds at 256×256 (about 4 s at the fp16 tensor-core peak, about 32 s at the fp32 peak, so 20 s implies mixed precision at a realistic fraction of peak), and inside the published 256×256 range (2.3 s on a TPU v3-8, 72 s on a 2080 Ti). At 32×32 the published figures are 0.07–1.4 s per image and the fp32 bound is under a second; 20 s would be 15–300× too slow. (One 32×32 image alone at batch 1 can be slower than the bound, because a small network cannot keep a GPU busy; the published figures are throughput over large batches.)
# * **12 days for 50K images** is just 50K × 20 s; the GAN and VAE timings and FLOPs have no source either. What holds on any hardware is the ratio measured in section 2: a same-size one-pass generator makes 1/1000 of the calls and FLOPs.
#
# ## 5 · Time is linear in the number of steps
#
# If every step costs one network call, sampling time should be a straight line in the number of steps. We time the digit model with the two samplers that accept any step count, respaced ancestral sampling and DDIM (both met properly in notebook 05; here they are only stopwatch subjects), and fit a straight line through each sampler's measurements (the figure draws the one for DDIM). The step counts are timed in alternating rounds and each keeps its fastest round, so a burst of load from another program cannot bend the line.

# %% slideshow={"slide_type": "-"}
step_counts = dl.pick(reader=[25, 50, 100, 200], fast=[10, 20, 40, 80])
x_T = torch.randn(2, *mnist.sample_shape, generator=dl.seed(2)).to(device)
_ = dl.ddim_sample(mnist.model, mnist.schedule, x_T, steps=5, progress=False)  # warm-up
samplers_timed = {"DDIM": dl.ddim_sample, "respaced ancestral": dl.respaced_ancestral_sample}
runs = {(name, k): (lambda sampler=sampler, k=k: sampler(mnist.model, mnist.schedule, x_T, steps=k, clip_x0=mnist.clip_x0,
                                                         generator=dl.seed(3), progress=False))
        for name, sampler in samplers_timed.items() for k in step_counts}
# every (sampler, steps) pair in ONE interleaved measurement: a burst of load hits all of them alike
t_by_run = dl.costs.time_interleaved(runs, repeats=5, warmup=0, device=device)
timings = {name: [t_by_run[(name, k)] for k in step_counts] for name in samplers_timed}
fits = {name: dl.stats.fit_line(step_counts, ts) for name, ts in timings.items()}

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
dl.Table(["sampler", *[f"{k} steps" for k in step_counts], "seconds per step (slope)", "R^2 of the line"],
         [[name, *[dl.costs.format_seconds(s) for s in ts], dl.costs.format_seconds(fits[name].slope), f"{fits[name].r2:.4f}"]
          for name, ts in timings.items()], caption=f"batch of 2 digits, {dl.device_name(device)}")

# %% slideshow={"slide_type": "-"}
slope, intercept = fits["DDIM"].slope, fits["DDIM"].intercept
dl.plots.curves(step_counts, {**{f"{n} (measured)": ts for n, ts in timings.items()},
                              "least-squares straight line": [slope * k + intercept for k in step_counts]},
                xlabel="number of sampling steps = network calls", ylabel="seconds per batch of 2 digits",
                title="Sampling time grows linearly with the number of steps")

# %% slideshow={"slide_type": "-"}
for name, line in fits.items():
    assert line.r2 > 0.95, f"{name}: time is linear in the step count (R^2 = {line.r2:.4f})"
    assert line.slope > 0

# %% [markdown] slideshow={"slide_type": "-"}
# The points lie on a line: every step is one more network call, and the call dominates everything else the loop does. The slope is the price of one step; at $T=1000$ it is paid a thousand times. The only lever is therefore the **number of steps**.
#
# ## 6 · Why not simply take fewer steps?
#
# The tempting shortcut: keep the DDPM update exactly as it is, but visit only every `stride`-th timestep, $t = 999, 999-\text{stride}, \dots$ The package has it as `dl.naive_strided_sample` (for teaching only). We run it on the 2D swiss roll with the **exact** noise predictor of the mixture — a perfect network — so any damage is the sampler's fault alone, and score the result with the true density: the mean log-likelihood of the samples (± se), and its *deficit* against as many real points.
#
# > **Claims you may read.** You may read that "quality degrades quadratically when we naively skip steps" — that the error grows like the square of the skip size. We measure the deficit over strides from 2 to 100.

# %% slideshow={"slide_type": "-"}
mixture = dl.GaussianMixture.preset("swiss_roll")
schedule = dl.NoiseSchedule.linear()
exact = mixture.eps_model(schedule).to(device)
n = dl.pick(reader=2000, fast=500)
data = mixture.sample(n, generator=dl.seed(4))
x_T2 = torch.randn(n, 2, generator=dl.seed(5)).to(device)
strides = [2, 5, 10, 20, 50, 100]
naive = {s: dl.naive_strided_sample(exact, schedule, x_T2, s, generator=dl.seed(6), progress=False).cpu()
         for s in strides}


# %% slideshow={"slide_type": "skip"}
def noise_std_removed(stride):  # the drop in noise level sqrt(1 - alpha_bar) that the visited single steps undo
    visits = torch.arange(schedule.T - 1, -1, -stride)
    ab, ab_prev = schedule.alpha_bar_64[visits], schedule.alpha_bar_prev_64[visits]
    return ((1 - ab).sqrt() - (1 - ab_prev).sqrt()).sum().item()

def corr_with_start(x):  # correlation of the samples with their own starting noise x_T (bootstrap se over points)
    def corr(pairs):
        a, b = pairs[:, :2] - pairs[:, :2].mean(0), pairs[:, 2:] - pairs[:, 2:].mean(0)
        return ((a * b).sum() / (a.norm() * b.norm())).item()
    return dl.bootstrap(corr, torch.cat([x, x_T2.cpu()], dim=1), reps=100, generator=dl.seed(8))


# %% slideshow={"slide_type": "-"}
loglik = {"real data": dl.metrics.log_likelihood_estimate(data, mixture),
          "x_T (noise)": dl.metrics.log_likelihood_estimate(x_T2, mixture),
          **{s: dl.metrics.log_likelihood_estimate(naive[s], mixture) for s in strides}}
deficit = {k: dl.Estimate(loglik["real data"].value - v.value, (loglik["real data"].se ** 2 + v.se ** 2) ** 0.5)
           for k, v in loglik.items() if k != "real data"}
corr = {s: corr_with_start(naive[s]) for s in strides}
dl.Table(["samples", "network calls", "mean log-likelihood (nats)", "deficit vs real data (nats)",
          "correlation with x_T", "noise std the visits remove (of 1.0)"],
         [["real data", "-", loglik["real data"], "0", "-", "-"],
          ["x_T, pure noise", 0, loglik["x_T (noise)"], deficit["x_T (noise)"], "1", "0"]]
         + [[f"naive stride {s}", len(range(schedule.T - 1, -1, -s)), loglik[s], deficit[s], corr[s], noise_std_removed(s)]
            for s in strides], caption=f"{n} points each; mean ± se")

# %% slideshow={"slide_type": "-"}
dl.plots.scatter_2d({f"naive stride {s} ({len(range(999, -1, -s))} calls)": naive[s] for s in (2, 10, 100)},
                    data=data, lim=3.5, size=3.6,
                    title="The larger the naive stride, the more noise is left in, even with a perfect network")

# %% slideshow={"slide_type": "-"}
dl.plots.curves(strides, {"naive striding, exact network": [deficit[s] for s in strides],
                          "quadratic growth from the stride-2 data point (the claim)": [deficit[2].value * (s / 2) ** 2 for s in strides]},
                hlines={"pure noise x_T": deficit["x_T (noise)"]}, logx=True, logy=True,
                xlabel="stride (timesteps per visit)", ylabel="log-likelihood deficit vs real data (nats)",
                title="Naive striding: damage climbs steeply, then saturates at pure noise")

# %% slideshow={"slide_type": "-"}
d = torch.tensor([deficit[s].value for s in strides], dtype=torch.float64)
st = torch.tensor(strides, dtype=torch.float64)
local = ((d[1:] / d[:-1]).log() / (st[1:] / st[:-1]).log()).tolist()  # slope on log-log axes between neighbours
print("local exponent of the deficit:", ", ".join(f"stride {a} -> {b}: {e:.2f}" for a, b, e in zip(strides, strides[1:], local)))

# %% slideshow={"slide_type": "fragment"}
for s in strides:
    assert dl.clearly_less(loglik[s], loglik["real data"]), f"stride {s}: clearly less likely than real data"
    assert abs(noise_std_removed(s) * s - 1) < 0.2, f"stride {s}: the visits undo about 1/stride of the noise"
assert noise_std_removed(1) > 0.99, "all 1000 single steps together remove all of the noise"
big = deficit[strides[-2]]
assert dl.clearly_less(deficit[100], dl.Estimate(4 * big.value, 4 * big.se)), "50 -> 100: far less than the 4x of quadratic growth"
assert deficit[100].value > 0.8 * deficit["x_T (noise)"].value, "at stride 100 the samples are nearly as unlikely as noise"
assert dl.clearly_less(corr[2], corr[100]) and corr[100].value > 0.8, "the bigger the stride, the more the output is just x_T"

# %% [markdown] slideshow={"slide_type": "-"}
# **Why it fails.** The coefficients of a DDPM step are built for a jump of *one* timestep: $1/\sqrt{\alpha_t}$ is within 1 % of 1 and $\beta_t/\sqrt{1-\bar\alpha_t}$ is at most 0.02, so one visit removes one step's worth of noise — the drop in noise level from $t$ to $t-1$, not from $t$ to $t-\text{stride}$. Added up over all 1000 steps, those drops take the noise level from about 1 down to 0. Visiting every `stride`-th step undoes only about $1/\text{stride}$ of it (the table's last column), so the output keeps much of $x_T$: the larger the stride, the more strongly it stays correlated with its own starting noise (from near 0 at stride 2 to above 0.9 at stride 100), and at every stride it is clearly less likely under the true density than real data — all with a perfect network. The damage is in the update rule, not in the model.
#
# **Is it quadratic?** No single power of the stride describes it. At small strides the deficit does climb steeply — between strides 2 and 5 about as fast as the square of the stride (the first local exponent printed above) — but the local exponent falls with every doubling, and beyond stride 20 the curve flattens, because the samples are nearly pure noise and there is little left to lose — at stride 100 the deficit is close to that of $x_T$ itself, far below the quadratic line. How the error of a *correct* few-step sampler grows with its step size is a different question, which notebook 05 measures.
#
# The fix is not to skip steps but to **recompute the coefficients for the jump that is actually taken**: the step from $t$ to $t-\text{stride}$ has its own $\bar\alpha$ ratio, and a sampler that uses it (respacing; DDIM) works with tens of steps. That is notebook 05's subject; notebook 03 turns to the second limitation, the randomness injected at every step.
#
# **Summary.** One DDPM sample costs $T=1000$ network calls; measured on this device, that is the per-call time and FLOPs in the table times 1000, and a same-size one-pass generator is 1000× cheaper in calls and FLOPs and about 1000× in time. DDPM's CIFAR-10 network needs about $1.2\times10^{13}$ FLOPs per 1000-step image and its 256×256 network about $5\times10^{14}$: the circulating "~$10^{15}$ FLOPs" and "~20 s per image on a V100" fit 256×256 images, not CIFAR-10 (published: 0.07–1.4 s per 32×32 image). Time is linear in the number of steps, and naively skipping steps fails because the single-step update removes only a single step's noise — a damage that saturates at pure noise rather than growing quadratically.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **Cost = calls × time per call.** A 1000-step sampler makes exactly 1000× the calls and FLOPs of a same-size one-pass generator, and the measured time ratio lands near 1000× on any hardware.
# > - **FLOPs can be counted without running the network** (PyTorch's meta device tracks shapes only): DDPM's CIFAR-10 network needs 1.2·10¹³ FLOPs per 1000-step image, its 256×256 network 5·10¹⁴.
# > - **Check a circulating number against a measurement:** "~10¹⁵ FLOPs" and "~20 s per image on a V100" fit 256×256 images, not CIFAR-10.
# > - **Time is a straight line in the number of steps,** so the step count is the only lever.
# > - **Naive striding fails because its coefficients remove only one step's worth of noise per visit:** the damage climbs steeply, then saturates at pure noise; it does not grow quadratically.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Four exercises. Code exercises have a stub that raises `YourTurn` until you replace the `your_turn(...)` line, and a check cell that says what is off. Worked solutions: [`solutions/02_cost_solutions.ipynb`](solutions/02_cost_solutions.ipynb).

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · predict, then run — a chain's time from one step
#
# The next cell times **one** call of the digit model on one image. From that number alone, predict how long a 100-step chain of the same model takes (respaced ancestral sampling, `steps=100`). Write your prediction, in seconds, then run the check cell, which measures the chain.

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
mnist = dl.load_pretrained("mnist", "cpu")
x = torch.randn(1, *mnist.sample_shape, generator=dl.seed(0))
seconds_per_step = dl.costs.time_per_call(mnist.model, x, torch.full((1,), 500))
print(f"one network call: {seconds_per_step * 1e3:.2f} ms")

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
predicted_s = None  # your prediction for the 100-step chain, in seconds

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
# no-assert: a timing on a busy machine can miss any tolerance
steps = 100
chain = lambda: dl.respaced_ancestral_sample(mnist.model, mnist.schedule, x, steps=steps, progress=False)
measured_s = dl.costs.time_call(chain, repeats=1, warmup=0)
dl.exercises.nb02.check_time_prediction(predicted_s, measured_s, seconds_per_step, steps)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 2 · interpret a measurement — "10¹⁵ FLOPs per image"
#
# A figure that circulates about DDPM says that sampling one image takes about $10^{15}$ FLOPs. The cell below counts the FLOPs of one call of a network with DDPM's CIFAR-10 configuration (random weights: FLOPs do not depend on the weights). Compute the FLOPs of one 1000-step image and how many times larger the circulating figure is. Then answer in words: for which image size could the figure be right?

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
cifar = dl.ddpm_cifar10_unet().eval()
flops_per_call = dl.costs.flops_per_call(cifar, torch.randn(1, 3, 32, 32), torch.full((1,), 500))
print(f"DDPM CIFAR-10 network, one call on one 32x32 image: {flops_per_call:.3g} FLOPs")

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
flops_per_image = None  # FLOPs of one 1000-step image
ratio_to_claim = None   # how many times larger 1e15 is than your number

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb02.check_flops_claim(flops_per_image, ratio_to_claim, flops_per_call, steps=1000)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 3 · code it yourself — a jump that removes the right amount of noise
#
# Naive striding calls the network at $t$ and then applies the *one-step* update, so it removes the noise of one step while the chain jumps `stride` steps. Write the update that jumps correctly from $t$ to an earlier $t_{\text{prev}}$: treat the jump as one step of a new chain with $\alpha=\bar\alpha_t/\bar\alpha_{t_{\text{prev}}}$ and $\beta = 1-\alpha$, and use the posterior-mean step of notebook 01 with $\sigma^2=\beta$ (the noise level at $t$ is still $\sqrt{1-\bar\alpha_t}$). If the check passes, the cell runs your jump as a 10-call sampler on the exact swiss roll, next to naive striding with the same 10 calls.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def jump_step(x_t, eps, t, t_prev, z, schedule):
    """One step from timestep t to t_prev < t (both 0-based), sigma^2 = beta of the jump."""
    dl.exercises.your_turn("jump_step")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ok = dl.exercises.nb02.check_jump_step(jump_step)
if ok:  # your jump as a 10-call sampler, next to naive striding with the same calls
    schedule = dl.NoiseSchedule.linear()
    mixture = dl.GaussianMixture.preset("swiss_roll")
    exact = mixture.eps_model(schedule)
    x_T = torch.randn(1000, 2, generator=dl.seed(0))
    g = dl.seed(1)
    x, visits = x_T.clone(), list(range(999, -1, -100)) + [0]  # 999, 899, ..., 99, then 0
    for t, t_prev in zip(visits, visits[1:]):
        eps = exact(x, torch.full((len(x),), t))
        z = torch.randn(x.shape, generator=g) if t_prev > 0 else torch.zeros_like(x)  # no noise on the last step
        x = jump_step(x, eps, t, t_prev, z, schedule).float()
    naive = dl.naive_strided_sample(exact, schedule, x_T, 100, generator=dl.seed(1), progress=False)
    real = mixture.sample(1000, dl.seed(2))
    for name, s in (("real data", real), ("your jumps (10 calls)", x), ("naive stride 100 (10 calls)", naive)):
        print(f"{name:>28}: mean log-likelihood {dl.metrics.log_likelihood(s, mixture)['mean']:+.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 4 · derive — jumps compose
#
# Show that a jump $t\to t'$ followed by a jump $t'\to t''$ (each with $\alpha=\bar\alpha_{\text{from}}/\bar\alpha_{\text{to}}$) has the same cumulative $\alpha$ as one jump $t\to t''$, and conclude that a respaced chain has exactly the original $\bar\alpha$ at every timestep it keeps. Why does that let it reuse the network trained on the 1000-step chain?
