"""Reading and writing safetensors files: headers, tensors, atomic writes, clear errors."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from zoo.errors import CheckpointError

WEIGHTS_NAME = "model.safetensors"  # the file inside a save_pretrained folder
INDEX_NAME = "model.safetensors.index.json"  # the shard map of sharded weights (HF layout)

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
    """The checkpoint at ``path``: a .safetensors file, or inside a folder its
    ``model.safetensors`` or, for sharded weights, its ``model.safetensors.index.json``."""
    if not isinstance(path, (str, Path)):
        raise CheckpointError(f"a checkpoint path must be a str or pathlib.Path, got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        for name in (WEIGHTS_NAME, INDEX_NAME):
            if (path / name).is_file():
                return path / name
        raise CheckpointError(
            f"folder {str(path)!r} has neither {WEIGHTS_NAME} nor {INDEX_NAME}; give a "
            ".safetensors file or a folder written by zoo.save_pretrained / zoo.save"
        )
    if not path.exists():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist")
    return path


def _read_shard_index(index_path: Path) -> tuple[dict[str, str], dict]:
    """An index's ``weight_map`` (tensor name -> shard file, a plain name in the folder)
    and its ``metadata``, read once and checked."""
    try:
        data = json.loads(index_path.read_text(encoding="utf-8"))
        weight_map = data["weight_map"]
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise TypeError("weight_map must map tensor names to file names")
        metadata = data.get("metadata") or {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise CheckpointError(f"{str(index_path)!r} is not a valid shard index ({err})") from None
    if not weight_map:
        raise CheckpointError(f"{str(index_path)!r} lists no tensors (its weight_map is empty)")
    outside = sorted({v for v in weight_map.values() if Path(v).name != v or v in ("", ".", "..")})
    if outside:
        raise CheckpointError(
            f"{str(index_path)!r} names shards outside its folder: {', '.join(outside[:5])}; "
            "shards must be plain file names next to the index"
        )
    return weight_map, metadata if isinstance(metadata, dict) else {}


def _shard_paths(index_path: Path, weight_map: dict[str, str]) -> list[Path]:
    files = [index_path.parent / name for name in dict.fromkeys(weight_map.values())]
    missing = [str(f.name) for f in files if not f.is_file()]
    if missing:
        raise CheckpointError(f"{str(index_path)!r} lists shards that are missing: {', '.join(missing)}")
    return files


def shard_files(path: str | Path) -> list[Path]:
    """The .safetensors files that hold a checkpoint, in index order."""
    path = weights_path(path)
    if path.name != INDEX_NAME:
        return [path]
    return _shard_paths(path, _read_shard_index(path)[0])


def _named(keys: list[str]) -> str:
    shown = ", ".join(sorted(keys)[:10])
    return shown + (f", ... ({len(keys) - 10} more)" if len(keys) > 10 else "")


def _check_index(
    index_path: Path,
    weight_map: dict[str, str],
    save_id: str | None,
    shards: dict[str, tuple[dict[str, str], list[str]]],
) -> None:
    """Every tensor the index lists is in the shard it names and in no other, no shard
    holds others, and all shards come from the index's save (zoo's ``zoo.save_id``)."""
    holders: dict[str, list[str]] = {}
    for shard, (_, keys) in shards.items():
        for key in keys:
            holders.setdefault(key, []).append(shard)
    problems = []
    twice = [k for k, names in holders.items() if len(names) > 1]
    if twice:
        problems.append(f"in more than one shard: {_named(twice)}")
    absent = [k for k, shard in weight_map.items() if holders.get(k) != [shard] and k not in twice]
    if absent:
        problems.append(f"listed but not in the shard the index names: {_named(absent)}")
    unlisted = [k for k in holders if k not in weight_map]
    if unlisted:
        problems.append(f"in a shard but not in the index: {_named(unlisted)}")
    if problems:
        raise CheckpointError(
            f"{str(index_path)!r} does not match its shards (an interrupted copy, or shards "
            f"from another save?); tensors {'; '.join(problems)}"
        )
    mixed = [name for name, (meta, _) in shards.items() if save_id and meta.get("zoo.save_id") != save_id]
    if mixed:
        raise CheckpointError(
            f"{str(index_path)!r}: shard(s) {', '.join(mixed[:5])} were written by another save "
            "than the index (an interrupted save?); save the model again"
        )


def _read_header(path: Path) -> tuple[dict[str, str], dict[str, TensorInfo]]:
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


def read_index(path: str | Path) -> tuple[dict[str, str], dict[str, TensorInfo]]:
    """The metadata and the (shape, dtype) of every tensor, reading only the headers.

    For sharded weights the metadata is the first shard's (zoo writes it into each).
    """
    path = weights_path(path)
    if path.name != INDEX_NAME:
        return _read_header(path)
    weight_map, index_metadata = _read_shard_index(path)
    files = _shard_paths(path, weight_map)
    headers = {shard.name: _read_header(shard) for shard in files}
    shards = {name: (meta, list(tensors)) for name, (meta, tensors) in headers.items()}
    _check_index(path, weight_map, index_metadata.get("zoo.save_id"), shards)
    index = {key: info for _, tensors in headers.values() for key, info in tensors.items()}
    return headers[files[0].name][0], index


def iter_shards(path: str | Path, device: torch.device) -> Iterator[dict[str, torch.Tensor]]:
    """The checkpoint's tensors one file at a time, so one shard is in memory at once."""
    for shard in shard_files(path):
        try:
            tensors = load_file(str(shard), device=str(device))
        except (SafetensorError, OSError, ValueError, RuntimeError) as err:
            raise _open_error(shard, err) from None
        yield tensors


