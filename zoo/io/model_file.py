"""zoo model files: a ``.safetensors`` file whose metadata rebuilds the model.

Metadata: format version, architecture, config (JSON), init policy and seed, dtype, zoo
and torch versions. ``save_pretrained`` writes the Hugging Face folder layout
(``config.json`` + ``model.safetensors``) with the same content.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import torch
from torch import nn

from zoo.errors import CheckpointError, ZooError
from zoo.factory import check_device, check_dtype
from zoo.init import apply, init_state
from zoo.init.policies import resolve_policy
from zoo.io.files import (
    INDEX_NAME,
    WEIGHTS_NAME,
    dtype_name,
    parse_size,
    read_index,
    weights_path,
    write_all_atomic,
    write_atomic,
)
from zoo.io.matching import plan_load
from zoo.io.weights import cast_checked, check_plan, file_tensors
from zoo.models.base import ZooModel
from zoo.presets import CONFIG_NAME, folder_preset
from zoo.registry import get_entry
from zoo.version import __version__

FORMAT_VERSION = "1"
REQUIRED_METADATA = ("zoo.format_version", "zoo.arch", "zoo.config", "zoo.init", "zoo.seed", "zoo.dtype")


def _metadata(model: ZooModel) -> dict[str, str]:
    state = init_state(model)
    floats = {t.dtype for t in model.state_dict().values() if t.is_floating_point()}
    return {
        "format": "pt",
        "zoo.format_version": FORMAT_VERSION,
        "zoo.arch": model.arch,
        "zoo.config": model.config.to_json(),
        "zoo.init": json.dumps(state.policy.to_spec(model) if state else None),
        "zoo.seed": json.dumps(state.seed if state else None),
        "zoo.dtype": ",".join(sorted(dtype_name(d) for d in floats)),
        "zoo.version": __version__,
        "torch.version": torch.__version__,
    }


def _check_savable(model: nn.Module) -> None:
    if not isinstance(model, ZooModel) or not model.arch:
        raise ZooError(
            f"zoo.save needs a model made by zoo.create or zoo.load, got {type(model).__name__}; "
            "for a plain torch module use safetensors.torch.save_file(module.state_dict(), path)"
        )
    state = model.state_dict()
    meta = [k for k, v in state.items() if v.is_meta]
    if meta:
        raise ZooError(f"cannot save a model on the meta device (no values): {meta[0]}, ...")
    owners: dict[int, str] = {}
    for key, value in state.items():
        if value.numel() and value.data_ptr() in owners:
            raise ZooError(
                f"{key!r} shares memory with {owners[value.data_ptr()]!r}; zoo files do not "
                "hold tied tensors yet"
            )
        owners[value.data_ptr()] = key


def _as_path(path: object) -> Path:
    if not isinstance(path, (str, Path)):
        raise ZooError(f"a path must be a str or pathlib.Path, got {type(path).__name__}")
    return Path(path)


def save(model: nn.Module, path: str | Path, max_shard_size: int | str | None = None) -> Path:
    """Write ``model``'s weights and self-describing metadata to a ``.safetensors`` file.

    Atomic: written beside ``path`` and renamed over it, so a failure never damages an
    existing file. With ``max_shard_size`` (``"2GB"``, bytes...), ``path`` is a folder that
    receives ``model-0000N-of-0000M.safetensors`` shards and
    ``model.safetensors.index.json`` (the Hugging Face layout); ``zoo.load(folder)`` reads
    them one shard at a time.

    >>> import zoo, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "mlp.safetensors")
    >>> _ = zoo.save(zoo.create("mlp", in_features=4, hidden=(8,), out_features=2), path)
    >>> zoo.load(path).config.hidden
    (8,)
    """
    _check_savable(model)
    path = _as_path(path)
    if max_shard_size is not None:
        return _save_sharded(model, path, parse_size(max_shard_size))
    if path.is_dir():
        raise ZooError(
            f"{str(path)!r} is a directory; give a file path ending in .safetensors "
            "(or use zoo.save_pretrained for a folder)"
        )
    if not path.parent.is_dir():
        raise ZooError(f"cannot save to {str(path)!r}: folder {str(path.parent)!r} does not exist")
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    write_atomic(tensors, path, _metadata(model))
    return path


def _save_sharded(model: ZooModel, folder: Path, limit: int) -> Path:
    if folder.suffix == ".safetensors":
        raise ZooError(
            f"max_shard_size saves a folder of shards; give a folder path, not {str(folder)!r}"
        )
    if folder.exists() and not folder.is_dir():
        raise ZooError(f"{str(folder)!r} exists and is not a folder (max_shard_size saves a folder)")
    folder.mkdir(parents=True, exist_ok=True)
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for key, value in model.state_dict().items():
        nbytes = value.numel() * value.element_size()
        if shards[-1] and size + nbytes > limit:  # a tensor larger than the limit gets its own
            shards.append({})
            size = 0
        shards[-1][key] = value
        size += nbytes
    # Every shard and the index carry one id: a load refuses shards of another save.
    metadata = {**_metadata(model), "zoo.save_id": uuid.uuid4().hex}
    names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    _refuse_folders_in_the_way(folder, [*names, INDEX_NAME, WEIGHTS_NAME, CONFIG_NAME])
    total = sum(v.numel() * v.element_size() for v in model.state_dict().values())
    index = {
        "metadata": {"total_size": total, **metadata},
        "weight_map": {key: name for name, shard in zip(names, shards) for key in shard},
    }
    write_all_atomic(
        (({k: v.detach().to("cpu").contiguous() for k, v in shard.items()}, folder / name)
         for name, shard in zip(names, shards)),
        metadata,
        index=(folder / INDEX_NAME, json.dumps(index, indent=2) + "\n"),
        follow_symlinks=False,  # a shard linked into a shared cache is replaced, not written through
    )
    for stale in folder.glob("model-*-of-*.safetensors"):  # shards of an earlier, other split
        if stale.name not in names:
            stale.unlink()
    single = folder / WEIGHTS_NAME
    if single.exists():  # an unsharded copy would shadow the index: it is stale now
        single.unlink()
    if _is_zoo_config(folder):  # a save_pretrained folder: keep its config.json true
        _write_config(model, folder)
    return folder


def _refuse_folders_in_the_way(folder: Path, names: list[str]) -> None:
    """Fail before writing anything when a file zoo will write or remove is a folder."""
    blocked = [name for name in names if (folder / name).is_dir()]
    if blocked:
        raise ZooError(
            f"cannot save into {str(folder)!r}: {', '.join(blocked)} is a folder where zoo "
            "writes (or removes) a file; move it away first"
        )


def _is_zoo_config(folder: Path) -> bool:
    try:
        return folder_preset(folder) is not None
    except ZooError:  # unreadable: not ours to overwrite
        return False


def save_pretrained(
    model: nn.Module, folder: str | Path, max_shard_size: int | str | None = None
) -> Path:
    """Write ``config.json`` + ``model.safetensors`` into ``folder`` (Hugging Face layout).

    With ``max_shard_size``, the weights go to shards plus ``model.safetensors.index.json``.
    ``zoo.load(folder)`` and ``zoo.create(name, weights=folder)`` read it back.
    """
    _check_savable(model)
    folder = _as_path(folder)
    if folder.exists() and not folder.is_dir():
        raise ZooError(f"{str(folder)!r} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    _refuse_folders_in_the_way(folder, [WEIGHTS_NAME, INDEX_NAME, CONFIG_NAME])
    if max_shard_size is not None:
        _save_sharded(model, folder, parse_size(max_shard_size))
    else:
        save(model, folder / WEIGHTS_NAME)
        for stale in [folder / INDEX_NAME, *folder.glob("model-*-of-*.safetensors")]:
            if stale.exists():  # an earlier sharded save: the single file replaces it
                stale.unlink()
    _write_config(model, folder)
    return folder


def _write_config(model: ZooModel, folder: Path) -> None:
    """``config.json``: the model name, config, init and seed that rebuild ``model``."""
    metadata = _metadata(model)
    config = {
        "architecture": model.arch,
        "config": model.config.to_dict(),
        "init": json.loads(metadata["zoo.init"]),
        "seed": json.loads(metadata["zoo.seed"]),
        "dtype": metadata["zoo.dtype"],
        "zoo_version": __version__,
    }
    (folder / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def zoo_metadata(path: str | Path, metadata: dict[str, str] | None = None) -> dict[str, str]:
    """The zoo metadata of a file (or of its already read ``metadata``); a clear error when
    the file was not written by zoo."""
    if metadata is None:
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


def _remember_init(model: ZooModel, metadata: dict[str, str]) -> None:
    """Record the file's policy and seed on the model, so zoo.describe can report them."""
    try:
        spec, seed = json.loads(metadata["zoo.init"]), json.loads(metadata["zoo.seed"])
        if spec is None or seed is None:
            return
        policy = resolve_policy(spec, model)
        apply(model, policy, seed)  # on the meta device this records, it draws nothing
    except (json.JSONDecodeError, ZooError, TypeError, AttributeError, ValueError) as err:
        raise CheckpointError(f"the file's zoo.init / zoo.seed metadata is invalid: {err}") from None


