# %% [markdown] slideshow={"slide_type": "slide"}
# # 03 · Stochasticity: the noise that ancestral sampling adds at every step
#
# Every ancestral step ends with $+\,\sigma_t z$: fresh Gaussian noise at every step of every sample. This notebook measures what that costs beyond speed. **Problem 1:** the same starting noise $x_T$ gives a different image on every run — and what *does* make a run reproducible. **Problem 2:** there is no way back from an image to "its" noise: noising a real digit and sampling back gives a different digit each time, while a deterministic sampler (DDIM, previewed here) recovers it. **Problem 3:** interpolating between two starting noises gives a jerky sequence of unrelated frames. All three have one root cause, which a fork experiment makes visible at the end: run one chain part of the way, split it into several runs with fresh noise, and see how late in the chain the digit is still undecided.
#
# **Learning objectives**
# - Distinguish *stochastic* from *irreproducible*: reproduce a whole ancestral run bit-for-bit by controlling every step's noise.
# - Explain why ancestral sampling gives no encoder, and measure how far a stochastic round trip lands from the original compared with a deterministic one.
# - Recognise the jerky frames of stochastic interpolation as the same phenomenon.
# - Read a fork experiment: find the noise level at which a chain decides *which* digit it draws, and the later levels at which it decides the details.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/03_stochasticity.ipynb) [![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://kaggle.com/kernels/welcome?src=https://github.com/ddpm-lessons/ddpm-lessons/blob/main/notebooks/03_stochasticity.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F03_stochasticity.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** notebook 01 (the ancestral step and its σ_t z term); notebook 02 helps · **Time to read** ~20 min · **Time to run** ~50 s (laptop CPU) · **Exercises** 4, ~24 min
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

# %% [markdown] slideshow={"slide_type": "-"}
# We use the chapter's pretrained 16×16 MNIST model and the digit classifier that comes with it (it names the digit a sample shows). The sampler is ancestral sampling with $\sigma_t^2=\beta_t$ over `n_steps` steps. With a GPU that is 1000 steps, DDPM's Algorithm 2 itself. On a CPU the notebook uses a **respaced 100-step chain** (the schedule's $\bar\alpha_t$ at every 10th timestep, 999, 989, …, 9; notebook 02 explains respacing) so that it runs in about two minutes: it draws fresh noise at every step just like the 1000-step chain, and every claim below is asserted at the chain length you run. Each step's predicted clean image $\hat x_0$ is clipped to the data range $[-1, 1]$ (`clip_x0`), as DDPM's reference code does.
#
# The sampler's coefficients form a table with one row per step (`dl.ancestral_table`). We build it once; `table[:k]` is the first $k$ steps and `table[k:]` the rest, and `dl.run_chain` runs any such table from any state — that is all the fork experiment at the end needs.

# %% slideshow={"slide_type": "-"}
bundle = dl.load_pretrained("mnist", device)
model, schedule, shape, clip = bundle.model, bundle.schedule, bundle.sample_shape, bundle.clip_x0
classifier = dl.load_pretrained("mnist-features", device).model
n_steps = dl.pick(reader=100, fast=25, cuda=1000)
timesteps = schedule.timesteps(n_steps)  # descending, from t = 999
table = dl.ancestral_table(schedule, timesteps)  # sigma^2 = beta; respaced when n_steps < 1000
print(f"ancestral chain: {len(table)} steps, t = {int(timesteps[0])}, {int(timesteps[1])}, ..., {int(timesteps[-1])}; "
      f"x0_hat clipped to [-{clip:g}, {clip:g}]")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Problem 1 · The same $x_T$, different images
#
# We draw `n_bases` starting noises $x_T$ and run the chain `n_forks` times from each (as rows of one batch: each row gets its own fresh noise at every step). Each row of the figure shares one $x_T$.

