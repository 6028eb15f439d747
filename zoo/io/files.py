"""Reading and writing safetensors files: headers, tensors, atomic writes, clear errors."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from zoo.errors import CheckpointError

WEIGHTS_NAME = "model.safetensors"  # the file inside a save_pretrained folder

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int, ...]
    dtype: torch.dtype


def _open_error(path: Path, err: Exception) -> CheckpointError:
    return CheckpointError(
        f"{str(path)!r} is not a readable safetensors file ({err}); it may be truncated, "
        "or another format (zoo reads and writes .safetensors only, never pickle)"
    )


def weights_path(path: str | Path) -> Path:
    """The .safetensors file at ``path``, or inside it when it is a save_pretrained folder."""
    if not isinstance(path, (str, Path)):
        raise CheckpointError(f"a checkpoint path must be a str or pathlib.Path, got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        inner = path / WEIGHTS_NAME
        if not inner.is_file():
            raise CheckpointError(
                f"folder {str(path)!r} has no {WEIGHTS_NAME}; give a .safetensors file or a "
                "folder written by zoo.save_pretrained"
            )
        return inner
    if not path.exists():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist")
    return path


def read_index(path: str | Path) -> tuple[dict[str, str], dict[str, TensorInfo]]:
    """The metadata and the (shape, dtype) of every tensor, reading only the header."""
    path = weights_path(path)
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


def read_tensors(path: str | Path, device: torch.device) -> dict[str, torch.Tensor]:
    path = weights_path(path)
    try:
        return load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise _open_error(path, err) from None


def write_atomic(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """Write beside ``path`` and rename over it: a failure never damages an existing file.

    A symlink is followed (its target is replaced, the link kept), and an existing file's
    permissions carry over to the new one.
    """
    path = path.resolve() if path.is_symlink() else path
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save_file(tensors, str(tmp), metadata=metadata)
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
