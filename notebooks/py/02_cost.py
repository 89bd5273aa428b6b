# %% [markdown] slideshow={"slide_type": "slide"}
# # 02 · The computational cost problem
#
# Ancestral sampling calls the network once per step, a thousand times per sample (notebook 01). This notebook turns that count into seconds and FLOPs **measured on your machine**, for the chapter's small digit model and for a network with DDPM's CIFAR-10 configuration, and sets them beside a one-pass generator of the same size. It then places the measurements next to the published wall-clock figures (and flags the numbers in circulation that have no source), shows that sampling time is a straight line in the number of steps, and asks the obvious question — why not just take fewer steps? — with an experiment whose failure tells us exactly what a fix has to do.
#
# **Learning objectives**
# - Measure time per network call and FLOPs per call correctly (warm-up, synchronisation, `torch.utils.flop_counter`) and turn them into time and FLOPs per sample.
# - Explain why the cost ratio between DDPM and a one-pass generator of the same size is the number of steps, independent of hardware.
# - Tell sourced from unsourced cost figures, and check a quoted number against a measurement.
# - Show that sampling time is linear in the number of steps, and explain why naively skipping steps leaves most of the noise in.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/02_cost.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F02_cost.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebook 01 (one network call per step); timing code in Python · **Time to read** ~15 min · **Time to run** ~25 s (laptop CPU) · **Exercises** 4, ~24 min
# <!-- /prereq -->

# %% slideshow={"slide_type": "skip"}
# --- colab setup (written by make badges) ---
# On Colab: fetch the chapter's package and data once, install only what Colab lacks (never its
# torch, ipywidgets or Jupyter), and make the package importable without a restart. Safe to re-run.
import sys

REPO_URL = "https://github.com/ddpm-lessons/ddpm-lessons"
if "google.colab" in sys.modules:
    import importlib.metadata, importlib.util, os, subprocess

    def _colab_run(*command):  # show the command's own message in the notebook if it fails
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")

    REPO_DIR = "/content/ddpm-lessons"
    if not os.path.isdir(REPO_DIR):
        _colab_run("git", "clone", "-q", "--depth", "1", REPO_URL, REPO_DIR)
    try:
        importlib.metadata.version("ddpm-lessons")
    except importlib.metadata.PackageNotFoundError:
        _colab_run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", REPO_DIR)
        missing = [m for m in ("torch", "numpy", "matplotlib", "tqdm", "ipywidgets")
                   if importlib.util.find_spec(m) is None]
        if missing:  # Colab ships all five; elsewhere, install what is absent
            _colab_run(sys.executable, "-m", "pip", "install", "-q", *missing)
    if REPO_DIR not in sys.path:
        sys.path.insert(0, REPO_DIR)
    import ipywidgets
    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        from google.colab import output
        output.enable_custom_widget_manager()
# --- end colab setup ---

import torch
import ddpm_lessons as dl
from ddpm_lessons import costs, metrics, plots
from ddpm_lessons.models import CountingModel, count_parameters, ddpm_cifar10_unet
from ddpm_lessons.pretrained import load_pretrained
from ddpm_lessons.samplers import ancestral_table
from ddpm_lessons.tables import Table