# %% slideshow={"slide_type": "-"}
n_bases, n_forks = dl.pick(reader=8, fast=6), dl.pick(reader=4, fast=3)
x_T = torch.randn(n_bases, *shape, generator=dl.seed(0)).to(device)
runs = dl.run_chain(model, x_T.repeat_interleave(n_forks, 0), table, generator=dl.seed(1), clip_x0=clip,
                    progress=False)
groups = runs.view(n_bases, n_forks, *shape)
dl.plots.image_rows({f"x_T no. {i + 1}": groups[i] for i in range(3)},
                    col_labels=[f"run {r + 1}" for r in range(n_forks)], size=1.3,
                    title="Each row starts from one x_T, yet its runs are mostly different digits")

# %% [markdown] slideshow={"slide_type": "-"}
# How much does sharing $x_T$ tie the runs together? We compare pairs of runs that share $x_T$ with pairs that share nothing (runs from two different $x_T$): their pixel MSE and whether the classifier gives them the same label. Each number is a mean ± standard error over the `n_bases` starting noises. The small function below does the bookkeeping; the fork experiment at the end reuses it.

# %% slideshow={"slide_type": "-"}
labels = dl.metrics.classify(runs, classifier).argmax(1)
same_xT, unrelated = dl.metrics.group_spread(runs, labels, n_bases), dl.metrics.group_spread(runs, labels, n_bases, within=False)
dl.Table(["pairs of runs", "pixel MSE (images in [-1, 1])", "same digit label"],
         [["sharing x_T", same_xT["mse"], same_xT["agree"]],
          ["from different x_T", unrelated["mse"], unrelated["agree"]]],
         caption=f"{n_bases} starting noises × {n_forks} runs; mean ± se over the starting noises")

# %% slideshow={"slide_type": "fragment"}
half_unrelated = dl.Estimate(0.5 * unrelated["mse"].value, 0.5 * unrelated["mse"].se)
assert dl.clearly_less(half_unrelated, same_xT["mse"]), \
    "runs sharing x_T differ by clearly more than half as much as runs that share nothing"
assert dl.clearly_less(same_xT["agree"], 0.5), "most pairs of runs from one x_T show different digits"
print(f"MSE sharing x_T / MSE unrelated: {same_xT['mse'].value / unrelated['mse'].value:.2f}")

# %% [markdown] slideshow={"slide_type": "-"}
# Pairs of runs that *share* their starting noise differ about as much as pairs drawn from *unrelated* noises, and most of them are classified as different digits. Fixing $x_T$ fixes very little of the outcome.
#
# **This is not irreproducibility in the software sense.** The sampler is stochastic, but its randomness is ours to control: all of it comes from one `torch.Generator`. Seed that generator and the *whole run* — the noise of every step after $x_T$ — repeats bit for bit. We run one chain from each $x_T$ (the "base chains" that the fork experiment below will split), keep its trajectory, and run it again:

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
base, trajectory = dl.run_chain(model, x_T, table, generator=dl.seed(2), clip_x0=clip, progress=False,
                                return_trajectory=True)
again = dl.run_chain(model, x_T, table, generator=dl.seed(2), clip_x0=clip, progress=False)
other_seed = dl.run_chain(model, x_T, table, generator=dl.seed(3), clip_x0=clip, progress=False)
print("same generator seed -> identical tensors:", torch.equal(again, base))
print("same x_T, different step-noise seed -> identical tensors:", torch.equal(other_seed, base))
assert torch.equal(again, base), "reproducible bit-for-bit once every step's noise is seeded"
assert not torch.equal(other_seed, base)

