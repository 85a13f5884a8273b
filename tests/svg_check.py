"""Checks SVG charts with an XML parser: a standalone SVG 1.1 document whose declared size
matches its viewBox, a full-canvas background rectangle painted first (readable in dark and
light viewers), generic font families only, finite coordinates, and every text label inside
the canvas (width 0.62 em per character, as the renderer estimates it, placed by text-anchor;
height from 1 em above the baseline to 0.3 em below).
Usage: svg_check.py PATH...   (a directory: its *.svg, and its *.stdout files that are SVG)
"""
import math
import pathlib
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}
NUMERIC = {"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "font-size",
           "stroke-width", "fill-opacity"}


def files(paths):
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            yield from sorted(path.glob("*.svg"))
            for f in sorted(path.glob("*.stdout")):
                if f.read_bytes().startswith(b"<?xml"):
                    yield f
        else:
            yield path


def check(path):
    problems = []
    root = ET.parse(path).getroot()
    if root.tag != SVG + "svg":
        return [f"root is {root.tag}, not svg"]
    if root.get("version") != "1.1":
        problems.append(f"version is {root.get('version')}, not 1.1")
    width, height = float(root.get("width")), float(root.get("height"))
    if root.get("viewBox") != f"0 0 {int(width)} {int(height)}":
        problems.append(f"viewBox {root.get('viewBox')} does not match {width} x {height}")
    children = [c for c in root if c.tag not in (SVG + "title", SVG + "desc")]
    if root.find(SVG + "title") is None:
        problems.append("no <title>")
    first = children[0] if children else None
    if (first is None or first.tag != SVG + "rect" or float(first.get("width")) != width or
            float(first.get("height")) != height or first.get("fill") in (None, "none")):
        problems.append("the first element is not a full-canvas background rectangle")
    texts = 0
    for element in root.iter():
        for name in NUMERIC & set(element.keys()):
            if not math.isfinite(float(element.get(name))):
                problems.append(f"{element.tag} {name}={element.get(name)}")
        if element.tag != SVG + "text":
            continue
        texts += 1
        family = element.get("font-family")
        if family not in GENERIC:
            problems.append(f"font-family {family!r} is not a generic family")
        x, y, size = float(element.get("x")), float(element.get("y")), float(element.get("font-size"))
        content = element.text or ""
        text_width = 0.62 * size * len(content)
        anchor = element.get("text-anchor", "start")
        x -= {"start": 0, "middle": text_width / 2, "end": text_width}[anchor]
        right = x + text_width
        if x < 0 or right > width or y - size < 0 or y + 0.3 * size > height:
            problems.append(f"text {content!r} at ({x}, {y}) leaves the {width} x {height} canvas")
    if texts == 0:
        problems.append("no text labels")
    return problems


failed = 0
checked = 0
for f in files(sys.argv[1:]):
    checked += 1
    for problem in check(f):
        failed += 1
        print(f"{f}: {problem}")
print(f"{checked} SVG files checked, {failed} problems")
sys.exit(1 if failed or checked == 0 else 0)
