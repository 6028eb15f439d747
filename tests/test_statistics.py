"""Measured statistics of every parameter match the numbers the init report documents."""

import math

import pytest
import torch
from conftest import POLICIES

import zoo

FAST_MODELS = ["mlp", "resnet18", "resnet50", "unet"]
SLOW_MODELS = ["resnet34", "resnet101", "resnet152"]


def check_row(row, values: torch.Tensor) -> None:
    v = values.detach().double().flatten()
    n = v.numel()
    assert row.covered, f"{row.name} has no documented init"
    if row.std == 0:
        assert torch.all(v == row.mean), f"{row.name}: expected constant {row.mean}"
        return
    if row.low is not None:
        slack = 1e-6 * max(abs(row.low), abs(row.high))  # float32 rounding at the edges
        assert v.min() >= row.low - slack and v.max() <= row.high + slack, row.name
    assert abs(v.mean().item() - row.mean) <= 6 * row.std / math.sqrt(n) + 1e-9, row.name
    if row.distribution.startswith("orthogonal"):
        # Semi-orthogonal: the root-mean-square element is exactly the documented std.
        assert v.pow(2).mean().sqrt().item() == pytest.approx(row.std, rel=1e-4), row.name
    elif n >= 2:
        measured = v.std().item()
        assert abs(measured / row.std - 1) <= 6 / math.sqrt(n) + 1e-6, (row.name, measured, row.std)


def check_model(name: str, policy: str) -> None:
    model = zoo.create(name, init=policy, seed=11)
    report = zoo.describe(model)
    params = dict(model.named_parameters())
    assert [r.name for r in report] == list(params)
    for row in report:
        check_row(row, params[row.name])


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", FAST_MODELS)
def test_statistics_match_report(name, policy):
    check_model(name, policy)


@pytest.mark.slow
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name", SLOW_MODELS)
def test_statistics_match_report_large(name, policy):
    check_model(name, policy)


def test_registered_models_are_all_covered_by_the_two_lists():
    assert sorted(FAST_MODELS + SLOW_MODELS) == zoo.list_models()


def test_kaiming_std_is_the_textbook_value_on_a_real_layer():
    model = zoo.create("resnet18", init="kaiming", seed=0)
    w = model.layer1[0].conv1.weight  # 64 x 64 x 3 x 3, followed by ReLU
    assert zoo.describe(model)["layer1.0.conv1.weight"].std == pytest.approx(math.sqrt(2 / 576))
    assert w.std().item() == pytest.approx(math.sqrt(2 / 576), rel=0.01)


def test_default_resnet_zero_inits_last_norm_and_option_turns_it_off():
    on = zoo.create("resnet18", seed=0)
    off = zoo.create("resnet18", seed=0, zero_init_last=False)
    assert torch.all(on.layer1[0].bn2.weight == 0) and torch.all(on.layer1[0].bn1.weight == 1)
    assert torch.all(off.layer1[0].bn2.weight == 1)
    assert zoo.describe(on)["layer2.1.bn2.weight"].reason.endswith("residual-last norm scale")