def parse_size(size: int | str) -> int:
    """Bytes from ``2_000_000``, ``"2GB"`` (10^9), ``"500MB"``, ``"1GiB"`` (2^30) ...

    >>> parse_size("2GB"), parse_size("1GiB")
    (2000000000, 1073741824)
    """
    units = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
    if isinstance(size, int) and not isinstance(size, bool) and size > 0:
        return size
    if isinstance(size, str):
        text = size.strip().upper().replace(" ", "")
        number = text.rstrip("KMGTIB")
        unit = text[len(number):]
        try:
            value = float(number)
        except ValueError:
            value = -1.0
        if unit in units and value > 0:
            return int(value * units[unit])
    raise CheckpointError(
        f"max_shard_size must be a positive byte count or like '2GB' / '500MB', got {size!r}"
    )


def write_atomic(tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]) -> None:
    """Write beside ``path`` and rename over it: a failure never damages an existing file.

    A symlink is followed (its target is replaced, the link kept), and an existing file's
    permissions carry over to the new one.
    """
    write_all_atomic([(tensors, path)], metadata)


def write_all_atomic(
    files: Iterable[tuple[dict[str, torch.Tensor], Path]],
    metadata: dict[str, str],
    index: tuple[Path, str] | None = None,
    follow_symlinks: bool = True,
) -> None:
    """``write_atomic`` for several files at once: all are written beside their paths
    first (one at a time, from an iterable), then ``index`` (a text file), and only then
    renamed into place, the index last. A failure while writing (a full disk) leaves
    every existing file as it was. Needs room for the new files and the old. With
    ``follow_symlinks=False`` a symlink is replaced, its target left alone."""
    staged: list[tuple[Path, Path]] = []

    def stage(path: Path) -> Path:
        path = path.resolve() if follow_symlinks and path.is_symlink() else path
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        staged.append((tmp, path))
        return tmp

    try:
        for tensors, path in files:
            tmp = stage(path)
            save_file(tensors, str(tmp), metadata=metadata)
        if index is not None:
            stage(index[0]).write_text(index[1], encoding="utf-8")
        for tmp, path in staged:
            if path.exists() and not path.is_symlink():
                os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()
