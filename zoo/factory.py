"""``zoo.create``: build on the meta device, then one init pass (or load weights)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from zoo.errors import ConfigError
from zoo.init.policies import PolicySpec
from zoo.models.base import ZooModel
from zoo.presets import CONFIG_NAME, folder_preset, read_preset
from zoo.registry import get_entry

DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
          "bfloat16": torch.bfloat16}


def check_device(device: torch.device | str | None) -> torch.device:
    """A device zoo can place weights on here; unavailable accelerators are named."""
    if device is None:
        return torch.device("cpu")
    if isinstance(device, int) and not isinstance(device, bool):
        device = f"cuda:{device}"
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"invalid device {device!r}; use e.g. 'cpu', 'cuda', 'cuda:1' or 'meta'") from None
    if target.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError(f"device {device!r}: CUDA is not available on this machine")
        if target.index is not None and target.index >= count:
            raise ConfigError(f"device {device!r}: this machine has {count} CUDA device(s)")
    elif target.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r}: MPS is not available on this machine")
    elif target.type not in ("cpu", "cuda", "mps", "meta"):
        raise ConfigError(f"device {device!r}: zoo supports cpu, cuda, mps and meta")
    return target


def check_dtype(dtype: torch.dtype | str | None) -> torch.dtype | None:
    """One of the four floating dtypes safetensors and every device handle."""
    if dtype is None:
        return None
    given = dtype
    if isinstance(dtype, str):
        dtype = DTYPES.get(dtype.removeprefix("torch."))
    if dtype not in DTYPES.values():
        raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, got {given!r}")
    return dtype


def materialize(model: nn.Module, device: torch.device) -> None:
    """``to_empty`` with a clear error when the weights do not fit in memory."""
    count = sum(p.numel() for p in model.parameters())
    try:
        model.to_empty(device=device)
    except (RuntimeError, MemoryError) as err:
        raise ConfigError(
            f"cannot allocate {count:,} parameters on {device} ({err.__class__.__name__}: "
            f"{str(err).splitlines()[0][:120]}); choose a smaller config"
        ) from None


def create(
    name: str | None = None,
    *,
    init: PolicySpec | None = None,
    seed: int | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str | None = None,
    weights: str | Path | None = None,
    strict: bool = True,
    config: str | Path | None = None,
    **overrides: Any,
) -> ZooModel:
    """Build a registered model with its init policy and seed, or load weights into it.

    ``init`` is a policy name (``zoo.init.POLICY_NAMES``), a Policy, or
    ``{"base": ..., "rules": {...}}``; default ``"default"`` (the architecture's own).
    The weights are a pure function of (architecture + config, init, seed): they do not
    depend on the global RNG (left untouched), on ``device`` or on construction order.
    ``dtype`` casts values generated in float32. ``config`` reads a YAML preset from
    ``configs/``; keyword ``overrides`` edit the model's config.

    ``weights`` (a ``.safetensors`` file or a save_pretrained folder, from zoo, timm or
    torchvision) is assigned instead of initializing what it contains; a head whose size
    differs from the file's (``num_classes=10``) is initialized with ``init`` and ``seed``,
    an RGB stem is adapted to ``in_chans``, and ``model.zoo_load_report`` says what
    happened. ``strict=False`` also initializes keys the file lacks or mismatches. A
    folder written by ``zoo.save_pretrained`` also brings the model name, config, init and
    seed it was saved with (its ``config.json``); a preset and the call's own arguments
    override them, e.g. ``zoo.create(weights=folder, num_classes=5)`` for a new head.

    >>> import torch, zoo
    >>> a = zoo.create("mlp", in_features=4, hidden=(8,), out_features=2, seed=0)
    >>> b = zoo.create("mlp", in_features=4, hidden=(8,), out_features=2, seed=0)
    >>> torch.equal(a.head.weight, b.head.weight)
    True
    """
    # Defaults, lowest first: a weights folder's config.json, then a YAML preset; the
    # call's own arguments win over both.
    layers = [(p, what) for p, what in (
        (folder_preset(weights), "the weights folder's config.json"),
        (read_preset(config) if config is not None else None, "the preset"),
    ) if p is not None]
    named_by = f"create({name!r})"
    for preset, what in layers:
        if name is not None and name != preset.model:
            raise ConfigError(f"{named_by} conflicts with {what}, which is for {preset.model!r}")
        if name is None:
            name, named_by = preset.model, f"{what} (for {preset.model!r})"
    for preset, _ in reversed(layers):
        init = preset.init if init is None else init
        seed = preset.seed if seed is None else seed
    if name is None:
        foreign = weights is not None and (Path(weights) / CONFIG_NAME).is_file()
        raise ConfigError(
            "create needs a model name (see zoo.list_models()), config=PATH, or weights= a "
            "folder written by zoo.save_pretrained"
            + (f" ({str(weights)!r} has a config.json, but zoo did not write it)" if foreign else "")
        )
    entry = get_entry(name)
    aliases = entry.config_cls.ALIASES
    fields: dict[str, Any] = {}
    for preset, _ in layers:
        fields.update({aliases.get(k, k): v for k, v in preset.config.items()})
    given = {aliases.get(k, k) for k in overrides}
    overrides = {**{k: v for k, v in fields.items() if k not in given}, **overrides}
    cfg = entry.config(**overrides)
    target = check_device(device)
    dtype = check_dtype(dtype)
    with torch.device("meta"):
        model = entry.build(cfg)
    if dtype is not None:
        model = model.to(dtype)
    init = "default" if init is None else init
    seed = 0 if seed is None else seed
    if weights is not None:
        from zoo.io import load_into_meta_model

        load_into_meta_model(model, weights, target, init, seed, strict=strict)
        return model
    if target.type != "meta":
        materialize(model, target)
    model.reset_parameters(init=init, seed=seed)
    return model
