"""Reproduce He et al. (2015), fig. 2-style: activation std through 30 ReLU layers.

Writes docs/figures/he2015_mlp.png and docs/figures/he2015_conv.png and prints the tables.
Run: python scripts/plot_he2015.py   (needs matplotlib: pip install -e ".[plot]")
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

import zoo

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"


def conv_stack(depth: int = 30, channels: int = 16) -> nn.Module:
    layers: list[nn.Module] = []
    for index in range(depth):
        layers += [
            zoo.nn.Conv2d(1 if index == 0 else channels, channels, 3, padding=1, bias=False,
                          nonlinearity="relu"),
            nn.ReLU(),
        ]
    return nn.Sequential(*layers)


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    inits = ["kaiming", "xavier", "orthogonal", "torch"]
    mlp = zoo.diagnose("mlp", input_shape=(1024, 256), inits=inits, in_features=256,
                       hidden=(256,) * 30, out_features=10, bias=False)
    print(mlp.to_table())
    print(mlp.plot(FIGURES / "he2015_mlp.png", title="30-layer ReLU MLP (width 256), input N(0, 1)"))
    conv = zoo.diagnose(conv_stack(), input_shape=(8, 1, 32, 32), inits=inits)
    print(conv.to_table())
    print(conv.plot(FIGURES / "he2015_conv.png", title="30-layer ReLU conv stack (16 ch, 3x3), 32x32"))


if __name__ == "__main__":
    main()
