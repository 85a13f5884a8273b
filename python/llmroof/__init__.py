"""llmroof: roofline estimates of LLM inference speed (tokens/s) on real hardware.

The same core as the ``llmroof`` command line, with its data compiled in::

    >>> import llmroof
    >>> rows = llmroof.estimate(model="llama-3.1-8b", quant="q4_k_m", device=["rtx-4090"])
    >>> round(rows[0]["tokens_per_s"], 1)
    148.6

Rows are dicts with the field names and base units of ``llmroof estimate --format json``
(bytes, seconds, tokens/s; nested objects such as ``row["device"]["id"]``).
"""

import json as _json
import math as _math
import os as _os
import warnings as _warnings

from . import _core
from .errors import (DataError, Error, LlmroofWarning, ModelFileError, RequestError,
                     UsageError)

__all__ = [
    "Database", "estimate", "estimate_document", "estimate_frame", "devices", "models",
    "inspect", "Error", "UsageError", "RequestError", "DataError", "ModelFileError",
    "LlmroofWarning", "__version__",
]
__version__ = _core.version

_GGUF_MAGIC = b"GGUF"


def _model_files(model):
    """Splits a model argument into its JSON name and the files the core opens.

    A str that names an existing path, or an os.PathLike, is a file (a config.json, a directory
    holding one, a .gguf with all its split parts); other str are catalog ids or sizes; bytes are
    the content of one file; (name, bytes) names that content; a list holds several files (the
    parts of a split GGUF).
    """
    if model is None:
        return None, []
    if isinstance(model, str):
        return (model, [model]) if _os.path.exists(model) else (model, [])
    if isinstance(model, _os.PathLike):
        path = _os.fspath(model)
        return path, [path]
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
        name = "model.gguf" if data[:4] == _GGUF_MAGIC else "config.json"
        return name, [(name, data)]
    if (isinstance(model, tuple) and len(model) == 2 and isinstance(model[0], str)
            and isinstance(model[1], (bytes, bytearray, memoryview))):
        return model[0], [(model[0], bytes(model[1]))]
    if isinstance(model, (list, tuple)):
        files = []
        for item in model:
            _, part = _model_files(item)
            if not part:
                raise RequestError(f"no such file or directory {item!r} for model", "model")
            files.extend(part)
        name = files[0] if isinstance(files[0], str) else files[0][0]
        return name, files
    raise TypeError(f"model must be a str, a path, bytes, (name, bytes) or a list of files, "
                    f"not {type(model).__name__}")


def _sequence(value):
    """A str stays as it is; any other iterable (a tuple, a pandas Index) becomes a list."""
    if value is None or isinstance(value, str):
        return value
    return list(value)


