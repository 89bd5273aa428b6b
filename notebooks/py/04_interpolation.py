# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · The interpolation problem
#
# A generator with a deterministic map from latent code to image lets us walk between two codes and watch one image morph into another. This notebook asks whether DDPM's ancestral sampler can do that on the chapter's 16×16 MNIST model. We interpolate between two starting noises $x_T$ with straight lines (lerp) and great circles (slerp). Each point on the path is decoded twice: once with DDIM at η = 0, a deterministic map from $x_T$ to an image, and once with ancestral sampling, which adds fresh noise at every step. We measure how far apart neighbouring frames are and how much repeated runs disagree. We also show that lerp makes a second, separate mistake: it shrinks the noise, so the middle of the path starts from noise the model never saw during training.
#
# **Learning objectives**
# - Explain why an interpolation needs a *deterministic* map from $x_T$ to $x_0$, and why ancestral sampling doesn't provide one.
# - Measure the run-to-run variance at each point of a path and the difference between neighbouring frames.
# - Show that lerp between two independent Gaussian noises shrinks the norm to about $1/\sqrt{2}$ at the midpoint while slerp keeps it, and see what that does to the decoded digits.
# - Use an interactive slider (or its static fallback) to explore paths yourself.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/04_interpolation.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F04_interpolation.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebooks 01 and 03; vectors, norms and angles (dot product) · **Time to read** ~15 min · **Time to run** ~20 s (laptop CPU) · **Exercises** 4, ~24 min
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

device = dl.default_device()
print(f"device: {dl.device_name(device)} | test mode: {dl.fast_mode()}")

import math

from ddpm_lessons import analysis, metrics, plots, widgets
from ddpm_lessons.pretrained import load_pretrained
from ddpm_lessons.tables import Table

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What we want, and what ancestral sampling gives
#
# In a GAN, one image corresponds to one latent code: $x = G(z)$. Walking from $z_1$ to $z_2$ therefore traces one continuous path of images. A diffusion model can behave the same way if its sampler is deterministic. DDIM with η = 0 (Song et al. 2021) is such a sampler: it maps $x_T$ to $x_0$ without drawing any noise, so the same $x_T$ always gives the same image. Ancestral sampling (DDPM, Ho et al. 2020) draws a fresh $z_t$ at each of its steps. Its output depends on $x_T$ *and* on those hundreds of noise draws. Decode the same $x_T$ twice and you get two different digits.
#
# We use the chapter's pretrained 16×16 MNIST model. DDIM decodes with `DDIM_STEPS` steps (50 at reader size, the setting the DDIM paper used for its interpolation figures, App. D.5). For ancestral sampling, `ANC_STEPS` is printed below; on a CPU we keep it short so the notebook runs in minutes. It is a respaced chain (σ² = β) when it is shorter than T = 1000. Any ancestral chain, of whatever length, draws fresh noise at each step.

# %% slideshow={"slide_type": "-"}
bundle = load_pretrained("mnist", device)
model, schedule, shape = bundle.model, bundle.schedule, bundle.sample_shape
D = math.prod(shape)

FRAMES = dl.pick(reader=7, fast=5, cuda=9)       # points along each path
RUNS = 2                                          # repeated decodes of the same path
DDIM_STEPS = dl.pick(reader=50, fast=20)          # 50 as in DDIM's interpolation figures (App. D.5)
ANC_STEPS = dl.pick(reader=100, fast=20, cuda=1000)
N_PAIRS = dl.pick(reader=16, fast=8, cuda=64)     # pairs of noises for the midpoint statistics
print(f"sample shape {shape} (d = {D}), T = {schedule.T}; {FRAMES} frames x {RUNS} runs per path; "
      f"ancestral {ANC_STEPS} steps, DDIM {DDIM_STEPS} steps")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why lerp shrinks the noise
#
# A sample of $\mathcal N(0, I_d)$ has squared norm $\approx d$, so $\|x_T\|/\sqrt d \approx 1$. In high dimension almost all the mass sits on this thin shell. Take two independent noises $a, b$. Their lerp $(1-\alpha)a + \alpha b$ is Gaussian with variance $(1-\alpha)^2 + \alpha^2$ per coordinate. That is $1/2$ at the midpoint, so the norm drops to $1/\sqrt 2 \approx 0.71$ of the shell. Slerp rotates along the great circle between $a$ and $b$ instead. Because independent noises are nearly orthogonal in high dimension, it stays on the shell the whole way. The curve below measures both over many pairs, with $d$ equal to the model's $16\times16 = 256$ pixels.

