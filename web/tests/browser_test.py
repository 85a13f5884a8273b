"""The built web page in headless Chromium, loaded from disk with its inputs in the URL hash:
the table it draws must hold the CLI's values, printed as the CLI's table prints them.

Usage: browser_test.py <page dir> <chromium> <llmroof CLI> <data dir> <screenshot.png>
"""
import html.parser
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import urllib.parse

page_dir, chromium, cli, data_dir, screenshot = sys.argv[1:6]
index = pathlib.Path(page_dir, "index.html").resolve()


def chromium_run(hash_params, *flags):
    url = index.as_uri() + "#" + urllib.parse.urlencode(hash_params, safe=",")
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
             f"--user-data-dir={profile}", "--virtual-time-budget=20000", *flags, url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit(f"chromium failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


class Page(html.parser.HTMLParser):
    """The rows of #estimates, the #error text and the explain view's items."""

    def __init__(self, text):
        super().__init__()
        self.rows, self.error, self.explain, self.ready, self.share = [], None, {}, False, None
        self.charts = {}  # figure id -> number of <svg> and <rect> elements inside
        self._stack = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body" and attrs.get("data-ready") == "true":
            self.ready = True
        if tag == "a" and attrs.get("id") == "share":
            self.share = attrs.get("href")
        figures = [a.get("id") for t, a, _ in self._stack if t == "figure"]
        if figures and tag in ("svg", "rect", "text"):
            counts = self.charts.setdefault(figures[-1], {"svg": 0, "rect": 0, "text": 0})
            counts[tag] += 1
        if tag == "tr" and "data-id" in attrs:
            self.rows.append({"id": attrs["data-id"]})
        self._stack.append((tag, attrs, []))

    def handle_endtag(self, tag):
        while self._stack:
            name, attrs, text = self._stack.pop()
            joined = "".join(text)
            if self._stack:
                self._stack[-1][2].append(joined)
            if name == "td" and self.rows:
                key = [c for c in attrs.get("class", "").split() if c != "num"][0]
                self.rows[-1][key] = joined
                if "data-value" in attrs:
                    self.rows[-1][key + "_value"] = attrs["data-value"]
            if name == "p" and attrs.get("id") == "error" and "hidden" not in attrs:
                self.error = joined
            if name == "dd" and attrs.get("id", "").startswith("explain-"):
                self.explain[attrs["id"][len("explain-"):]] = joined
            if name == "span" and attrs.get("id") == "explain-device":
                self.explain["device"] = joined
            if name == tag:
                break

    def handle_data(self, data):
        if self._stack:
            self._stack[-1][2].append(data)


def cli_run(*args):
    return subprocess.run([cli, *args, "--data-dir", data_dir, "--color", "never"], check=True,
                          stdout=subprocess.PIPE, text=True).stdout


def cli_table(args):
    """The CLI's table as dicts keyed by column title."""
    lines = [l for l in cli_run(*args, "--wide").splitlines()]  # every column
    header = lines[0]
    starts = [0] + [m.end() for m in re.finditer(r"  +", header)]
    titles = re.split(r"  +", header.strip())
    rows = []
    for line in lines[1:]:
        if not line.strip():
            break
        rows.append(dict(zip(titles, re.split(r"  +", line.strip()))))
    assert len(starts) == len(titles)
    return rows


failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


params = {"model": "llama-3.1-8b", "quant": "q4_k_m", "device": "rtx-4090,m4-pro,a100",
          "batch": "4", "context": "2048", "prompt": "1024", "row": "m4-pro-20c"}
args = ["estimate", "-m", "llama-3.1-8b", "-q", "q4_k_m", "-d", "rtx-4090,m4-pro,a100", "-b", "4",
        "-c", "2048", "-p", "1024"]
def load(hash_params, done):
    """The page for `hash_params` once `done(page)` holds. Headless Chromium's virtual time
    budget is not always enough on a loaded 2-core machine for the WebAssembly module to
    start, so a page that has not finished is loaded again (at most three times)."""
    for _ in range(3):
        page = Page(chromium_run(hash_params, "--dump-dom"))
        if done(page):
            break
    return page


page = load(params, lambda p: p.ready)
check(page.ready, "the page did not finish loading")
check(page.error is None, f"the page shows an error: {page.error}")
expected = json.loads(cli_run(*args, "--format", "json"))["results"]
table = cli_table(args)
check([r["id"] for r in page.rows] == [r["device"]["id"] for r in expected],
      f"rows {[r['id'] for r in page.rows]}")
for shown, row, printed in zip(page.rows, expected, table):
    name = row["device"]["id"]
    check(float(shown["estimate_value"]) == row["tokens_per_s"], f"{name}: tokens_per_s")
    check(float(shown["weights_value"]) == row["weights_bytes"], f"{name}: weights_bytes")
    check(float(shown["margin_value"]) == row["memory_margin_bytes"], f"{name}: margin")
    check(shown["fits_value"] == ("true" if row["fits"] else "false"), f"{name}: fits")
    # Printed as the CLI's table prints them.
    check(printed["device"] == name, f"CLI table row {printed['device']}")
    for column, title in [("estimate", "estimate [tok/s]"), ("weights", "weights [GiB]"),
                          ("margin", "margin [GiB]"), ("prefill", "prefill [tok/s]"),
                          ("bound", "bound"), ("fits", "fits")]:
        check(shown[column] == printed[title],
              f"{name}: {column} shows {shown[column]!r}, the CLI {printed[title]!r}")
    check(shown["band"] == f"{printed['low [tok/s]']} to {printed['high [tok/s]']}",
          f"{name}: band {shown['band']!r}")
m4 = next(r for r in expected if r["device"]["id"] == "m4-pro-20c")
check(page.explain.get("device") == "m4-pro-20c", f"explain view of {page.explain.get('device')}")
check(page.explain.get("bandwidth") == f"{m4['mem_bw_bytes_per_s'] / 1e9:.1f} GB/s",
      f"explain bandwidth {page.explain.get('bandwidth')!r}")
check(page.explain.get("bound", "").startswith(m4["bound"] + ":"), "explain bound")
# The shareable link is the page with the same inputs (commas kept readable).
check(page.share == index.as_uri() + "#" + urllib.parse.urlencode(params, safe=","),
      f"share link {page.share!r}")
print(f"table: {len(page.rows)} rows checked against the CLI")
# The charts are drawn: the core's comparison (a bar per device besides the background) and
# the roofline (its labelled axes).
compare = page.charts.get("chart-compare", {})
check(compare.get("svg") == 1 and compare.get("rect", 0) > len(expected)
      and compare.get("text", 0) > len(expected), f"chart-compare: {compare}")
roofline = page.charts.get("chart-roofline", {})
check(roofline.get("svg") == 1 and roofline.get("text", 0) > len(expected),
      f"chart-roofline: {roofline}")
print(f"charts: {page.charts}")

# A bad device: the CLI's message and a suggestion to click.
bad = load({"model": "llama-3.1-8b", "device": "m4-prox"}, lambda p: p.error is not None)
check(bad.error is not None and bad.error.startswith("unknown device 'm4-prox'; did you mean")
      and bad.error.rstrip().endswith("m4-pro m1-pro m2-pro"), f"error shown: {bad.error!r}")
check(not bad.rows, "rows shown for a bad request")

chromium_run(params, f"--screenshot={screenshot}", "--window-size=1280,1000",
             "--hide-scrollbars")
check(pathlib.Path(screenshot).stat().st_size > 10000, "screenshot missing or blank")
print(f"screenshot: {screenshot}")

for failure in failures:
    print("FAIL:", failure)
sys.exit(1 if failures else 0)
