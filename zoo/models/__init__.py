"""zoo's architectures, one file per family."""

from zoo.models.base import ZooModel
from zoo.models.config import ModelConfig
from zoo.models.mlp import MLP, MLPConfig
from zoo.models.resnet import ResNet, ResNetConfig
from zoo.models.unet import UNet, UNetConfig

__all__ = ["MLP", "MLPConfig", "ModelConfig", "ResNet", "ResNetConfig", "UNet", "UNetConfig", "ZooModel"]
