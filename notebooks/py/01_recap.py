# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · Ancestral sampling, a recap
#
# Before we can talk about what is wrong with DDPM sampling we need it in front of us, running. This notebook rebuilds the two halves of a DDPM from the equations: the **forward process** that turns data into noise (checked numerically: its closed form is the same distribution as a thousand small noising steps), and the **reverse process**, *ancestral sampling*, that turns noise back into data one step at a time — a Markov chain. We run it with two small trained models — one for a 2D swiss roll, one for 16×16 MNIST digits — and count what it costs: one network call per step, a thousand per sample. Every later notebook in the chapter starts from that count.
#
# **Learning objectives**
# - Write the forward process $q(x_t\mid x_0)$ and its reparameterisation, and verify it by Monte Carlo against the step-by-step chain.
# - Write one reverse step (posterior mean from the predicted noise, plus fresh noise $\sigma_t z$) and match it, number for number, with the package's implementation.
# - Explain why the reverse process is a Markov chain, and what that implies (strictly sequential steps; a process that only has to match the forward marginals).
# - Sample 2D points and digits with ancestral sampling, score the 2D samples against the true density, and read the noise-to-data trajectories.
# - State the key observation — one network call per step, $T$ calls per sample — and count the calls.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/01_recap.ipynb) [![Open In Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)](https://kaggle.com/kernels/welcome?src=https://github.com/ddpm-lessons/ddpm-lessons/blob/main/notebooks/01_recap.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F01_recap.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** Gaussian random variables (mean, variance of a sum), PyTorch tensors; no prior diffusion knowledge · **Time to read** ~25 min · **Time to run** ~50 s (laptop CPU) · **Exercises** 4, ~24 min
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

import inspect

import torch
import ddpm_lessons as dl

device = dl.default_device()
print(f"device: {dl.device_name(device)}")

# %% [markdown] slideshow={"slide_type": "-"}
# **Experiment sizes.** Cells choose how many samples or repeats they use with `dl.pick(reader=…, fast=…)`. `reader` is the size meant for reading: the numbers and figures in this chapter were produced at that size, and each notebook runs in a few minutes on a laptop CPU. `fast` is a much smaller size used only when the chapter's automated tests execute every notebook (environment variable `DDPM_LESSONS_FAST=1`) to check that it still runs and that its asserts still hold; a few cells also give a `cuda=` size used on a GPU. Every claim is checked by an `assert` with error bars, so it must hold at every size — the small sizes only make the error bars wider.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The forward process
#
# A DDPM fixes a *noise schedule* $\beta_1,\dots,\beta_T$ (here DDPM's own: $T=1000$, $\beta$ rising linearly from $10^{-4}$ to $0.02$) and corrupts a data point a little at every step:
#
# $$q(x_t\mid x_{t-1})=\mathcal N\!\big(\sqrt{\alpha_t}\,x_{t-1},\;\beta_t I\big),\qquad \alpha_t = 1-\beta_t .$$
#
# Because every step is Gaussian and linear, $t$ steps compose into one Gaussian, with $\bar\alpha_t=\prod_{s\le t}\alpha_s$:
#
# $$q(x_t\mid x_0)=\mathcal N\!\big(\sqrt{\bar\alpha_t}\,x_0,\;(1-\bar\alpha_t) I\big)
# \quad\Longleftrightarrow\quad
# x_t=\sqrt{\bar\alpha_t}\,x_0+\sqrt{1-\bar\alpha_t}\,\varepsilon,\qquad \varepsilon\sim\mathcal N(0,I).$$
#
# This *reparameterisation* is what makes training cheap: any noise level can be reached in one jump. $\sqrt{\bar\alpha_t}$ is how much of the data survives, $\sqrt{1-\bar\alpha_t}$ the standard deviation of the noise.
#
# *Indexing.* The papers count $t=1,\dots,T$; Python arrays count from 0. In the package, index `t` runs over $0,\dots,999$ and stands for the paper's $t+1$: `schedule.alpha_bar[t]` $=\prod_{s=0}^{t}\alpha_s$, and index 999 is the last, noisiest level.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
schedule = dl.NoiseSchedule.linear()  # T = 1000, beta from 1e-4 to 0.02 (DDPM)
levels = [0, 50, 200, 500, 999]
dl.Table(["index t", "beta_t", "alpha_bar_t", "signal scale sqrt(alpha_bar)", "noise std sqrt(1 - alpha_bar)"],
         [[t, f"{schedule.betas_64[t]:.2e}", f"{schedule.alpha_bar_64[t]:.2e}",
           f"{schedule.alpha_bar_64[t].sqrt():.4f}", f"{(1 - schedule.alpha_bar_64[t]).sqrt():.4f}"] for t in levels])

