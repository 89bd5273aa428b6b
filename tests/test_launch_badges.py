"""Launch badges (Colab, Kaggle, Binder) and the hosted set-up block: the URLs open this notebook on
each platform, the block keeps the hosted platforms' own stack, and every chapter and solutions
notebook carries what ``python -m tools badges`` writes."""
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tools import badges, nbio

NOTEBOOKS = nbio.chapter_paths() + nbio.solution_paths()
IDS = [badges.repo_path(p) for p in NOTEBOOKS]
URL = "https://github.com/o/r"


def _links(markdown):
    """{badge label: target URL} of the Markdown image links ``[![label](image)](target)``."""
    return dict(re.findall(r"\[!\[([^\]]+)\]\([^)]+\)\]\(([^)]+)\)", markdown))


def test_repo_url_is_read_from_pyproject():
    text = (nbio.ROOT / "pyproject.toml").read_text()
    assert f'Repository = "{badges.repo_url()}"' in text and badges.repo_url().startswith("https://github.com/")


@pytest.mark.parametrize("path", ["notebooks/01_recap.ipynb", "notebooks/solutions/01_recap_solutions.ipynb"])
def test_each_badge_opens_this_notebook_on_its_platform(path):
    links = _links(badges.badges(path, URL))
    assert set(links) == {"Open In Colab", "Open In Kaggle", "Binder"}
    colab = urlsplit(links["Open In Colab"])
    assert (colab.netloc, colab.path) == ("colab.research.google.com", f"/github/o/r/blob/main/{path}")
    # Kaggle imports a public notebook from its page on GitHub: /kernels/welcome?src=<that page>
    kaggle = urlsplit(links["Open In Kaggle"])
    assert (kaggle.netloc, kaggle.path) == ("kaggle.com", "/kernels/welcome")
    assert parse_qs(kaggle.query) == {"src": [f"{URL}/blob/main/{path}"]}
    binder = urlsplit(links["Binder"])
    assert (binder.netloc, binder.path) == ("mybinder.org", "/v2/gh/o/r/HEAD")
    assert parse_qs(binder.query) == {"labpath": [path]} and "/" not in binder.query, "labpath is URL-encoded"


def test_badge_paths_are_repository_paths_that_exist():
    for path in NOTEBOOKS:
        rel = badges.repo_path(path)
        for target in _links(badges.badges(rel, URL)).values():
            named = unquote(target).split("blob/main/")[-1].split("labpath=")[-1]
            assert (nbio.ROOT / named).is_file(), (rel, target)


def test_setup_block_never_touches_the_hosts_stack():
    block = badges.setup_block(URL)
    code = "\n".join(line.split("#")[0] for line in block.splitlines())
    compile(block, "<hosted setup>", "exec")  # plain Python: no ! or % magics
    assert '"--no-deps", "-e", REPO_DIR' in code
    for name in ("notebook", "ipykernel", "IPython", "jupyter"):
        assert f'"{name}"' not in code
    assert "sys.path.insert(0, REPO_DIR)" in code and "os.path.isdir(REPO_DIR)" in code
    assert f'REPO_URL = "{URL}"' in code


def _host_and_dir(modules, environ):
    """Run the block's host detection with the given sys.modules names and environment (no clone:
    the hosted branch is cut off after REPO_DIR is chosen)."""
    block = badges.setup_block(URL)
    head = block.split("    if not os.path.isdir(REPO_DIR):")[0]
    fake_sys = type("sys", (), {"modules": dict.fromkeys(modules), "path": [], "executable": "python"})
    fake_os = type("os", (), {"environ": environ, "path": __import__("os").path})
    namespace = {}
    exec(compile(head.replace("import os\nimport sys\n", ""), "<block head>", "exec"),  # noqa: S102
         {"sys": fake_sys, "os": fake_os, "__builtins__": __builtins__}, namespace)
    return namespace["HOST"], namespace.get("REPO_DIR")


def test_setup_block_recognises_colab_and_kaggle_and_nothing_else():
    assert _host_and_dir(["google.colab"], {}) == ("colab", "/content/ddpm-lessons")
    # Kaggle's own kagglehub detects its notebooks by KAGGLE_KERNEL_RUN_TYPE (src/kagglehub/env.py)
    assert _host_and_dir([], {"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}) == ("kaggle", "/kaggle/working/ddpm-lessons")
    assert _host_and_dir([], {}) == (None, None)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_badges_and_setup_block_are_current(path):
    assert badges.launch_problems(path) == []
    setup = nbio.read(path).cells[1]
    assert setup.cell_type == "code" and setup.source.startswith(badges.SETUP_START), "cell 1 starts with the block"
    assert badges.find_setup_block(setup.source) == badges.setup_block()
    assert "!git" not in setup.source and "%pip" not in setup.source, "one set-up, no magics"
