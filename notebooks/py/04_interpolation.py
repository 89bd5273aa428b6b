# %% [markdown] slideshow={"slide_type": "slide"}
# # 04 · The interpolation problem
#
# A generator with a deterministic map from latent code to image lets us walk between two codes and watch one image morph into another. This notebook asks whether DDPM's ancestral sampler can do that on the chapter's 16×16 MNIST model. We interpolate between two starting noises $x_T$ with straight lines (lerp) and great circles (slerp). Each point on the path is decoded twice: once with DDIM at η = 0, a deterministic map from $x_T$ to an image, and once with ancestral sampling, which adds fresh noise at every step. We measure how far apart neighbouring frames are and how much repeated runs disagree. We also show that lerp makes a second, separate mistake: it shrinks the noise, so the middle of the path starts from noise the model never saw during training — and we measure what that does to the decoded digits with measures that cannot be fooled by noisy pixels.
#
# **Learning objectives**
# - Explain why an interpolation needs a *deterministic* map from $x_T$ to $x_0$, and why ancestral sampling doesn't provide one.
# - Measure the run-to-run variance at each point of a path and the difference between neighbouring frames.
# - Explain why the lerp midpoint of two independent Gaussian noises has about $1/\sqrt{2}$ of their norm (they are nearly orthogonal) while slerp keeps it (they have nearly equal norms), and state precisely how close the slerp midpoint is to a fresh $\mathcal N(0, I)$ draw.
# - Judge decoded midpoints by what they are — digits like the model's ordinary samples, or not — with classifier confidence, a Fréchet distance and the pixel range, each with its error bar.
# - Use an interactive slider (or its static fallback) to explore paths yourself.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/04_interpolation.ipynb) [![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://kaggle.com/kernels/welcome?src=https://github.com/ddpm-lessons/ddpm-lessons/blob/main/notebooks/04_interpolation.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F04_interpolation.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebooks 01 and 03; vectors, norms and angles (dot product) · **Time to read** ~25 min · **Time to run** ~45 s (laptop CPU) · **Exercises** 4, ~24 min
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
# ## What we want, and what ancestral sampling gives
#
# In a GAN, one image corresponds to one latent code: $x = G(z)$. Walking from $z_1$ to $z_2$ therefore traces one continuous path of images. A diffusion model can behave the same way if its sampler is deterministic. DDIM with η = 0 (Song et al. 2021) is such a sampler: it maps $x_T$ to $x_0$ without drawing any noise, so the same $x_T$ always gives the same image. Ancestral sampling (DDPM, Ho et al. 2020) draws a fresh $z_t$ at each of its steps. Its output depends on $x_T$ *and* on those noise draws. Decode the same $x_T$ twice and you get two different digits.
#
# We use the chapter's pretrained 16×16 MNIST model, with each step's predicted clean image clipped to the data range $[-1, 1]$ (`clip_x0`), and the digit classifier that comes with it. DDIM decodes with `DDIM_STEPS` steps (50 at full size, the setting of the DDIM paper's interpolation figure, §5.3, Figure 6). For ancestral sampling, `ANC_STEPS` is printed below; on a CPU we keep it short so the notebook runs in minutes. It is a respaced chain (σ² = β) when it is shorter than T = 1000. Any ancestral chain, of whatever length, draws fresh noise at each step.

# %% slideshow={"slide_type": "-"}
bundle = dl.load_pretrained("mnist", device)
model, schedule, shape, clip = bundle.model, bundle.schedule, bundle.sample_shape, bundle.clip_x0
classifier = dl.load_pretrained("mnist-features", device).model
D = torch.Size(shape).numel()

FRAMES = dl.pick(reader=7, fast=5, cuda=9)          # points along each path
RUNS = 2                                             # repeated decodes of the same path
DDIM_STEPS = dl.pick(reader=50, fast=20)             # 50 as in DDIM's interpolation figure (§5.3, Fig. 6)
ANC_STEPS = dl.pick(reader=100, fast=20, cuda=1000)
N_PAIRS = dl.pick(reader=64, fast=32, cuda=256)      # pairs of noises for the midpoint statistics
FEATURE_DIMS = dl.pick(reader=16, fast=8, cuda=64)   # FD needs N_PAIRS >= 2 * FEATURE_DIMS
print(f"sample shape {shape} (d = {D}), T = {schedule.T}; {FRAMES} frames x {RUNS} runs per path; "
      f"ancestral {ANC_STEPS} steps, DDIM {DDIM_STEPS} steps; {N_PAIRS} pairs for the midpoints")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Lerp, slerp and the norm of the noise
