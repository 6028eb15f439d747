import pytest
import torch

import zoo

# Small variants of every registered model, for tests that run them many times.
SMALL = {
    "mlp": dict(in_features=12, hidden=(32, 16), out_features=5),
    "resnet18": dict(num_classes=7),
    "resnet34": dict(num_classes=7),
    "resnet50": dict(num_classes=7),
    "resnet101": dict(num_classes=7),
    "resnet152": dict(num_classes=7),
    "unet": dict(depth=2, base_width=8, out_channels=3),
}

POLICIES = ["default", "kaiming", "xavier", "lecun", "orthogonal", "trunc_normal", "torch", "vit", "jax",
            "fixup", "gpt2"]


def example_input(name: str, model) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1234)
    if name == "mlp":
        return torch.randn(4, model.config.in_features, generator=gen)
    if name.startswith("resnet"):
        return torch.randn(2, model.config.in_chans, 64, 64, generator=gen)
    return torch.randn(2, model.config.in_channels, 37, 53, generator=gen)


def state_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(
        sa[k].dtype == sb[k].dtype and torch.equal(sa[k], sb[k]) for k in sa
    )


@pytest.fixture
def small_unet():
    return zoo.create("unet", init="kaiming", seed=0, **SMALL["unet"])
