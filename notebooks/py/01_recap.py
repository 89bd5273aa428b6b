# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · Ancestral sampling, a recap
#
# Before we can talk about what is wrong with DDPM sampling we need it in front of us, running. This notebook rebuilds the two halves of a DDPM from the equations: the **forward process** that turns data into noise (checked numerically: its closed form is the same distribution as a thousand small noising steps), and the **reverse process**, *ancestral sampling*, that turns noise back into data one step at a time. We run it with two small trained models — one for a 2D swiss roll, one for 16×16 MNIST digits — and count what it costs: one network call per step, a thousand per sample. Every later notebook in the chapter starts from that count.
#
# **Learning objectives**
# - Write the forward process $q(x_t\mid x_0)$ and its reparameterisation, and verify it by Monte Carlo against the step-by-step chain.
# - Write one reverse step (posterior mean from the predicted noise, plus fresh noise $\sigma_t z$) and match it, number for number, with the package's implementation.
# - Sample 2D points and digits with ancestral sampling and read the noise-to-data trajectories.
# - State the key observation — one network call per step, $T$ calls per sample — and count the calls.
#
# <!-- badges -->
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ddpm-lessons/ddpm-lessons/blob/main/notebooks/01_recap.ipynb) [![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/ddpm-lessons/ddpm-lessons/HEAD?labpath=notebooks%2F01_recap.ipynb)
# <!-- /badges -->
#
# <!-- prereq -->
# **Prerequisites** Gaussian random variables (mean, variance of a sum), PyTorch tensors; no prior diffusion knowledge · **Time to read** ~15 min · **Time to run** ~60 s (laptop CPU) · **Exercises** 4, ~24 min
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
import inspect
from dataclasses import replace

from ddpm_lessons import plots
from ddpm_lessons.data import load_mnist
from ddpm_lessons.models import CountingModel, count_parameters
from ddpm_lessons.pretrained import load_pretrained
from ddpm_lessons.samplers import ancestral_table
from ddpm_lessons.tables import Table

device = dl.default_device()
print(f"device: {dl.device_name(device)} | test mode: {dl.fast_mode()}")

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

# %% slideshow={"slide_type": "-"}
# NBVAL_CHECK_OUTPUT
schedule = dl.NoiseSchedule.linear()  # T = 1000, beta from 1e-4 to 0.02 (DDPM)
levels = [0, 50, 200, 500, 999]
Table(["index t", "beta_t", "alpha_bar_t", "signal scale sqrt(alpha_bar)", "noise std sqrt(1 - alpha_bar)"],
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
g = torch.Generator().manual_seed(0)
data = mixture.sample(dl.pick(reader=3000, fast=1000), generator=g)
noised = {f"t = {t}": schedule.q_sample(data, t, torch.randn(data.shape, generator=g)) for t in levels}
fig = plots.scatter_2d(noised, data=data, lim=3.5, size=3.2,
                       title="The forward process dissolves the swiss roll into a standard Gaussian")

# %% slideshow={"slide_type": "fragment"}
digits, labels = load_mnist("heldout")
digit = digits[:1]
eps_img = torch.randn(digit.shape, generator=g)
row = torch.cat([schedule.q_sample(digit, t, eps_img) for t in levels])
fig = plots.image_rows({"x_t": row}, col_labels=[f"t = {t}" for t in levels], size=1.4,
                       title="The same noise, scaled up by sqrt(1 - alpha_bar): the digit is gone by t = 999")
std_999 = noised["t = 999"].std(0)
print("std of the swiss roll at t = 999, per coordinate:", [round(v, 3) for v in std_999.tolist()])
assert ((std_999 - 1).abs() < 0.1).all(), "at t = 999 the cloud has unit variance"

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A Monte-Carlo check: one jump = a thousand small steps
#
# The closed form is a claim about distributions, so we test it on distributions. Take one fixed data point $x_0$ and draw many copies of $x_t$ two ways: (a) in one jump with `schedule.q_sample`, (b) by actually running the chain $x_s=\sqrt{\alpha_s}\,x_{s-1}+\sqrt{\beta_s}\,\varepsilon_s$ for $s=0,\dots,t$. Both must have mean $\sqrt{\bar\alpha_t}\,x_0$ and variance $1-\bar\alpha_t$ per coordinate. We allow 5 Monte-Carlo standard errors.

# %% slideshow={"slide_type": "-"}
n_mc = dl.pick(reader=40_000, fast=10_000)
x0 = data[:1].repeat(n_mc, 1)  # one point, many copies: mean and variance are known exactly
rows, worst = [], 0.0
for t in (10, 250, 999):
    jump = schedule.q_sample(x0, t, torch.randn(x0.shape, generator=g))
    chain = x0.clone()
    for s in range(t + 1):  # the one-step process, literally
        chain = schedule.alphas[s].sqrt() * chain + schedule.betas[s].sqrt() * torch.randn(x0.shape, generator=g)
    mean_true = schedule.alpha_bar[t].sqrt() * x0[0]
    var_true = 1 - schedule.alpha_bar[t]
    se_mean, se_var = (var_true / n_mc).sqrt(), var_true * (2 / n_mc) ** 0.5
    for name, x in (("one jump (q_sample)", jump), ("chain of t+1 steps", chain)):
        z_mean = ((x.mean(0) - mean_true).abs() / se_mean).max().item()
        z_var = ((x.var(0) - var_true).abs() / se_var).max().item()
        worst = max(worst, z_mean, z_var)
        rows.append([t, name, f"{mean_true[0]:.4f}", f"{x.mean(0)[0]:.4f}", f"{var_true:.4f}", f"{x.var(0)[0]:.4f}",
                     f"{max(z_mean, z_var):.2f}"])
mc_table = Table(["t", "how x_t was drawn", "true mean (x1)", "MC mean (x1)", "true var", "MC var (x1)",
                  "worst |error| / std. error"], rows)
mc_table

# %% slideshow={"slide_type": "fragment"}
assert worst < 5, f"closed form and iterated chain must agree with theory within 5 standard errors, worst {worst:.2f}"
print(f"all {len(rows)} comparisons within {worst:.2f} standard errors of theory")

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
# Every step is the same linear recipe $x_{t-1}=c_x\,x_t+c_\varepsilon\,\varepsilon_\theta+\sigma_t z$, so the package stores the per-step numbers $(c_x, c_\varepsilon, \sigma_t)$ in a table, computed once in float64, and one shared loop (`run_chain`) runs any table. Here is the table for ancestral sampling — compare it line by line with the equations:

# %% slideshow={"slide_type": "-"}
print(inspect.getsource(ancestral_table))

# %% [markdown] slideshow={"slide_type": "-"}
# Now one step by hand. We load the shipped 2D model, pick index $t=500$, compute $\mu_\theta$ and $x_{t-1}$ from the formula above with our own arithmetic, and compare with (a) the table's coefficients and (b) the package loop run for exactly that one step with the same noise.

# %% slideshow={"slide_type": "fragment"}
toy = load_pretrained("toy2d", device)
table = ancestral_table(schedule)  # row i handles index t = T - 1 - i
t = 500
i = schedule.T - 1 - t
assert int(table.t_model[i]) == t

x_t = torch.randn(6, 2, generator=torch.Generator().manual_seed(1)).to(device)
t_batch = torch.full((6,), t, dtype=torch.long, device=device)
with torch.no_grad():
    eps = toy.model(x_t, t_batch)
alpha, beta, alpha_bar = (float(v[t]) for v in (schedule.alphas_64, schedule.betas_64, schedule.alpha_bar_64))
mu_by_hand = (x_t - beta / (1 - alpha_bar) ** 0.5 * eps) / alpha ** 0.5
z = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(2)).to(device)
x_prev_by_hand = mu_by_hand + beta ** 0.5 * z

one_step = replace(table, t_model=table.t_model[i:i + 1], c_x=table.c_x[i:i + 1], c_eps=table.c_eps[i:i + 1],
                   sigma=table.sigma[i:i + 1], x0_a=table.x0_a[i:i + 1], x0_b=table.x0_b[i:i + 1])
x_prev_package = dl.run_chain(toy.model, x_t, one_step, generator=torch.Generator().manual_seed(2))

Table(["quantity", "by hand", "package"],
      [["c_x = 1/sqrt(alpha_t)", f"{1 / alpha ** 0.5:.8f}", f"{table.c_x[i]:.8f}"],
       ["c_eps = -beta_t / (sqrt(1-alpha_bar_t) sqrt(alpha_t))", f"{-beta / ((1 - alpha_bar) * alpha) ** 0.5:.8f}", f"{table.c_eps[i]:.8f}"],
       ["sigma_t = sqrt(beta_t)", f"{beta ** 0.5:.8f}", f"{table.sigma[i]:.8f}"],
       ["max |x_{t-1} by hand - package|", "", f"{(x_prev_by_hand - x_prev_package).abs().max().item():.1e}"]])

# %% slideshow={"slide_type": "fragment"}
assert abs(table.c_x[i] - 1 / alpha ** 0.5) < 1e-12 and abs(table.sigma[i] - beta ** 0.5) < 1e-12
assert abs(table.c_eps[i] + beta / ((1 - alpha_bar) * alpha) ** 0.5) < 1e-12
assert torch.allclose(x_prev_by_hand, x_prev_package, rtol=1e-5, atol=1e-6), "one package step = one step by hand"
assert table.sigma[-1] == 0.0 and all(s > 0 for s in table.sigma[:-1]), "noise at every step except the last"
print("the package's step is the equation, to float32 rounding")

# %% [markdown] slideshow={"slide_type": "-"}
# Note the size of the coefficients: $c_x=1/\sqrt{\alpha_t}$ is barely above 1 and $\sigma_t=\sqrt{\beta_t}\approx 0.1$ at most. Each step moves $x_t$ only a little, and each step injects fresh noise. Keep both facts in mind: they are the two limitations this chapter is about.
#
# ## 3 · Sampling the swiss roll
#
# We wrap the network in `CountingModel`, which does nothing but count how often it is called, and run ancestral sampling from fresh Gaussian noise. Because the 2D data is a known Gaussian mixture, we can score the result exactly: the mean log-likelihood of the samples under the true density, next to that of real data and of the starting noise.

# %% slideshow={"slide_type": "-"}
counted = CountingModel(toy.model)
n_2d = dl.pick(reader=3000, fast=1000)
x_T = torch.randn(n_2d, 2, generator=torch.Generator().manual_seed(3)).to(device)
samples_2d = dl.ancestral_sample(counted, toy.schedule, x_T, generator=torch.Generator().manual_seed(4))
toy_calls = counted.calls

loglik = {name: mixture.log_prob(x).mean().item()
          for name, x in (("real data", data[:n_2d]), ("DDPM samples (1000 steps)", samples_2d), ("starting noise x_T", x_T))}
fig = plots.scatter_2d({"DDPM samples (1000 steps)": samples_2d, "starting noise x_T": x_T}, data=data, lim=3.5,
                       title="1000 ancestral steps carry Gaussian noise onto the swiss roll")
Table(["points", "mean log-likelihood under the true density (nats)"], [[k, v] for k, v in loglik.items()])

# %% slideshow={"slide_type": "fragment"}
gap = loglik["real data"] - loglik["DDPM samples (1000 steps)"]
assert abs(gap) < 1.0, f"samples are about as likely as real data (gap {gap:.2f} nats)"
assert loglik["starting noise x_T"] < loglik["real data"] - 10, "the starting noise is far from the data"
assert toy_calls == toy.schedule.T == 1000, toy_calls

# %% [markdown] slideshow={"slide_type": "-"}
# The samples sit on the roll: their log-likelihood under the true density is within a nat of real data's, while the starting noise is far below. To see *how* they get there, we follow a few points through all 1000 steps.

# %% slideshow={"slide_type": "-"}
x_T_few = torch.randn(10, 2, generator=torch.Generator().manual_seed(5)).to(device)
_, traj = dl.ancestral_sample(toy.model, toy.schedule, x_T_few, generator=torch.Generator().manual_seed(6),
                              return_trajectory=True)
path_length = (traj[1:] - traj[:-1]).norm(dim=-1).sum(0)  # per point, summed over the 1000 steps
displacement = (traj[-1] - traj[0]).norm(dim=-1)
fig = plots.trajectories_2d({"DDPM ancestral": traj}, data=data, lim=3.5, size=5.5,
                            title="Ancestral paths wander: every step adds a random kick")
print(f"trajectory tensor: {tuple(traj.shape)} = (T + 1 states, points, 2)")
print(f"median path length / straight-line displacement: {(path_length / displacement).median().item():.1f}")

# %% slideshow={"slide_type": "fragment"}
assert traj.shape[0] == toy.schedule.T + 1 and torch.equal(traj[0], x_T_few)
assert (path_length / displacement).median() > 3, "paths are several times longer than the straight line"

# %% [markdown] slideshow={"slide_type": "-"}
# Each path starts at an open circle (noise) and ends at a dot on the roll. The paths are jagged random walks, several times longer than the straight line between their ends: at every one of the 1000 steps the sampler adds fresh noise $\sigma_t z$ and the network pulls the point back. Notebook 03 shows what that randomness costs; notebook 06 compares these paths with a deterministic sampler's.
#
# ## 4 · Sampling digits
#
# The same loop, with a small UNet (the DDPM architecture, shrunk to 16×16 grey-scale digits) in place of the 2D network.

# %% slideshow={"slide_type": "-"}
mnist = load_pretrained("mnist", device)
counted_mnist = CountingModel(mnist.model)
n_img = dl.pick(reader=32, fast=4)
x_T_img = torch.randn(n_img, *mnist.sample_shape, generator=torch.Generator().manual_seed(7)).to(device)
samples_img = dl.ancestral_sample(counted_mnist, mnist.schedule, x_T_img, generator=torch.Generator().manual_seed(8))
mnist_calls = counted_mnist.calls
fig = plots.image_grid(samples_img, ncol=8, title="1000 ancestral steps turn 16x16 noise into digits")


# %% slideshow={"slide_type": "fragment"}
def background_fraction(x):
    return (x < -0.8).float().mean().item()  # pixels that are (nearly) black background

bg = {"held-out digits": background_fraction(digits), "DDPM samples": background_fraction(samples_img),
      "starting noise": background_fraction(x_T_img)}
print({k: round(v, 3) for k, v in bg.items()})
assert abs(bg["DDPM samples"] - bg["held-out digits"]) < 0.15, "samples have a digit-like amount of black background"
assert bg["starting noise"] < 0.3 < bg["DDPM samples"]
assert mnist_calls == mnist.schedule.T == 1000, mnist_calls

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · The key observation
#
# Look back at the loop: **every step calls the network once, and step $t-1$ cannot start before step $t$ has finished**, because its input is step $t$'s output. A batch of images shares each call, but the chain itself is strictly sequential: one sample costs $T=1000$ network evaluations (NFE), whatever the hardware. The counter confirms it for both models:

# %% slideshow={"slide_type": "-"}
# NBVAL_CHECK_OUTPUT
Table(["model", "parameters", "steps T", "network calls per run", "samples per run", "calls per sample"],
      [["toy2d (MLP)", count_parameters(toy.model), toy.schedule.T, toy_calls, "batch", toy_calls],
       ["mnist (UNet)", count_parameters(mnist.model), mnist.schedule.T, mnist_calls, "batch", mnist_calls]])

# %% slideshow={"slide_type": "fragment"}
assert toy_calls == mnist_calls == 1000, "one call per step, T = 1000 calls for every sample"
assert counted.samples == toy_calls * n_2d, "each call evaluates the whole batch once"

# %% [markdown] slideshow={"slide_type": "-"}
# A one-pass generator (a GAN or a VAE decoder) makes **one** call per sample. Notebook 02 measures what the factor of 1000 means in seconds and FLOPs on your machine, and why the obvious shortcut — just visiting fewer timesteps — does not work.
#
# **Summary.** The forward process has a closed form, which we checked against the literal chain by Monte Carlo. The reverse process is a sequence of small steps, each a posterior mean computed from the predicted noise plus fresh Gaussian noise; the package's table reproduces the equation to float32 rounding. Ancestral sampling works — the 2D samples are as likely as real data, the digits look like digits — but it needs one network call per step, $T=1000$ calls per sample, and it injects new randomness at every one of them.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Key takeaways
#
# > - **The forward process has a closed form:** $x_t=\sqrt{\bar\alpha_t}\,x_0+\sqrt{1-\bar\alpha_t}\,\varepsilon$ is the same distribution as $t$ small noising steps (checked by Monte Carlo).
# > - **One ancestral step** is the posterior mean computed from the predicted noise, plus fresh noise $\sigma_t z$; each step moves $x_t$ only a little ($\sigma_t\le 0.141$ for DDPM's schedule).
# > - **The reverse process is a Markov chain:** step $t-1$ needs step $t$'s output, so the steps cannot run in parallel.
# > - **One network call per step:** a sample costs $T=1000$ calls whatever the batch size; batching shares each call, it does not shorten the chain.

# %% [markdown] slideshow={"slide_type": "slide"} tags=["exercises"]
# ## Exercises
#
# Four short exercises, a few minutes each. Code exercises have a stub cell that raises `YourTurn` until you replace the `your_turn(...)` line, and a check cell that runs your code on fixed inputs and says what is off. Worked solutions: [`solutions/01_recap_solutions.ipynb`](solutions/01_recap_solutions.ipynb).

# %% slideshow={"slide_type": "skip"} tags=["exercises"]
import math
import torch
import ddpm_lessons as dl
from ddpm_lessons import exercises as ex
from ddpm_lessons.exercises import your_turn


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 1 · derive — two forward steps make one Gaussian
#
# Start from $x_1=\sqrt{\alpha_1}\,x_0+\sqrt{\beta_1}\,\varepsilon_1$ and $x_2=\sqrt{\alpha_2}\,x_1+\sqrt{\beta_2}\,\varepsilon_2$ with independent $\varepsilon_1,\varepsilon_2\sim\mathcal N(0,I)$. Write $x_2$ in terms of $x_0$, $\varepsilon_1$, $\varepsilon_2$ and derive the variance of $x_2$ given $x_0$ (per coordinate). Then code it as a function of $\beta_1,\beta_2$. *Bonus:* show by induction that after $t$ steps it is $1-\bar\alpha_t$.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def two_step_variance(beta_1, beta_2):
    """Var(x_2 | x_0) per coordinate after two forward steps."""
    your_turn("two_step_variance")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ex.check_two_step_variance(two_step_variance)


# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 2 · code it yourself — one ancestral step
#
# Write one DDPM reverse step with $\sigma_t^2=\beta_t$:
# $x_{t-1}=\frac{1}{\sqrt{\alpha_t}}\big(x_t-\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\varepsilon\big)+\sigma_t z$. Use the schedule's float64 tables `schedule.alphas_64`, `schedule.betas_64`, `schedule.alpha_bar_64` (index `t` is the 0-based timestep). The checker reads off your coefficients of $x_t$, $\varepsilon$ and $z$ at three timesteps.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
def ancestral_step(x_t, eps, t, z, schedule):
    """x_{t-1} from x_t, the predicted noise eps and fresh noise z (sigma_t^2 = beta_t)."""
    your_turn("ancestral_step")


# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-check"]
ex.check_ancestral_step(ancestral_step)

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
x_T = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
dl.ancestral_sample(counted, schedule, x_T, generator=torch.Generator().manual_seed(1), progress=False)
print(f"calls: {counted.calls}, rows evaluated: {counted.samples}")
ex.check_call_count(predicted_calls, predicted_rows, counted.calls, counted.samples)

# %% [markdown] slideshow={"slide_type": "subslide"} tags=["exercises"]
# ### Exercise 4 · interpret a measurement — whose fault is the gap?
#
# Section 3 found the trained model's samples somewhat *less* likely under the true density than real data. Two suspects: the sampler (1000 small stochastic steps) or the network (an imperfect $\varepsilon_\theta$). Design a measurement that tells them apart with what the package offers (hint: `GaussianMixture.eps_model` is a perfect network), predict its outcome, then run it in the empty cell.

# %% slideshow={"slide_type": "skip"} tags=["exercises", "exercise-stub"]
# your measurement (optional): compare the mean log-likelihood of samples from the trained
# network and from the exact noise predictor, with the same sampler and the same x_T