#
# A sample of $\mathcal N(0, I_d)$ has squared norm $\approx d$, so $\|x_T\|/\sqrt d \approx 1$: in high dimension almost all the mass sits on this thin shell, and the model was trained only on noise from it. Two facts about a pair of independent noises $a, b$ decide what happens between them:
#
# - **Their norms are nearly equal:** both are $\sqrt d \pm 0.7$.
# - **They are nearly orthogonal:** the angle $\theta$ between them is $90° \pm 57°/\sqrt d$, about $90° \pm 3.6°$ for $d = 256$.
#
# Lerp, $(1-\alpha)a + \alpha b$, has at the midpoint $\|(a+b)/2\|^2 = \tfrac14(\|a\|^2 + \|b\|^2 + 2\|a\|\|b\|\cos\theta)$: for equal norms $r$ that is $r\cos(\theta/2)$, and **orthogonality** is what makes it $r/\sqrt2 \approx 0.71\,r$. (As a distribution, $(a+b)/2 \sim \mathcal N(0, \tfrac12 I)$ exactly.)
#
# Slerp, $x(\alpha) = \frac{\sin((1-\alpha)\theta)}{\sin\theta}a + \frac{\sin(\alpha\theta)}{\sin\theta}b$, rotates along the great circle from $a$ to $b$. It keeps the norm at every α **whenever the endpoints have equal norm**, whatever the angle between them; orthogonality plays no role (Exercise 1). Since independent noises have nearly equal norms, slerp stays on the shell. The curve measures both over many pairs, with $d = 16\times16 = 256$; the bands show the spread over pairs.

# %% slideshow={"slide_type": "-"}
alphas = torch.linspace(0, 1, 21)
n_norm_pairs = dl.pick(reader=400, fast=100)
norms = dl.analysis.path_norms(D, alphas, num_pairs=n_norm_pairs, seed=0)
mid = 10  # alpha = 0.5
dl.plots.curves(alphas, {"lerp": norms.lerp, "slerp": norms.slerp}, xlabel="α along the path",
                ylabel="‖x(α)‖ / √d", hlines={"N(0, I) shell": 1.0, "1/√2": 2 ** -0.5},
                bands={k: norms.band(k) for k in ("lerp", "slerp")},
                title="Lerp dips to 1/√2 of the noise shell at α = 0.5; slerp stays on it")

# %% slideshow={"slide_type": "fragment"}
at_mid = {k: norms.at(k, mid) for k in ("lerp", "slerp")}
print(f"midpoint norm / sqrt(d): lerp {at_mid['lerp']}, slerp {at_mid['slerp']} (mean ± se over {n_norm_pairs} pairs); "
      f"1/sqrt(2) = {2 ** -0.5:.4f}")
assert not dl.clearly_different(at_mid["lerp"], 2 ** -0.5, k=4), "lerp midpoint norm ≈ 1/√2 of the shell"
assert (norms.slerp - 1).abs().max() < 0.02, "slerp stays on the shell (≈ 1) at every α"
assert dl.clearly_less(at_mid["lerp"], at_mid["slerp"]), "the lerp midpoint lies well inside the shell"