# %% slideshow={"slide_type": "fragment"}
assert schedule.T == 1000
assert schedule.alpha_bar_64[-1].sqrt() < 0.01, "at t = 999 less than 1% of the data's scale survives: x_T is essentially pure noise"
assert schedule.alpha_bar_64[0] > 0.999, "the first step barely changes the data"

# %% [markdown] slideshow={"slide_type": "-"}
# The table says the end of the chain is, for all practical purposes, a standard Gaussian: less than 1 % of the data's scale survives at the last index. That is why sampling may *start* from $x_T\sim\mathcal N(0,I)$.
#
# Here is the forward process applied to the two data sets of the chapter: the 2D swiss roll and a held-out MNIST digit, at the levels of the table.

# %% slideshow={"slide_type": "-"}
mixture = dl.GaussianMixture.preset("swiss_roll")  # the 2D data, known in closed form
g = dl.seed(0)
data = mixture.sample(dl.pick(reader=3000, fast=1000), generator=g)
noised = {f"t = {t}": schedule.q_sample(data, t, torch.randn(data.shape, generator=g)) for t in levels}
dl.plots.scatter_2d(noised, data=data, lim=3.5, size=3.2,
                    title="The forward process dissolves the swiss roll into a standard Gaussian")

# %% slideshow={"slide_type": "fragment"}
std_999 = noised["t = 999"].std(0)
se_std = (2 * (len(data) - 1)) ** -0.5  # standard error of a Gaussian sample's std (unit variance)
print("std of the swiss roll at t = 999, per coordinate:", [round(v, 3) for v in std_999.tolist()], f"(se {se_std:.3f})")
assert all(not dl.clearly_different(dl.Estimate(float(s), se_std), 1.0, k=5) for s in std_999), "unit variance at t = 999"

# %% slideshow={"slide_type": "-"}
digits, labels = dl.load_mnist("heldout")
eps_img = torch.randn(digits[:1].shape, generator=g)
dl.plots.image_rows({"x_t": torch.cat([schedule.q_sample(digits[:1], t, eps_img) for t in levels])},
                    col_labels=[f"t = {t}" for t in levels], size=1.4,
                    title="The same noise, scaled up by sqrt(1 - alpha_bar): the digit is gone by t = 999")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A Monte-Carlo check: one jump = a thousand small steps
#
# The closed form is a claim about distributions, so we test it on distributions. Take one fixed data point $x_0$ and draw many copies of $x_t$ two ways: (a) in one jump with `schedule.q_sample`, (b) by actually running the chain $x_s=\sqrt{\alpha_s}\,x_{s-1}+\sqrt{\beta_s}\,\varepsilon_s$ for $s=0,\dots,t$. Both must have mean $\sqrt{\bar\alpha_t}\,x_0$ and variance $1-\bar\alpha_t$ per coordinate. Each Monte-Carlo moment is a mean over the copies, so it comes with a standard error; we call a moment consistent with theory when it is not clearly different from it at 5 standard errors.

# %% slideshow={"slide_type": "-"}
n_mc = dl.pick(reader=40_000, fast=10_000)
x0 = data[:1].repeat(n_mc, 1)  # one point, many copies: mean and variance of x_t are known exactly
check_levels = (10, 250, 999)

def forward_chain(x0, t, generator):
    # the one-step forward process, literally: t + 1 small noising steps
    x = x0.clone()
    for s in range(t + 1):
        x = schedule.alphas[s].sqrt() * x + schedule.betas[s].sqrt() * torch.randn(x.shape, generator=generator)
    return x


# %% slideshow={"slide_type": "-"}
g_mc = dl.seed(10)
draws = {(t, "one jump (q_sample)"): schedule.q_sample(x0, t, torch.randn(x0.shape, generator=g_mc)) for t in check_levels}
draws.update({(t, "chain of t+1 steps"): forward_chain(x0, t, g_mc) for t in check_levels})


