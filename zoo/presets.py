"""YAML presets (configs/*.yaml): model name, init, seed and config fields.

A preset looks like::

    model: resnet18
    init: default
    seed: 0
    config:
      num_classes: 1000

Only safe YAML is read (``yaml.safe_load``): no Python objects, no code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.errors import ConfigError

_KEYS = ("model", "init", "seed", "config")
CONFIG_NAME = "config.json"  # what zoo.save_pretrained writes beside the weights


@dataclass(frozen=True)
class Preset:
    model: str
    init: Any = None
    seed: int | None = None
    config: dict[str, Any] = field(default_factory=dict)


def read_preset(path: str | Path) -> Preset:
    """Read a preset file, with errors that name the file and the bad key."""
    if not isinstance(path, (str, Path)):
        raise ConfigError(f"config must be a path to a YAML file, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    import yaml  # here, not at the top: most users never read a preset, and import zoo stays lean

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(path)!r} is not UTF-8 text") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {str(path)!r} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a mapping with keys {_KEYS}")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"config file {str(path)!r} has unknown key(s) {', '.join(unknown)}; "
            f"valid: {', '.join(_KEYS)}"
        )
    if not isinstance(data.get("model"), str):
        raise ConfigError(f"config file {str(path)!r} must name the model: 'model: NAME'")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(f"config file {str(path)!r}: 'config' must be a mapping of fields")
    return Preset(data["model"], data.get("init"), data.get("seed"), config)


def folder_preset(weights: object) -> Preset | None:
    """The model, init, seed and config a zoo save_pretrained folder was written with
    (its ``config.json``); None for a file, or a folder zoo did not write."""
    if not isinstance(weights, (str, Path)) or not (Path(weights) / CONFIG_NAME).is_file():
        return None
    path = Path(weights) / CONFIG_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ConfigError(f"{str(path)!r} is not valid JSON ({err})") from None
    if not isinstance(data, dict) or "zoo_version" not in data:
        return None  # another library's config.json (timm, transformers): not ours to read
    if not isinstance(data.get("architecture"), str) or not isinstance(data.get("config", {}), dict):
        raise ConfigError(f"{str(path)!r} must name the 'architecture' and hold a 'config' mapping")
    return Preset(data["architecture"], data.get("init"), data.get("seed"), data.get("config", {}))


def write_preset(path: str | Path, preset: Preset) -> None:
    import yaml

    body = {"model": preset.model, "init": preset.init, "seed": preset.seed, "config": preset.config}
    Path(path).write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
