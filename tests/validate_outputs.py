"""Validates llmroof's JSON documents against data/schema/output/<command>.schema.json: every
golden CLI output (tests/cli/*.stdout) that is a JSON document, and a run of each command.

Usage: validate_outputs.py LLMROOF SCHEMA_DIR GOLDEN_DIR SHARED_DIR   (exit 77 = skipped)"""
import json
import os
import pathlib
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed: skipped")
    sys.exit(77)

llmroof, schema_dir, golden_dir, shared_dir = (pathlib.Path(a) for a in sys.argv[1:5])
schemas = {}
for path in sorted(schema_dir.glob("*.schema.json")):
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    schemas[schema["$id"]] = schema
store = dict(schemas)


def validator_for(command):
    uri = f"https://llmroof.invalid/schema/output/{command}.schema.json"
    if uri not in schemas:
        return None
    resolver = jsonschema.RefResolver(base_uri=uri, referrer=schemas[uri], store=store)
    return jsonschema.Draft202012Validator(schemas[uri], resolver=resolver)


failures = []
checked = {}


def check(name, text):
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return False  # JSONL, CSV, a table: not a document
    if not isinstance(document, dict) or "command" not in document:
        return False
    validator = validator_for(document["command"])
    if validator is None:
        failures.append(f"{name}: no schema for command '{document['command']}'")
        return True
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        p = problems[0]
        where = "/".join(str(x) for x in p.absolute_path)
        failures.append(f"{name}: {where}: {p.message[:300]} ({len(problems)} problems)")
    checked[document["command"]] = checked.get(document["command"], 0) + 1
    return True


for path in sorted(golden_dir.glob("*.stdout")):
    check(f"golden {path.stem}", path.read_text(encoding="utf-8"))

runs = [
    ["estimate", "-m", "70b", "-q", "int4", "-d", "m4-pro,rtx-4090,a100"],
    ["estimate", "-m", "70b", "-q", "int4", "-d", "2x rtx-3090,m4-max"],
    ["estimate", "-m", "llama-3.1-70b", "-q", "q4_k_m", "-d", "rtx-4090", "--gpu-layers", "40"],
    ["estimate", "-m", "llama-3.1-8b", "-q", "q4_k_m", "-d", "m4-pro", "--draft", "llama-3.2-1b",
     "--acceptance", "0.7"],
    ["estimate", "-m", "7b", "-q", "int4", "-d", "m4-10c", "--explain"],
    ["sweep", "-m", "8b", "-q", "q4_k_m", "-d", "rtx-4090", "--batch", "1,8,64"],
    ["sweep", "-m", "8b", "-q", "q4_k_m", "-d", "rtx-4090", "--parallel", "1,4"],
    ["devices"],
    ["devices", "m4"],
    ["models"],
    ["quants"],
    ["check-data"],
    ["probe", "--quick"],
    ["chart", "roofline", "-m", "8b", "-q", "q4_k_m", "-d", "m4-pro,rtx-4090"],
    ["chart", "compare", "-m", "8b", "-q", "q4_k_m", "-d", "m4-pro,rtx-4090"],
]
if shared_dir.is_dir():
    runs += [
        ["inspect", str(shared_dir / "fixtures/gguf/tiny-random-llama.gguf")],
        ["inspect", str(shared_dir / "fixtures/hf-configs/DeepSeek-V3.json")],
        ["validate", str(shared_dir / "calibration/llamacpp-and-peers-measured.csv")],
    ]
root = schema_dir.parent.parent.parent
calibrate_input = root / "tests/data/good/llama-bench-rtx4090.json"
if calibrate_input.exists():
    profile = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"llmroof-schema-{os.getpid()}.json"
    runs.append(["calibrate", str(calibrate_input), "--profile", str(profile)])
env = dict(os.environ)
env.pop("COLUMNS", None)
for args in runs:
    result = subprocess.run([str(llmroof), *args, "--format", "json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, timeout=300)
    name = "llmroof " + " ".join(args)
    if result.returncode != 0:
        failures.append(f"{name}: exit {result.returncode}: {result.stderr.strip()[:300]}")
    elif not check(name, result.stdout):
        failures.append(f"{name}: not a JSON document")

# The schemas bite: broken copies of a real estimate document are rejected.
def document_of(*args):
    return subprocess.run([str(llmroof), *args, "--format", "json"], stdout=subprocess.PIPE,
                          text=True, env=env).stdout


estimate = document_of("estimate", "-m", "7b", "-q", "int4", "-d", "m4-pro")
devices = document_of("devices", "m4-pro-20c")
for breakage in ("no summary", "device as text", "rows under points", "lists as text"):
    broken = json.loads(estimate)
    if breakage == "no summary":
        del broken["summary"]
    elif breakage == "device as text":
        broken["results"][0]["device"] = "m4-pro-20c"
    elif breakage == "rows under points":
        broken["points"] = broken.pop("results")
    else:
        broken = json.loads(devices)
        broken["results"][0]["aliases"] = "m4-pro;m4 pro"
    if not list(validator_for(broken["command"]).iter_errors(broken)):
        failures.append(f"the {broken['command']} schema accepts a document with {breakage}")
if calibrate_input.exists() and profile.exists():
    profile.unlink()
for command, count in sorted(checked.items()):
    print(f"{command}: {count} documents valid" if count else command)
for failure in failures:
    print(failure)
sys.exit(1 if failures else 0)
