"""safetensors save / load: weights plus the metadata that rebuilds the model.

A zoo file is a plain ``.safetensors`` file whose metadata names the architecture, its
config (JSON), the init policy and seed, the dtype and the versions. Loading rebuilds the
architecture on the meta device and assigns the file's tensors: nothing is initialized
that the file overwrites, and a failed check leaves no model half-built. Saving writes a
temporary file and renames it, so a failure never damages an existing file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from zoo.errors import CheckpointError, ZooError
from zoo.factory import check_device, check_dtype
from zoo.init import apply
from zoo.init.engine import init_state
from zoo.init.policies import resolve_policy
from zoo.models.base import ZooModel
from zoo.registry import get_entry
from zoo.version import __version__

FORMAT_VERSION = "1"
REQUIRED_METADATA = ("zoo.format_version", "zoo.arch", "zoo.config", "zoo.init", "zoo.seed", "zoo.dtype")
KNOWN_PREFIXES = ("module.", "_orig_mod.")  # DataParallel / DDP, torch.compile

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int, ...]
    dtype: torch.dtype


@dataclass
class LoadReport:
    """What a load did: loaded, re-initialized, missing, unexpected, mismatched, cast."""

    path: str
    loaded: list[str] = field(default_factory=list)
    reinitialized: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)  # "name: expected (..), file (..)"
    cast: list[str] = field(default_factory=list)
    stripped_prefixes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        lines = [f"loaded {len(self.loaded)} tensors from {self.path}"]
        for label, items in (
            ("re-initialized", self.reinitialized),
            ("missing from the file", self.missing),
            ("unexpected in the file", self.unexpected),
            ("shape/dtype mismatch", self.mismatched),
            ("cast", self.cast),
            ("stripped key prefix", self.stripped_prefixes),
        ):
            if items:
                shown = ", ".join(items[:20]) + (f", ... ({len(items) - 20} more)" if len(items) > 20 else "")
                lines.append(f"{label} ({len(items)}): {shown}")
        return "\n".join(lines)


def _open_error(path: Path, err: Exception) -> CheckpointError:
    return CheckpointError(
        f"{str(path)!r} is not a readable safetensors file ({err}); it may be truncated, "
        "or another format (zoo reads and writes .safetensors only, never pickle)"
    )


def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist")
    if path.is_dir():
        raise CheckpointError(f"checkpoint {str(path)!r} is a directory; give a .safetensors file")
    return path


def read_index(path: str | Path) -> tuple[dict[str, str], dict[str, TensorInfo]]:
    """The metadata and the (shape, dtype) of every tensor, reading only the header."""
    path = _check_path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            index = {}
            for key in f.keys():
                view = f.get_slice(key)
                index[key] = TensorInfo(tuple(view.get_shape()), _DTYPES[view.get_dtype()])
    except (SafetensorError, OSError, ValueError, KeyError) as err:
        raise _open_error(path, err) from None
    return metadata, index


def _read_tensors(path: Path, device: torch.device) -> dict[str, torch.Tensor]:
    try:
        return load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise _open_error(path, err) from None


def zoo_metadata(path: str | Path) -> dict[str, str]:
    """The zoo metadata of a file; a clear error when the file was not written by zoo."""
    metadata, _ = read_index(path)
    missing = [k for k in REQUIRED_METADATA if k not in metadata]
    if missing:
        raise CheckpointError(
            f"{str(path)!r} is a safetensors file but not a zoo model file: its metadata lacks "
            f"{', '.join(missing)}. To load plain weights, build the model and load into it: "
            "zoo.create(NAME, weights=PATH) or zoo.load_weights(model, PATH)"
        )
    if metadata["zoo.format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{str(path)!r} has zoo format version {metadata['zoo.format_version']!r}; "
            f"this zoo ({__version__}) reads version {FORMAT_VERSION}"
        )
    return metadata


def save(model: nn.Module, path: str | Path) -> Path:
    """Write ``model``'s weights and self-describing metadata to a ``.safetensors`` file.

    Atomic: the file is written beside ``path`` and renamed over it, so a failure never
    damages an existing file.

    >>> import zoo, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "mlp.safetensors")
    >>> _ = zoo.save(zoo.create("mlp", in_features=4, hidden=(8,), out_features=2), path)
    >>> zoo.load(path).config.hidden
    (8,)
    """
    if not isinstance(model, ZooModel) or not model.arch:
        raise ZooError(
            f"zoo.save needs a model made by zoo.create or zoo.load, got {type(model).__name__}; "
            "for a plain torch module use safetensors.torch.save_file(module.state_dict(), path)"
        )
    path = Path(path)
    if path.is_dir():
        raise ZooError(f"{str(path)!r} is a directory; give a file path ending in .safetensors")
    if not path.parent.is_dir():
        raise ZooError(f"cannot save to {str(path)!r}: folder {str(path.parent)!r} does not exist")
    state = init_state(model)
    floats = {t.dtype for t in model.state_dict().values() if t.is_floating_point()}
    metadata = {
        "format": "pt",
        "zoo.format_version": FORMAT_VERSION,
        "zoo.arch": model.arch,
        "zoo.config": model.config.to_json(),
        "zoo.init": json.dumps(state.policy.to_spec() if state else None),
        "zoo.seed": json.dumps(state.seed if state else None),
        "zoo.dtype": ",".join(sorted(_dtype_name(d) for d in floats)),
        "zoo.version": __version__,
        "torch.version": torch.__version__,
    }
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save_file(tensors, str(tmp), metadata=metadata)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _strip_prefixes(key: str, stripped: set[str]) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in KNOWN_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
                stripped.add(prefix)
                changed = True
    return key


def _match(
    model: nn.Module, index: dict[str, TensorInfo], path: Path, check_dtype_of: torch.dtype | None
) -> tuple[LoadReport, dict[str, str]]:
    """Compare the model's state with the file's index; map model keys to file keys."""
    expected = {k: TensorInfo(tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}
    stripped: set[str] = set()
    by_model_key = {}
    for file_key in index:
        by_model_key.setdefault(_strip_prefixes(file_key, stripped), file_key)
    report = LoadReport(str(path), stripped_prefixes=sorted(stripped))
    for key, want in expected.items():
        if key not in by_model_key:
            report.missing.append(key)
            continue
        found = index[by_model_key[key]]
        if found.shape != want.shape:
            report.mismatched.append(f"{key}: expected shape {want.shape}, file has {found.shape}")
        elif found.dtype.is_floating_point != want.dtype.is_floating_point or (
            check_dtype_of is not None and found.dtype.is_floating_point and found.dtype != check_dtype_of
        ):
            report.mismatched.append(
                f"{key}: expected dtype {_dtype_name(check_dtype_of or want.dtype)}, "
                f"file has {_dtype_name(found.dtype)}"
            )
        else:
            report.loaded.append(key)
            if found.dtype != want.dtype:
                report.cast.append(f"{key}: {_dtype_name(found.dtype)} -> {_dtype_name(want.dtype)}")
    report.unexpected = sorted(k for k in by_model_key if k not in expected)
    return report, by_model_key


def _fail(report: LoadReport, what: str) -> None:
    raise CheckpointError(f"{what} does not fit the model; nothing was loaded.\n{report}")


def load(
    path: str | Path, device: torch.device | str | None = None, dtype: torch.dtype | str | None = None
) -> ZooModel:
    """Rebuild a model from a zoo ``.safetensors`` file (architecture, config and weights).

    Strict: any missing, unexpected or mismatched tensor is an error listing them.
    ``dtype`` casts the floating tensors after loading; ``device`` places them
    (``"meta"`` rebuilds the architecture and its init record without reading weights).
    """
    path = _check_path(path)
    metadata = zoo_metadata(path)
    _, index = read_index(path)
    target, dtype = check_device(device), check_dtype(dtype)
    entry = get_entry(metadata["zoo.arch"])
    try:
        config = entry.config_cls.from_dict(json.loads(metadata["zoo.config"]))
    except (json.JSONDecodeError, ZooError) as err:
        raise CheckpointError(f"{str(path)!r} holds an invalid zoo.config: {err}") from None
    file_floats = metadata["zoo.dtype"].split(",")
    file_dtype = check_dtype(file_floats[0]) if file_floats[0] else torch.float32
    with torch.device("meta"):
        model = entry.build(config).to(file_dtype)
    report, by_model_key = _match(model, index, path, file_dtype)
    if not report.ok:
        _fail(report, f"{str(path)!r}")
    _remember_init(model, metadata)
    model.zoo_metadata = metadata
    if target.type == "meta":  # architecture, config and init record only: read no tensor
        return model.to(dtype) if dtype is not None else model
    tensors = _read_tensors(path, target)
    state = {key: tensors[file_key] for key, file_key in by_model_key.items()}
    model.load_state_dict(state, strict=True, assign=True)
    return model.to(dtype) if dtype is not None else model


def _remember_init(model: ZooModel, metadata: dict[str, str]) -> None:
    """Record the file's policy and seed on the model, so zoo.describe can report them."""
    spec, seed = json.loads(metadata["zoo.init"]), json.loads(metadata["zoo.seed"])
    if spec is None or seed is None:
        return
    try:
        policy = resolve_policy(spec, model)
    except ZooError:
        return  # a custom policy this process does not know: the weights still load
    apply(model, policy, seed)  # on the meta device this records, it draws nothing


