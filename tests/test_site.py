"""The website in a real browser: headless Chromium over every page, with no network.

Run alone with ``pytest -m browser`` (about a minute after the build). The site is built
once per session (tests/conftest.py), served on 127.0.0.1 by a thread of this process, and
read by Debian's ``chromium`` through ``chromedriver`` (``apt-get install chromium
chromium-driver``; .ci/run installs them). Every other host is unreachable: host names
resolve to nothing, and anything not on the loopback goes to a proxy port where nothing
listens. Every request the browser makes is recorded, so a page that even tries to reach
another host fails its test.

Set ``MININN_SKIP_BROWSER=1`` to skip these tests on a machine without Chromium; without
that variable a missing browser is a failure, so CI cannot pass them by accident.
Screenshots of three pages land in ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("MININN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MININN_CHROMEDRIVER", "/usr/bin/chromedriver")
MOBILE_WIDTH = 390
PHONE = {"width": MOBILE_WIDTH, "height": 844, "deviceScaleFactor": 1, "mobile": True}
DESKTOP = (1280, 900)
# Three notebooks whose launch and download links are checked, and the pages to screenshot.
LINKED_NOTEBOOKS = ["book/foundations/autodiff", "book/mlp/mlp", "book/cnn/lenet"]
CHAPTER = "book/mlp/mlp"


# -- the server and the browser -----------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def server(built_site):
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _chromium_or_fail() -> None:
    if os.environ.get("MININN_SKIP_BROWSER") == "1":
        pytest.skip("MININN_SKIP_BROWSER=1")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).exists() or shutil.which(p))]
    if missing:
        pytest.fail(
            f"the browser tests need {' and '.join(missing)}: apt-get install chromium "
            "chromium-driver (or set MININN_SKIP_BROWSER=1 to skip them)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("the browser tests need selenium: pip install -e '.[dev]'")


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    _chromium_or_fail()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-extensions",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
        # No other host: names resolve to nothing, and everything but the loopback goes
        # through a proxy on a closed port.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>;127.0.0.1",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(20)
    driver.execute_cdp_cmd("Network.enable", {})
    # Debian's Chromium opens its own start page (another host) before the tests' first
    # page: let that fail and forget it, so every later request is the site's.
    driver.get("about:blank")
    time.sleep(0.2)
    _drain(driver)
    yield driver
    driver.quit()


# -- what a page load did -----------------------------------------------------------------

_WAIT_FOR_PAGE = """
const done = arguments[arguments.length - 1];
const timeout = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const images = Array.from(document.images);
for (const img of images) img.loading = "eager";
const loaded = Promise.all(images.map((img) => img.complete ? null
  : new Promise((resolve) => { img.addEventListener("load", resolve);
                               img.addEventListener("error", resolve); })));
const typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise) || null;
Promise.race([Promise.all([loaded, typeset]), timeout(15000)])
  .then(() => done(null), (err) => done(String(err)));
"""

_PAGE_FACTS = """
const visible = document.body.cloneNode(true);
visible.querySelectorAll("script, style, pre, code, textarea, mjx-container, mjx-assistive-mml, .MathJax")
  .forEach((el) => el.remove());
const text = visible.textContent;
const math = Array.from(document.querySelectorAll(".math"));
return {
  mathjax: !!(window.MathJax && MathJax.startup && MathJax.startup.document),
  math: math.length,
  untypeset: math.filter((el) => !el.querySelector("mjx-container")).map((el) => el.textContent.slice(0, 80)),
  raw: ["$$", "\\\\(", "\\\\[", "\\\\begin{"].filter((d) => text.includes(d)),
  broken_images: Array.from(document.images)
    .filter((img) => !(img.complete && img.naturalWidth > 0)).map((img) => img.src),
};
"""

_SCROLLS_SIDEWAYS = """
const el = document.documentElement;
if (el.scrollWidth <= el.clientWidth + 1) return null;
// Name the elements that stick out and are not inside a box that scrolls or clips.
const free = (e) => {
  for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== "visible") return false;
  }
  return getComputedStyle(e).position !== "fixed";
};
const wide = Array.from(document.querySelectorAll("body *")).filter((e) => {
  const r = e.getBoundingClientRect();
  return r.right > el.clientWidth + 1 && r.width > 0 && free(e);
}).slice(0, 6).map((e) => e.tagName.toLowerCase() + "." + String(e.className).slice(0, 40)
                  + ": " + e.textContent.trim().slice(0, 40));