device = dl.default_device()
print(f"device: {dl.device_name(device)} | test mode: {dl.fast_mode()}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · How to time a network call
#
# Three habits make a timing trustworthy (they live in `ddpm_lessons.costs`):
#
# 1. **Warm up.** The first calls pay for memory allocation and kernel selection; they are run but not timed.
# 2. **Synchronise on a GPU.** CUDA calls return before the work is done; without `torch.cuda.synchronize()` before reading the clock one measures the launch, not the computation.
# 3. **Repeat, and interleave what you compare.** Other processes only ever make a run slower. When two things are compared, they are timed in alternating rounds and each keeps its fastest round, so a burst of load cannot favour one of them.
#
# FLOPs come from `torch.utils.flop_counter.FlopCounterMode`, which counts every matrix product and convolution of one real forward pass (a multiply–add counts as 2 FLOPs; normalisations and activations are not counted, so it is a slight underestimate).
#
# The number of network calls per sample does not need a stopwatch: it is the length of the sampler's step table, and the counting wrapper of notebook 01 agrees with it.

# %% slideshow={"slide_type": "-"}
# NBVAL_CHECK_OUTPUT
mnist = load_pretrained("mnist", device)
T = mnist.schedule.T
nfe_ddpm = ancestral_table(mnist.schedule).nfe
counted = CountingModel(mnist.model)
_ = dl.ancestral_sample(counted, dl.NoiseSchedule.linear(T=50), torch.zeros(1, *mnist.sample_shape, device=device), progress=False)
print(f"ancestral sampling, T = {T}: {nfe_ddpm} network calls per sample")
print(f"counting wrapper on a 50-step schedule: {counted.calls} calls (= its number of steps)")

# %% slideshow={"slide_type": "fragment"}
assert nfe_ddpm == T == 1000
assert counted.calls == 50

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · Two networks, measured
#
# * **The chapter's digit model**: a small UNet for 16×16 grey-scale images.
# * **DDPM's CIFAR-10 network**: the same architecture family at DDPM's CIFAR-10 configuration (32×32 RGB, 128 base channels, multipliers 1-2-2-2, two residual blocks per level, attention at 16×16). We build it with **random weights**. That is enough, and not a shortcut: the cost of a forward pass depends on the shapes of the tensors and the layers, never on the values of the weights, so a trained copy would take the same time and the same FLOPs. (We check the size against the paper's 35.7M parameters.)
#
# A GAN generator or a VAE decoder produces an image in **one** forward pass. To compare like with like, our "one-pass generator" is each network called once — the same size, the same hardware, measured with the same stopwatch, not quoted from elsewhere.

# %% slideshow={"slide_type": "fragment"}
cifar = ddpm_cifar10_unet().to(device).eval()
n_params = count_parameters(cifar)
print(f"DDPM CIFAR-10 configuration: {n_params / 1e6:.2f}M parameters (paper: 35.7M)")
assert abs(n_params / 35.7e6 - 1) < 0.02, "within 2% of DDPM's 35.7M parameters"


# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
def timed_pair(model, sample_shape, repeats):
    """Time one sampler step (a network call at t = T/2) and a one-pass generator of the same network
    (noise in, image out, ONE forward pass), in interleaved rounds; count the call's FLOPs."""
    x = torch.randn(1, *sample_shape, generator=torch.Generator().manual_seed(0)).to(device)
    t_mid = torch.full((1,), T // 2, dtype=torch.long, device=device)
    t_0 = torch.zeros(1, dtype=torch.long, device=device)
    s = costs.time_interleaved({"call": lambda: model(x, t_mid), "generator": lambda: model(x, t_0)},
                               repeats=repeats, warmup=1, device=device)
    return s["call"], s["generator"], costs.flops_per_call(model, x, t_mid)

s_mnist, s_gen_mnist, f_mnist = timed_pair(mnist.model, mnist.sample_shape, repeats=dl.pick(reader=30, fast=10))
s_cifar, s_gen_cifar, f_cifar = timed_pair(cifar, (3, 32, 32), repeats=dl.pick(reader=4, fast=2, cuda=20))

rows = [costs.cost_row("DDPM, digit UNet (16x16)", nfe_ddpm, s_mnist, f_mnist),
        costs.cost_row("one pass, digit UNet", 1, s_gen_mnist, f_mnist),
        costs.cost_row("DDPM, CIFAR-10 UNet (32x32)", nfe_ddpm, s_cifar, f_cifar),
        costs.cost_row("one pass, CIFAR-10 UNet", 1, s_gen_cifar, f_cifar)]
print(f"measured on: {dl.device_name(device)}, batch size 1")
costs.cost_table(rows, ratio_pairs=[(0, 1), (2, 3)],
                 caption=f"Measured on {dl.device_name(device)} at batch size 1; 'time / image' for DDPM = {nfe_ddpm} x time / call.")

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
# ## 3 · Published figures, and the ones without a source
#
# The measured numbers above can be set against what the papers report. The sourced anchors (per-image figures are derived in the cell below from the batch figures in the papers):
#
# * DDPM (Ho et al. 2020, §4): a batch of 256 CIFAR-10 images in 17 s, and a batch of 128 images at 256×256 in 300 s, on a TPU v3-8.
# * DDIM (Song et al. 2021, §5): about 20 hours for 50K 32×32 images and nearly 1000 hours for 50K 256×256 images from a DDPM, on one RTX 2080 Ti.
#
# Figures often repeated for DDPM's cost — about 20 s per image on a V100, about 12 days for 50K images, about $10^{15}$ FLOPs per image, and the GAN/VAE timings and FLOPs they are compared with — **have no source in the DDPM or DDIM papers**. The table puts each next to what we can derive or measure.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
per_img = {"DDPM paper, CIFAR-10 32x32, TPU v3-8": 17 / 256, "DDPM paper, 256x256, TPU v3-8": 300 / 128,
           "DDIM paper, 32x32, RTX 2080 Ti": 20 * 3600 / 50_000, "DDIM paper, 256x256, RTX 2080 Ti": 1000 * 3600 / 50_000}
anchors = Table(["published anchor", "time / image", "time for 50K images"],
                [[k, costs.format_seconds(v), costs.format_seconds(50_000 * v)] for k, v in per_img.items()]
                + [[f"measured here: CIFAR-10 UNet, {dl.device_name(device)}", costs.format_seconds(rows[2]["s_per_image"]),
                    costs.format_seconds(rows[2]["s_total"])]])
anchors

# %% slideshow={"slide_type": "-"}
brief_flops = 1e15
measured_flops = rows[2]["flops_per_image"]
Table(["number in circulation", "source?", "what we can check"],
      [["1000 network passes per image", "yes (T = 1000, DDPM)", f"counted: {nfe_ddpm}"],
       ["~20 s per image (V100, T = 1000)", "none",
        f"32x32 anchors give {costs.format_seconds(per_img['DDPM paper, CIFAR-10 32x32, TPU v3-8'])}-"
        f"{costs.format_seconds(per_img['DDIM paper, 32x32, RTX 2080 Ti'])} per image; 20 s fits 256x256 "
        f"({costs.format_seconds(per_img['DDPM paper, 256x256, TPU v3-8'])}-{costs.format_seconds(per_img['DDIM paper, 256x256, RTX 2080 Ti'])})"],
       ["~12 days for 50K images", "none (= 50K x 20 s)", "DDIM paper: ~20 h at 32x32"],
       ["~1e15 FLOPs per image", "none", f"measured, CIFAR-10 UNet: {measured_flops:.2e} ({brief_flops / measured_flops:.0f}x less)"],
       ["GAN ~0.02 s, VAE ~0.01 s; ~1e12 / ~1e11 FLOPs", "none", "a same-size one-pass generator: 1/1000 of DDPM (table above)"]])

# %% slideshow={"slide_type": "fragment"}
assert 1e13 < measured_flops < 1.5e13, "1000 x ~12 GFLOP = about 1.2e13 FLOPs per CIFAR-10 image"
assert per_img["DDPM paper, CIFAR-10 32x32, TPU v3-8"] < per_img["DDIM paper, 32x32, RTX 2080 Ti"] < 20 < per_img["DDIM paper, 256x256, RTX 2080 Ti"]
assert brief_flops / measured_flops > 50, "the circulating 1e15 is nearly two orders of magnitude above the CIFAR-10 count"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Time is linear in the number of steps
#
# If every step costs one network call, sampling time should be a straight line in the number of steps. We time the digit model with the two samplers that accept any step count, respaced ancestral sampling and DDIM (both met properly in notebook 05; here they are only stopwatch subjects), and fit a line through the measurements. The step counts are timed in alternating rounds and each keeps its fastest round, so a burst of load from another program cannot bend the line.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
step_counts = dl.pick(reader=[25, 50, 100, 200], fast=[5, 10, 20, 40])
x_T = torch.randn(2, *mnist.sample_shape, generator=torch.Generator().manual_seed(2)).to(device)
_ = dl.ddim_sample(mnist.model, mnist.schedule, x_T, steps=5, progress=False)  # warm-up
samplers_timed = {"DDIM": dl.ddim_sample, "respaced ancestral": dl.respaced_ancestral_sample}
# every (sampler, steps) pair in ONE interleaved measurement: a burst of load hits all of them alike
runs = {(name, k): (lambda sampler=sampler, k=k: sampler(mnist.model, mnist.schedule, x_T, steps=k, progress=False,
                                                         generator=torch.Generator().manual_seed(3)))
        for name, sampler in samplers_timed.items() for k in step_counts}
t_by_run = costs.time_interleaved(runs, repeats=3, warmup=0, device=device)
timings = {name: [t_by_run[(name, k)] for k in step_counts] for name in samplers_timed}
fits = {name: costs.fit_line(step_counts, ts) for name, ts in timings.items()}
Table(["sampler", *[f"{k} steps" for k in step_counts], "seconds per step (slope)", "R^2 of the line"],
      [[name, *[costs.format_seconds(s) for s in ts], costs.format_seconds(fits[name][0]), f"{fits[name][2]:.4f}"]
       for name, ts in timings.items()], caption=f"batch of 2 digits, {dl.device_name(device)}")

# %% slideshow={"slide_type": "-"}
slope, intercept, _ = fits["DDIM"]
fig = plots.curves(step_counts, {**{f"{n} (measured)": ts for n, ts in timings.items()},
                                 "least-squares line (DDIM)": [slope * k + intercept for k in step_counts]},
                   xlabel="number of sampling steps = network calls", ylabel="seconds per batch of 2 digits",
                   title="Sampling time grows linearly with the number of steps")
for name, (slope_n, _, r2) in fits.items():
    assert r2 > 0.98, f"{name}: time is linear in the step count (R^2 = {r2:.4f})"
    assert slope_n > 0

# %% [markdown] slideshow={"slide_type": "-"}
# The points lie on a line: every step is one more network call, and the call dominates everything else the loop does. The slope is the price of one step; at $T=1000$ it is paid a thousand times. The only lever is therefore the **number of steps**.
#
# ## 5 · Why not simply take fewer steps?
#
# The tempting shortcut: keep the DDPM update exactly as it is, but visit only every `stride`-th timestep, $t = 999, 999-\text{stride}, \dots$ The package has it as `naive_strided_sample` (for teaching only). We run it on the 2D swiss roll with the **exact** noise predictor of the mixture — a perfect network — so any damage is the sampler's fault alone, and score the result with the true density.

# %% slideshow={"slide_type": "-"}
mixture = dl.GaussianMixture.preset("swiss_roll")
schedule = dl.NoiseSchedule.linear()
exact = mixture.eps_model(schedule).to(device)
n = dl.pick(reader=2000, fast=1000)
data = mixture.sample(n, generator=torch.Generator().manual_seed(4))
x_T2 = torch.randn(n, 2, generator=torch.Generator().manual_seed(5)).to(device)
strides = [10, 50, 100]
naive = {s: dl.naive_strided_sample(exact, schedule, x_T2, s, generator=torch.Generator().manual_seed(6), progress=False).cpu()
         for s in strides}

def corr_with_start(x):  # how much of the starting noise x_T is still in the final sample
    a, b = x - x.mean(0), x_T2.cpu() - x_T2.cpu().mean(0)
    return ((a * b).sum() / (a.norm() * b.norm())).item()

ab, ab_prev = schedule.alpha_bar_64, schedule.alpha_bar_prev_64
def noise_std_removed(stride):  # the drop in noise level sqrt(1 - alpha_bar) that the visited single steps undo
    visits = torch.arange(schedule.T - 1, -1, -stride)
    return ((1 - ab[visits]).sqrt() - (1 - ab_prev[visits]).sqrt()).sum().item()

loglik = {"real data": mixture.log_prob(data).mean().item(), "x_T (noise)": mixture.log_prob(x_T2).mean().item()}
loglik.update({s: mixture.log_prob(naive[s]).mean().item() for s in strides})
g_ref = torch.Generator().manual_seed(7)
energy = {s: metrics.energy_distance_with_floor(naive[s], mixture, g_ref) for s in strides}  # (distance, floor)
stride_table = Table(["samples", "network calls", "mean log-likelihood (nats)", "energy distance / its floor",
                      "correlation with x_T", "noise std the visits remove (of 1.0)"],
                     [["real data", "-", loglik["real data"], "1 (by definition)", "-", "-"],
                      ["x_T, pure noise", 0, loglik["x_T (noise)"], "-", 1.0, 0.0]]
                     + [[f"naive stride {s}", len(range(schedule.T - 1, -1, -s)), loglik[s],
                         f"{energy[s][0] / energy[s][1]:.0f}x", corr_with_start(naive[s]), noise_std_removed(s)]
                        for s in strides])
stride_table

# %% slideshow={"slide_type": "fragment"}
fig = plots.scatter_2d({f"stride {s} ({len(range(999, -1, -s))} calls)": naive[s] for s in strides}, data=data, lim=3.5, size=3.6,
                       title="Naive striding leaves most of the noise in, even with a perfect network")
for s in strides:
    assert loglik[s] < loglik["real data"] - 20, f"stride {s}: samples far less likely than real data"
    assert energy[s][0] > 3 * energy[s][1], f"stride {s}: energy distance several times its noise floor"
    assert noise_std_removed(s) < 0.15, f"stride {s}: the visited steps undo < 15% of the noise"
assert loglik[100] < loglik[10], "bigger strides are worse"
corrs = [corr_with_start(naive[s]) for s in strides]
assert corrs == sorted(corrs) and corrs[0] > 0.3 and corrs[-1] > 0.8, "the bigger the stride, the more the output is just x_T"
assert noise_std_removed(1) > 0.99, "all 1000 single steps together remove all of the noise"

# %% [markdown] slideshow={"slide_type": "-"}
# **Why it fails.** The coefficients of a DDPM step are built for a jump of *one* timestep: $1/\sqrt{\alpha_t}$ is within 1 % of 1 and $\beta_t/\sqrt{1-\bar\alpha_t}$ is at most 0.02, so one visit removes one step's worth of noise — the drop in noise level from $t$ to $t-1$, not from $t$ to $t-\text{stride}$. Added up over all 1000 steps, those drops take the noise level from about 1 down to 0 (the last assert). Visiting every 10th, 50th or 100th step undoes only the fraction shown in the table's last column, so the output is still mostly $x_T$: it stays strongly correlated with its own starting noise is far less likely under the true density than real data, and its energy distance to the data is several times (up to tens of times) the floor that two independent sets of real points reach — all with a perfect network. The damage is in the update rule, not in the model.
#
# The fix is not to skip steps but to **recompute the coefficients for the jump that is actually taken**: the step from $t$ to $t-\text{stride}$ has its own $\bar\alpha$ ratio, and a sampler that uses it (respacing; DDIM) works with tens of steps. That is notebook 05's subject; notebook 03 turns to the second limitation, the randomness injected at every step.
#
# **Summary.** One DDPM sample costs $T=1000$ network calls; measured on this device, that is the per-call time and FLOPs in the table times 1000, and a same-size one-pass generator is 1000× cheaper in calls and FLOPs and about 1000× in time. Published 32×32 anchors are 0.07–1.4 s per image on accelerators; the circulating "~20 s per image" and "~$10^{15}$ FLOPs" have no source, and the latter is nearly two orders of magnitude above the count for DDPM's CIFAR-10 network. Time is linear in the number of steps, and naively skipping steps fails because the single-step update removes only a single step's noise.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **Cost = calls × time per call.** A 1000-step sampler makes 1000× the network calls, and so 1000× the FLOPs, of a one-pass generator with the same network; the measured time ratio lands near 1000× too, on any hardware.
# > - **Time is a straight line in the number of steps:** the network call dominates everything else the loop does, so the step count is the only lever.
# > - **Check a circulating number against a measurement:** a figure like "10¹⁵ FLOPs per image" is far above what a 32×32 DDPM needs; it fits a 256×256 model.
# > - **Naive striding fails because its coefficients are wrong** (they remove one step's worth of noise per visit), not because fewer steps must be worse.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Four exercises. Code exercises have a stub that raises `YourTurn` until you replace the `your_turn(...)` line, and a check cell that says what is off. Worked solutions: [`solutions/02_cost_solutions.ipynb`](solutions/02_cost_solutions.ipynb).

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
import math
import torch
import ddpm_lessons as dl
from ddpm_lessons import costs
from ddpm_lessons import exercises as ex
from ddpm_lessons.exercises import your_turn

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · predict, then run — a chain's time from one step
#
# The next cell times **one** call of the digit model on one image. From that number alone, predict how long a 100-step chain of the same model takes (respaced ancestral sampling, `steps=100`). Write your prediction, in seconds, then run the check cell, which measures the chain.

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
mnist = dl.load_pretrained("mnist", "cpu")
x = torch.randn(1, *mnist.sample_shape, generator=torch.Generator().manual_seed(0))
seconds_per_step = costs.time_per_call(mnist.model, x, torch.full((1,), 500))
print(f"one network call: {seconds_per_step * 1e3:.2f} ms")

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
predicted_s = None  # your prediction for the 100-step chain, in seconds

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
# no-assert: a timing on a busy machine can miss any tolerance
steps = 100
chain = lambda: dl.respaced_ancestral_sample(mnist.model, mnist.schedule, x, steps=steps, progress=False)
measured_s = costs.time_call(chain, repeats=1, warmup=0)
ex.check_time_prediction(predicted_s, measured_s, seconds_per_step, steps)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 2 · interpret a measurement — "10¹⁵ FLOPs per image"
#
# A figure that circulates about DDPM says that sampling one image takes about $10^{15}$ FLOPs. The cell below counts the FLOPs of one call of a network with DDPM's CIFAR-10 configuration (random weights: FLOPs do not depend on the weights). Compute the FLOPs of one 1000-step image and how many times larger the circulating figure is. Then answer in words: for which image size could the figure be right?

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
cifar = dl.ddpm_cifar10_unet().eval()
flops_per_call = costs.flops_per_call(cifar, torch.randn(1, 3, 32, 32), torch.full((1,), 500))
print(f"DDPM CIFAR-10 network, one call on one 32x32 image: {flops_per_call:.3g} FLOPs")

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
flops_per_image = None  # FLOPs of one 1000-step image
ratio_to_claim = None   # how many times larger 1e15 is than your number

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ex.check_flops_claim(flops_per_image, ratio_to_claim, flops_per_call, steps=1000)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 3 · code it yourself — a jump that removes the right amount of noise
#
# Naive striding calls the network at $t$ and then applies the *one-step* update, so it removes the noise of one step while the chain jumps `stride` steps. Write the update that jumps correctly from $t$ to an earlier $t_{\text{prev}}$: treat the jump as one step of a new chain with $\alpha=\bar\alpha_t/\bar\alpha_{t_{\text{prev}}}$ and $\beta = 1-\alpha$, and use the posterior-mean step of notebook 01 with $\sigma^2=\beta$ (the noise level at $t$ is still $\sqrt{1-\bar\alpha_t}$). If the check passes, the cell runs your jump as a 10-call sampler on the exact swiss roll, next to naive striding with the same 10 calls.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def jump_step(x_t, eps, t, t_prev, z, schedule):
    """One step from timestep t to t_prev < t (both 0-based), sigma^2 = beta of the jump."""
    your_turn("jump_step")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ok = ex.check_jump_step(jump_step)
if ok:  # your jump as a 10-call sampler, next to naive striding with the same calls
    schedule = dl.NoiseSchedule.linear()
    mixture = dl.GaussianMixture.preset("swiss_roll")
    exact = mixture.eps_model(schedule)
    x_T = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    x, visits = x_T.clone(), list(range(999, -1, -100)) + [0]  # 999, 899, ..., 99, then 0
    for t, t_prev in zip(visits, visits[1:]):
        eps = exact(x, torch.full((len(x),), t))
        z = torch.randn(x.shape, generator=g) if t_prev > 0 else torch.zeros_like(x)  # no noise on the last step
        x = jump_step(x, eps, t, t_prev, z, schedule).float()
    naive = dl.naive_strided_sample(exact, schedule, x_T, 100, generator=torch.Generator().manual_seed(1), progress=False)
    real = mixture.sample(1000, torch.Generator().manual_seed(2))
    for name, s in (("real data", real), ("your jumps (10 calls)", x), ("naive stride 100 (10 calls)", naive)):
        print(f"{name:>28}: mean log-likelihood {dl.metrics.log_likelihood(s, mixture)['mean']:+.2f}")

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 4 · derive — jumps compose
#
# Show that a jump $t\to t'$ followed by a jump $t'\to t''$ (each with $\alpha=\bar\alpha_{\text{from}}/\bar\alpha_{\text{to}}$) has the same cumulative $\alpha$ as one jump $t\to t''$, and conclude that a respaced chain has exactly the original $\bar\alpha$ at every timestep it keeps. Why does that let it reuse the network trained on the 1000-step chain?
