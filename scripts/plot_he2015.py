"""Reproduce He et al. (2015), fig. 2-style: activation std through 30 ReLU layers.

Writes docs/figures/he2015_mlp.png and docs/figures/he2015_conv.png and prints the tables.
Run: python scripts/plot_he2015.py   (needs matplotlib: pip install -e ".[plot]")
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

import zoo

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"


def conv_stack(depth: int = 30, channels: int = 128) -> nn.Module:
    """3x3 ReLU convs, circular padding (no border loses taps: fan_in is exact)."""
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [zoo.nn.Conv2d(channels, channels, 3, padding=1, padding_mode="circular",
                                 bias=False, nonlinearity="relu"), nn.ReLU()]
    return nn.Sequential(*layers)


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    inits = ["kaiming", "xavier", "orthogonal", "torch"]
    mlp = zoo.diagnose("mlp", input_shape=(1024, 256), inits=inits, in_features=256,
                       hidden=(256,) * 30, out_features=10, bias=False)
    print(mlp.to_table())
    print(mlp.plot(FIGURES / "he2015_mlp.png", title="30-layer ReLU MLP (width 256), input N(0, 1)"))
    conv = zoo.diagnose(conv_stack(), input_shape=(2, 128, 8, 8), inits=inits)
    print(conv.to_table())
    print(conv.plot(FIGURES / "he2015_conv.png",
                    title="30-layer ReLU conv stack (128 ch, 3x3, circular padding), seed 0"))


if __name__ == "__main__":
    main()
