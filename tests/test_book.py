"""The book (``make book``) and the offline slides (``make slides``), built into a temporary folder
with the network blocked, then checked as HTML. Slow-ish (≈ 20 s): ``make test-book``, not
``make test``.

What a reader of the built pages must get: every chapter notebook and solutions notebook as a page
named after it; every figure stored in a notebook on its page; math inside the containers the
bundled MathJax typesets (no ``$…$`` left as text) and Markdown tables as tables; links between
pages that resolve (anchors included); launch badges that link to the notebook and show a local
image; no script, stylesheet or image loaded from another host. The decks: no remote script,
stylesheet, font import or module, and every library file they name present beside them.
"""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

bs4 = pytest.importorskip("bs4", reason="beautifulsoup4 (in the [book] extra) parses the pages")
pytest.importorskip("sphinx", reason="the book needs the [book] extra: pip install -e '.[book]'")
pytest.importorskip("myst_nb", reason="the book needs the [book] extra: pip install -e '.[book]'")

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("*_solutions.ipynb"))
IMAGE_MIMES = {"image/png", "image/jpeg", "image/svg+xml", "image/gif"}
REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)

# Imported first by every Python process started with this folder on PYTHONPATH: any connection
# or name lookup that is not local is logged and refused.
GUARD = textwrap.dedent('''\
    import os, socket
    _LOG = os.environ["NET_GUARD_LOG"]
    _LOCAL = ("127.", "::1", "localhost", "0.0.0.0")

    def _refuse(what):
        with open(_LOG, "a") as f:
            f.write(f"{what}\\n")
        raise OSError(f"network blocked by the book test: {what}")

    def _is_local(address):
        host = address[0] if isinstance(address, tuple) else address
        return not isinstance(host, str) or host.startswith(_LOCAL) or "/" in host

    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(self, address):
        if self.family != getattr(socket, "AF_UNIX", None) and not _is_local(address):
            _refuse(f"connect {address!r}")
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family != getattr(socket, "AF_UNIX", None) and not _is_local(address):
            _refuse(f"connect_ex {address!r}")
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_local(host if isinstance(host, str) else host.decode()):
            _refuse(f"getaddrinfo {host!r}")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
''')


def offline_run(code: str, tmp: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ``python -c code`` from the repository root with the guard on; (result, refused)."""
    guard = tmp / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD)
    log = tmp / "refused.log"
    log.write_text("")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(guard), str(ROOT)]), "NET_GUARD_LOG": str(log),
           # and a proxy that refuses, for anything that honours proxies instead of connecting
           "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": ""}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    return res, log.read_text().splitlines()


def soup(path: Path):
    return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def page_of(nb_path: Path, book: Path) -> Path:
    sub = "solutions/" if nb_path.parent.name == "solutions" else ""
    return book / f"{sub}{nb_path.stem}.html"


def visible_text(doc, skip=("pre", "code", "script", "style", "textarea")) -> str:
    """The page's text outside code, scripts and math containers (a copy: ``doc`` is kept)."""
    doc = bs4.BeautifulSoup(str(doc), "html.parser")
    for tag in doc.find_all(skip):
        tag.decompose()
    for tag in doc.select(".math"):
        tag.decompose()
    return doc.get_text("\n")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("book")
    out = tmp / "site"
    res, refused = offline_run(f"from tools import book; book.build({str(out)!r})", tmp)
    assert res.returncode == 0, res.stderr[-3000:]
    return out, refused, res.stderr


# --------------------------------------------------------------------------- the guard itself
def test_the_network_guard_refuses_a_remote_connection_and_allows_loopback(tmp_path):
    code = textwrap.dedent('''\
        import socket
        srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
        socket.create_connection(srv.getsockname(), timeout=2).close()   # loopback: allowed
        for target in [("93.184.216.34", 80), ("pypi.org", 443)]:
            try:
                socket.create_connection(target, timeout=2)
            except OSError as e:
                assert "blocked" in str(e), e
            else:
                raise SystemExit(f"{target} was not blocked")
    ''')
    res, refused = offline_run(code, tmp_path)
    assert res.returncode == 0, res.stderr
    assert any("93.184.216.34" in r for r in refused) and any("pypi.org" in r for r in refused), refused


# --------------------------------------------------------------------------- the book
def test_the_build_makes_no_network_request(book):
    _, refused, _ = book
    assert refused == [], refused


def test_every_notebook_and_solutions_page_exists_and_the_landing_page_is_the_readme(book):
    out, _, _ = book
    assert CHAPTERS and SOLUTIONS
    missing = [p.name for p in CHAPTERS + SOLUTIONS if not page_of(p, out).is_file()]
    assert missing == []
    assert (out / "INSTRUCTOR.html").is_file()
    readme_title = (ROOT / "README.md").read_text().splitlines()[0].lstrip("# ").replace("*", "").strip()
    assert soup(out / "index.html").find("h1").get_text().rstrip("#¶ ").strip() == readme_title


@pytest.mark.parametrize("nb_path", CHAPTERS + SOLUTIONS, ids=lambda p: p.name)
def test_every_stored_figure_is_on_its_page(book, nb_path):
    out, _, _ = book
    nb = nbformat.read(str(nb_path), as_version=4)
    stored = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                 if IMAGE_MIMES & set(o.get("data", {})))
    page = page_of(nb_path, out)
    imgs = soup(page).select("div.cell_output img")
    assert len(imgs) == stored, f"{stored} figures stored, {len(imgs)} on {page.name}"
    for img in imgs:
        f = (page.parent / unquote(img["src"])).resolve()
        assert f.is_file() and f.stat().st_size > 1000, img["src"]