# %% [markdown] slideshow={"slide_type": "-"}
# > **Claims you may read.** "The slerp midpoint of two independent Gaussian noises is exactly $\mathcal N(0, I)$."
# >
# > At α = ½ slerp gives $x(\tfrac12) = w\,(a + b)$ with $w = \frac{\sin(\theta/2)}{\sin\theta} = \frac{1}{2\cos(\theta/2)}$. If $w$ were a *fixed* number, $w a + w b$ would be $\mathcal N(0, 2w^2 I)$, which is $\mathcal N(0, I)$ for $w = 1/\sqrt2$ — and $w = 1/\sqrt2$ exactly when $\theta = 90°$. But $\theta$ is computed from $a$ and $b$, so $w$ is random and depends on them. What is exactly true: the midpoint points in a uniformly random direction, like a Gaussian draw. Its mean squared norm is *almost* $d$: $d + O(1/d)$, derived below. And its squared norm, $\|x(\tfrac12)\|^2 = \|a\|\|b\| + \frac{(\|a\|-\|b\|)^2}{2(1+\cos\theta)}$, is close to the *average* of $\|a\|^2$ and $\|b\|^2$, so it fluctuates about half as much as a fresh draw's (variance $\approx d$ instead of $2d$). The fixed combination $(a+b)/\sqrt2$ is exactly $\mathcal N(0, I)$. The cell measures all three.
#
# *The mean, exactly.* The norms $\|a\|, \|b\|$ of Gaussian vectors are independent of their directions, hence of $\theta$. With $m = \mathbb E\|a\| = \sqrt2\,\Gamma(\tfrac{d+1}{2})/\Gamma(\tfrac d2)$, the formula above gives $\mathbb E\,\|a\|\|b\| = m^2$ and $\mathbb E(\|a\|-\|b\|)^2 = 2(d - m^2)$, and for a uniformly random angle in $d$ dimensions (density of $\cos\theta$ proportional to $(1-\cos^2\theta)^{(d-3)/2}$, a Beta integral) $\mathbb E\,\frac{1}{1+\cos\theta} = \frac{d-2}{d-3}$. Together,
# $$\mathbb E\,\|x(\tfrac12)\|^2 = m^2 + (d-m^2)\,\frac{d-2}{d-3} = d + \frac{d - m^2}{d-3} = d + \frac{\operatorname{Var}\|a\|}{d-3} \approx d + \frac{1}{2d},$$
# since $\operatorname{Var}\|a\| \to \tfrac12$. At $d = 256$ the excess is about $0.002$, far below what 10 000 pairs resolve; the cell after the table checks the formula at $d = 8$, where it is about $0.1$.

# %% slideshow={"slide_type": "-"}
n_draws = dl.pick(reader=10000, fast=3000)
g = dl.seed(5)
a, b = (torch.randn(n_draws, D, generator=g, dtype=torch.float64) for _ in range(2))
squared_norm = {"fresh N(0, I) draw": a.pow(2).sum(1),
                "slerp midpoint": torch.stack([dl.slerp(x, y, 0.5) for x, y in zip(a, b)]).pow(2).sum(1),
                "(a + b) / √2": ((a + b) / 2 ** 0.5).pow(2).sum(1)}
moments = {k: (dl.mean_se(v), dl.bootstrap(lambda s: s.var(), v, reps=50, generator=dl.seed(6)))
           for k, v in squared_norm.items()}
dl.Table(["vector", "mean of ‖x‖² (N(0, I): d)", "variance of ‖x‖² (N(0, I): 2d)"],
         [[k, m, v] for k, (m, v) in moments.items()],
         caption=f"d = {D}; {n_draws} independent pairs a, b; mean ± se")

# %% slideshow={"slide_type": "fragment"}
(m_slerp, v_slerp), (m_fresh, v_fresh), (_, v_fixed) = (moments[k] for k in ("slerp midpoint", "fresh N(0, I) draw", "(a + b) / √2"))
assert not dl.clearly_different(m_slerp, D) and not dl.clearly_different(m_fresh, D), "both have mean squared norm d"
assert dl.clearly_less(v_slerp, v_fresh), "the slerp midpoint's norm fluctuates less than a fresh draw's"
assert not dl.clearly_different(v_slerp, D, k=4) and not dl.clearly_different(v_fixed, 2 * D, k=4), \
    "variance of the squared norm: about d for the slerp midpoint, 2d for (a + b)/√2"
print(f"variance of the squared norm, slerp midpoint / fresh draw: {v_slerp.value / v_fresh.value:.2f}")

# %% slideshow={"slide_type": "fragment"}
import math