# %% slideshow={"slide_type": "-"}
# NBVAL_CHECK_OUTPUT
print(f"d = {D}; lerp midpoint predicted at 1/sqrt(2) = {1 / math.sqrt(2):.4f} of the N(0, I) shell")

# %% slideshow={"slide_type": "-"}
alphas = torch.linspace(0, 1, 21)
norms = analysis.path_norms(D, alphas, num_pairs=dl.pick(reader=200, fast=50), seed=0)
mid = 10  # alpha = 0.5
plots.curves(alphas, {"lerp": norms["lerp"], "slerp": norms["slerp"]}, xlabel="α along the path",
             ylabel="‖x(α)‖ / √d", hlines={"N(0, I) shell": 1.0, "1/√2": 1 / math.sqrt(2)},
             bands={k: (norms[k] - norms[k + "_std"], norms[k] + norms[k + "_std"]) for k in ("lerp", "slerp")},
             title="Lerp dips to 1/√2 of the noise shell at α = 0.5; slerp stays on it")

# %% slideshow={"slide_type": "fragment"}
print(f"lerp  midpoint: {norms['lerp'][mid]:.3f} (predicted {1 / math.sqrt(2):.3f})")
print(f"slerp midpoint: {norms['slerp'][mid]:.3f}; slerp range over α: "
      f"[{norms['slerp'].min():.3f}, {norms['slerp'].max():.3f}]")
assert abs(norms["lerp"][mid] - 1 / math.sqrt(2)) < 0.03, "lerp midpoint norm should be ≈ 1/√2 of the shell"
assert (norms["slerp"] - 1).abs().max() < 0.03, "slerp should stay on the shell (≈ 1) at every α"
assert norms["lerp"][mid] < norms["slerp"][mid] - 0.2, "lerp midpoint must be well inside the shell"

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Decoding the two paths: frame strips
#
# We take one pair of noises, decode FRAMES points along each path `RUNS` times with each sampler, and draw the first two runs. The analyzer builds the paths and runs the package samplers (`AncestralSamplingAnalyzer.measure_interpolation_smoothness`). Every run is a separate call with its own generator seed: the runs share $x_T$ and differ only in the noise drawn during sampling.

# %% slideshow={"slide_type": "-"}
an = analysis.AncestralSamplingAnalyzer(model, schedule, shape, device=device)
g = torch.Generator().manual_seed(3)
z1, z2 = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
res = {p: an.measure_interpolation_smoothness(z1, z2, FRAMES, RUNS, path=p, seed=0,
                                              steps={"ancestral": ANC_STEPS, "ddim": DDIM_STEPS})
       for p in ("slerp", "lerp")}
rows = {}
for p in ("slerp", "lerp"):
    rows[f"DDIM η=0 · {p}"] = res[p]["ddim"]["frames"][0]
    for r in range(2):
        rows[f"ancestral · {p} · run {r + 1}"] = res[p]["ancestral"]["frames"][r]
plots.image_rows(rows, col_labels=[f"α={a:.2f}" for a in res["slerp"]["alphas"].tolist()],
                 title="The deterministic sampler gives one path; ancestral runs of the same path disagree")

# %% [markdown] slideshow={"slide_type": "-"}
# Read the strips row by row. The DDIM rows are one fixed sequence of images: decoding them again gives exactly the same frames. The two ancestral runs start from *the same* $x_T$ at every α, yet they show different digits. Within a single run, neighbouring frames can also jump between digits, because nothing ties the noise drawn for frame $k$ to the noise drawn for frame $k+1$. The next cell puts numbers on both effects: the mean squared difference between adjacent frames (`metrics.frame_differences`) and, at each α, the variance across runs (`metrics.run_variance`).

# %% slideshow={"slide_type": "-"}
mids = ((res["slerp"]["alphas"][1:] + res["slerp"]["alphas"][:-1]) / 2)
plots.curves(mids, {f"{s} · {p}": res[p][s]["frame_differences"] for p in ("slerp", "lerp") for s in ("ddim", "ancestral")},
             xlabel="α (between frames k and k+1)", ylabel="MSE between adjacent frames",
             title="Ancestral frames jump further apart than deterministic ones")

# %% slideshow={"slide_type": "-"}
table = Table(["path", "sampler", "steps", "mean adjacent-frame MSE", "run-to-run variance (mean over α)",
               "run-to-run variance (min over α)"],
              [[p, s, res[p][s]["steps"], res[p][s]["mean_frame_diff"], res[p][s]["mean_run_variance"],
                float(res[p][s]["run_variance"].min())] for p in ("slerp", "lerp") for s in ("ddim", "ancestral")],
              caption=f"One pair of noises, {FRAMES} frames, {RUNS} runs per path; pixel values in [-1, 1].")