def _source_markdown(nb_path: Path) -> list[str]:
    nb = nbformat.read(str(nb_path), as_version=4)
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    texts += ["".join(o["data"]["text/markdown"]) for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]
    return texts


@pytest.mark.parametrize("nb_path", CHAPTERS + SOLUTIONS, ids=lambda p: p.name)
def test_math_is_left_to_the_bundled_mathjax_and_tables_are_tables(book, nb_path):
    out, _, _ = book
    page = page_of(nb_path, out)
    doc = soup(page)
    text = visible_text(doc)
    dollars = re.findall(r"\$[^$\n]+\$", text)
    assert dollars == [], f"unrendered math on {page.name}: {dollars[:5]}"
    table_rows = [ln for ln in text.splitlines() if re.match(r"\s*\|\s*:?-{3,}", ln)]
    assert table_rows == [], f"Markdown table left as text on {page.name}: {table_rows[:3]}"
    sources = _source_markdown(nb_path)
    n_math = sum(len(re.findall(r"\$\$.+?\$\$|\$[^$\n]+\$", s, re.S)) for s in sources)
    maths = doc.select(".math")
    assert len(maths) >= n_math, f"{n_math} formulas in the notebook, {len(maths)} math containers"
    assert all(re.match(r"^\s*\\[(\[]", m.get_text()) for m in maths), "math not in MathJax delimiters"
    n_tables = sum(len(re.findall(r"^\|?\s*:?-{3,}:?\s*\|", s, re.M)) for s in sources)
    assert len(doc.find_all("table")) >= n_tables
    if maths:
        src = [s["src"] for s in doc.find_all("script", src=True) if "mathjax" in s["src"].lower()]
        assert len(src) == 1 and not REMOTE.match(src[0]), src
        js = (page.parent / src[0]).resolve()
        assert js.is_file() and js.stat().st_size > 500_000, "MathJax itself, bundled"
        fonts = list((js.parent / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
        assert len(fonts) > 10, "MathJax's fonts, bundled"


def _pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if "_static" not in p.parts)


def test_every_internal_link_and_asset_resolves_and_nothing_loads_from_another_host(book):
    out, _, _ = book
    ids: dict[Path, set] = {}
    broken, remote = [], []
    for page in _pages(out):
        doc = soup(page)
        for tag, attr in [("a", "href"), ("img", "src"), ("script", "src"), ("link", "href"),
                          ("source", "src"), ("iframe", "src")]:
            for el in doc.find_all(tag, **{attr: True}):
                url = el[attr]
                if REMOTE.match(url) or url.startswith(("mailto:", "data:", "javascript:")):
                    if tag != "a" and REMOTE.match(url) and not (tag == "link" and "stylesheet" not in el.get("rel", [])):
                        remote.append(f"{page.name}: <{tag}> {url}")
                    continue
                parts = urlsplit(url)
                target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
                if not target.exists():
                    broken.append(f"{page.relative_to(out)}: {url}")
                elif parts.fragment and target.suffix == ".html":
                    if target not in ids:
                        ids[target] = {e["id"] for e in soup(target).find_all(id=True)}
                    if unquote(parts.fragment) not in ids[target]:
                        broken.append(f"{page.relative_to(out)}: {url} (no such anchor)")
    assert broken == [], broken[:20]
    assert remote == [], remote[:20]


def test_pages_link_to_each_other_in_reading_order(book):
    out, _, _ = book
    order = ["index.html"] + [p.name.replace(".ipynb", ".html") for p in CHAPTERS]
    order += [f"solutions/{p.stem}.html" for p in SOLUTIONS] + ["INSTRUCTOR.html"]
    for here, there in zip(order, order[1:]):
        nxt = soup(out / here).select_one("a.right-next")
        assert nxt is not None, f"{here} has no next link"
        assert (out / here).parent.joinpath(nxt["href"]).resolve() == (out / there).resolve(), (here, nxt["href"])
    nav = soup(out / "index.html").select("nav a.reference.internal")
    linked = {(out / a["href"]).resolve() for a in nav}
    assert {(out / p).resolve() for p in order[1:]} <= linked, "table of contents misses a page"


def _badge_links(nb_path: Path) -> list[str]:
    nb = nbformat.read(str(nb_path), as_version=4)
    block = re.search(r"<!-- badges -->(.*?)<!-- /badges -->", nb.cells[0].source, re.S)
    assert block, f"{nb_path.name}: no badges block in its first cell"
    return re.findall(r"\]\((https?://[^)\s]+)\)\s*$|\)\]\((https?://[^)\s]+)\)", block[1], re.M)


@pytest.mark.parametrize("nb_path", CHAPTERS + SOLUTIONS, ids=lambda p: p.name)
def test_every_notebook_page_carries_its_launch_badges(book, nb_path):
    out, _, _ = book
    chapter = ROOT / "notebooks" / nb_path.name.replace("_solutions", "")
    links = [a or b for a, b in _badge_links(chapter)]
    assert len(links) >= 2, links  # Colab and Binder at least
    mine = nb_path.relative_to(ROOT).as_posix()
    expected = [u.replace(chapter.relative_to(ROOT).as_posix(), mine)
                 .replace(chapter.relative_to(ROOT).as_posix().replace("/", "%2F"), mine.replace("/", "%2F"))
                for u in links]
    page = page_of(nb_path, out)
    anchors = {a["href"]: a for a in soup(page).find_all("a", href=True)}
    for url in expected:
        assert url in anchors, f"{page.name} lacks the badge link {url}"
        assert mine in unquote(url)
        img = anchors[url].find("img")
        assert img is not None and not REMOTE.match(img["src"]), f"{url}: badge image must be local"
        assert (page.parent / img["src"]).resolve().is_file()


# --------------------------------------------------------------------------- the slides
@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    from tools import slides_offline

    try:
        slides_offline.fetch()  # set-up, like pip: the one step that may use the network (npm)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        pytest.skip(f"the slides' libraries could not be fetched from npm: {e}")
    tmp = tmp_path_factory.mktemp("slides")
    out = tmp / "decks"
    code = (f"from tools import slides_offline; from pathlib import Path; "
            f"slides_offline.build(sorted(Path('notebooks').glob('0*.ipynb')), Path({str(out)!r}))")
    res, refused = offline_run(code, tmp)
    assert res.returncode == 0, res.stderr[-3000:]
    assert refused == [], refused
    return out


def test_a_deck_per_notebook(decks):
    assert sorted(p.name for p in decks.glob("*.slides.html")) == [f"{p.stem}.slides.html" for p in CHAPTERS]


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.name)
def test_no_deck_loads_anything_from_another_host(decks, nb_path):
    deck = decks / f"{nb_path.stem}.slides.html"
    html = deck.read_text(encoding="utf-8")
    doc = bs4.BeautifulSoup(html, "html.parser")
    remote, missing = [], []
    for tag, attr in [("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")]:
        for el in doc.find_all(tag, **{attr: True}):
            url = el[attr]
            if REMOTE.match(url):
                remote.append(f"<{tag}> {url}")
            elif not url.startswith("data:") and not (deck.parent / urlsplit(url).path).is_file():
                missing.append(url)
    # inline scripts: no ES module import or require() of a remote URL, no CDN left in a config
    for script in doc.find_all("script", src=False):
        remote += re.findall(r"""(?:import\s[^;]*?from\s*|import\(\s*|require\(\s*\[?\s*)["']((?:https?:)?//[^"']+)""",
                             script.get_text())
        remote += re.findall(r"""["']((?:https?:)?//(?:unpkg\.com|cdnjs\.cloudflare\.com|cdn\.jsdelivr\.net)[^"']*)""",
                             script.get_text())
    # stylesheets it links (and the ones they import): no remote @import or url()
    sheets = [deck.parent / urlsplit(el["href"]).path for el in doc.find_all("link", rel="stylesheet")]
    sheets = [s for s in sheets if s.is_file()]
    assert sheets, "the reveal.js stylesheets are local files"
    for sheet in sheets:
        css = sheet.read_text(encoding="utf-8", errors="replace")
        remote += [f"{sheet.name}: {u}" for u in re.findall(r"""(?:@import\s+(?:url\()?|url\()\s*["']?((?:https?:)?//[^"')\s]+)""", css)]
        for rel in re.findall(r"""@import\s+url\(\s*["']?([^"')\s]+)""", css):
            assert REMOTE.match(rel) or (sheet.parent / rel).is_file(), f"{sheet.name} imports a missing {rel}"
    for a in doc.find_all("a", href=True):
        url = a["href"]
        if not (REMOTE.match(url) or url.startswith(("#", "data:", "mailto:"))):
            if not (deck.parent / unquote(urlsplit(url).path)).exists():
                missing.append(f"link {url}")
    assert remote == [], remote
    assert missing == [], missing
    mathjax = [el["src"] for el in doc.find_all("script", src=True) if "MathJax.js" in el["src"]]
    assert len(mathjax) == 1 and (deck.parent / urlsplit(mathjax[0]).path).stat().st_size > 50_000
    config = re.search(r"config=([\w-]+)", mathjax[0])[1]
    assert (deck.parent / "lib/mathjax/config" / f"{config}.js").is_file(), "MathJax's combined config, bundled"