d_small = 8
n_small = dl.pick(reader=200_000, fast=50_000)
g = dl.seed(8)
a8, b8 = (torch.randn(n_small, d_small, generator=g, dtype=torch.float64) for _ in range(2))
theta = torch.arccos(((a8 * b8).sum(1) / (a8.norm(dim=1) * b8.norm(dim=1))).clamp(-1, 1))[:, None]
mid8 = torch.sin(theta / 2) * (a8 + b8) / torch.sin(theta)  # slerp at 1/2, row by row
assert torch.allclose(mid8[0], dl.slerp(a8[0], b8[0], 0.5)), "the same slerp as the package's"
m = math.sqrt(2) * math.exp(math.lgamma((d_small + 1) / 2) - math.lgamma(d_small / 2))  # E||a||
predicted = {d: d + (d - mm) / (d - 3) for d, mm in ((d_small, m * m),
             (D, 2 * math.exp(2 * (math.lgamma((D + 1) / 2) - math.lgamma(D / 2)))))}
measured8 = dl.mean_se(mid8.pow(2).sum(1))
print(f"d = {d_small}: mean squared norm of the slerp midpoint {measured8:.4f} (mean ± se over {n_small} pairs); "
      f"predicted d + Var||a||/(d-3) = {predicted[d_small]:.4f}; d = {d_small}")
print(f"d = {D}: predicted excess over d {predicted[D] - D:.4f}, measured {m_slerp.value - D:.2f} ± {m_slerp.se:.2f}")
assert not dl.clearly_different(measured8, predicted[d_small]), "the mean squared norm is d + Var||a||/(d - 3)"
assert dl.clearly_different(measured8, d_small), "... which is not d"
assert 0 < predicted[D] - D < 0.01 and not dl.clearly_different(m_slerp, predicted[D]), \
    "at d = 256 the excess (about 1/(2d)) is too small to see"

# %% [markdown] slideshow={"slide_type": "-"}
# So the slerp midpoint sits on the shell like a fresh noise — which is what matters for the model — without being distributed exactly like one: its mean squared norm exceeds $d$ by $O(1/d)$ and its norm fluctuates half as much. That is close enough for everything below.
#
# ## Decoding the two paths: frame strips
#
# We take one pair of noises, decode `FRAMES` points along each path `RUNS` times with each sampler, and draw the runs. The analyzer builds the paths and runs the package samplers (`AncestralSamplingAnalyzer.measure_interpolation_smoothness`). Every run is a separate call with its own generator seed: the runs share $x_T$ and differ only in the noise drawn during sampling. The lerp runs use other seeds than the slerp runs, for a reason the next section shows: with the *same* step-noise seeds, the ancestral lerp and slerp rows would be the same digits.

# %% slideshow={"slide_type": "-"}
an = dl.analysis.AncestralSamplingAnalyzer(model, schedule, shape, clip_x0=clip, device=device)
g = dl.seed(3)
z1, z2 = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
res = {p: an.measure_interpolation_smoothness(z1, z2, FRAMES, RUNS, path=p, seed=seed,
                                              steps={"ancestral": ANC_STEPS, "ddim": DDIM_STEPS})
       for p, seed in (("slerp", 0), ("lerp", 10))}
rows = {}
for p in ("slerp", "lerp"):
    rows[f"DDIM η=0 · {p}"] = res[p]["ddim"].frames[0]
    for r in range(RUNS):
        rows[f"ancestral · {p} · run {r + 1}"] = res[p]["ancestral"].frames[r]
dl.plots.image_rows(rows, col_labels=[f"α={a:.2f}" for a in res["slerp"].alphas.tolist()],
                    title="The deterministic sampler gives one path; ancestral runs of the same path disagree")

# %% [markdown] slideshow={"slide_type": "-"}
# Read the strips row by row. The DDIM rows are one fixed sequence of images: decoding them again gives exactly the same frames. The two ancestral runs start from *the same* $x_T$ at every α, yet they show different digits. Within a single run, neighbouring frames can also jump between digits, because nothing ties the noise drawn for frame $k$ to the noise drawn for frame $k+1$. The next cell puts numbers on both effects: the mean squared difference between adjacent frames (`dl.metrics.frame_differences`) and, at each α, the variance across runs (`dl.metrics.run_variance`), each as a mean ± se over the gaps between frames or over the α values. The comparison of the two samplers after it is paired: both decode the same path, so each gap of an ancestral run is set against the same gap of a DDIM run.