def load(
    path: str | Path, device: torch.device | str | None = None, dtype: torch.dtype | str | None = None
) -> ZooModel:
    """Rebuild a model from a zoo ``.safetensors`` file or save_pretrained folder.

    Strict: any missing, unexpected or mismatched tensor is an error listing them, and
    no model is returned. ``dtype`` casts the floating tensors after loading; ``device``
    places them (``"meta"`` rebuilds architecture and init record, reading no weights).
    Tensors holding NaN or Inf (in the file, or after the ``dtype`` cast) are warned about.

    >>> import zoo, tempfile, os
    >>> folder = zoo.save_pretrained(zoo.create("mlp", hidden=(8,)), tempfile.mkdtemp())
    >>> zoo.load(folder, device="meta").config.hidden
    (8,)
    """
    target, dtype = check_device(device), check_dtype(dtype)
    path = weights_path(path)
    metadata, index = read_index(path)
    metadata = zoo_metadata(path, metadata)
    entry = get_entry(metadata["zoo.arch"])
    try:
        values = json.loads(metadata["zoo.config"])
        if not isinstance(values, dict):
            raise ZooError(f"zoo.config must be a JSON object, got {metadata['zoo.config']!r}")
        config = entry.config_cls.from_dict(values)
        file_dtype = check_dtype(metadata["zoo.dtype"].split(",")[0] or "float32")
    except (json.JSONDecodeError, ZooError, TypeError, AttributeError) as err:
        raise CheckpointError(f"{str(path)!r} holds invalid zoo metadata: {err}") from None
    with torch.device("meta"):
        model = entry.build(config)
    if file_dtype != torch.float32:  # zoo builds in float32; cast the (meta) model only if needed
        model = model.to(file_dtype)
    plan = plan_load(model, index, path, strict=True, file_dtype=file_dtype, adapt=False)
    check_plan(plan, True, repr(str(path)))
    _remember_init(model, metadata)
    model.zoo_metadata = metadata
    if target.type == "meta":
        return model.to(dtype) if dtype is not None else model
    for state in file_tensors(plan, path, model, target):  # one shard in memory at a time
        model.load_state_dict(state, strict=False, assign=True)
    return model if dtype is None else cast_checked(model, dtype, plan.report)
