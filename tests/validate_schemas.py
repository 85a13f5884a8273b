"""Validates data/*.json against data/schema/*.schema.json and checks that the schemas reject
tests/data/bad/*.json and accept tests/data/good/*.json. Exit 77 (skipped) without jsonschema."""
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed: skipped")
    sys.exit(77)

data_dir = pathlib.Path(sys.argv[1])
test_data = pathlib.Path(sys.argv[2])
failures = []


def schema_for(path):
    stem = path.name.split(".")[0]
    for kind in ("device-sources", "devices", "models", "links", "efficiency", "calibration",
                 "products"):
        if stem.startswith(kind) or kind in stem:
            schema_path = data_dir / "schema" / f"{kind}.schema.json"
            if schema_path.exists():
                return json.loads(schema_path.read_text())
    return None


def errors(path):
    schema = schema_for(path)
    if schema is None:
        return None
    validator = jsonschema.Draft202012Validator(schema)
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        return [str(e)]
    return [e.message for e in validator.iter_errors(document)]


for path in sorted(data_dir.glob("*.json")):
    found = errors(path)
    if found is None:
        failures.append(f"{path.name}: no schema in data/schema")
    elif found:
        failures.append(f"{path.name}: {found[0]} ({len(found)} problems)")
    else:
        print(f"{path.name}: valid")
for path in sorted((test_data / "good").glob("*.json")):
    found = errors(path)
    if found:
        failures.append(f"good/{path.name} rejected: {found[0]}")
for path in sorted((test_data / "bad").glob("*.json")):
    found = errors(path)
    if found is not None and not found and "syntax" not in path.name and "collision" not in path.name:
        failures.append(f"bad/{path.name} accepted by the schema")
for failure in failures:
    print(failure)
sys.exit(1 if failures else 0)