# %% [markdown] slideshow={"slide_type": "-"}
# So "same noise, different image" really means "same **first** noise". Reproducing a DDPM sample requires the seed of every step's noise (in practice one generator seed, the same batch layout, and the same device and library version), not just $x_T$. What you cannot do is hand someone an $x_T$ and expect them to get your image — $x_T$ is not a code for it. Problem 2 makes that precise.
#
# ## Problem 2 · No way back from an image to its noise
#
# A deterministic generator $x_T\mapsto x_0$ could be inverted to find the noise of a given image. Ancestral sampling is not such a map. Take real held-out digits, noise each with the forward process to $x_t$ (`q_sample`), and run ancestral sampling back down from $t$ (`t_start=t`), twice from the *same* $x_t$. We try the largest $t=999$ and an intermediate $t=249$, where most of the digit's scale still survives ($\sqrt{\bar\alpha_{249}}\approx 0.72$).

# %% slideshow={"slide_type": "-"}
n_digits = dl.pick(reader=8, fast=6)
digits = dl.load_mnist("heldout")[0][:n_digits].to(device)
recon = {}
for t in (999, 249):
    x_t = schedule.q_sample(digits, t, torch.randn(digits.shape, generator=dl.seed(20)).to(device))
    recon[t] = dl.respaced_ancestral_sample(model, schedule, x_t.repeat_interleave(2, 0), steps=n_steps, t_start=t,
                                            clip_x0=clip, generator=dl.seed(21 + t), progress=False)

# %% [markdown] slideshow={"slide_type": "-"}
# For contrast, a preview of notebook 06: DDIM with $\eta=0$ has no $\sigma_t z$ term, so it *is* a deterministic map $x_T\mapsto x_0$, and running its update upwards (`ddim_invert`) gives an approximate inverse. We encode the same digits to an $x_T$ and decode them again with `ddim_steps` steps each way (for 50 steps the timesteps 980, 960, …, 0: the "leading" spacing of DDIM's own experiments, notebook 06). As a yardstick, the last row of the table gives the MSE between two *different* held-out digits.

# %% slideshow={"slide_type": "-"}
ddim_steps = dl.pick(reader=50, fast=25)
code_T = dl.ddim_invert(model, schedule, digits, steps=ddim_steps, spacing="leading", progress=False)
round_trip = dl.ddim_sample(model, schedule, code_T, steps=ddim_steps, spacing="leading", clip_x0=clip, progress=False)

def per_digit_mse(x, reference):
    return ((x - reference) ** 2).flatten(1).mean(1).cpu()

per_digit = {t: per_digit_mse(recon[t], digits.repeat_interleave(2, 0)).view(-1, 2).mean(1) for t in (999, 249)}
per_digit["ddim"] = per_digit_mse(round_trip, digits)
err = {k: dl.mean_se(v) for k, v in per_digit.items()}
between = {t: dl.mean_se(per_digit_mse(recon[t][0::2], recon[t][1::2])) for t in (999, 249)}
unrelated_digits = dl.mean_se(per_digit_mse(digits, digits.roll(1, 0)))
true_label = dl.metrics.classify(digits, classifier).argmax(1).cpu()
kept_label = {t: (dl.metrics.classify(recon[t], classifier).argmax(1).cpu().view(-1, 2)
                  == true_label[:, None]).double().mean(1) for t in (999, 249)}  # per digit, 2 attempts
same_label = {t: dl.mean_se(v) for t, v in kept_label.items()}
same_label["ddim"] = dl.mean_se((dl.metrics.classify(round_trip, classifier).argmax(1).cpu() == true_label).double())
dl.plots.image_rows({"original": digits, **{f"back from t={t}": recon[t][0::2] for t in (999, 249)},
                     "again from t=249": recon[249][1::2], "DDIM round trip": round_trip}, size=1.1,
                    title="Sampling back from t = 999 gives new digits; from t = 249 it keeps the digit, "
                          "not its details; DDIM's round trip returns it")

