"""The Python module against the CLI: the same estimates, the same errors.

Environment (set by ctest): LLMROOF_CLI, the llmroof binary of the same build (the comparisons
are skipped without it); LLMROOF_SOURCE_DATA_DIR, the data/ folder; LLMROOF_SHARED_DIR, the
project's shared fixtures (model-file cases are skipped without it).
"""
import json
import math
import os
import pathlib
import subprocess
import sys
import warnings

import pytest

import llmroof

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = os.environ.get("LLMROOF_CLI")
DATA = pathlib.Path(os.environ.get("LLMROOF_SOURCE_DATA_DIR", ROOT / "data"))
SHARED = pathlib.Path(os.environ.get("LLMROOF_SHARED_DIR", ROOT.parent / "shared"))
TEST_DATA = ROOT / "tests" / "data"

needs_cli = pytest.mark.skipif(not CLI, reason="LLMROOF_CLI is not set")
needs_shared = pytest.mark.skipif(not (SHARED / "fixtures").is_dir(),
                                  reason="the shared fixtures are absent")


def cli_json(*args):
    out = subprocess.run([CLI, *args, "--format", "json", "--data-dir", str(DATA)],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return json.loads(out.stdout)


# (CLI arguments, the same request as keyword arguments)
CASES = [
    (["estimate", "-m", "llama-3.1-8b", "-q", "q4_k_m", "-d", "m4-pro,rtx-4090"],
     dict(model="llama-3.1-8b", quant="q4_k_m", device=["m4-pro", "rtx-4090"])),
    (["estimate", "-m", "70b", "-q", "int4", "-d", "apple", "-b", "4", "-c", "8192", "-n", "256",
      "--sort", "memory_margin_bytes"],
     dict(model="70b", quant="int4", device="apple", batch=4, context=8192, generate=256,
          sort="memory_margin_bytes")),
    (["estimate", "-m", "llama-3.1-70b", "-q", "q4_k_m", "-d", "rtx-3090,rtx-3090",
      "--split", "tensor"],
     dict(model="llama-3.1-70b", quant="q4_k_m", device=["rtx-3090", "rtx-3090"],
          split="tensor")),
    (["estimate", "-m", "llama-3.1-70b", "-q", "q4_k_m", "-d", "rtx-4090", "--gpu-layers",
      "auto"],
     dict(model="llama-3.1-70b", quant="q4_k_m", device="rtx-4090", gpu_layers="auto")),
    (["estimate", "-m", "llama-3.1-70b", "-q", "q4_0", "-d", "w7900", "--draft",
      "llama-3.1-8b", "--draft-tokens", "8", "--acceptance", "0.78", "--kv-quant", "q8_0"],
     dict(model="llama-3.1-70b", quant="q4_0", device="w7900", draft="llama-3.1-8b",
          draft_tokens=8, acceptance=0.78, kv_quant="q8_0")),
    (["estimate", "-m", "deepseek-v3", "-q", "int4", "-d", "m4-pro", "--count", "8", "--link",
      "tb5", "--price-per-hour", "2.5", "--power", "120"],
     dict(model="deepseek-v3", quant="int4", device="m4-pro", count=8, link="tb5",
          price_per_hour=2.5, power=120)),
    (["estimate", "-m", "7b", "-q", "int4", "-d", "m4-10c", "--bandwidth", "120", "--tflops",
      "38", "--ideal"],
     dict(model="7b", quant="int4", device="m4-10c", bandwidth=120, tflops=38, ideal=True)),
    (["estimate", "-m", "llama-3.1-8b", "-q", "q4_k_m", "-d", "m4-pro", "--memory", "24"],
     dict(model="llama-3.1-8b", quant="q4_k_m", device="m4-pro", memory=24)),
    (["estimate", "-m", "llama-3.1-8b", "-q", "q4_k_m", "-d", "m4-pro", "--usable-memory",
      "20"],
     dict(model="llama-3.1-8b", quant="q4_k_m", device="m4-pro", usable_memory=20)),
]


@needs_cli
@pytest.mark.parametrize("args,kwargs", CASES, ids=[" ".join(c[0][1:7]) for c in CASES])
def test_estimate_equals_cli_json(args, kwargs):
    expected = cli_json(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", llmroof.LlmroofWarning)
        assert llmroof.estimate(**kwargs) == expected["results"]
        document = llmroof.estimate_document(**kwargs)
    assert document["results"] == expected["results"]
    assert len(document["meta"]["notes"]) == len(expected["meta"]["notes"])
    assert len(document["meta"]["warnings"]) == len(expected["meta"]["warnings"])


@needs_cli
def test_listings_equal_cli_json():
    assert llmroof.devices("apple") == cli_json("devices", "apple")["results"]
    assert llmroof.models("qwen") == cli_json("models", "qwen")["results"]


def test_builtin_data_is_the_shipped_files():
    for name in ["devices.json", "device-sources.json", "models.json", "efficiency.json",
                 "links.json"]:
        assert llmroof._core._builtin_text(name) == (DATA / name).read_bytes(), name
    assert llmroof._core._builtin_text("schema/devices.schema.json") is None


def test_ideal_batch_one_is_bandwidth_over_bytes_read():
    # --ideal at batch 1 and no context: one token reads the weights once, at the bandwidth.
    row, = llmroof.estimate(model="7b", quant="int4", device="rtx-4090", bandwidth=100,
                            ideal=True)
    assert row["mem_bw_bytes_per_s"] == 100e9
    assert row["kv_read_bytes"] == 0
    assert row["tokens_per_s"] == pytest.approx(100e9 / row["weights_read_bytes"], rel=1e-12)
    assert row["tokens_per_s_low"] == row["tokens_per_s"] == row["tokens_per_s_high"]
    # Twice the bandwidth, twice the speed.
    fast, = llmroof.estimate(model="7b", quant="int4", device="rtx-4090", bandwidth=200,
                             ideal=True)
    assert fast["tokens_per_s"] == pytest.approx(2 * row["tokens_per_s"], rel=1e-12)


def test_rows_are_sorted_and_nested():
    rows = llmroof.estimate(model="llama-3.1-8b", quant="q4_k_m", device="nvidia", batch=2)
    assert len(rows) > 3
    # Rows that fit, fastest first; a row that does not fit has no speed and comes last.
    fits = [r["fits"] for r in rows]
    assert fits == sorted(fits, reverse=True)
    speeds = [r["tokens_per_s"] for r in rows if r["fits"]]
    assert speeds == sorted(speeds, reverse=True)
    assert all(r["tokens_per_s"] is None for r in rows if not r["fits"])
    assert all(r["batch"] == 2 and r["quant"] == "q4_k_m" for r in rows)
    assert all(r["device"]["vendor"] == "NVIDIA" for r in rows)
    assert rows[0]["aggregate_tokens_per_s"] == pytest.approx(2 * rows[0]["tokens_per_s"])


def test_warning_when_the_model_does_not_fit():
    with pytest.warns(llmroof.LlmroofWarning, match="needs .* GiB but rtx-4090 offers"):
        row, = llmroof.estimate(model="llama-3.1-70b", quant="fp16", device="rtx-4090")
    assert row["fits"] is False


def raised(**kwargs):
    with pytest.raises(llmroof.Error) as info:
        llmroof.estimate(**kwargs)
    return info.value


def test_unknown_model_names_the_field_and_suggests():
    e = raised(model="llama-3.1-8bb", quant="q4_k_m", device="m4-pro")
    assert type(e) is llmroof.RequestError
    assert isinstance(e, ValueError)
    assert e.field == "model"
    assert e.suggestions[0] == "llama-3.1-8b"
    assert str(e).startswith("unknown model 'llama-3.1-8bb'; did you mean 'llama-3.1-8b'")


def test_unknown_device_names_the_field_and_suggests():
    e = raised(model="llama-3.1-8b", device=["rtx-4090", "m4-prox"])
    assert (type(e), e.field, e.suggestions[0]) == (llmroof.RequestError, "device", "m4-pro")
    e = raised(model="llama-3.1-70b", quant="q4_k_m", device="rtx-4090", gpu_layers=40,
               host="i9-13900kx")
    assert (e.field, e.suggestions[0]) == ("host", "i9-13900k-ddr5")


@needs_cli
def test_error_messages_are_the_cli_messages_with_keyword_names():
    e = raised(model="llama-3.1-8b", quant="q4_k_mm", device="m4-pro")
    assert (e.field, e.suggestions[0]) == ("quant", "q4_k_m")
    out = subprocess.run([CLI, "estimate", "-m", "llama-3.1-8b", "-q", "q4_k_mm", "-d",
                          "m4-pro", "--data-dir", str(DATA)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == f"llmroof: error: {e}\n"
    # A field placeholder is rendered as the keyword argument, not as the flag.
    e = raised(model="llama-3.1-70b", quant="q4_k_m", device="rtx-3090,rtx-3090",
               split_ratio="3,x")
    assert (e.field, str(e)) == ("split_ratio", "bad split_ratio '3,x': 'x' is not a number")


@pytest.mark.parametrize("kwargs,field,message", [
    (dict(batch=0), "batch", "batch must be a whole number from 1 to 1048576, got 0"),
    (dict(batch=2.5), "batch", "batch must be a whole number from 1 to 1048576, got 2.5"),
    (dict(context="8k"), "context", "context must be a whole number from 0 to 100000000, "
                                    "got '8k'"),
    (dict(acceptance=1.5), "acceptance", "acceptance must be a number from 0 to 1, got 1.5"),
    (dict(bandwidth=-1), "bandwidth", "bandwidth must be a positive number, got -1"),
    (dict(power=math.inf), "power", "power must be a finite number, got inf"),
    (dict(ideal="yes"), "ideal", "ideal must be true or false, got 'yes'"),
    (dict(split="pipe"), "split", "split must be one of layer, tensor, row, got 'pipe'"),
    (dict(device=[]), "device", "device is required"),
])
def test_bad_values_name_their_argument(kwargs, field, message):
    request = dict(model="llama-3.1-8b", quant="q4_k_m", device="rtx-4090")
    request.update(kwargs)
    e = raised(**request)
    assert (type(e), e.field, str(e)) == (llmroof.RequestError, field, message)


def test_enum_values_suggest_and_ignore_case():
    e = raised(model="7b", device="rtx-4090", kv_quant="q8")
    assert (e.field, e.suggestions[0]) == ("kv_quant", "q8_0")
    row, = llmroof.estimate(model="7b", device="rtx-4090", kv_quant="Q8_0", backend="CUDA")
    assert row["kv_quant"] == "q8_0"


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        llmroof.estimate(model="7b", device="rtx-4090", bach=2)


def test_data_errors_carry_every_message(tmp_path):
    with pytest.raises(llmroof.DataError) as info:
        llmroof.Database(device_files=[TEST_DATA / "bad" / "devices-bad-field.json"]).devices()
    assert info.value.messages
    assert all("devices-bad-field.json:" in m for m in info.value.messages)
    db = llmroof.Database(device_files=[TEST_DATA / "good" / "devices-user.json"])
    row, = db.estimate(model="7b", quant="int4", device="homelab")
    assert (row["device"]["id"], row["mem_bw_bytes_per_s"]) == ("my-rig", 96e9)


def test_model_bytes_that_are_not_a_model():
    with pytest.raises(llmroof.ModelFileError):
        llmroof.estimate(model=b"GGUF\x03\x00\x00\x00", device="rtx-4090")
    with pytest.raises(llmroof.ModelFileError):
        llmroof.estimate(model=b'{"hidden_size": 4096}', device="rtx-4090")


@needs_shared
@needs_cli
def test_model_files_from_paths_and_bytes_equal_cli_json():
    config = SHARED / "fixtures" / "hf-configs" / "Qwen3-8B.json"
    gguf = SHARED / "fixtures" / "gguf" / "tiny-random-llama.gguf"
    for path, quant in [(config, "q4_k_m"), (gguf, None)]:
        args = ["estimate", "-m", str(path), "-d", "rtx-4090,m4-pro"]
        expected = cli_json(*args, *(["-q", quant] if quant else []))["results"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", llmroof.LlmroofWarning)
            assert llmroof.estimate(model=path, quant=quant, device="rtx-4090,m4-pro") == expected
            assert llmroof.estimate(model=str(path), quant=quant,
                                    device=["rtx-4090", "m4-pro"]) == expected
            from_bytes = llmroof.estimate(model=(str(path), path.read_bytes()), quant=quant,
                                          device="rtx-4090,m4-pro")
        assert from_bytes == expected
    expected = cli_json("inspect", str(gguf))
    assert llmroof.inspect(gguf) == expected
    assert llmroof.inspect((str(gguf), gguf.read_bytes())) == expected
    assert llmroof.inspect(gguf.read_bytes())["summary"]["file"] == "model.gguf"


def test_estimate_frame():
    pandas = pytest.importorskip("pandas")
    frame = llmroof.estimate_frame(model="llama-3.1-8b", quant="q4_k_m",
                                   device=["m4-pro", "rtx-4090"])
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["device.id"]) == ["rtx-4090", "m4-pro-20c"]
    rows = llmroof.estimate(model="llama-3.1-8b", quant="q4_k_m", device=["m4-pro", "rtx-4090"])
    assert list(frame["tokens_per_s"]) == [r["tokens_per_s"] for r in rows]


def test_readme_example_prints_its_output():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    expected = section.split("```text\n", 1)[1].split("```", 1)[0]
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout == expected