return {scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, widest: wide};
"""

_DARK_MODE_FIGURES = """
document.documentElement.dataset.theme = "dark";
document.documentElement.dataset.mode = "dark";
const opaque = (color) => {
  const m = color.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return false;
  const parts = m[1].split(",").map((s) => parseFloat(s));
  return parts.length < 4 || parts[3] >= 0.99;
};
const problems = [];
const figures = document.querySelectorAll(".cell_output img, figure img, .bd-article img:not(.logo__image)");
for (const img of figures) {
  if (!img.naturalWidth) continue;
  let backed = false;
  for (let el = img; el && el !== document.body && !backed; el = el.parentElement) {
    backed = opaque(getComputedStyle(el).backgroundColor);
    if (el.matches(".cell_output, figure")) break;
  }
  if (backed) continue;
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let transparent = false;
  for (let i = 3; i < data.length; i += 4) if (data[i] < 250) { transparent = true; break; }
  if (transparent) problems.push(img.src);
}
document.documentElement.dataset.theme = "light";
document.documentElement.dataset.mode = "light";
return problems;
"""


_REQUESTS: dict[str, dict] = {}  # request id -> url, over the whole session


def _drain(driver) -> tuple[list[dict], list[str]]:
    """(failed or foreign requests, severe console messages) since the last call."""
    requests = _REQUESTS
    problems: list[dict] = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            requests[params["requestId"]] = {"url": url}
            host = urlsplit(url).hostname
            if url.startswith(("http:", "https:", "ws:", "wss:")) and host != "127.0.0.1":
                problems.append({"url": url, "error": "request to another host"})
        elif method == "Network.responseReceived":
            status = params["response"]["status"]
            if status >= 400:
                problems.append({"url": params["response"]["url"], "error": f"HTTP {status}"})
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            url = requests.get(params["requestId"], {}).get("url", "?")
            problems.append({"url": url, "error": params.get("errorText")})
    console = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return problems, console


def site_pages(html: Path) -> list[str]:
    """Every HTML page of the site (not the theme's assets or the notebooks' sources)."""
    pages = []
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html)
        if rel.parts[0] in {"_static", "_sources", "_images", "jupyter_execute"}:
            continue
        pages.append(rel.as_posix())
    return pages


@pytest.fixture(scope="session")
def crawl(browser, server, built_site):
    """Open every page once, as a phone would show it; return what each page showed.

    The whole crawl runs at a 390-px-wide viewport (Chromium's device emulation), so the
    sideways-scroll check needs no second layout; the other checks do not depend on the
    width. The per-check tests below read the results.
    """
    results = {}
    start = time.perf_counter()
    _drain(browser)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        for page in site_pages(built_site):
            t0 = time.perf_counter()
            browser.get(f"{server}/{page}")
            _wait_for_body(browser)
            facts = {"wait_error": browser.execute_async_script(_WAIT_FOR_PAGE)}
            facts.update(browser.execute_script(_PAGE_FACTS))
            facts["sideways"] = browser.execute_script(_SCROLLS_SIDEWAYS)
            facts["dark_mode_transparent"] = browser.execute_script(_DARK_MODE_FIGURES)
            facts["requests"], facts["console"] = _drain(browser)
            facts["seconds"] = round(time.perf_counter() - t0, 2)
            results[page] = facts
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    results["__seconds__"] = time.perf_counter() - start
    return results


def _wait_for_body(browser, timeout: float = 5.0) -> None:
    """index.html redirects to the home page: wait until a loaded document is there."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if browser.execute_script(
                "return !!document.body && document.readyState === 'complete'"
            ):
                return
        except Exception:  # noqa: BLE001 - the document was replaced mid-call
            pass
        time.sleep(0.05)


def _pages(crawl) -> dict[str, dict]:
    return {k: v for k, v in crawl.items() if not k.startswith("__")}


# -- every page ---------------------------------------------------------------------------


def test_site_has_every_page(crawl, built_site):
    pages = _pages(crawl)
    assert len(pages) >= 30, sorted(pages)
    for required in ("index.html", "search.html", "genindex.html", "book/api/nn.html"):
        assert required in pages


def test_no_page_requests_another_host_or_fails_a_request(crawl):
    bad = {page: facts["requests"] for page, facts in _pages(crawl).items() if facts["requests"]}
    assert not bad, json.dumps(bad, indent=1)[:4000]


def test_no_console_errors(crawl):
    bad = {page: facts["console"] for page, facts in _pages(crawl).items() if facts["console"]}
    assert not bad, json.dumps(bad, indent=1)[:4000]