# %% slideshow={"slide_type": "-"}
def moments(x, t, j):
    # (estimated, exact) mean and variance of coordinate j; the variance is the mean of (x - exact mean)^2
    mean_true = float(schedule.alpha_bar_64[t].sqrt() * x0[0, j])
    return {"mean": (dl.mean_se(x[:, j].tolist()), mean_true),
            "var": (dl.mean_se(((x[:, j] - mean_true) ** 2).tolist()), float(1 - schedule.alpha_bar_64[t]))}

checks = {(t, how, j): moments(x, t, j) for (t, how), x in draws.items() for j in (0, 1)}
dl.Table(["t", "how x_t was drawn", "exact mean", "MC mean ± se", "exact var", "MC var ± se"],
         [[t, how, f"{c['mean'][1]:.4f}", format(c["mean"][0], ".4f"), f"{c['var'][1]:.4f}", format(c["var"][0], ".4f")]
          for (t, how, j), c in checks.items() if j == 0],
         caption=f"first coordinate x1; {n_mc} copies of x_t per row")

# %% slideshow={"slide_type": "fragment"}
agree = [not dl.clearly_different(est, exact, k=5) for c in checks.values() for est, exact in c.values()]
assert all(agree), "closed form and iterated chain both match the exact moments within 5 standard errors"
same = [not dl.clearly_different(checks[(t, "one jump (q_sample)", j)][m][0], checks[(t, "chain of t+1 steps", j)][m][0], k=5)
        for t in check_levels for j in (0, 1) for m in ("mean", "var")]
assert all(same), "one jump and the chain agree with each other"
print(f"all {len(agree)} moments consistent with theory, and the two ways agree in all {len(same)} pairs")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · The reverse process: ancestral sampling
#
# A network $\varepsilon_\theta(x_t,t)$ is trained to predict the noise $\varepsilon$ that produced $x_t$. From that prediction, DDPM (Ho et al. 2020, eq. 11 and Algorithm 2) builds the mean of the reverse step — the posterior mean of $x_{t-1}$ given $x_t$ with $x_0$ replaced by its estimate —
#
# $$\mu_\theta(x_t,t)=\frac{1}{\sqrt{\alpha_t}}\Big(x_t-\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\;\varepsilon_\theta(x_t,t)\Big),$$
#
# and then **draws** the next state around it:
#
# $$x_{t-1}=\mu_\theta(x_t,t)+\sigma_t\,z,\qquad z\sim\mathcal N(0,I),\qquad
# \sigma_t^2=\beta_t\ \text{ or }\ \sigma_t^2=\tilde\beta_t=\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t .$$
#
# The last step ($t=1$ in the paper, index 0 here) returns the mean and adds no noise. Starting from $x_T\sim\mathcal N(0,I)$ and repeating this $T$ times is *ancestral sampling*: each state is drawn from its "parent", as in sampling a Bayesian network from the root down. The two variances are the two extremes DDPM discusses: $\beta_t$ is optimal if the data were $\mathcal N(0,I)$, $\tilde\beta_t$ if the data were a single point; the chapter uses $\sigma_t^2=\beta_t$, DDPM's CIFAR-10 choice.
#
# **The reverse process is a Markov chain.** $x_{t-1}$ is drawn from a distribution that depends on the current state $x_t$ only — not on $x_{t+1},\dots,x_T$ — so the model is $p_\theta(x_{0:T})=p(x_T)\prod_t p_\theta(x_{t-1}\mid x_t)$, the mirror image of the Markov forward chain above. Two consequences run through the chapter:
# - *The steps are strictly sequential.* Step $t-1$ needs step $t$'s output, so the $T$ network calls cannot run in parallel (section 5 counts them; notebook 02 prices them).
# - *The Markov structure is a choice, not something the network needs.* The training loss only ever uses the marginals $q(x_t\mid x_0)$ — the one-jump formula we just checked — never the step-to-step chain. Notebook 06 exploits this: DDIM defines a forward process that is **not** Markov (each $x_{t-1}$ depends on $x_0$ as well as on $x_t$) yet has exactly the same marginals $q(x_t\mid x_0)$, so the same trained network serves it, with a reverse process that can take far fewer, even deterministic, steps.
#
# Every step is the same linear recipe $x_{t-1}=c_x\,x_t+c_\varepsilon\,\varepsilon_\theta+\sigma_t z$, so the package stores the per-step numbers $(c_x, c_\varepsilon, \sigma_t)$ in a table, computed once in float64, and one shared loop (`dl.run_chain`) runs any table. Here is the table for ancestral sampling — compare it line by line with the equations:

# %% slideshow={"slide_type": "-"}
print(inspect.getsource(dl.ancestral_table))

# %% [markdown] slideshow={"slide_type": "-"}
# Now one step by hand. We load the shipped 2D model, pick index $t=500$, compute $\mu_\theta$ and $x_{t-1}$ from the formula above with our own arithmetic, and compare with (a) the table's coefficients and (b) the package loop run for exactly that one step (a one-row slice of the table) with the same noise.

# %% slideshow={"slide_type": "fragment"}
toy = dl.load_pretrained("toy2d", device)
table = dl.ancestral_table(schedule)  # all 1000 steps; row i handles index t = T - 1 - i
t = 500
i = schedule.T - 1 - t
one_step = table[i:i + 1]  # a table with that single row
assert int(one_step.t_model[0]) == t
alpha, beta, alpha_bar = (float(v[t]) for v in (schedule.alphas_64, schedule.betas_64, schedule.alpha_bar_64))

# %% slideshow={"slide_type": "-"}
x_t = torch.randn(6, 2, generator=dl.seed(1)).to(device)
with torch.no_grad():
    eps = toy.model(x_t, torch.full((6,), t, dtype=torch.long, device=device))
mu_by_hand = (x_t - beta / (1 - alpha_bar) ** 0.5 * eps) / alpha ** 0.5
z = torch.randn(x_t.shape, generator=dl.seed(2)).to(device)
x_prev_by_hand = mu_by_hand + beta ** 0.5 * z
x_prev_package = dl.run_chain(toy.model, x_t, one_step, generator=dl.seed(2))  # same seed: same z

# %% slideshow={"slide_type": "-"}
dl.Table(["quantity", "by hand", "package"],
         [["c_x = 1/sqrt(alpha_t)", f"{1 / alpha ** 0.5:.8f}", f"{one_step.c_x[0]:.8f}"],
          ["c_eps = -beta_t / (sqrt(1-alpha_bar_t) sqrt(alpha_t))", f"{-beta / ((1 - alpha_bar) * alpha) ** 0.5:.8f}",
           f"{one_step.c_eps[0]:.8f}"],
          ["sigma_t = sqrt(beta_t)", f"{beta ** 0.5:.8f}", f"{one_step.sigma[0]:.8f}"],
          ["max |x_{t-1} by hand - package|", "", f"{(x_prev_by_hand - x_prev_package).abs().max().item():.1e}"]])

# %% slideshow={"slide_type": "fragment"}
assert abs(one_step.c_x[0] - 1 / alpha ** 0.5) < 1e-12 and abs(one_step.sigma[0] - beta ** 0.5) < 1e-12
assert abs(one_step.c_eps[0] + beta / ((1 - alpha_bar) * alpha) ** 0.5) < 1e-12
assert torch.allclose(x_prev_by_hand, x_prev_package, rtol=1e-5, atol=1e-6), "one package step = one step by hand"
assert table.sigma[-1] == 0.0 and all(s > 0 for s in table.sigma[:-1]), "noise at every step except the last"
print("the package's step is the equation, to float32 rounding")

# %% slideshow={"slide_type": "fragment"} tags=["nbval-check-output"]
sigma_max, c_x_max = max(table.sigma), max(table.c_x)
print(f"largest sigma_t = sqrt(beta_max) = {sigma_max:.4f};  largest c_x = 1/sqrt(alpha_t) = {c_x_max:.4f}")
assert abs(sigma_max - 0.02 ** 0.5) < 1e-9, "sigma_t is at most sqrt(0.02) = 0.141"
assert c_x_max < 1.011, "c_x exceeds 1 by at most about 1 %"

