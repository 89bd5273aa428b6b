# %% [markdown] slideshow={"slide_type": "slide"}
# # 03 · Stochasticity: the noise that ancestral sampling adds at every step
#
# Every ancestral step ends with $+\,\sigma_t z$: fresh Gaussian noise, 999 times per sample. This notebook measures what that costs beyond speed. **Problem 1:** the same starting noise $x_T$ gives a different image on every run — and what *does* make a run reproducible. **Problem 2:** there is no way back from an image to "its" noise: noising a real digit and sampling back gives a different digit each time, while a deterministic sampler (DDIM, previewed here) recovers it. **Problem 3:** interpolating between two starting noises gives a jerky sequence of unrelated frames. All three have one root cause, which we make visible at the end: the moment at which two runs from the same $x_T$ split apart.
#
# **Learning objectives**
# - Distinguish *stochastic* from *irreproducible*: reproduce a whole ancestral run bit-for-bit by controlling every step's noise.
# - Explain why ancestral sampling gives no encoder, and measure how far a stochastic round trip lands from the original compared with a deterministic one.
# - Recognise the jerky frames of stochastic interpolation as the same phenomenon.
# - Read the divergence curve of runs sharing $x_T$ and see the step noise, not $x_T$, decide the sample.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/03_stochasticity.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F03_stochasticity.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebook 01 (the ancestral step and its σ_t z term); notebook 02 helps · **Time to read** ~15 min · **Time to run** ~85 s (laptop CPU) · **Exercises** 4, ~24 min
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
from ddpm_lessons import metrics, plots
from ddpm_lessons.data import load_mnist
from ddpm_lessons.pretrained import load_pretrained
from ddpm_lessons.tables import Table

device = dl.default_device()
print(f"device: {dl.device_name(device)} | test mode: {dl.fast_mode()}")

# %% [markdown] slideshow={"slide_type": "-"}
# We use the shipped digit model. `n_steps` is the length of the ancestral chain: 1000 — plain DDPM ancestral sampling — when you run the notebook. (The automated tests shorten it to a respaced 100-step ancestral chain to run in seconds; it injects fresh noise at every step just the same, and every claim below is asserted in both settings.) `chain` runs ancestral sampling from any starting index down to clean data, the package's `respaced_ancestral_sample` with an explicit, descending list of timesteps; with all timesteps kept, it *is* DDPM's Algorithm 2.

# %% slideshow={"slide_type": "-"}
mnist = load_pretrained("mnist", device)
model, schedule = mnist.model, mnist.schedule
n_steps = dl.pick(reader=1000, fast=100)
timesteps = schedule.timesteps(n_steps)  # descending: 999, 998, ..., 0 (or every 10th in test mode)

def chain(x_start, t_start, seed, **kwargs):
    """Ancestral sampling from index t_start down to clean data, with fresh noise from generator `seed`."""
    ts = timesteps[timesteps <= t_start]
    assert int(ts[0]) == t_start, "start at a kept timestep"
    return dl.respaced_ancestral_sample(model, schedule, x_start, timesteps=ts,
                                        generator=torch.Generator().manual_seed(seed), **kwargs)

