"""The questions users keep asking, answered by behaviour."""

import math

import pytest
import torch
from torch import nn

import zoo


def conv_stack(bias: bool) -> nn.Module:
    return nn.Sequential(
        zoo.nn.Conv2d(3, 16, 3, bias=bias, nonlinearity="relu", device="meta"),
        nn.ReLU(),
        zoo.nn.Conv2d(16, 16, 3, groups=4, bias=bias, nonlinearity="relu", device="meta"),
        nn.ReLU(),
        nn.Flatten(),
        zoo.nn.Linear(16, 10, bias=bias, head=True, device="meta"),
    )


@pytest.mark.parametrize("policy", ["xavier", "kaiming"])
def test_bias_free_stack_initializes_every_weight(policy):
    model = conv_stack(bias=False).to_empty(device="cpu")
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(float("nan"))  # anything left unwritten would stay NaN
    report = zoo.init.apply(model, policy, seed=0, strict=True)
    assert len(report) == 3 and not report.not_covered
    assert all(torch.isfinite(p).all() and p.std() > 0 for p in model.parameters())


def test_xavier_with_biases_gives_biases_the_1d_default_not_a_fan_error():
    # torch.nn.init.xavier_uniform_ raises on a bias ("Fan in and fan out can not be
    # computed for tensor with fewer than 2 dimensions"); the xavier policy zeros them.
    model = nn.Sequential(nn.Linear(20, 30), nn.Tanh(), nn.Linear(30, 5))
    report = zoo.init.apply(model, "xavier", seed=0)
    assert torch.all(model[0].bias == 0) and torch.all(model[2].bias == 0)
    assert report["0.bias"].reason == "policy xavier: bias"
    bound = math.sqrt(6 / 50)
    assert report["0.weight"].high == pytest.approx(bound)
    assert model[0].weight.abs().max() <= bound


def test_a_rule_with_a_fan_based_init_skips_biases_instead_of_crashing():
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    report = zoo.init.apply(model, {"base": "kaiming", "rules": {"*": "xavier_uniform"}}, seed=0)
    assert report["0.weight"].reason == "rule '*'"
    assert "needs 2-D" in report["0.bias"].reason and torch.all(model[0].bias == 0)


def test_torch_policy_on_linear_100_10_is_within_pytorch_bounds():
    layer = nn.Linear(100, 10)
    report = zoo.init.apply(layer, "torch", seed=0)
    for name in ("weight", "bias"):
        row = report[name]
        assert (row.low, row.high) == pytest.approx((-0.1, 0.1))
        values = getattr(layer, name)
        assert values.abs().max() <= 0.1
    # Enough samples in the weight to see the uniform's spread: std = 0.2 / sqrt(12).
    assert layer.weight.std().item() == pytest.approx(0.2 / math.sqrt(12), rel=0.1)


def test_zoo_layer_without_bias_has_none_and_no_truth_value_trap():
    layer = zoo.nn.Linear(5, 100, bias=False)
    assert layer.bias is None  # test with `is None`: `if layer.bias:` is ambiguous for tensors
    report = zoo.init.apply(layer, "kaiming", seed=0)
    assert [row.name for row in report] == ["weight"]


def test_standalone_zoo_layer_is_initialized_once_by_zoo_not_by_torch(monkeypatch):
    calls = []
    monkeypatch.setattr(nn.init, "kaiming_uniform_", lambda *a, **k: calls.append("torch"))
    monkeypatch.setattr(nn.init, "uniform_", lambda *a, **k: calls.append("torch"))
    layer = zoo.nn.Linear(5, 100)
    assert calls == []
    row = zoo.describe(layer)["weight"]
    assert row.init.startswith("kaiming_normal")
    assert layer.weight.std().item() == pytest.approx(row.std, rel=0.15)


def test_create_runs_no_pytorch_default_init(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("PyTorch's default init ran")

    for fn in ("kaiming_uniform_", "uniform_", "normal_", "ones_", "zeros_"):
        monkeypatch.setattr(nn.init, fn, forbidden)
    zoo.create("resnet18", num_classes=3)
    zoo.create("unet", depth=2, base_width=8)


def test_each_parameter_is_written_exactly_once(monkeypatch):
    from zoo.init import engine

    written = []
    real_write = engine._write
    def counting_write(item, seed):
        written.append(item.slot.name)
        return real_write(item, seed)

    monkeypatch.setattr(engine, "_write", counting_write)
    model = zoo.create("resnet18", num_classes=3)
    names = [n for n, _ in model.named_parameters()]
    assert sorted(written) == sorted(names) and len(written) == len(set(written))


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = zoo.nn.Linear(4, 4)
        self.scale = nn.Parameter(torch.empty(4))
        self.register_buffer("table", torch.empty(3))


def test_unwritten_parameters_and_buffers_are_named():
    model = Custom()
    with pytest.raises(zoo.InitError, match=r"scale.*table"):
        zoo.init.apply(model, "kaiming", seed=0, strict=True)
    with pytest.warns(UserWarning, match="left 1 parameter.*scale"):
        report = zoo.init.apply(model, "kaiming", seed=0)  # non-strict: listed and warned
    assert report.not_covered == ["scale"]
    assert "NOT COVERED: 1" in str(report)
    # A rule covers it.
    report = zoo.init.apply(model, {"base": "kaiming", "rules": {"scale": "ones"}}, seed=0)
    assert not report.not_covered and torch.all(model.scale == 1)