# %% slideshow={"slide_type": "-"}
runs = {(p, s): res[p][s] for p in ("slerp", "lerp") for s in ("ddim", "ancestral")}
dl.Table(["path", "sampler", "steps", "adjacent-frame MSE", "run-to-run variance", "run-to-run variance (min over α)"],
         [[p, s, r.steps, r.jump, r.spread, float(r.run_variance.min())] for (p, s), r in runs.items()],
         caption=f"One pair of noises, {FRAMES} frames, {RUNS} runs per path; mean ± se over gaps (or over α); "
                 "pixel values in [-1, 1].")

# %% slideshow={"slide_type": "-"}
extra_jump = {p: res[p].jump_difference("ancestral", "ddim") for p in ("slerp", "lerp")}  # same path, same runs
print("ancestral minus DDIM adjacent-frame MSE, paired over runs and gaps: "
      + ", ".join(f"{p} {d:.2g}" for p, d in extra_jump.items()))
for p in ("slerp", "lerp"):
    assert float(runs[p, "ddim"].run_variance.max()) == 0.0, "DDIM η=0 gives identical runs (variance exactly 0)"
    assert dl.clearly_less(0.0, runs[p, "ancestral"].spread), "ancestral runs from the same x_T differ"
    assert float(runs[p, "ancestral"].run_variance.min()) > 0, "... at every α"
    assert dl.clearly_less(0.0, extra_jump[p]), "ancestral frames jump further than deterministic frames"

# %% [markdown] slideshow={"slide_type": "-"}
# **Why the lerp runs get their own seeds.** Decode the lerp path once more with the step-noise seed of the first slerp run. Inside the path the two starting noises differ a lot — at α = ½ the lerp noise has only 71 % of the slerp noise's norm — yet the ancestral samples come out as the same digits, pixel for pixel up to a tiny error, while two runs of the *same* path with different seeds are unrelated. Given its step noise, an ancestral sample hardly depends on $x_T$ at all: notebook 03's fork experiment showed that the digit is decided late in the chain, by the step noise. Same seeds would have made the lerp and slerp rows of the strips look identical for that reason, not because the paths agree.

# %% slideshow={"slide_type": "fragment"}
lerp_path = dl.lerp(z1, z2, res["lerp"].alphas).to(device)
lerp_slerp_seed = dl.respaced_ancestral_sample(model, schedule, lerp_path, ANC_STEPS, clip_x0=clip,
                                               generator=dl.seed(1), progress=False).cpu()  # seed of slerp run 1
slerp_run1, slerp_run2 = res["slerp"]["ancestral"].frames[:2]
same_seed = dl.mean_se(((lerp_slerp_seed - slerp_run1) ** 2).flatten(1).mean(1))
other_seed = dl.mean_se(((slerp_run2 - slerp_run1) ** 2).flatten(1).mean(1))
print(f"pixel MSE to slerp run 1, per frame: lerp path with the same seed {same_seed:.2g}; "
      f"slerp path with another seed {other_seed:.2g}")
assert dl.clearly_less(same_seed, other_seed) and same_seed.value < 0.01 * other_seed.value, \
    "with the same step noise, a different x_T changes the ancestral sample very little"

