"""ResNet (He et al. 2016), v1.5: the stride sits on the 3x3 conv of a bottleneck.

State-dict keys and shapes are those of timm's and torchvision's ResNets of the same
depth (conv1, bn1, layer1..4 with downsample.0/1, fc), so their checkpoints load as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from zoo import nn as znn
from zoo.init import Policy, kaiming_normal, torch_default, zeros
from zoo.models.base import ZooModel
from zoo.models.config import ModelConfig


@dataclass(frozen=True)
class ResNetConfig(ModelConfig):
    layers: tuple[int, ...] = (2, 2, 2, 2)
    block: Literal["basic", "bottleneck"] = "basic"
    num_classes: int = 1000
    in_chans: int = 3
    zero_init_last: bool = True  # default policy: zero the last norm scale of each block

    def check(self) -> None:
        if len(self.layers) != 4:
            self._fail("layers", "must list 4 stage depths")
        self._require_positive("layers", "in_chans")
        if self.num_classes < 0:
            self._fail("num_classes", "must be >= 0 (0: no head, pooled features)")


def _conv_bn(
    in_ch: int, out_ch: int, kernel: int, stride: int = 1, branch: tuple[int, int] | None = None
):
    """A bias-free conv (followed by ReLU) and its norm; ``branch`` = (position, length) in
    a residual branch, the last of which closes it."""
    conv = znn.Conv2d(
        in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False,
        nonlinearity="relu", branch=branch,
    )
    last = branch is not None and branch[0] == branch[1] - 1
    return conv, znn.BatchNorm2d(out_ch, residual_last=last)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_ch: int, width: int, stride: int, downsample: nn.Module | None):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(in_ch, width, 3, stride, branch=(0, 2))
        self.act1 = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = _conv_bn(width, width, 3, branch=(1, 2))
        self.act2 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.bn2(self.conv2(x))
        x += shortcut
        return self.act2(x)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_ch: int, width: int, stride: int, downsample: nn.Module | None):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(in_ch, width, 1, branch=(0, 3))
        self.act1 = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = _conv_bn(width, width, 3, stride, branch=(1, 3))
        self.act2 = nn.ReLU(inplace=True)
        self.conv3, self.bn3 = _conv_bn(width, width * 4, 1, branch=(2, 3))
        self.act3 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.bn2(self.conv2(x)))
        x = self.bn3(self.conv3(x))
        x += shortcut
        return self.act3(x)


class ResNet(ZooModel):
    """ResNet-18/34 (basic blocks) and 50/101/152 (bottlenecks).

    Default init (as timm and torchvision): convs kaiming_normal(fan_out, relu); norm
    scale 1 and shift 0, except the last norm of each residual block, whose scale is 0
    when ``zero_init_last``; the ``fc`` head keeps PyTorch's Linear default
    U(±1/sqrt(fan_in)) for weight and bias.

    >>> import torch, zoo
    >>> zoo.create("resnet18", num_classes=5)(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 5])
    """

    config: ResNetConfig
    stem_weight = "conv1.weight"
    head_prefix = "fc"
    head_field = "num_classes"

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__(config)
        block = BasicBlock if config.block == "basic" else Bottleneck
        self.conv1, self.bn1 = _conv_bn(config.in_chans, 64, 7, stride=2)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        in_ch = 64
        for index, depth in enumerate(config.layers):
            width = 64 * 2**index
            stride = 1 if index == 0 else 2
            stage, in_ch = self._stage(block, in_ch, width, depth, stride)
            self.add_module(f"layer{index + 1}", stage)
        self.num_features = in_ch
        self.fc = self.make_head(config.num_classes)

    @staticmethod
    def _stage(block, in_ch: int, width: int, depth: int, stride: int):
        out_ch = width * block.expansion
        downsample = None
        if stride != 1 or in_ch != out_ch:
            downsample = nn.Sequential(*_conv_bn(in_ch, out_ch, 1, stride))
        blocks = [block(in_ch, width, stride, downsample)]
        blocks += [block(out_ch, width, 1, None) for _ in range(depth - 1)]
        return nn.Sequential(*blocks), out_ch

    def make_head(self, num_classes: int) -> nn.Module:
        if num_classes == 0:
            return nn.Identity()
        return znn.Linear(self.num_features, num_classes, head=True)

    def default_init_policy(self) -> Policy:
        return Policy(
            name="default",
            weight=kaiming_normal(mode="fan_out"),
            head_weight=torch_default(),
            head_bias=torch_default(),
            residual_last_scale=zeros() if self.config.zero_init_last else None,
            description="ResNet (timm/torchvision): convs kaiming_normal(fan_out, relu); "
            "norm scale 1, shift 0; last norm scale of each block 0 if zero_init_last; "
            "fc U(±1/sqrt(fan_in)).",
        )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(self.forward_features(x), 1).flatten(1)
        return self.fc(x)