# %% [markdown] slideshow={"slide_type": "-"}
# Note the size of the coefficients: $c_x=1/\sqrt{\alpha_t}$ is at most $1/\sqrt{0.98}\approx 1.010$, and $\sigma_t=\sqrt{\beta_t}$ is at most $\sqrt{\beta_{\max}}=\sqrt{0.02}\approx 0.141$ (and only 0.01 at the start of the schedule). Each step moves $x_t$ only a little, and each step injects fresh noise. Keep both facts in mind: they are the two limitations this chapter is about.
#
# ## 3 · Sampling the swiss roll
#
# We wrap the network in `dl.CountingModel`, which does nothing but count how often it is called, and run ancestral sampling from fresh Gaussian noise, keeping every intermediate state (`return_trajectory=True`). Because the 2D data is a known Gaussian mixture, we can score the result exactly: the mean log-likelihood of the samples under the true density (with its standard error over the samples), next to that of as many real data points and of the starting noise.

# %% slideshow={"slide_type": "-"}
counted = dl.CountingModel(toy.model)
n_2d = dl.pick(reader=1500, fast=500)
x_T = torch.randn(n_2d, 2, generator=dl.seed(3)).to(device)
samples_2d, traj = dl.ancestral_sample(counted, toy.schedule, x_T, generator=dl.seed(4), progress=False,
                                       return_trajectory=True)
toy_calls = counted.calls

# %% slideshow={"slide_type": "-"}
dl.plots.scatter_2d({"DDPM samples (1000 steps)": samples_2d, "starting noise x_T": x_T}, data=data, lim=3.5,
                    title="1000 ancestral steps carry Gaussian noise onto the swiss roll")

# %% slideshow={"slide_type": "-"}
loglik = {name: dl.metrics.log_likelihood_estimate(x, mixture)
          for name, x in (("real data", data[:n_2d]), ("DDPM samples (1000 steps)", samples_2d),
                          ("starting noise x_T", x_T))}
gap = loglik["real data"].value - loglik["DDPM samples (1000 steps)"].value
dl.Table(["points", "mean log-likelihood under the true density (nats, mean ± se)"],
         [[k, format(v, ".3g")] for k, v in loglik.items()], caption=f"{n_2d} points each")

# %% slideshow={"slide_type": "fragment"}
print(f"samples are {gap:.2f} nats below real data")
assert dl.clearly_less(loglik["DDPM samples (1000 steps)"], loglik["real data"]), "samples clearly less likely than data"
assert gap < 2.0, "...but within a couple of nats, while the noise is tens of nats below"
assert dl.clearly_less(loglik["starting noise x_T"], loglik["DDPM samples (1000 steps)"], k=5)
assert toy_calls == toy.schedule.T == 1000, toy_calls

# %% [markdown] slideshow={"slide_type": "-"}
# The samples sit on the roll, but not quite as tightly as real data: their mean log-likelihood is 0.7–0.8 nats below that of as many real points (the gap printed above), many standard errors apart, while the starting noise is tens of nats below both. The trained sampler is good, not perfect — exercise 4 asks you to find out whether the gap comes from the sampler or from the network.
#
# To see *how* the points get there, we follow four of them through all 1000 steps (the states we kept above).

# %% slideshow={"slide_type": "-"}
paths = traj[:, :4]  # (T + 1 states, 4 points, 2)
dl.plots.trajectories_2d({"DDPM ancestral": paths}, data=data, lim=3.5, size=5.5,
                         title="Ancestral paths wander: every step adds a random kick")

# %% slideshow={"slide_type": "fragment"}
path_length = (traj[1:] - traj[:-1]).norm(dim=-1).sum(0)  # per point, summed over the 1000 steps
displacement = (traj[-1] - traj[0]).norm(dim=-1)              # per point, straight from x_T to x_0
path, straight = dl.mean_se(path_length.tolist()), dl.mean_se(displacement.tolist())
print(f"trajectory tensor: {tuple(traj.shape)} = (T + 1 states, points, 2)")
print(f"over {n_2d} points (mean ± se): path length {path:.3g}, straight-line distance {straight:.3g}")
assert traj.shape[0] == toy.schedule.T + 1 and torch.equal(traj[0], x_T)
assert dl.clearly_less(dl.Estimate(10 * straight.value, 10 * straight.se), path), "paths > 10x the straight line"

