"""UNet whose encoder is any timm model that supports ``features_only``.

The encoder is built by timm; the decoder and head are zoo layers. The decoder climbs
the encoder's feature pyramid back to full resolution: at each level it resizes to the
skip feature's exact size (so any input size works), concatenates, and applies a double
conv. The input image itself is the last skip, so the output has the input's size.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from zoo.models.unet import DoubleConv, UNetConfig, UNetFamily


class DecoderStage(nn.Module):
    """Resize to the skip's size, concatenate, double conv."""

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int, cfg: UNetConfig):
        super().__init__()
        self.conv = DoubleConv(in_ch + skip_ch, out_ch, cfg)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([skip, x], dim=1))


class EncoderUNet(UNetFamily):
    """``zoo.create("unet", encoder="resnet34")``: a timm encoder under a zoo decoder.

    ``depth`` and ``bilinear`` describe the classic layout only: here the encoder's
    feature levels set the depth and the decoder resizes bilinearly. ``base_width`` is
    the width of the full-resolution stage.

    >>> import torch, zoo
    >>> net = zoo.create("unet", encoder="resnet18", base_width=16)
    >>> net(torch.zeros(1, 3, 37, 53)).shape
    torch.Size([1, 2, 37, 53])
    """

    policy_description = (
        "UNet with a timm encoder: every conv (encoder and decoder) kaiming_normal(fan_in, "
        "relu); head xavier_uniform; biases 0; norm scale 1, shift 0. Load encoder weights "
        "with load_encoder()."
    )

    def __init__(self, config: UNetConfig) -> None:
        super().__init__(config)
        import timm  # only here: importing timm costs seconds

        self.encoder = timm.create_model(
            config.encoder, features_only=True, pretrained=False, in_chans=config.in_channels
        )
        skips = [config.in_channels, *self.encoder.feature_info.channels()]
        widths = [config.base_width, *skips[1:]]
        stages = []
        in_ch = skips[-1]
        for level in range(len(skips) - 2, -1, -1):
            stages.append(DecoderStage(in_ch, skips[level], widths[level], config))
            in_ch = widths[level]
        self.decoder = nn.ModuleList(stages)
        self.outc = self.make_head(config.out_channels)

    def load_encoder(self, path: str | Path):
        """Load a timm classification checkpoint of the encoder's architecture into it.

        Every encoder tensor must be in the file. The file's keys under modules the
        encoder does not have (the classifier and final layers features_only drops) are
        listed in the report as ignored; any other extra key (a deeper variant's blocks)
        means another architecture. Both are checked before anything is copied.
        """
        from zoo.errors import CheckpointError
        from zoo.io import load_weights
        from zoo.io.files import read_index, weights_path
        from zoo.io.matching import plan_load

        path = weights_path(path)
        modules = {key.split(".")[0] for key in self.encoder.state_dict()}

        def flattened(key: str) -> str:
            # timm's features_only wrappers flatten sequential stages: stages.0 -> stages_0
            head, _, rest = key.partition(".")
            position, _, tail = rest.partition(".")
            flat = f"{head}_{position}"
            return f"{flat}.{tail}" if tail and flat in modules else key

        plan = plan_load(self.encoder, read_index(path)[1], path, strict=False, rename=flattened)
        foreign = [key for key in plan.report.unexpected if key.split(".")[0] in modules]
        if plan.report.missing or plan.report.mismatched or foreign:
            detail = plan.report.describe(failed=True)
            if foreign:
                detail += f"\nextra blocks inside the encoder's modules: {', '.join(foreign[:10])}"
            raise CheckpointError(
                f"encoder checkpoint does not fit {self.config.encoder}; nothing was loaded.\n{detail}"
            )
        report = load_weights(self.encoder, path, strict=False, rename=flattened)
        report.ignored += [f"{key} (not in the encoder)" for key in report.unexpected]
        report.unexpected = []
        return report

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [x, *self.encoder(x)]
        y = skips.pop()
        for stage in self.decoder:
            y = stage(y, skips.pop())
        return self.outc(y)
