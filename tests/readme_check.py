"""Checks that every example in README.md is the real output of the current code.

A checked example is a ```console block whose first line starts with "$ " and names llmroof;
the rest of the block is the expected stdout and stderr (2>&1) of that command, run with bash in
the repository root, with the built llmroof first on PATH, the source data/, NO_COLOR=1 and
COLUMNS unset. Examples that mention ../shared are skipped when that folder is absent.
Usage: readme_check.py README LLMROOF_BINARY [--update]   (exit 77 = skipped)
"""
import os
import pathlib
import re
import subprocess
import sys

readme = pathlib.Path(sys.argv[1]).resolve()
binary = pathlib.Path(sys.argv[2]).resolve()
update = "--update" in sys.argv[3:]
root = readme.parent
text = readme.read_text(encoding="utf-8")
block = re.compile(r"```console\n\$ (.*?)\n(.*?)```", re.S)

env = dict(os.environ)
env["PATH"] = f"{binary.parent}{os.pathsep}{env.get('PATH', '')}"
env["LLMROOF_DATA_DIR"] = str(root / "data")
env["NO_COLOR"] = "1"
env.pop("CLICOLOR_FORCE", None)
env.pop("COLUMNS", None)  # tables fit the default 80 columns, as on a pipe

failures = []
checked = 0
skipped = 0


def run(command):
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return result.stdout.decode("utf-8")


def replace(match):
    global checked, skipped
    command, expected = match.group(1), match.group(2)
    if "llmroof" not in command:
        return match.group(0)
    if "../shared" in command and not (root.parent / "shared").is_dir():
        skipped += 1
        return match.group(0)
    actual = run(command)
    checked += 1
    if actual != expected:
        if update:
            return f"```console\n$ {command}\n{actual}```"
        failures.append((command, expected, actual))
    return match.group(0)


new_text = block.sub(replace, text)
if update and new_text != text:
    readme.write_text(new_text, encoding="utf-8")
    print("README.md examples updated")
for command, expected, actual in failures:
    print(f"README example differs: $ {command}\n--- expected\n{expected}--- actual\n{actual}")
print(f"{checked} README examples checked, {len(failures)} differ, {skipped} skipped")
sys.exit(1 if failures else (77 if checked == 0 else 0))