# %% [markdown] slideshow={"slide_type": "-"}
# The deterministic sampler has a run-to-run variance of **exactly zero** at every α. The ancestral sampler's variance is far from zero at every α, so each frame is a random draw rather than a point on a path, and its frames are further apart from their neighbours than DDIM's. So ancestral sampling gives no semantic interpolation. The cause is the fresh noise drawn during sampling, and interpolating $x_T$ more carefully cannot remove it. Removing it from the sampler does, which is what DDIM η = 0 does.
#
# ## What lerp does to the decoded digits
#
# A deterministic sampler still needs a good path. The lerp midpoint starts from a noise with only about 71 % of the norm the model was trained on. To see the effect we decode, with DDIM η = 0, both endpoints $a, b$ and both midpoints for `N_PAIRS` independent pairs. The endpoints decode to the model's ordinary samples. A good midpoint should look like one of them, so we judge the midpoints by how close they come to the decoded endpoints — with measures that a noisy or speckled image cannot win:
#
# - **confident**: the fraction of images the digit classifier assigns to one class with probability ≥ 0.9 (binomial se);
# - **FD**: the Fréchet distance between classifier features of the images and of the decoded endpoints $a$ (bootstrap se). With `N_PAIRS` images, features are projected onto the top `FEATURE_DIMS` principal directions (FD needs at least twice as many images as dimensions), and the decoded endpoints $b$ — ordinary samples themselves — give the value to expect from a set that *is* like the reference;
# - **background** and **strokes**: the mean of each image's darkest half of pixels and of its 10 brightest pixels (held-out 16×16 real digits: −1 and about 0.8), mean ± se over images.

# %% slideshow={"slide_type": "-"}
g = dl.seed(1)
a, b = (torch.randn(N_PAIRS, *shape, generator=g) for _ in range(2))
starts = {"sample from a": a, "slerp midpoint": torch.stack([dl.slerp(x, y, 0.5) for x, y in zip(a, b)]),
          "lerp midpoint": torch.stack([dl.lerp(x, y, 0.5) for x, y in zip(a, b)]), "sample from b": b}
decoded = dl.ddim_sample(model, schedule, torch.cat(list(starts.values())).to(device), steps=DDIM_STEPS,
                         clip_x0=clip, progress=False).cpu()
decoded = dict(zip(starts, decoded.split(N_PAIRS)))
dl.plots.image_rows({k: v[:12] for k, v in decoded.items()}, col_labels=[f"pair {i + 1}" for i in range(12)],
                    title="Lerp midpoints come out with dimmer strokes (the background stays black); slerp midpoints look like ordinary samples")

# %% slideshow={"slide_type": "-"}
space = dl.metrics.FeatureSpace(classifier, decoded["sample from a"], dims=FEATURE_DIMS)
sets = {"held-out real digits": dl.load_mnist("heldout")[0][:N_PAIRS], "sample from b": decoded["sample from b"],
        "slerp midpoint": decoded["slerp midpoint"], "lerp midpoint": decoded["lerp midpoint"]}
quality = {k: {"confident": dl.metrics.confident_estimate(dl.metrics.classify(v, classifier)),
               "fd": space.fd(v, generator=dl.seed(7)), **dl.metrics.pixel_range(v)} for k, v in sets.items()}
def stroke_brightness(v):  # per image: the mean of its 10 brightest pixels (the table's "strokes")
    return v.flatten(1).sort(1).values[:, -10:].mean(1).double()

ordinary = stroke_brightness(decoded["sample from b"])
band = torch.quantile(ordinary, torch.tensor([0.05, 0.95], dtype=torch.float64))
for k, q in quality.items():
    s_k = stroke_brightness(sets[k])
    q["in_band"] = dl.mean_se(((s_k >= band[0]) & (s_k <= band[1])).double())
    q["above_median"] = dl.mean_se((s_k > ordinary.median()).double())
dl.Table(["images", "confident (≥ 0.9)", f"FD to samples from a ({FEATURE_DIMS} dims)", "background", "strokes",
          "strokes inside the ordinary samples' 90 % range", "strokes brighter than the ordinary median"],
         [[k, q["confident"], q["fd"], q["background"], q["strokes"], q["in_band"], q["above_median"]]
          for k, q in quality.items()],
         caption=f"DDIM η=0, {DDIM_STEPS} steps, {N_PAIRS} pairs of independent noises; mean ± se; pixels in [-1, 1]")

# %% slideshow={"slide_type": "fragment"}
s, l, o = quality["slerp midpoint"], quality["lerp midpoint"], quality["sample from b"]
print(f"background on the display scale [0, 1] (0 = black): slerp midpoints {(s['background'].value + 1) / 2:.4f}, "
      f"lerp midpoints {(l['background'].value + 1) / 2:.4f}")