# %% slideshow={"slide_type": "-"}
dl.Table(["route back to the image", "MSE to the original", "MSE between the two attempts",
          "classified as the original's digit"],
         [[f"ancestral, back from t = {t}", err[t], between[t], same_label[t]] for t in (999, 249)]
         + [[f"DDIM encode + decode ({ddim_steps} steps each way)", err["ddim"], "0 (deterministic)", same_label["ddim"]],
            ["yardstick: two different held-out digits", unrelated_digits, "", ""]],
         caption=f"{n_digits} held-out digits, 2 ancestral attempts each; mean ± se over digits; images in [-1, 1]")

# %% slideshow={"slide_type": "fragment"}
print(f"classified as the original's digit: from t = 999 {same_label[999]}, from t = 249 {same_label[249]}")
assert dl.clearly_less(0, between[999]) and dl.clearly_less(0, between[249]), "the two attempts differ from each other"
paired = lambda a, b: dl.mean_se((a - b).tolist(), how="paired mean ± se over the same digits")  # noqa: E731
assert dl.clearly_less(paired(per_digit[249], per_digit[999]), 0.0), "starting lower keeps more of the original"
assert dl.clearly_less(paired(per_digit["ddim"], per_digit[249]), 0.0), \
    "even from t = 249 the stochastic route is worse than DDIM's round trip"
assert not dl.clearly_less(err[999], 0.5 * unrelated_digits.value), \
    "from t = 999 the result is about as far from the original as an unrelated digit"
assert dl.clearly_less(err[249], 0.5 * unrelated_digits.value), "from t = 249 the result stays close to the original"
assert same_label[249].value > 0.5 and dl.clearly_less(0.0, paired(kept_label[249], kept_label[999])), \
    "from t = 249 most attempts keep the original's digit; from t = 999 clearly fewer do"
print(f"error from t = 999 / DDIM round trip: {err[999].value / err['ddim'].value:.0f}x; "
      f"from t = 249 / DDIM: {err[249].value / err['ddim'].value:.0f}x")

# %% [markdown] slideshow={"slide_type": "-"}
# From $t=999$ the digit is gone: the reconstructions are new digits, about as far from the original as an unrelated held-out digit is, and clearly fewer of them than from $t=249$ are even classified as the original's digit (the printout). From $t=249$ the digit survives — $x_{249}$ still carries most of the signal: most attempts are classified as the original's digit and their error is well below an unrelated digit's — but the two attempts differ from each other and from the original in the details. So "sampling back gives a new image" holds from high noise levels; from $t=249$ what is new is the handwriting, not the digit. The DDIM round trip returns the digit with an error many times smaller. Ancestral sampling has no encoder because there is no single noise "behind" an image: the image depends on $x_T$ *and* on every later noise draw.
#
# ## Problem 3 · A preview: interpolation without continuity
#
# Slide the starting noise from $x_T^{(a)}$ to $x_T^{(b)}$ along a spherical path (`slerp`, which stays at the norm of Gaussian noise; notebook 04 explains why) and sample each frame. With ancestral sampling, each frame receives its own fresh noise; with DDIM ($\eta=0$) the map is deterministic. We do it for `n_paths` pairs of noises and show the first.

# %% slideshow={"slide_type": "-"}
n_paths, n_frames = dl.pick(reader=4, fast=3), dl.pick(reader=6, fast=5)
g = dl.seed(30)
ends = torch.randn(n_paths, 2, *shape, generator=g)
paths = torch.cat([dl.slerp(a, b, torch.linspace(0, 1, n_frames)) for a, b in ends]).to(device)
frames = {"ancestral": dl.run_chain(model, paths, table, generator=dl.seed(31), clip_x0=clip, progress=False),
          "DDIM η=0": dl.ddim_sample(model, schedule, paths, steps=ddim_steps, clip_x0=clip, progress=False)}
frames = {k: v.view(n_paths, n_frames, *shape) for k, v in frames.items()}
dl.plots.image_rows({f"{k} (preview)" if k != "ancestral" else k: v[0] for k, v in frames.items()},
                    col_labels=[f"w={w:.2f}" for w in torch.linspace(0, 1, n_frames).tolist()], size=1.3,
                    title="Interpolating x_T: ancestral frames jump between digits, deterministic frames morph")

