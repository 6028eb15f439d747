"""Fans count what flows (DESIGN guarantee 7); PyTorch's counting is kept for `torch`."""

import pytest
import torch
from torch import nn

from zoo.init import module_fans


def fans_of(layer):
    return module_fans(layer, tuple(layer.weight.shape))


def test_linear():
    f = fans_of(nn.Linear(5, 100))
    assert (f.fan_in, f.fan_out) == (5, 100)


@pytest.mark.parametrize(
    "layer, fan_in, fan_out",
    [
        (nn.Conv1d(4, 6, 5), 4 * 5, 6 * 5),
        (nn.Conv2d(8, 16, 3), 8 * 9, 16 * 9),
        (nn.Conv2d(8, 16, 3, groups=4), 2 * 9, 4 * 9),
        (nn.Conv2d(32, 32, 3, groups=32), 9, 9),  # depthwise
        (nn.Conv3d(4, 8, (1, 3, 3), groups=2), 2 * 9, 4 * 9),
        (nn.ConvTranspose2d(16, 8, 2, stride=2), 16 * 1, 8 * 4),
        (nn.ConvTranspose2d(16, 8, 4, stride=2), 16 * 4, 8 * 16),
        (nn.ConvTranspose2d(16, 8, 3, stride=1, groups=2), 8 * 9, 4 * 9),
    ],
)
def test_flow_counting(layer, fan_in, fan_out):
    f = fans_of(layer)
    assert (f.fan_in, f.fan_out) == (fan_in, fan_out)


@pytest.mark.parametrize(
    "layer",
    [nn.Linear(3, 7), nn.Conv2d(8, 16, 3, groups=4), nn.ConvTranspose2d(16, 8, 4, stride=2)],
)
def test_torch_counting_equals_pytorch(layer):
    f = fans_of(layer)
    assert (f.torch_fan_in, f.torch_fan_out) == torch.nn.init._calculate_fan_in_and_fan_out(
        layer.weight
    )


def test_transposed_conv_fan_in_measures_what_reaches_an_output():
    # Each output of ConvTranspose2d(k=4, s=2) sums 2x2 taps per input channel: count them.
    layer = nn.ConvTranspose2d(1, 1, 4, stride=2, bias=False)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    out = layer(torch.ones(1, 1, 9, 9))
    interior = out[0, 0, 3:-3, 3:-3]
    assert torch.all(interior == fans_of(layer).fan_in)
