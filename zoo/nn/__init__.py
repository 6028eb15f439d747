"""Layers that declare their init: torch layers whose parameters zoo writes exactly once."""

from zoo.nn.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from zoo.nn.layer import ZooLayer
from zoo.nn.linear import Linear
from zoo.nn.norm import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Conv1d", "Conv2d", "Conv3d",
    "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "GroupNorm", "LayerNorm",
    "Linear", "ZooLayer",
]