# %% slideshow={"slide_type": "-"}
per_path, jump, share = {}, {}, {}
for k, f in frames.items():
    steps = torch.stack([dl.metrics.frame_differences(p).mean() for p in f])       # per path
    ends_mse = torch.stack([dl.metrics.pairwise_mse(p[[0, -1]])[0, 1] for p in f])
    per_path[k] = (steps, steps / ends_mse)
    jump[k], share[k] = dl.mean_se(steps), dl.mean_se(steps / ends_mse)
dl.Table(["sampler", "MSE between neighbouring frames", "neighbouring-frame MSE / end-to-end MSE"],
         [[k, jump[k], share[k]] for k in frames],
         caption=f"{n_paths} paths of {n_frames} frames; mean ± se over paths")

# %% slideshow={"slide_type": "fragment"}
extra = [dl.mean_se((a - d).tolist()) for a, d in zip(per_path["ancestral"], per_path["DDIM η=0"])]  # same paths: paired
assert dl.clearly_less(0.0, extra[0]), "ancestral frames jump further than deterministic ones"
assert dl.clearly_less(0.0, extra[1]), \
    "relative to the whole change, each ancestral step between frames is clearly larger"
assert dl.clearly_less(0.3, share["ancestral"]), "each ancestral step between frames is a sizeable share of the whole change"

# %% [markdown] slideshow={"slide_type": "-"}
# With ancestral sampling, neighbouring frames — whose starting noises are close — differ by a sizeable share of what separates the two end frames: the sequence is a slideshow of unrelated digits, not a morph. The deterministic sampler moves in small, even steps. Notebook 04 treats interpolation properly (lerp vs slerp, what a good midpoint is).
#
# ## The root cause: when does the chain decide its sample?
#
# All three problems come from the $\sigma_t z$ term. To see *when* it decides the sample, we **fork** chains. Take the base chains of Problem 1 (one per $x_T$). Stop a base chain after $k$ steps, at level $t_k$, and continue from its state $x_{t_k}$ `n_forks` times, each continuation with its own fresh noise (`dl.run_chain(model, x_k.repeat(...), table[k:], ...)`). If the forks end as different digits, the digit was still undecided at $t_k$; if they agree, it was already decided. Forking at $k = 0$ is Problem 1 (runs sharing $x_T$); forking after the last noisy step would give identical copies. The base chain's trajectory holds its state after every step, so no chain is run twice: the trajectory's entry $k$ is exactly what `dl.run_chain(model, x_T, table[:k], generator=dl.seed(2))` would return.

# %% slideshow={"slide_type": "-"}
fork_levels = (999, 600, 500, 400, 300, 200, 100, 50)  # fork at the first kept timestep at or below each level
ks = sorted({min(int((timesteps > t).sum()), len(table) - 2) for t in fork_levels})  # keep >= 1 noisy step after the fork
fork, fork_labels = {0: same_xT}, {0: labels}  # forking at k = 0 is Problem 1
for k in ks[1:]:
    finals = dl.run_chain(model, trajectory[k].repeat_interleave(n_forks, 0), table[k:], generator=dl.seed(100 + k),
                          clip_x0=clip, progress=False)
    fork_labels[k] = dl.metrics.classify(finals, classifier).argmax(1)
    fork[k] = dl.metrics.group_spread(finals, fork_labels[k], n_bases)
t_fork = [int(timesteps[k]) for k in ks]
dl.Table(["fork after step k", "at level t", "pixel MSE between forks", "forks with the same digit label"],
         [[k, t, fork[k]["mse"], fork[k]["agree"]] for k, t in zip(ks, t_fork)],
         caption=f"{n_bases} base chains × {n_forks} forks; mean ± se over base chains")