print(f"chain: {len(timesteps)} steps, timesteps {timesteps[0].item()} .. {timesteps[-1].item()}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Problem 1 · The same $x_T$, different images
#
# We draw **one** starting noise $x_T$ and run the chain from it several times (as rows of one batch: each row gets its own fresh noise at every step). We keep the whole trajectory for the last section.

# %% slideshow={"slide_type": "-"}
n_runs = dl.pick(reader=6, fast=4)
x_T = torch.randn(1, *mnist.sample_shape, generator=torch.Generator().manual_seed(0)).to(device)
x0_preds = []  # the callback records each step's predicted clean image x0_hat, for the last section
runs, traj = chain(x_T.repeat(n_runs, 1, 1, 1), 999, seed=1, return_trajectory=True,
                   callback=lambda i, t, x, x0_hat: x0_preds.append(x0_hat.cpu()))
mse = metrics.pairwise_mse(runs)
fig = plots.image_grid(runs, ncol=n_runs, labels=[f"run {k}" for k in range(n_runs)], size=1.4,
                       title="One starting noise x_T, several ancestral runs: different digits")
Table(["", *[f"run {k}" for k in range(n_runs)]],
      [[f"run {j}", *[f"{v:.3f}" for v in mse[j].tolist()]] for j in range(n_runs)],
      caption="pixel MSE between runs (images in [-1, 1]) from the same x_T")

# %% slideshow={"slide_type": "fragment"}
off = mse[~torch.eye(n_runs, dtype=torch.bool)]
x_T_other = torch.randn(n_runs, *mnist.sample_shape, generator=torch.Generator().manual_seed(10)).to(device)
mse_other = metrics.pairwise_mse(chain(x_T_other, 999, seed=11, progress=False))
off_other = mse_other[~torch.eye(n_runs, dtype=torch.bool)]
print(f"mean pairwise MSE, same x_T: {off.mean():.3f} | different x_T: {off_other.mean():.3f} "
      f"| ratio {off.mean() / off_other.mean():.2f}")
assert (off > 0).all(), "every pair of runs from the same x_T differs"
assert off.mean() > 0.3 * off_other.mean(), "runs sharing x_T differ almost as much as runs that share nothing"

# %% [markdown] slideshow={"slide_type": "-"}
# Every off-diagonal entry is far from zero, and pairs of runs that *share* their starting noise differ about as much as pairs of samples drawn from *unrelated* starting noises. Fixing $x_T$ fixes very little of the outcome.
#
# **This is not irreproducibility in the software sense.** The sampler is stochastic, but its randomness is ours to control: all of it comes from one `torch.Generator`. Seed that generator and the *whole run* — $x_T$ and the 999 noise draws after it — repeats bit for bit:

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
again, _ = chain(x_T.repeat(n_runs, 1, 1, 1), 999, seed=1, return_trajectory=True, progress=False)
other_seed = chain(x_T.repeat(n_runs, 1, 1, 1), 999, seed=2, progress=False)
print("same generator seed -> identical tensors:", torch.equal(again, runs))
print("same x_T, different step-noise seed -> identical tensors:", torch.equal(other_seed, runs))
assert torch.equal(again, runs), "reproducible bit-for-bit once every step's noise is seeded"
assert not torch.equal(other_seed, runs)

# %% [markdown] slideshow={"slide_type": "-"}
# So "same noise, different image" really means "same **first** noise". Reproducing a DDPM sample requires recording the seed of every step's noise (in practice one generator seed, the same batch layout, and the same device and library version), not just $x_T$. What you cannot do is hand someone an $x_T$ and expect them to get your image — $x_T$ is not a code for it. Problem 2 makes that precise.
#
# ## Problem 2 · No way back from an image to its noise
#
# A deterministic generator $x_T\mapsto x_0$ could be inverted to find the noise of a given image. Ancestral sampling is not such a map. Take a real held-out digit, noise it with the forward process to $x_t$ (`q_sample`), and run ancestral sampling back down from $t$ — several times, from the *same* $x_t$. We try the largest $t=999$ and an intermediate $t=249$, where most of the digit's scale still survives.

# %% slideshow={"slide_type": "-"}
digits, _ = load_mnist("heldout")
x0 = digits[3:4].to(device)
n_rec = dl.pick(reader=5, fast=3)
recon, x_t_start = {}, {}
for t in (999, 249):
    x_t_start[t] = schedule.q_sample(x0, t, torch.randn(x0.shape, generator=torch.Generator().manual_seed(20)).to(device))
    recon[t] = chain(x_t_start[t].repeat(n_rec, 1, 1, 1), t, seed=21 + t, progress=False)

# %% [markdown] slideshow={"slide_type": "-"}
# For contrast, a preview of notebook 06: DDIM with $\eta=0$ has no $\sigma_t z$ term, so it *is* a deterministic map $x_T\mapsto x_0$, and running its update upwards (`ddim_invert`) gives an approximate inverse. We encode the same digit to an $x_T$ and decode it again, with `ddim_steps` steps each way.

# %% slideshow={"slide_type": "-"}
ddim_steps = dl.pick(reader=200, fast=50)
x_T_code = dl.ddim_invert(model, schedule, x0, steps=ddim_steps, progress=False)
x0_ddim = dl.ddim_sample(model, schedule, x_T_code, steps=ddim_steps, progress=False)

def mse_to_original(x):
    return ((x - x0) ** 2).flatten(1).mean(1)

rows_p2 = []
for t in (999, 249):
    pair = metrics.pairwise_mse(recon[t])[~torch.eye(n_rec, dtype=torch.bool)]
    rows_p2.append([f"ancestral back from t = {t} ({n_rec} runs)", f"{mse_to_original(recon[t]).mean():.4f}",
                    f"{pair.mean():.4f}"])
rows_p2.append([f"DDIM encode + decode ({ddim_steps} steps each way)", f"{mse_to_original(x0_ddim).item():.4f}", "0 (deterministic)"])
fig = plots.image_rows({"original": x0, **{f"from t={t}": recon[t] for t in (999, 249)}, "DDIM round trip": x0_ddim},
                       size=1.3, title="Sampling back from a noised digit gives new digits; DDIM's round trip returns it")
Table(["route back to the image", "MSE to the original (mean)", "MSE between attempts (mean)"], rows_p2)

# %% slideshow={"slide_type": "fragment"}
mse_999, mse_249 = mse_to_original(recon[999]).mean().item(), mse_to_original(recon[249]).mean().item()
mse_ddim = mse_to_original(x0_ddim).item()
print(f"ancestral from 999 / DDIM round trip: {mse_999 / mse_ddim:.0f}x larger error")
assert (metrics.pairwise_mse(recon[999])[~torch.eye(n_rec, dtype=torch.bool)] > 0).all(), "attempts differ from each other"
assert mse_999 > 10 * mse_ddim, "the stochastic route back is at least 10x worse than DDIM's round trip"
assert mse_249 < mse_999, "starting lower keeps more of the original"
assert mse_249 > 3 * mse_ddim, "but even from t = 249 the stochastic route is far worse than DDIM"

# %% [markdown] slideshow={"slide_type": "-"}
# From $t=999$ the digit is gone: the reconstructions are new digits, unrelated to the original and to each other. From $t=249$ they keep more of it — $x_{249}$ still carries most of the signal — but each attempt still differs from the original and from the others. The DDIM round trip returns the digit with an error many times smaller. Ancestral sampling has no encoder because there is no single noise "behind" an image: the image depends on $x_T$ *and* on 999 further noise draws.
#
# ## Problem 3 · A preview: interpolation without continuity
#
# Slide the starting noise from $x_T^{(a)}$ to $x_T^{(b)}$ along a spherical path (`slerp`, which keeps the interpolants at the norm of Gaussian noise) and sample each frame. With ancestral sampling, each frame receives its own fresh noise; with DDIM ($\eta=0$) the map is deterministic.

# %% slideshow={"slide_type": "-"}
n_frames = dl.pick(reader=8, fast=6)
g = torch.Generator().manual_seed(30)
a, b = (torch.randn(1, *mnist.sample_shape, generator=g).to(device) for _ in range(2))
path = dl.slerp(a[0], b[0], torch.linspace(0, 1, n_frames))  # (n_frames, 1, 16, 16)
frames_ancestral = chain(path, 999, seed=31)
frames_ddim = dl.ddim_sample(model, schedule, path, steps=dl.pick(reader=100, fast=50), progress=False)
weights = [f"w={w:.2f}" for w in torch.linspace(0, 1, n_frames).tolist()]
fig = plots.image_rows({"ancestral": frames_ancestral, "DDIM (preview)": frames_ddim}, col_labels=weights, size=1.3,
                       title="Interpolating x_T: ancestral frames jump, deterministic frames move smoothly")
jumps = {"ancestral": metrics.frame_differences(frames_ancestral), "DDIM": metrics.frame_differences(frames_ddim)}
Table(["sampler", "MSE between neighbouring frames (mean)", "largest jump", "MSE between the two end frames"],
      [[k, f"{v.mean():.3f}", f"{v.max():.3f}", f"{metrics.pairwise_mse(f[[0, -1]])[0, 1]:.3f}"]
       for k, v, f in (("ancestral", jumps["ancestral"], frames_ancestral), ("DDIM", jumps["DDIM"], frames_ddim))])

# %% slideshow={"slide_type": "fragment"}
assert jumps["ancestral"].mean() > 2 * jumps["DDIM"].mean(), "ancestral frames jump more than twice as much"
end_to_end = metrics.pairwise_mse(frames_ancestral[[0, -1]])[0, 1]
assert jumps["ancestral"].mean() > 0.3 * end_to_end, "each ancestral step between frames is a sizeable fraction of the whole change"

# %% [markdown] slideshow={"slide_type": "-"}
# With ancestral sampling, neighbouring frames — whose starting noises are close — differ by a sizeable fraction of what separates the two end frames: the sequence is a slideshow of unrelated digits, not a morph. The deterministic sampler moves in smaller, more even steps. Notebook 04 treats interpolation properly (lerp vs slerp, many runs, smoothness measured along the path).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The root cause: fresh noise at every step, and when it decides the sample
#
# All three problems come from the $\sigma_t z$ term. The runs of Problem 1 show where it acts. They all start from the same $x_T$; after the first step they differ by exactly the injected noise $\sigma_T(z_a-z_b)$. But the *states* $x_t$ are mostly noise for a long time, so their difference says little about the images. What matters is where each run is heading: at every step the network's output gives a prediction of the clean image, $\hat x_0=(x_t-\sqrt{1-\bar\alpha_t}\,\varepsilon_\theta)/\sqrt{\bar\alpha_t}$, which the sampler's `callback` recorded above. We plot the mean squared difference between the runs' predictions $\hat x_0$ step by step: the curve shows *when* the runs commit to different digits.

# %% slideshow={"slide_type": "-"}
preds = torch.stack(x0_preds).flatten(2)  # (steps, runs, pixels): prediction of x_0 made at each step
iu = torch.triu_indices(n_runs, n_runs, 1)
split = torch.stack([metrics.pairwise_mse(p)[iu[0], iu[1]].mean() for p in preds])
final = metrics.pairwise_mse(runs)[iu[0], iu[1]].mean().item()
step = torch.arange(1, len(split) + 1)
k_split = int((split >= 0.5 * final).nonzero()[0]) + 1
t_split = int(timesteps[k_split - 1])
fig = plots.curves(step, {"runs sharing x_T: MSE between their predicted x0": split},
                   hlines={"final MSE between the runs' samples": final},
                   xlabel=f"sampling step (1 = first step at t = 999, {len(timesteps)} = last)",
                   ylabel="mean squared difference per pixel", markers=False,
                   title=f"Runs sharing x_T start with one predicted image; step noise splits them (half the gap by t = {t_split})")
print(f"MSE between predictions at the first step: {split[0]:.4f}; final MSE between samples: {final:.3f}")
print(f"half of the final gap is reached at step {k_split} of {len(timesteps)} (t = {t_split})")

# %% slideshow={"slide_type": "fragment"}
sigma_T = dl.samplers.ancestral_table(schedule.respace(timesteps)).sigma[0]
z_first = torch.randn(traj[1].shape, generator=torch.Generator().manual_seed(1)).to(device)  # the first step's noise
assert torch.allclose(traj[1] - traj[1][:1], sigma_T * (z_first - z_first[:1]), atol=1e-4), \
    "after one step the runs differ by exactly the injected noise sigma_T (z_a - z_b)"
assert split[0] < 0.05 * final, "at the first step all runs predict nearly the same image"
assert split[-1] > 0.5 * final and final > 0.5 * off_other.mean(), "in the end they are as different as unrelated samples"

# %% [markdown] slideshow={"slide_type": "-"}
# At the first step every run predicts nearly the same image — they share $x_T$, and one step of noise changes little. As the step noise accumulates, each run is drawn toward its own digit and the predictions separate (the printout gives the step at which half of the final gap is reached); the decision of *which* digit a run becomes is taken by the step noise after $x_T$, not by $x_T$. That is the root cause shared by all three problems: the output is a function of $x_T$ **and** of every $z_t$, so $x_T$ alone neither reproduces, nor encodes, nor interpolates an image. Remove $\sigma_t z$ — a deterministic sampler, notebook 06 — and all three problems go away together.
#
# **Summary.** Runs from one $x_T$ differ about as much as unrelated samples; seeding the generator makes the whole run repeat bit-for-bit. Noising a digit and sampling back yields new digits, with an error many times that of DDIM's deterministic round trip. Stochastic interpolation jumps between unrelated frames. The runs' predicted images show the step noise, not $x_T$, deciding the sample.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **Same $x_T$, different images:** runs that share the starting noise differ about as much as unrelated samples; $x_T$ fixes little of the outcome.
# > - **Reproducible is not the same as deterministic:** seeding the one generator repeats the whole run bit for bit, but handing someone $x_T$ does not give them your image.
# > - **No encoder:** the output depends on $x_T$ *and* on every step's noise, so there is no single noise "behind" an image to recover.
# > - **One root cause, the fresh noise $\sigma_t z$:** forking a chain at step $k$ shows when it decides the sample; a deterministic sampler (DDIM η = 0, notebook 06) removes all three problems at once.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Four exercises; all run on the 2D swiss roll with its exact noise predictor, so each takes seconds. Worked solutions: [`solutions/03_stochasticity_solutions.ipynb`](solutions/03_stochasticity_solutions.ipynb).

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
import math
import torch
import ddpm_lessons as dl
from ddpm_lessons import exercises as ex
from ddpm_lessons.exercises import your_turn

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · derive — two runs after one step
#
# Two ancestral runs start from the same $x_T$ (DDPM's schedule, $\sigma_t^2=\beta_t$) and draw independent $z_a, z_b$ in their first step. Derive the variance, per coordinate, of $x_{T-1}^{(a)}-x_{T-1}^{(b)}$ and compute its value ($\beta$ at the last timestep is `dl.NoiseSchedule.linear().betas_64[-1]`).

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
gap_variance = None  # Var per coordinate of x_{T-1}^(a) - x_{T-1}^(b)

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ex.check_first_step_gap(gap_variance)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 2 · code it yourself — the fork experiment
#
# When does a chain decide its sample? Run **one** chain for its first $k$ steps, then fork it into $M$ runs that continue with fresh noise, and measure how different their final samples are. Forking at $k=0$ gives $M$ independent runs from one $x_T$; forking after the last step gives $M$ copies of one sample. Write `fork_finals`; the checker runs it on the exact swiss roll with a 25-step chain at several $k$ and prints the spread of the finals as a function of $k$.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def fork_finals(model, table, x_T, k, M, generator):
    """Run rows 0..k-1 of `table` once from x_T (shape (1, D)), then M forks of the remaining rows.

    Returns the M final samples, shape (M, D). `table[:k]` and `table[k:]` are tables, and
    dl.run_chain(model, x, table, generator=generator, progress=False) runs one from state x.
    """
    your_turn("fork_finals")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ex.check_fork_experiment(fork_finals)

# %% [markdown] slideshow={"slide_type": "-"} tags=["exercises"]
# Read the printed curve: by which fork point has half of the spread gone? What does that say about *when* the chain decides where a sample ends up, and about what $x_T$ decides?

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 3 · predict, then run — a little noise, or none?
#
# DDIM's η scales the noise of every step: η = 0 draws none, η = 1 is the stochastic chain. Start 200 runs from one $x_T$ and compare the variance of their final samples at η = 0, 0.5 and 1. Before running, predict the η = 0.5 result: **A** — zero, like η = 0; **B** — about a quarter of η = 1's (each step's noise variance scales with η²); **C** — most of η = 1's.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
my_prediction = None  # "A", "B" or "C"

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
schedule = dl.NoiseSchedule.linear()
exact = dl.GaussianMixture.preset("swiss_roll").eps_model(schedule)
x_T = torch.randn(1, 2, generator=torch.Generator().manual_seed(1)).repeat(200, 1)  # one x_T, 200 runs
variances = {}
for eta in (0.0, 0.5, 1.0):
    finals = dl.ddim_sample(exact, schedule, x_T, steps=25, eta=eta, generator=torch.Generator().manual_seed(2),
                            progress=False)
    variances[eta] = finals.var(0).mean().item()
ex.check_eta_prediction(my_prediction, variances)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 4 · interpret a measurement — why fixing $x_T$ fixes so little
#
# Problem 1 of the notebook found that pairs of runs *sharing* $x_T$ differ about as much as pairs from *unrelated* noises. Using your fork curve and Exercise 1, explain in three sentences why, and say what a sampler would have to change so that $x_T$ determines the image.