class Database(_core.Database):
    """Devices, models, links and efficiency profiles: the compiled-in data, or the files of
    ``data_dir``, with ``device_files`` (the schema of data/devices.json) merged over the
    devices and ``calibrations`` (profiles written by ``llmroof calibrate``) over the
    efficiency table. Tables are read on first use.
    """

    def __init__(self, data_dir=None, device_files=(), calibrations=()):
        super().__init__(None if data_dir is None else _os.fspath(data_dir),
                         [_os.fspath(f) for f in device_files],
                         [_os.fspath(f) for f in calibrations])

    def estimate_document(self, model, quant=None, device=None, *, batch=None, context=None,
                          prompt=None, generate=None, bandwidth=None, tflops=None, memory=None,
                          usable_memory=None, kv_quant=None, compute_precision=None,
                          backend=None, ideal=None, expert_skew=None, power=None,
                          price_per_hour=None, sort=None, show=None, count=None, split=None,
                          split_ratio=None, link=None, gpu_layers=None, host=None,
                          cpu_moe=None, draft=None, draft_quant=None, draft_tokens=None,
                          acceptance=None):
        """The whole JSON document of ``llmroof estimate --format json`` as a dict: "results"
        (the rows), "meta" (notes, warnings, version) and the document fields.

        Arguments are the CLI's options by their field names: model (catalog id, size such as
        "70b", path, bytes), quant, device (an id, a list of ids, or a filter such as
        "nvidia"), batch, context, prompt and generate (tokens), bandwidth (GB/s), tflops
        (TFLOP/s), memory (GiB installed; the usable share is applied on top), usable_memory
        (GiB usable, as is), kv_quant, compute_precision, backend, ideal, expert_skew,
        power (W), price_per_hour (USD), sort, show, count, split, split_ratio, link,
        gpu_layers, host, cpu_moe, draft (same forms as model), draft_quant, draft_tokens,
        acceptance. None means the CLI's default. Raises RequestError naming the argument at
        fault.
        """
        name, files = _model_files(model)
        draft_name, draft_files = _model_files(draft)
        request = {
            "model": name, "quant": quant, "device": _sequence(device), "batch": batch,
            "context": context, "prompt": prompt, "generate": generate,
            "bandwidth": bandwidth, "tflops": tflops, "memory": memory,
            "usable_memory": usable_memory, "kv_quant": kv_quant,
            "compute_precision": compute_precision, "backend": backend, "ideal": ideal,
            "expert_skew": expert_skew, "power": power, "price_per_hour": price_per_hour,
            "sort": sort, "show": _sequence(show), "count": count, "split": split,
            "split_ratio": _sequence(split_ratio), "link": link, "gpu_layers": gpu_layers,
            "host": host, "cpu_moe": cpu_moe, "draft": draft_name, "draft_quant": draft_quant,
            "draft_tokens": draft_tokens, "acceptance": acceptance,
        }
        request = {k: v for k, v in request.items() if v is not None}
        for key, value in request.items():
            if isinstance(value, float) and not _math.isfinite(value):
                raise RequestError(f"{key} must be a finite number, got {value}", key)
        try:
            request_json = _json.dumps(request)
        except TypeError as e:
            # A value JSON cannot hold (a set, an arbitrary object).
            raise TypeError(f"bad estimate argument: {e}") from None
        text = self._estimate_json(request_json, files, draft_files)
        return _json.loads(text)

    def estimate(self, model, quant=None, device=None, **options):
        """Estimate rows (one per device or group) as dicts with the JSON field names, best
        first; the report's warnings are issued as LlmroofWarning. Arguments as for
        estimate_document.
        """
        document = self.estimate_document(model, quant, device, **options)
        for warning in document["meta"]["warnings"]:
            _warnings.warn(warning, LlmroofWarning, stacklevel=2)
        return document["results"]

    def estimate_frame(self, model, quant=None, device=None, **options):
        """estimate() as a pandas DataFrame, nested fields flattened ("device.id"). Needs
        pandas, which llmroof does not otherwise require.
        """
        try:
            import pandas
        except ImportError as e:
            raise ImportError("estimate_frame needs pandas (pip install pandas, or "
                              "apt install python3-pandas); estimate() gives the same rows "
                              "as dicts") from e
        rows = self.estimate(model, quant, device, **options)
        return pandas.json_normalize(rows)

    def devices(self, query=""):
        """The devices whose id, alias, name, vendor, kind or segment matches ``query`` (all
        when empty), as ``llmroof devices --format json`` lists them."""
        return _json.loads(self._devices_json(query))["results"]

    def models(self, query=""):
        """The catalog models matching ``query``, as ``llmroof models --format json``."""
        return _json.loads(self._models_json(query))["results"]

    def inspect(self, model):
        """What llmroof reads from a model file (path, bytes or (name, bytes)), as the
        document of ``llmroof inspect --format json``; only a GGUF's header is read."""
        _, files = _model_files(model)
        if not files:
            raise RequestError(f"no such file or directory {model!r} for model", "model")
        return _json.loads(self._inspect_json(files))


_default = None


def _database():
    global _default
    if _default is None:
        _default = Database()
    return _default


def estimate(model, quant=None, device=None, **options):
    """Database().estimate() over the compiled-in data: rows as dicts."""
    return _database().estimate(model, quant, device, **options)


def estimate_document(model, quant=None, device=None, **options):
    """Database().estimate_document() over the compiled-in data."""
    return _database().estimate_document(model, quant, device, **options)


def estimate_frame(model, quant=None, device=None, **options):
    """Database().estimate_frame() over the compiled-in data: a pandas DataFrame."""
    return _database().estimate_frame(model, quant, device, **options)


def devices(query=""):
    """Database().devices() over the compiled-in data."""
    return _database().devices(query)


def models(query=""):
    """Database().models() over the compiled-in data."""
    return _database().models(query)


def inspect(model):
    """Database().inspect(): what llmroof reads from a model file."""
    return _database().inspect(model)