# %% slideshow={"slide_type": "-"}
chance = unrelated["agree"]
last = ks[-1]
to_snr, _, snr_label = snr = dl.plots.snr_axis(schedule)  # SNR_t = alpha_bar_t / (1 - alpha_bar_t)
t_open = min(t for k, t in zip(ks, t_fork) if not dl.clearly_less(chance, fork[k]["agree"]))
# decided: the earliest fork below t_open whose agreement is no longer clearly below that of the last fork
t_decided = max(t for k, t in zip(ks, t_fork) if t < t_open and not dl.clearly_less(fork[k]["agree"], fork[last]["agree"]))
fig = dl.plots.curves(t_fork, {"ancestral: forks of one chain": [fork[k]["agree"] for k in ks]},
                      hlines={"runs from different x_T (chance agreement)": chance},
                      xlabel="noise level t at which the chain is forked (999 = at x_T)",
                      ylabel="fraction of fork pairs with the same digit label", secondary_x=snr,
                      title=f"Which digit a chain draws is decided between t = {t_open} and t = {t_decided} "
                            f"(SNR {to_snr(t_open):.2g} to {to_snr(t_decided):.2g})")
fig.axes[0].axvspan(t_decided, t_open, color="0.6", alpha=0.15, lw=0)  # the decision range
fig.axes[0].invert_xaxis()  # the chain runs from left to right
fig

# %% slideshow={"slide_type": "-"}
fig = dl.plots.curves(t_fork, {"ancestral: forks of one chain": [fork[k]["mse"] for k in ks]},
                      hlines={"runs from different x_T": unrelated["mse"]},
                      xlabel="noise level t at which the chain is forked (999 = at x_T)",
                      ylabel="pixel MSE between the forks' final samples", logy=True, secondary_x=snr,
                      title="The pixels keep changing after the digit is decided: coarse first, details last")
fig.axes[0].invert_xaxis()
fig

# %% slideshow={"slide_type": "fragment"}
import numpy as np


def agreement_by_base(lab):  # labels of n_bases x n_forks runs -> fraction of agreeing fork pairs, per base chain
    lab = lab.cpu().view(n_bases, n_forks)
    pairs = torch.triu_indices(n_forks, n_forks, 1)
    return (lab[:, pairs[0]] == lab[:, pairs[1]]).double().mean(1)

def halfway_level(agree):  # agree: (levels, bases) -> the t at which the mean agreement first reaches halfway
    mean = agree.mean(1).numpy()
    target = 0.5 * (chance.value + mean[-1])  # halfway from chance to the last fork's agreement
    log_snr = np.log(to_snr(np.array(t_fork, dtype=float)))
    j = next((i for i, m in enumerate(mean) if m >= target), len(mean) - 1)
    if j == 0 or mean[j] == mean[j - 1]:
        return float(t_fork[j])
    w = (target - mean[j - 1]) / (mean[j] - mean[j - 1])  # linear in log SNR between the two fork levels
    return float(snr[1](np.exp(log_snr[j - 1] + w * (log_snr[j] - log_snr[j - 1]))))


agree = torch.stack([agreement_by_base(fork_labels[k]) for k in ks])  # (levels, base chains)
t_half = halfway_level(agree)
g = dl.seed(40)
boot = np.array([halfway_level(agree[:, torch.randint(0, n_bases, (n_bases,), generator=g)]) for _ in range(1000)])
lo, hi = np.percentile(boot, [2.5, 97.5])
print(f"undecided down to t = {t_open} (SNR {to_snr(t_open):.2g}); decided by t = {t_decided} (SNR {to_snr(t_decided):.2g})")
print(f"agreement reaches halfway from chance to the last fork's at t = {t_half:.0f} "
      f"(95 % bootstrap interval over base chains: t = {hi:.0f} to {lo:.0f}; SNR {to_snr(t_half):.2g}, "
      f"interval {to_snr(hi):.2g} to {to_snr(lo):.2g})")