# %% [markdown] slideshow={"slide_type": "-"}
# Each path starts at an open circle (noise) and ends at a dot on the roll. The paths are jagged random walks, tens of times longer on average than the straight line between their ends: at every one of the 1000 steps the sampler adds fresh noise $\sigma_t z$ and the network pulls the point back. Notebook 03 shows what that randomness costs; notebook 06 compares these paths with a deterministic sampler's.
#
# ## 4 · Sampling digits
#
# The same loop, with a small UNet (the DDPM architecture, shrunk to 16×16 grey-scale digits) in place of the 2D network. One detail from DDPM's released code: at every step the predicted clean image $\hat x_0=(x_t-\sqrt{1-\bar\alpha_t}\,\varepsilon_\theta)/\sqrt{\bar\alpha_t}$ is clipped to the data range $[-1,1]$ and $\varepsilon_\theta$ recomputed from it (`clip_x0=mnist.clip_x0`); notebook 05 shows when that matters.

# %% slideshow={"slide_type": "-"}
mnist = dl.load_pretrained("mnist", device)
counted_mnist = dl.CountingModel(mnist.model)
n_img = dl.pick(reader=16, fast=4)
x_T_img = torch.randn(n_img, *mnist.sample_shape, generator=dl.seed(7)).to(device)
samples_img = dl.ancestral_sample(counted_mnist, mnist.schedule, x_T_img, clip_x0=mnist.clip_x0,
                                  generator=dl.seed(8), progress=False)
mnist_calls = counted_mnist.calls

# %% slideshow={"slide_type": "-"}
dl.plots.image_grid(samples_img, ncol=8, title="1000 ancestral steps turn 16x16 noise into digits")


# %% slideshow={"slide_type": "-"}
def background_fraction(x):  # per image: the share of (nearly) black background pixels
    return (x < -0.8).float().flatten(1).mean(1)

bg = {name: dl.mean_se(background_fraction(x).tolist()) for name, x in
      (("held-out digits", digits[:256]), ("DDPM samples", samples_img), ("starting noise", x_T_img))}
dl.Table(["images", "black background fraction (mean ± se over images)"], [[k, v] for k, v in bg.items()])

# %% slideshow={"slide_type": "fragment"}
assert dl.clearly_less(bg["starting noise"], bg["DDPM samples"]), "samples have far more background than noise"
assert abs(bg["DDPM samples"].value - bg["held-out digits"].value) < 0.15, "a digit-like amount of black background"
assert mnist_calls == mnist.schedule.T == 1000, mnist_calls

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · The key observation
#
# Look back at the loop: **every step calls the network once, and step $t-1$ cannot start before step $t$ has finished**, because its input is step $t$'s output — the Markov chain of section 2. A batch of images shares each call, but the chain itself is strictly sequential: one sample costs $T=1000$ network evaluations (NFE), whatever the hardware. The counter confirms it for both models:

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
dl.Table(["model", "parameters", "steps T", "network calls per run", "samples per run", "calls per sample"],
         [["toy2d (MLP)", dl.count_parameters(toy.model), toy.schedule.T, toy_calls, "batch", toy_calls],
          ["mnist (UNet)", dl.count_parameters(mnist.model), mnist.schedule.T, mnist_calls, "batch", mnist_calls]])

# %% slideshow={"slide_type": "fragment"}
assert toy_calls == mnist_calls == 1000, "one call per step, T = 1000 calls for every sample"
assert counted.samples == toy_calls * n_2d, "each call evaluates the whole batch once"