def load_into_meta_model(
    model: ZooModel,
    path: str | Path,
    device: torch.device,
    dtype: torch.dtype | None,
    init: Any,
    seed: int,
) -> LoadReport:
    """Assign a checkpoint's tensors to a model built on meta (zoo.create(weights=...))."""
    path = _check_path(path)
    _, index = read_index(path)
    report, by_model_key = _match(model, index, path, None)
    if not report.ok:
        _fail(report, f"checkpoint {str(path)!r}")
    apply(model, init, seed)  # records policy and seed; draws nothing on meta
    model.zoo_load_report = report
    if device.type == "meta":  # checked against the file; nothing to read
        return report
    tensors = _read_tensors(path, device)
    want = model.state_dict()
    state = {
        key: tensors[file_key].to(want[key].dtype) for key, file_key in by_model_key.items()
        if key in want
    }
    model.load_state_dict(state, strict=True, assign=True)
    return report


def load_weights(model: nn.Module, path: str | Path, strict: bool = True) -> LoadReport:
    """Copy a checkpoint's tensors into an existing model, keeping its device and dtype.

    Strict by default: any missing, unexpected or mismatched key is an error listing
    them, and the model is left untouched. With ``strict=False`` the keys that fit are
    loaded and the report lists the rest; a file with no matching key is still an error.
    ``module.`` and ``_orig_mod.`` key prefixes are stripped.
    """
    path = _check_path(path)
    _, index = read_index(path)
    report, by_model_key = _match(model, index, path, None)
    if (strict and not report.ok) or not report.loaded:
        _fail(report, f"checkpoint {str(path)!r}")
    tensors = _read_tensors(path, torch.device("cpu"))
    state = model.state_dict()
    with torch.no_grad():
        for key in report.loaded:
            state[key].copy_(tensors[by_model_key[key]])
    return report