assert t_decided < t_open < 999, "the digit is still open well after x_T, and decided below that level"
k_decided = ks[t_fork.index(t_decided)]
assert dl.clearly_less(chance, fork[k_decided]["agree"]), "at the 'decided' level forks agree clearly above chance"
assert to_snr(t_decided) < 2, "the digit is decided before the signal-to-noise ratio reaches 2"

# %% slideshow={"slide_type": "fragment"}
first, last = ks[0], ks[-1]
mid = min(ks, key=lambda k: abs(int(timesteps[k]) - 500))  # the fork nearest t = 500
print(f"fork at t = {t_fork[0]}: agreement {fork[first]['agree']}, MSE {fork[first]['mse']}")
print(f"fork at t = {int(timesteps[mid])}: agreement {fork[mid]['agree']}, MSE {fork[mid]['mse']}")
print(f"fork at t = {t_fork[-1]}: agreement {fork[last]['agree']}, MSE {fork[last]['mse']}")
assert dl.clearly_less(fork[first]["agree"], fork[last]["agree"]), "forks taken late agree on the digit, forks at x_T do not"
assert dl.clearly_less(fork[last]["mse"], fork[first]["mse"]), "late forks end closer together in pixels"
assert not dl.clearly_less(fork[mid]["mse"], 0.5 * fork[first]["mse"].value), \
    "at t ≈ 500 at least half of the spread between runs is still to come"
assert dl.clearly_less(0, fork[last]["mse"]), "late forks (which agree on the digit, asserted above) still differ in the pixels"

# %% [markdown] slideshow={"slide_type": "-"}
# Read the two curves from left to right, the direction the chain runs; the top axis gives each level's signal-to-noise ratio $\bar\alpha_t/(1-\bar\alpha_t)$. Forked at $x_T$ or anywhere down to the first level of the title, the forks agree on the digit no more clearly than runs from *different* starting noises: nothing has been decided yet, although the chain has already taken a large share of its steps. Between the two levels of the title (the shaded band) the agreement climbs; at the second one it is no longer clearly below that of the latest forks: the digit is decided. Where exactly inside that range it happens is known only roughly with `n_bases` base chains — the printout gives the level at which the agreement is halfway up, with its bootstrap interval. On the top axis the digit is decided before the signal-to-noise ratio reaches 2 — while the noise is still about as strong as the signal, or stronger (the printout gives the range's ratios). The forks' pixels still differ, because stroke shape, thickness and position are decided last. Diffusion sampling works coarse to fine, and the fresh noise $\sigma_t z$ drawn while the content is still open is what decides it.
#
# This is the root cause of all three problems: the output is a function of $x_T$ **and** of the noise of every step that comes after it, and the steps that decide the digit come long after $x_T$. So $x_T$ alone neither reproduces, nor encodes, nor interpolates an image. Remove $\sigma_t z$ — a deterministic sampler, notebook 06 — and all three problems go away together.
#
# **Summary.** Runs from one $x_T$ differ about as much as runs from unrelated noises; seeding the generator makes the whole run repeat bit for bit. Noising a digit to $t=999$ and sampling back yields new digits; from $t=249$ the digit survives but not its details, and the error is still many times that of DDIM's deterministic round trip. Stochastic interpolation jumps between unrelated frames. Forking chains shows the digit being decided only in the second half of the chain, and the details after it — by the step noise, not by $x_T$.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **Same $x_T$, different images:** runs that share the starting noise differ about as much as runs from unrelated noises, and most are different digits.
# > - **Reproducible is not the same as deterministic:** one seeded generator repeats the whole run bit for bit, but $x_T$ alone does not give someone your image.
# > - **No encoder:** noise a digit to $t=999$ and sample back, and you get a new digit, about as far from the original as an unrelated digit; DDIM's round trip is an order of magnitude closer.
# > - **Forking one chain at step $k$ shows when it decides its sample:** early forks agree on the digit no more than unrelated runs; the digit is settled late in the chain, and pixels keep changing after that (coarse first, details last). The step noise decides the sample, not $x_T$.
# > - A deterministic sampler (DDIM η = 0, notebook 06) removes all three problems at once.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Four exercises; they run on the 2D swiss roll with its exact noise predictor (Exercise 3 also on the digits), so each takes seconds. Worked solutions: [`solutions/03_stochasticity_solutions.ipynb`](solutions/03_stochasticity_solutions.ipynb).

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · derive — two runs after one step
#
# Two ancestral runs start from the same $x_T$ (DDPM's schedule, $\sigma_t^2=\beta_t$) and draw independent $z_a, z_b$ in their first step. Derive the variance, per coordinate, of $x_{T-1}^{(a)}-x_{T-1}^{(b)}$ and compute its value ($\beta$ at the last timestep is `dl.NoiseSchedule.linear().betas_64[-1]`).

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
gap_variance = None  # Var per coordinate of x_{T-1}^(a) - x_{T-1}^(b)

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb03.check_first_step_gap(gap_variance)


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
    dl.exercises.your_turn("fork_finals")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb03.check_fork_experiment(fork_finals)