assert dl.clearly_less(l["strokes"], s["strokes"]) and dl.clearly_less(l["strokes"], o["strokes"]), \
    "lerp midpoints have dimmer strokes than slerp midpoints and ordinary samples"
assert abs(l["background"].value - s["background"].value) < 0.02, \
    "the background differs by less than 1 % of the pixel range: black in both"
assert dl.clearly_less(0.5, l["in_band"]) and dl.clearly_less(l["above_median"], 0.5), \
    "a shift, not a separate population: most lerp midpoints lie in the ordinary samples' range, few above their median"
assert not dl.clearly_different(s["strokes"], o["strokes"]) and not dl.clearly_different(s["fd"], o["fd"]), \
    "slerp midpoints are like ordinary samples in pixel range and in FD"
for key in ("confident", "fd"):
    verdict = "clearly different" if dl.clearly_different(l[key], s[key]) else "not clearly different at this N"
    print(f"{key}: lerp midpoints {l[key]} vs slerp midpoints {s[key]} -> {verdict}")

# %% [markdown] slideshow={"slide_type": "-"}
# The shrunken starting noise carries through to the image, but not in the way one might guess. Lerp midpoints have *dimmer strokes*: their brightest pixels are clearly darker than those of slerp midpoints and of ordinary samples (the table's "strokes" column, with its error bars). Their background is black like everyone else's: it differs from the slerp midpoints' by less than 1 % of the pixel range (the printout gives both on the display scale), which no eye can see. And the dimming is a shift of the whole population, not a separate one: most lerp midpoints have strokes inside the range of the ordinary samples' middle 90 %, but few are brighter than the median ordinary sample (the last two columns). Slerp midpoints have the pixel range and the FD of ordinary samples. Lerp midpoints are *not* less recognisable: starting from a smaller noise is like sampling at a lower temperature, which gives smooth, prototypical strokes that the classifier names about as confidently as slerp midpoints (the printout says whether any difference is significant). And with `N_PAIRS` images the FD's error bar is too large to separate the two midpoints reliably. A measure that rewards clean-looking digits would therefore not have caught lerp; what is wrong with its midpoints is that, as a population, they are not distributed like the model's samples. DDIM interpolates with slerp (App. D.5), but it gives no reason there: it names the formula, after Shoemake (1985), and uses it. The reason is the one this notebook measured, made for the latent spaces of GANs and VAEs by White (2016, "Sampling Generative Networks", arXiv:1609.04468): a straight line between two Gaussian latents leaves the shell on which the prior puts its mass, and slerp stays on it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Try it: an interpolation slider
#
# The app below decodes $x(\alpha)$ for the pair of noises given by `seed` with DDIM η = 0 and with two ancestral runs. Move α, switch between slerp and lerp, or change the seed. The DDIM image changes smoothly with α and is the same every time you come back to a given α. The two ancestral images disagree with each other. In a live notebook these are ipywidgets; without a widget frontend (for example GitHub's viewer) the same function draws a static strip instead. Pass `static=True` or `static=False` to force either.

