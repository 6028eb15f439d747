"""UNet (Ronneberger et al. 2015) in the classic PyTorch layout.

Keys follow the widely used standalone implementation (``inc``, ``down1..N``,
``up1..N``, ``outc``; double conv + norm), so its checkpoints load as they are.
Any input size works, odd ones included: each decoder stage pads its upsampled map to
the skip connection's size, and the output has the input's spatial size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from zoo import nn as znn
from zoo.init import Policy, kaiming_normal, xavier_uniform
from zoo.models.base import ZooModel
from zoo.models.config import ModelConfig

GROUPS = 8  # GroupNorm groups when norm="groupnorm"


@dataclass(frozen=True)
class UNetConfig(ModelConfig):
    ALIASES = {"num_classes": "out_channels"}

    in_channels: int = 3
    out_channels: int = 2
    depth: int = 4
    base_width: int = 64
    bilinear: bool = False  # False: transposed-conv upsampling
    norm: Literal["batchnorm", "groupnorm", "none"] = "batchnorm"
    bias: bool = False  # bias on the 3x3 convs (the norm's shift makes it redundant)
    encoder: str | None = None  # a timm model name: use it (features_only) as the encoder

    def check(self) -> None:
        self._require_positive("in_channels", "out_channels", "depth", "base_width")
        if self.norm == "groupnorm" and self.base_width % GROUPS:
            self._fail("base_width", f"must be a multiple of {GROUPS} with norm='groupnorm'")
        if self.bilinear and self.base_width % 2:
            self._fail("base_width", "must be even with bilinear=True")
        if self.encoder is not None:
            from zoo.models.encoders import check_encoder

            check_encoder(self.encoder)


def build_unet(config: UNetConfig) -> ZooModel:
    """The classic UNet, or one with a timm encoder when ``config.encoder`` is set."""
    if config.encoder is None:
        return UNet(config)
    from zoo.models.unet_encoder import EncoderUNet

    return EncoderUNet(config)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batchnorm":
        return znn.BatchNorm2d(channels)
    if kind == "groupnorm":
        return znn.GroupNorm(GROUPS, channels)
    return nn.Identity()


class DoubleConv(nn.Module):
    """(conv 3x3 -> norm -> ReLU) x 2."""

    def __init__(self, in_ch: int, out_ch: int, cfg: UNetConfig, mid_ch: int | None = None):
        super().__init__()
        mid_ch = mid_ch or out_ch
        self.double_conv = nn.Sequential(
            znn.Conv2d(in_ch, mid_ch, 3, padding=1, bias=cfg.bias, nonlinearity="relu"),
            _norm(cfg.norm, mid_ch),
            nn.ReLU(inplace=True),
            znn.Conv2d(mid_ch, out_ch, 3, padding=1, bias=cfg.bias, nonlinearity="relu"),
            _norm(cfg.norm, out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.double_conv(x)


class Down(nn.Module):
    """Max-pool by 2, then a double conv."""

    def __init__(self, in_ch: int, out_ch: int, cfg: UNetConfig):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_ch, out_ch, cfg))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.maxpool_conv(x)


class Up(nn.Module):
    """Upsample by 2, pad to the skip's size, concatenate, double conv."""

    def __init__(self, in_ch: int, out_ch: int, cfg: UNetConfig):
        super().__init__()
        if cfg.bilinear:
            self.up: nn.Module = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = DoubleConv(in_ch, out_ch, cfg, mid_ch=in_ch // 2)
        else:
            # Feeds a concatenation, not an activation: linear gain.
            self.up = znn.ConvTranspose2d(in_ch, in_ch // 2, 2, stride=2, nonlinearity="linear")
            self.conv = DoubleConv(in_ch, out_ch, cfg)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)
        dy = skip.shape[-2] - x.shape[-2]
        dx = skip.shape[-1] - x.shape[-1]
        x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([skip, x], dim=1))


class OutConv(nn.Module):
    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv = znn.Conv2d(in_ch, out_ch, 1, head=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class UNetFamily(ZooModel):
    """What both UNet layouts share: the 1x1 head (``outc``) and the default policy."""

    config: UNetConfig
    head_prefix = "outc"
    head_field = "out_channels"
    policy_description = ""

    def make_head(self, out_channels: int) -> nn.Module:
        return OutConv(self.config.base_width, out_channels)

    def default_init_policy(self) -> Policy:
        return Policy(
            name="default",
            weight=kaiming_normal(mode="fan_in"),
            head_weight=xavier_uniform(),
            description=self.policy_description,
        )


class UNet(UNetFamily):
    """Encoder-decoder segmentation net: ``(B, in_channels, H, W) -> (B, out_channels, H, W)``.

    Default init: 3x3 convs kaiming_normal(fan_in, relu), upsampling transposed convs
    kaiming_normal(fan_in, linear gain; fans count the stride), the 1x1 head
    xavier_uniform, biases 0, norm scale 1 and shift 0.

    >>> import torch, zoo
    >>> net = zoo.create("unet", depth=2, base_width=8)
    >>> net(torch.zeros(1, 3, 37, 53)).shape
    torch.Size([1, 2, 37, 53])
    """

    stem_weight = "inc.double_conv.0.weight"
    policy_description = (
        "UNet: convs kaiming_normal(fan_in) with the gain of what follows (relu; linear for "
        "the upsampling convs); head xavier_uniform; biases 0; norm scale 1, shift 0."
    )

    def __init__(self, config: UNetConfig) -> None:
        super().__init__(config)
        widths = [config.base_width * 2**i for i in range(config.depth + 1)]
        factor = 2 if config.bilinear else 1
        self.inc = DoubleConv(config.in_channels, widths[0], config)
        for i in range(1, config.depth + 1):
            out = widths[i] // factor if i == config.depth else widths[i]
            self.add_module(f"down{i}", Down(widths[i - 1], out, config))
        for i in range(1, config.depth + 1):
            in_ch = widths[config.depth - i + 1]
            out = widths[config.depth - i]
            out = out if i == config.depth else out // factor
            self.add_module(f"up{i}", Up(in_ch, out, config))
        self.outc = self.make_head(config.out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        depth = self.config.depth
        if min(x.shape[-2:]) < 2**depth:
            raise ValueError(
                f"UNet of depth {depth} needs inputs of at least {2**depth}x{2**depth} "
                f"pixels (it halves them {depth} times), got {tuple(x.shape[-2:])}"
            )
        skips = [self.inc(x)]
        for i in range(1, depth + 1):
            skips.append(getattr(self, f"down{i}")(skips[-1]))
        x = skips.pop()
        for i in range(1, depth + 1):
            x = getattr(self, f"up{i}")(x, skips.pop())
        return self.outc(x)