# %% [markdown] slideshow={"slide_type": "-"} tags=["exercises"]
# Read the printed curve: by which fork point has half of the spread gone? What does that say about *when* the chain decides where a sample ends up, and about what $x_T$ decides?

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 3 · predict, then run — a little noise, or none?
#
# DDIM's η scales the noise of every step: η = 0 draws none, η = 1 is the stochastic chain, and each step's noise *variance* scales with η². Start many runs from one $x_T$ and measure the variance of their final samples for η = 0, 0.05, 0.1, 0.2, 0.5 and 1, on the swiss roll (exact model, 25 steps) and on the digits (the shipped MNIST model, 10 steps). Before running, predict the run-to-run variance at η = 0.1 and at η = 0.5 as a share of η = 1's: **A** — about 1 % and 25 % (the injected variances add up, ∝ η²); **B** — about 10 % and 50 % (∝ η); **C** — about 10 % and 90 % (like η at first, then nearly all of η = 1's).

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
my_prediction = None  # "A", "B" or "C"


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
def run_variance(model, schedule, shape, runs, eta, steps, starts=1):
    """Per-coordinate variance of `runs` DDIM finals from one x_T, averaged over `starts` x_T."""
    total = 0.0
    for s in range(starts):
        x_T = torch.randn(1, *shape, generator=dl.seed(10 + s)).repeat(runs, *[1] * len(shape))
        finals = dl.ddim_sample(model, schedule, x_T, steps=steps, eta=eta, generator=dl.seed(20 + s),
                                progress=False)
        total += finals.double().var(0).mean().item()
    return total / starts

schedule = dl.NoiseSchedule.linear()
exact = dl.GaussianMixture.preset("swiss_roll").eps_model(schedule)
digits = dl.load_pretrained("mnist", "cpu")
variances = {"swiss roll": {}, "digits": {}}
for eta in dl.exercises.nb03.ETA_SWEEP:
    variances["swiss roll"][eta] = run_variance(exact, schedule, (2,), 200, eta, steps=25,
                                                starts=dl.pick(reader=4, fast=2))
    variances["digits"][eta] = run_variance(digits.model, digits.schedule, digits.sample_shape,
                                            dl.pick(reader=16, fast=8), eta, steps=10)
dl.exercises.nb03.check_eta_prediction(my_prediction, variances)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 4 · interpret a measurement — why fixing $x_T$ fixes so little
#
# Problem 1 of the notebook found that pairs of runs *sharing* $x_T$ differ about as much as pairs from *unrelated* noises. Using your fork curve and Exercise 1, explain in three sentences why, and say what a sampler would have to change so that $x_T$ determines the image.
