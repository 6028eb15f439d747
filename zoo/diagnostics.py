"""Signal-propagation diagnostics: per-layer activation and gradient std under each init.

For every init policy, the model is initialized, a fixed random batch goes forward, a
fixed random output gradient goes backward, and each conv / linear layer's output std
and output-gradient std are recorded. Eval mode: dropout off and norms on their initial
statistics, so what you see is the init alone. Everything is seeded: same numbers twice.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zoo.errors import ConfigError, ZooError
from zoo.init import apply
from zoo.init.policies import PolicySpec
from zoo.init.roles import slots


@dataclass(frozen=True)
class LayerSignal:
    name: str  # the layer (module) name
    activation_std: float
    gradient_std: float


class Diagnosis:
    """Per-init, per-layer signal statistics; a table, a dict, or a PNG plot."""

    def __init__(self, layers: dict[str, list[LayerSignal]], input_shape: tuple[int, ...]) -> None:
        self.layers = layers
        self.input_shape = input_shape

    def ratio(self, init: str) -> float:
        """Geometric mean of the activation-std ratio between consecutive layers (pairs
        with a zero or non-finite std, e.g. a zero-initialized head, are left out; NaN
        when none is left)."""
        stds = [layer.activation_std for layer in self.layers[init]]
        logs = [math.log(b / a) for a, b in zip(stds, stds[1:])
                if a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)]
        return math.exp(sum(logs) / len(logs)) if logs else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_shape": list(self.input_shape),
            "inits": {k: [vars(layer) for layer in v] for k, v in self.layers.items()},
        }

    def to_table(self) -> str:
        inits = list(self.layers)
        names = [layer.name for layer in self.layers[inits[0]]]
        head = ["layer"] + [f"{i} act" for i in inits] + [f"{i} grad" for i in inits]
        rows = [head]
        for index, name in enumerate(names):
            acts = [f"{self.layers[i][index].activation_std:.3g}" for i in inits]
            grads = [f"{self.layers[i][index].gradient_std:.3g}" for i in inits]
            rows.append([name, *acts, *grads])
        widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
        lines = ["  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths)))
                 for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        ratios = ", ".join(f"{i} {self.ratio(i):.3f}" for i in inits)
        lines.append(f"mean activation-std ratio per layer: {ratios}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_table()

    def plot(self, path: str | Path, title: str = "") -> Path:
        """Draw activation and gradient std per layer (log scale) into a PNG file."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise ZooError(
                "plotting needs matplotlib, which is an optional extra: pip install 'zoo[plot]'"
            ) from None
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for init, layers in self.layers.items():
            depth = range(1, len(layers) + 1)
            axes[0].plot(depth, [layer.activation_std for layer in layers], marker=".", label=init)
            axes[1].plot(depth, [layer.gradient_std for layer in layers], marker=".", label=init)
        for ax, what in zip(axes, ("activation std (forward)", "gradient std (backward)")):
            ax.set_yscale("log")
            ax.set_xlabel("layer")
            ax.set_title(what)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        fig.suptitle(title or f"signal propagation, input {tuple(self.input_shape)}")
        fig.tight_layout()
        path = Path(path)
        if path.suffix.lower() != ".png" or not path.parent.is_dir():
            plt.close(fig)
            raise ZooError(f"plot path must be a .png file in an existing folder, got {str(path)!r}")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path


def _measure(model: nn.Module, x: torch.Tensor, seed: int) -> list[LayerSignal]:
    layers = {}
    for slot in slots(model):
        if slot.role == "weight" and slot.kind in ("linear", "conv", "conv_transpose"):
            layers[id(slot.module)] = (slot.name.rsplit(".", 1)[0], slot.module)
    acts: dict[str, float] = {}
    grads: dict[str, torch.Tensor] = {}
    order: list[str] = []

    def forward_hook(name):
        def hook(_module, _inputs, output):
            order.append(name)
            acts[name] = output.detach().double().std().item()
            output.register_hook(lambda g: grads.__setitem__(name, g.detach()))

        return hook

    handles = [m.register_forward_hook(forward_hook(n)) for n, m in layers.values()]
    try:
        model.eval()
        try:
            out = model(x.clone().requires_grad_(True))
        except (RuntimeError, ValueError) as err:
            raise ConfigError(
                f"the model cannot run on an input of shape {tuple(x.shape)}: "
                f"{str(err).splitlines()[0][:200]}"
            ) from None
        gen = torch.Generator().manual_seed(seed + 1)
        out.backward(torch.randn(out.shape, generator=gen, dtype=out.dtype))
    finally:
        for handle in handles:
            handle.remove()
    return [LayerSignal(n, acts[n], grads[n].double().std().item()) for n in dict.fromkeys(order)]


def _label(init: PolicySpec) -> str:
    if isinstance(init, str):
        return init
    if isinstance(init, dict):
        return f"{init.get('base', 'default')}+rules"
    return getattr(init, "name", "custom")


def diagnose(
    model: nn.Module | str,
    input: torch.Tensor | None = None,
    input_shape: Sequence[int] | None = None,
    inits: Sequence[PolicySpec] = ("kaiming",),
    seed: int = 0,
    **overrides: Any,
) -> Diagnosis:
    """Measure per-layer activation / gradient std of ``model`` under each of ``inits``.

    ``model`` is a registered name (created with ``overrides``) or any module (copied,
    never changed). Give ``input`` or ``input_shape`` (then the input is N(0, 1) from
    ``seed``).

    >>> import zoo
    >>> d = zoo.diagnose("mlp", input_shape=(64, 32), inits=["kaiming", "xavier"],
    ...                  in_features=32, hidden=(64,) * 6)
    >>> d.ratio("kaiming") > d.ratio("xavier")
    True
    """
    from zoo.factory import create

    if input is None:
        if input_shape is None:
            raise ConfigError("diagnose needs input= (a tensor) or input_shape= (e.g. (8, 3, 64, 64))")
        shape = tuple(int(s) for s in input_shape)
        if not shape or any(s <= 0 for s in shape):
            raise ConfigError(f"input_shape must be positive sizes, got {tuple(input_shape)}")
        input = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    if not isinstance(input, torch.Tensor) or not input.is_floating_point():
        raise ConfigError("diagnose needs a floating-point input tensor")
    if not inits:
        raise ConfigError("diagnose needs at least one init policy")
    results = {}
    for init in inits:
        label = _label(init)
        if isinstance(model, str):
            net = create(model, init=init, seed=seed, **overrides)
        else:
            net = copy.deepcopy(model)
            apply(net, init, seed)
        results[label] = _measure(net, input, seed)
    return Diagnosis(results, tuple(input.shape))