for p in ("slerp", "lerp"):
    assert float(res[p]["ddim"]["run_variance"].max()) == 0.0, "DDIM η=0 must give identical runs (variance exactly 0)"
    assert float(res[p]["ancestral"]["run_variance"].min()) > 1e-2, \
        "ancestral runs from the same x_T must differ at EVERY α"
    assert res[p]["ancestral"]["mean_frame_diff"] > 1.5 * res[p]["ddim"]["mean_frame_diff"], \
        "ancestral frames should jump further than deterministic frames"
table

# %% [markdown] slideshow={"slide_type": "-"}
# The deterministic sampler has a run-to-run variance of **exactly zero** at every α. The ancestral sampler's variance is far from zero at every α, so each frame is a random draw rather than a point on a path. The ancestral frames are also further apart from their neighbours than the DDIM frames. This is the brief's "no semantic interpolation", measured. The cause is the fresh noise drawn during sampling, and interpolating $x_T$ more carefully cannot remove it. Removing it from the sampler does fix it, which is what DDIM η = 0 does.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What lerp does to the decoded digits
#
# A deterministic sampler still needs a good path. The lerp midpoint starts from a noise whose norm is only about 71% of the shell the model was trained on, so the model is asked to denoise an $x_T$ it never saw. To measure the effect, we decode α = 0.5 along lerp and along slerp for `N_PAIRS` independent pairs with DDIM η = 0. As an in-distribution reference we also decode the first noise of each pair. We then compare the decoded images: their contrast (pixel standard deviation) and how much ink they carry (fraction of pixels brighter than mid-grey).

# %% slideshow={"slide_type": "-"}
pts = analysis.decode_path_points(model, schedule, shape, N_PAIRS, 0.5, steps=DDIM_STEPS, seed=1, device=device)
stats = {k: {"contrast": v.flatten(1).std(1).mean().item(), "ink": (v > 0).float().mean().item()}
         for k, v in pts.items()}
plots.image_rows({"α=0 (ordinary sample)": pts["endpoint"][:10], "slerp midpoint": pts["slerp"][:10],
                  "lerp midpoint": pts["lerp"][:10]},
                 title="Lerp midpoints come out faint and blurry; slerp midpoints look like ordinary samples")

# %% slideshow={"slide_type": "-"}
Table(["decoded from", "contrast (pixel std)", "ink fraction"],
      [[k, v["contrast"], v["ink"]] for k, v in stats.items()],
      caption=f"DDIM η=0, {DDIM_STEPS} steps, {N_PAIRS} pairs of independent noises; means over pairs.")

# %% slideshow={"slide_type": "fragment"}
assert stats["lerp"]["contrast"] < 0.85 * stats["slerp"]["contrast"], "lerp midpoints should have clearly less contrast"
assert stats["lerp"]["ink"] < 0.85 * stats["slerp"]["ink"], "lerp midpoints should carry clearly less ink"
assert abs(stats["slerp"]["contrast"] - stats["endpoint"]["contrast"]) < abs(stats["lerp"]["contrast"] - stats["endpoint"]["contrast"]), \
    "slerp midpoints should be closer to ordinary samples than lerp midpoints"
print("lerp midpoints: less contrast and less ink than slerp midpoints; slerp midpoints closer to ordinary samples")

# %% [markdown] slideshow={"slide_type": "-"}
# The shrunken starting noise carries through to the image. Lerp midpoints have clearly lower contrast and less ink than slerp midpoints, and slerp midpoints are much closer to ordinary samples. Many lerp midpoints are faint, blurry strokes or nearly blank. This is why DDIM interpolates with slerp (App. D.5). Paths for diffusion models should stay on the noise shell, and a straight line between two noises does not.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Try it: an interpolation slider
#
# The app below decodes $x(\alpha)$ for the pair of noises given by `seed` with DDIM η = 0 and with two ancestral runs. Move α, switch between slerp and lerp, or change the seed. The DDIM image changes smoothly with α and is the same every time you come back to a given α. The two ancestral images disagree with each other. In a live notebook these are ipywidgets. Without a widget frontend (GitHub's viewer, this notebook's test run) the same function draws a static strip instead. Pass `static=True` or `static=False` to force either.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
widgets.interpolation_app(model, schedule, shape, seed=3, steps=DDIM_STEPS, ancestral_steps=ANC_STEPS,
                          num_frames=FRAMES)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The run-to-run variance table measures the stochasticity problem: decoding the same path twice with ancestral sampling gives different digits at every α, while the deterministic DDIM sampler has a variance of exactly zero.
