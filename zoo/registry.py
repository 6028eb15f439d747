"""Model registry: name -> (model class, config class, default config), with wildcards.

>>> import zoo
>>> zoo.list_models("resnet1*")
['resnet101', 'resnet152', 'resnet18']
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from zoo.errors import UnknownModelError
from zoo.models import MLP, MLPConfig, ResNet, ResNetConfig, UNetConfig
from zoo.models.base import ZooModel
from zoo.models.config import ModelConfig
from zoo.models.unet import build_unet


@dataclass(frozen=True)
class ModelEntry:
    """How to build one registered architecture."""

    name: str
    builder: Callable[[Any], ZooModel]  # a model class, or a function choosing one
    config_cls: type[ModelConfig]
    defaults: dict[str, Any] = field(default_factory=dict)
    summary: str = ""

    def config(self, **overrides: Any) -> ModelConfig:
        """The default config of this entry with ``overrides`` applied and validated."""
        return self.config_cls.from_dict(self.defaults).replace(**overrides)

    def build(self, config: ModelConfig) -> ZooModel:
        model = self.builder(config)
        model.arch = self.name
        return model


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(entry: ModelEntry) -> ModelEntry:
    """Add ``entry`` to the registry; a name can be registered only once."""
    if entry.name in _REGISTRY:
        raise ValueError(f"model {entry.name!r} is already registered")
    entry.config()  # the defaults must validate
    _REGISTRY[entry.name] = entry
    return entry


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style wildcard, sorted."""
    return sorted(name for name in _REGISTRY if fnmatchcase(name, pattern))


def get_entry(name: str) -> ModelEntry:
    """The registry entry for ``name``; unknown names get close matches in the error."""
    if not isinstance(name, str) or name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(
            f"unknown model {name!r}{hint} Known models: {', '.join(list_models())}"
        )
    return _REGISTRY[name]


_RESNETS = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}

register_model(ModelEntry("mlp", MLP, MLPConfig, summary="multilayer perceptron"))
for _name, (_block, _layers) in _RESNETS.items():
    register_model(
        ModelEntry(
            _name,
            ResNet,
            ResNetConfig,
            {"block": _block, "layers": _layers},
            summary=f"ResNet-{_name[6:]} ({_block} blocks), timm/torchvision key layout",
        )
    )
register_model(
    ModelEntry("unet", build_unet, UNetConfig, summary="UNet, classic PyTorch layout or a timm encoder")
)