# %% [markdown] slideshow={"slide_type": "-"}
# A one-pass generator (a GAN or a VAE decoder) makes **one** call per sample. Notebook 02 measures what the factor of 1000 means in seconds and FLOPs on your machine, and why the obvious shortcut — just visiting fewer timesteps — does not work.
#
# **Summary.** The forward process has a closed form, which we checked against the literal chain by Monte Carlo. The reverse process is a Markov chain of small steps, each a posterior mean computed from the predicted noise plus fresh Gaussian noise ($\sigma_t\le 0.141$); the package's table reproduces the equation to float32 rounding. Ancestral sampling works — the 2D samples land on the roll, but 0.7–0.8 nats below real data in mean log-likelihood (the noise starts tens of nats below), and the digits look like digits — but it needs one network call per step, $T=1000$ calls per sample, and it injects new randomness at every one of them. The chain's Markov form is what forces the calls to run one after another; notebook 06 shows that the network does not require it.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **The forward process has a closed form:** $x_t=\sqrt{\bar\alpha_t}\,x_0+\sqrt{1-\bar\alpha_t}\,\varepsilon$ has the same mean and variance as $t$ small noising steps (Monte Carlo, within its error bars).
# > - **One ancestral step** is the posterior mean computed from the predicted noise, plus fresh noise $\sigma_t z$; each step is small ($\sigma_t\le\sqrt{0.02}\approx0.141$, $c_x\le1.010$).
# > - **The reverse process is a Markov chain:** its steps run one after another. Training uses only the marginals $q(x_t\mid x_0)$, which is why DDIM's non-Markov process with the same marginals can reuse the network (notebook 06).
# > - **Ancestral sampling works but is not perfect:** the trained 2D model's samples are 0.7–0.8 nats below real data in log-likelihood (many standard errors apart), while pure noise is about 70 nats below.
# > - **One network call per step:** 1000 calls per sample, whatever the batch size.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Four short exercises, a few minutes each. Code exercises have a stub cell that raises `YourTurn` until you replace the `your_turn(...)` line, and a check cell that runs your code on fixed inputs and says what is off. Worked solutions: [`solutions/01_recap_solutions.ipynb`](solutions/01_recap_solutions.ipynb).

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · derive — two forward steps make one Gaussian
#
# Start from $x_1=\sqrt{\alpha_1}\,x_0+\sqrt{\beta_1}\,\varepsilon_1$ and $x_2=\sqrt{\alpha_2}\,x_1+\sqrt{\beta_2}\,\varepsilon_2$ with independent $\varepsilon_1,\varepsilon_2\sim\mathcal N(0,I)$. Write $x_2$ in terms of $x_0$, $\varepsilon_1$, $\varepsilon_2$ and derive the variance of $x_2$ given $x_0$ (per coordinate). Then code it as a function of $\beta_1,\beta_2$. *Bonus:* show by induction that after $t$ steps it is $1-\bar\alpha_t$.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def two_step_variance(beta_1, beta_2):
    """Var(x_2 | x_0) per coordinate after two forward steps."""
    dl.exercises.your_turn("two_step_variance")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb01.check_two_step_variance(two_step_variance)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 2 · code it yourself — one ancestral step
#
# Write one DDPM reverse step with $\sigma_t^2=\beta_t$:
# $x_{t-1}=\frac{1}{\sqrt{\alpha_t}}\big(x_t-\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\varepsilon\big)+\sigma_t z$. Use the schedule's float64 tables `schedule.alphas_64`, `schedule.betas_64`, `schedule.alpha_bar_64` (index `t` is the 0-based timestep). The checker reads off your coefficients of $x_t$, $\varepsilon$ and $z$ at three timesteps.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def ancestral_step(x_t, eps, t, z, schedule):
    """x_{t-1} from x_t, the predicted noise eps and fresh noise z (sigma_t^2 = beta_t)."""
    dl.exercises.your_turn("ancestral_step")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
dl.exercises.nb01.check_ancestral_step(ancestral_step)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 3 · predict, then run — how many network calls?
#
# We sample a batch of **64** points with 1000-step ancestral sampling, the network wrapped in `CountingModel`. Before running: how many times will the network be called (`.calls`), and how many rows will it evaluate in total (`.samples`)? Write your two numbers in the cell, then run the next one.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
predicted_calls = None  # your prediction: network calls for one batch of 64
predicted_rows = None   # your prediction: rows evaluated in total (calls x rows per call)

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
schedule = dl.NoiseSchedule.linear()  # T = 1000
mixture = dl.GaussianMixture.preset("swiss_roll")
counted = dl.CountingModel(mixture.eps_model(schedule))  # any model will do: the counter only counts
x_T = torch.randn(64, 2, generator=dl.seed(0))
dl.ancestral_sample(counted, schedule, x_T, generator=dl.seed(1), progress=False)
print(f"calls: {counted.calls}, rows evaluated: {counted.samples}")
dl.exercises.nb01.check_call_count(predicted_calls, predicted_rows, counted.calls, counted.samples)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 4 · interpret a measurement — whose fault is the gap?
#
# Section 3 found the trained model's samples somewhat *less* likely under the true density than real data. Two suspects: the sampler (1000 small stochastic steps) or the network (an imperfect $\varepsilon_\theta$). Design a measurement that tells them apart with what the package offers (hint: `GaussianMixture.eps_model` is a perfect network), predict its outcome, then run it in the empty cell.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
# your measurement (optional): compare the mean log-likelihood of samples from the trained
# network and from the exact noise predictor, with the same sampler and the same x_T