# %% slideshow={"slide_type": "-"} tags=["nbval-ignore-output"]
dl.widgets.interpolation_app(model, schedule, shape, seed=3, num_frames=FRAMES, clip_x0=clip)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Decoding the same path twice with ancestral sampling gives different digits at every α, while the deterministic DDIM sampler has a run-to-run variance of exactly zero; ancestral frames are also further from their neighbours. A path through $x_T$ only becomes a path through images when the sampler is a deterministic function of $x_T$.
# - Lerp's midpoint between two independent noises has $1/\sqrt2$ of their norm because they are nearly orthogonal; slerp keeps the norm because they have nearly equal norms. The slerp midpoint lies on the noise shell but is not exactly $\mathcal N(0, I)$: its norm fluctuates about half as much.
# - Decoded lerp midpoints have dimmer strokes (their background stays black) — a shift of the whole population away from the ordinary samples, though most single midpoints would pass for one — yet they are just as recognisable; slerp midpoints look like ordinary samples.
#
# Notebook 05 measures what skipping steps costs in quality. Notebook 06 covers DDIM itself: its deterministic paths, η = 1 recovering DDPM with σ² = β̃, and encoding real digits by inversion.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **A path through $x_T$ is a path through images only if the sampler is deterministic:** decoded ancestrally every frame is a random draw; with DDIM η = 0 the run-to-run variance is exactly zero.
# > - **Slerp keeps the norm whenever the endpoints have equal norms;** lerp's midpoint has $\cos(\theta/2)$ of it, about $1/\sqrt2$ because independent noises are nearly orthogonal.
# > - **The slerp midpoint of two independent noises lies on the shell but is not exactly $\mathcal N(0,I)$:** its squared norm varies about half as much and its mean is $d + O(1/d)$, not exactly $d$. Only $(a+b)/\sqrt2$ is exactly $\mathcal N(0,I)$.
# > - **Decoded lerp midpoints have dimmer strokes** (the background stays black): a shift of the whole population, though most single midpoints would pass for an ordinary sample, even where the classifier still recognises them. A measure that rewards clean-looking digits is not a measure of being a sample.
# > - Interpolating $x_T$ more carefully cannot fix the stochastic sampler; removing the sampler's noise can.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Four exercises. Worked solutions: [`solutions/04_interpolation_solutions.ipynb`](solutions/04_interpolation_solutions.ipynb).

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · derive — what lerp and slerp do to the norm
#
# Let $\|a\|=\|b\|=r$ and let $\theta$ be the angle between them. (i) Show that every slerp point $x(w)=\frac{\sin((1-w)\theta)}{\sin\theta}a+\frac{\sin(w\theta)}{\sin\theta}b$ has norm $r$. (ii) Show that the lerp midpoint $(a+b)/2$ has norm $r\cos(\theta/2)$, i.e. $r/\sqrt2$ when $a\perp b$. Then enter the ratio $\|(a+b)/2\|/r$ for $\theta=60°$.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
lerp_midpoint_ratio = None  # ||(a + b) / 2|| / r for equal norms r and an angle of 60 degrees

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb04.check_lerp_midpoint(lerp_midpoint_ratio, theta_deg=60)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 2 · code it yourself — slerp
#
# Write `my_slerp(a, b, w)` for tensors of any shape, with **one** angle over the whole tensor, $\theta=\arccos\frac{\langle a,b\rangle}{\|a\|\|b\|}$, and a scalar weight $w\in[0,1]$. Make it safe when $a$ and $b$ are parallel ($\sin\theta\approx 0$). The checker compares it with the package's `slerp` and tries the parallel case.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def my_slerp(a, b, w):
    """Spherical interpolation between tensors a and b at weight w (one angle for the whole tensor)."""
    dl.exercises.your_turn("my_slerp")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb04.check_slerp(my_slerp)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 3 · predict, then run — does 1/√2 hold for every pair?
#
# For independent $a,b\sim\mathcal N(0,I_d)$ we measure, pair by pair, the lerp midpoint's norm relative to the endpoints', $\|(a+b)/2\|/\sqrt{\|a\|\|b\|}$. Its average is close to $1/\sqrt2$. Predict: does this ratio vary more from pair to pair in $d=2$ or in $d=256$ (the MNIST model's $16\times16$)?

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
my_prediction = None  # "2" or "256"

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
spread = {}
g = dl.seed(0)
for d in (2, 256):
    a, b = torch.randn(2000, d, generator=g), torch.randn(2000, d, generator=g)
    ratio = ((a + b) / 2).norm(dim=1) / (a.norm(dim=1) * b.norm(dim=1)).sqrt()
    spread[d] = ratio.std().item()
    print(f"d = {d:3d}: ratio mean {ratio.mean():.3f}, std over pairs {ratio.std():.3f}")
dl.exercises.nb04.check_shell_prediction(my_prediction, spread)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 4 · interpret a measurement — why slerp cannot rescue ancestral frames
#
# In the notebook's table, DDIM's run-to-run variance is exactly zero at every α, the ancestral sampler's is far from zero whichever path (lerp or slerp) is used. Explain why choosing a better path through $x_T$ cannot make ancestral frames a smooth sequence, and what the zero for DDIM does and does not prove about its frames.