# - Ancestral frames are also further from their neighbours than deterministic ones. A path through $x_T$ only becomes a path through images when the sampler is a deterministic function of $x_T$.
# - The way we interpolate also matters. Lerp shrinks independent Gaussian noises to $1/\sqrt2$ of their shell at the midpoint, so its decoded midpoints are faint and out of distribution. Slerp keeps the norm, and its midpoints look like ordinary samples.
#
# Notebook 05 measures what skipping steps costs in quality. Notebook 06 covers DDIM itself: its deterministic paths, η = 1 recovering DDPM, and encoding real digits by inversion.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **Slerp keeps the norm whenever the endpoints have equal norm;** lerp's midpoint dips to $\cos(\theta/2)$ of it — $1/\sqrt2$ for orthogonal endpoints, which independent high-dimensional noises nearly are.
# > - **A path through $x_T$ is a path through images only if the sampler is deterministic:** decoded with ancestral sampling, every frame is a random draw (run-to-run variance > 0 at every α); with DDIM η = 0 the variance is exactly zero.
# > - **Off-shell starting noise decodes badly:** lerp midpoints start from noise the model never saw at $t=T$, and decode to fainter, atypical images.
# > - Interpolating $x_T$ more carefully cannot fix the stochastic sampler; removing the sampler's noise can.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Four exercises. Worked solutions: [`solutions/04_interpolation_solutions.ipynb`](solutions/04_interpolation_solutions.ipynb).

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
import math
import torch
import ddpm_lessons as dl
from ddpm_lessons import exercises as ex
from ddpm_lessons.exercises import your_turn

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · derive — what lerp and slerp do to the norm
#
# Let $\|a\|=\|b\|=r$ and let $\theta$ be the angle between them. (i) Show that every slerp point $x(w)=\frac{\sin((1-w)\theta)}{\sin\theta}a+\frac{\sin(w\theta)}{\sin\theta}b$ has norm $r$. (ii) Show that the lerp midpoint $(a+b)/2$ has norm $r\cos(\theta/2)$, i.e. $r/\sqrt2$ when $a\perp b$. Then enter the ratio $\|(a+b)/2\|/r$ for $\theta=60°$.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
lerp_midpoint_ratio = None  # ||(a + b) / 2|| / r for equal norms r and an angle of 60 degrees

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ex.check_lerp_midpoint(lerp_midpoint_ratio, theta_deg=60)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 2 · code it yourself — slerp
#
# Write `my_slerp(a, b, w)` for tensors of any shape, with **one** angle over the whole tensor, $\theta=\arccos\frac{\langle a,b\rangle}{\|a\|\|b\|}$, and a scalar weight $w\in[0,1]$. Make it safe when $a$ and $b$ are parallel ($\sin\theta\approx 0$). The checker compares it with the package's `slerp` and tries the parallel case.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def my_slerp(a, b, w):
    """Spherical interpolation between tensors a and b at weight w (one angle for the whole tensor)."""
    your_turn("my_slerp")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ex.check_slerp(my_slerp)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 3 · predict, then run — does 1/√2 hold for every pair?
#
# For independent $a,b\sim\mathcal N(0,I_d)$ we measure, pair by pair, the lerp midpoint's norm relative to the endpoints', $\|(a+b)/2\|/\sqrt{\|a\|\|b\|}$. Its average is close to $1/\sqrt2$. Predict: does this ratio vary more from pair to pair in $d=2$ or in $d=256$ (the MNIST model's $16\times16$)?

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
my_prediction = None  # "2" or "256"

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
spread = {}
g = torch.Generator().manual_seed(0)
for d in (2, 256):
    a, b = torch.randn(2000, d, generator=g), torch.randn(2000, d, generator=g)
    ratio = ((a + b) / 2).norm(dim=1) / (a.norm(dim=1) * b.norm(dim=1)).sqrt()
    spread[d] = ratio.std().item()
    print(f"d = {d:3d}: ratio mean {ratio.mean():.3f}, std over pairs {ratio.std():.3f}")
ex.check_shell_prediction(my_prediction, spread)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 4 · interpret a measurement — why slerp cannot rescue ancestral frames
#
# In the notebook's table, DDIM's run-to-run variance is exactly zero at every α, the ancestral sampler's is far from zero whichever path (lerp or slerp) is used. Explain why choosing a better path through $x_T$ cannot make ancestral frames a smooth sequence, and what the zero for DDIM does and does not prove about its frames.
