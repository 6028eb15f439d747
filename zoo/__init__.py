"""zoo: PyTorch architectures with explicit, deterministic weight initialization.

>>> import zoo
>>> model = zoo.create("unet", init="kaiming", seed=0, depth=2, base_width=8)
>>> zoo.describe(model)["outc.conv.weight"].init.split("(")[0]
'kaiming_normal'
"""

from zoo import init, nn
from zoo.diagnostics import Diagnosis, diagnose
from zoo.errors import (
    CheckpointError,
    ConfigError,
    InitError,
    PolicyError,
    UnknownModelError,
    UnknownPolicyError,
    ZooError,
)
from zoo.factory import create
from zoo.init import describe
from zoo.io import LoadReport, load, load_weights, save, save_pretrained
from zoo.registry import list_models
from zoo.version import __version__

__all__ = [
    "CheckpointError",
    "Diagnosis",
    "diagnose",
    "ConfigError",
    "InitError",
    "LoadReport",
    "PolicyError",
    "UnknownModelError",
    "UnknownPolicyError",
    "ZooError",
    "__version__",
    "create",
    "describe",
    "init",
    "list_models",
    "load",
    "load_weights",
    "nn",
    "save",
    "save_pretrained",
]
