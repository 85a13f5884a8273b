"""Checks the README's charts: docs/make_charts.sh run with the current binary into a scratch
folder prints exactly the committed docs/*.svg, every command of docs/charts.txt appears in
README.md as written, and every docs/*.svg image the README shows is made by one of them.
Usage: docs_charts.py ROOT LLMROOF WORK_DIR
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

root, binary, work = (pathlib.Path(p).resolve() for p in sys.argv[1:4])
commands = [line for line in (root / "docs" / "charts.txt").read_text().splitlines()
            if line and not line.startswith("#")]
readme = (root / "README.md").read_text(encoding="utf-8")
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
env = dict(os.environ, LLMROOF=str(binary))
subprocess.run(["bash", str(root / "docs" / "make_charts.sh"), str(work)], check=True, env=env)

problems = []
made = set()
for command in commands:
    target = re.search(r"-o (docs/\S+\.svg)", command)
    if not target:
        problems.append(f"no '-o docs/NAME.svg' in: {command}")
        continue
    made.add(target.group(1))
    if command not in readme:
        problems.append(f"README.md does not show the command: {command}")
    fresh, committed = work / target.group(1), root / target.group(1)
    if not committed.exists():
        problems.append(f"{target.group(1)} is not committed (run docs/make_charts.sh)")
    elif fresh.read_bytes() != committed.read_bytes():
        problems.append(f"{target.group(1)} differs from what the current build draws "
                        "(run docs/make_charts.sh)")
for image in re.findall(r"!\[[^\]]*\]\((docs/[^)]+\.svg)\)", readme):
    if image not in made:
        problems.append(f"README.md shows {image}, which no command of docs/charts.txt makes")
for problem in problems:
    print(problem)
print(f"{len(commands)} charts checked, {len(problems)} problems")
sys.exit(1 if problems else 0)