def test_math_is_typeset_by_the_local_mathjax(crawl):
    pages = _pages(crawl)
    with_math = [p for p, f in pages.items() if f["math"]]
    assert len(with_math) >= 15, "expected math on most chapter pages"
    problems = {}
    for page, facts in pages.items():
        if facts["wait_error"]:
            problems[page] = f"waiting for the page: {facts['wait_error']}"
        elif facts["math"] and not facts["mathjax"]:
            problems[page] = "MathJax did not start"
        elif facts["untypeset"]:
            problems[page] = f"{len(facts['untypeset'])} untypeset: {facts['untypeset'][:3]}"
        elif facts["raw"]:
            problems[page] = f"raw TeX delimiters in the visible text: {facts['raw']}"
    assert not problems, json.dumps(problems, indent=1)[:4000]


def test_every_image_loads(crawl):
    bad = {p: f["broken_images"] for p, f in _pages(crawl).items() if f["broken_images"]}
    assert not bad, json.dumps(bad, indent=1)[:4000]


def test_no_page_scrolls_sideways_on_a_phone(crawl):
    bad = {p: f["sideways"] for p, f in _pages(crawl).items() if f["sideways"]}
    assert not bad, f"at {MOBILE_WIDTH} px: " + json.dumps(bad, indent=1)[:4000]


def test_figures_stay_opaque_in_dark_mode(crawl):
    bad = {
        p: f["dark_mode_transparent"] for p, f in _pages(crawl).items() if f["dark_mode_transparent"]
    }
    assert not bad, json.dumps(bad, indent=1)[:4000]


def test_the_crawl_is_quick(crawl):
    pages = len(_pages(crawl))
    slowest = sorted(((f["seconds"], p) for p, f in _pages(crawl).items()), reverse=True)[:5]
    print(f"{pages} pages in {crawl['__seconds__']:.1f} s; slowest: {slowest}")
    assert crawl["__seconds__"] < 3 * 60, f"{pages} pages took {crawl['__seconds__']:.0f} s"


# -- particular pages ---------------------------------------------------------------------


def _open(browser, server, page: str):
    browser.get(f"{server}/{page}")
    browser.execute_async_script(_WAIT_FOR_PAGE)


def test_solutions_are_closed_until_clicked(browser, server):
    from selenium.webdriver.common.by import By

    _open(browser, server, f"{CHAPTER}.html")
    solutions = browser.find_elements(By.CSS_SELECTOR, "div.solution.dropdown")
    assert len(solutions) >= 4
    for solution in solutions[:3]:
        body = solution.find_element(By.CSS_SELECTOR, "section")
        assert not body.is_displayed(), "a solution is open before it is clicked"
        button = solution.find_element(By.CSS_SELECTOR, "button.toggle-button")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()
        deadline = time.time() + 5
        while not body.is_displayed() and time.time() < deadline:
            time.sleep(0.05)
        assert body.is_displayed(), "a solution did not open when clicked"
    # The screenshot of an exercise page: the first exercise, its solution open.
    first = browser.find_elements(By.CSS_SELECTOR, "div.exercise")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", first)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOTS / "exercise.png"))


def test_search_finds_backpropagation(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/search.html?q=backpropagation")
    deadline = time.time() + 15
    results = []
    while time.time() < deadline:
        results = browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li")
        if results:
            break
        time.sleep(0.1)
    assert results, "the search page found nothing for 'backpropagation'"
    links = [r.find_element(By.TAG_NAME, "a").get_attribute("href") for r in results]
    assert any("book/mlp/mlp.html" in link for link in links), links


@pytest.mark.parametrize("page", LINKED_NOTEBOOKS)
def test_launch_and_download_links_point_to_the_notebook(browser, server, page):
    from selenium.webdriver.common.by import By

    _open(browser, server, f"{page}.html")
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")]
    colab = [h for h in hrefs if "colab.research.google.com" in h]
    assert colab == [
        f"https://colab.research.google.com/github/mininn-book/mininn/blob/main/{page}.ipynb"
    ], colab
    binder = [h for h in hrefs if "mybinder.org" in h]
    assert len(binder) == 1 and binder[0].endswith(f"urlpath=lab/tree/{page}.ipynb"), binder
    download = [h for h in hrefs if h.endswith(".ipynb") and h.startswith(server)]
    assert download == [f"{server}/_sources/{page}.ipynb"], download
    notebook = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then((r) => r.json()).then((nb) => done(nb.cells.length),"
        " (e) => done(String(e)));",
        download[0],
    )
    assert isinstance(notebook, int) and notebook > 5, notebook
    _drain(browser)


def test_screenshots_of_the_home_and_a_chapter(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, page in (("home", "book/intro.html"), ("chapter", f"{CHAPTER}.html")):
        _open(browser, server, page)
        path = SCREENSHOTS / f"{name}.png"
        assert browser.save_screenshot(str(path)) and path.stat().st_size > 10_000
