"""Draws a chart with the current binary (estimate -o FILE.svg: the extension picks SVG),
renders it to PNG with rsvg-convert (librsvg2-bin) and checks the picture: a PNG of the size
the SVG declares, with something drawn in it.
Usage: svg_png.py LLMROOF DATA_DIR WORK_DIR   (exit 77 = skipped: rsvg-convert is not installed)
"""
import pathlib
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib

binary, data, work = (pathlib.Path(p) for p in sys.argv[1:4])
rsvg = shutil.which("rsvg-convert")
if rsvg is None:
    print("rsvg-convert not found (apt-get install librsvg2-bin): skipped")
    sys.exit(77)
work.mkdir(parents=True, exist_ok=True)
svg, png = work / "estimate.svg", work / "estimate.png"
subprocess.run([str(binary), "estimate", "-m", "llama-3.1-8b", "-q", "q4_k_m", "-d",
                "rtx-4090,m4-pro,rpi-5", "--data-dir", str(data), "-o", str(svg)], check=True)
if not svg.read_bytes().startswith(b"<?xml"):
    sys.exit(f"{svg}: -o FILE.svg did not write SVG")
root = ET.parse(svg).getroot()
width, height = int(root.get("width")), int(root.get("height"))
subprocess.run([rsvg, "--format", "png", "--output", str(png), str(svg)], check=True)
data = png.read_bytes()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit(f"{png}: not a PNG")
chunks, offset = [], 8
while offset < len(data):
    length, kind = struct.unpack(">I4s", data[offset:offset + 8])
    chunks.append((kind, data[offset + 8:offset + 8 + length]))
    offset += 12 + length
ihdr = dict(chunks)[b"IHDR"]
png_width, png_height, depth, colour_type = struct.unpack(">IIBB", ihdr[:10])
if (png_width, png_height) != (width, height):
    sys.exit(f"{png}: {png_width} x {png_height}, but the SVG declares {width} x {height}")
channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
stride = png_width * channels * depth // 8
pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
if len(pixels) != png_height * (stride + 1):
    sys.exit(f"{png}: {len(pixels)} bytes of image data for {png_width} x {png_height}")
# Filter bytes aside, rows of one colour everywhere would mean an empty picture.
distinct = {pixels[row * (stride + 1) + 1:(row + 1) * (stride + 1)] for row in range(png_height)}
if len(distinct) < 10:
    sys.exit(f"{png}: only {len(distinct)} distinct rows: the picture is empty")
print(f"{png}: {png_width} x {png_height} PNG, {len(data)} bytes, {len(distinct)} distinct rows")
