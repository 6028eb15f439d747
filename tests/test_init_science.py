"""Init science: policy formulas, the He et al. (2015) result, LSUV, diagnostics, coverage."""

import math
import sys
from pathlib import Path

import pytest
import torch
from conftest import state_equal
from reference_unet import ClassicUNet
from torch import nn

import zoo
from zoo.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from plot_he2015 import conv_stack  # noqa: E402  (the figure and the test share the net)

DEEP = dict(in_features=256, hidden=(256,) * 30, out_features=10, bias=False)


def hidden_stds(diagnosis, init):
    return [layer.activation_std for layer in diagnosis.layers[init] if layer.name != "head"]


def test_he_2015_on_a_30_layer_relu_mlp():
    d = zoo.diagnose("mlp", input_shape=(1024, 256), inits=["kaiming", "xavier"], **DEEP)
    kaiming, xavier = hidden_stds(d, "kaiming"), hidden_stds(d, "xavier")
    assert len(kaiming) == 30
    assert 0.5 <= kaiming[-1] / kaiming[0] <= 2.0  # kaiming (fan_in) keeps the scale
    ratio = math.exp(sum(math.log(b / a) for a, b in zip(xavier, xavier[1:])) / 29)
    assert ratio == pytest.approx(1 / math.sqrt(2), rel=0.10)  # xavier halves the variance


def test_he_2015_on_a_30_layer_conv_stack():
    # One draw of a 30-layer conv stack drifts in log scale (finite width: each layer's
    # gain is random around 1), so the claim is checked on the geometric mean of 6 seeds.
    net = conv_stack()
    kaiming_logs, xavier_logs = [], []
    for seed in range(6):
        d = zoo.diagnose(net, input_shape=(2, 128, 8, 8), inits=["kaiming", "xavier"], seed=seed)
        kaiming = hidden_stds(d, "kaiming")
        kaiming_logs.append(math.log(kaiming[-1] / kaiming[0]))
        xavier_logs.append(math.log(d.ratio("xavier")))
    assert 0.5 <= math.exp(sum(kaiming_logs) / 6) <= 2.0
    assert math.exp(sum(xavier_logs) / 6) == pytest.approx(1 / math.sqrt(2), rel=0.10)


def test_diagnose_is_deterministic_and_leaves_a_given_module_alone(tmp_path):
    net = conv_stack(depth=4, channels=8)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    a = zoo.diagnose(net, input_shape=(2, 8, 16, 16), inits=["kaiming", "orthogonal"])
    b = zoo.diagnose(net, input_shape=(2, 8, 16, 16), inits=["kaiming", "orthogonal"])
    assert a.to_dict() == b.to_dict()
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    # A known case by hand: one Linear(4, 4) with weight ones on an input of ones.
    lin = nn.Linear(4, 4, bias=False)
    d = zoo.diagnose(lin, input=torch.ones(3, 4), inits=[{"base": "kaiming", "rules": {"weight": "ones"}}])
    assert d.layers["kaiming+rules"][0].activation_std == 0.0  # every output equals 4
    path = a.plot(tmp_path / "diag.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diagnose_cli_and_missing_matplotlib(tmp_path, capsys, monkeypatch):
    out = tmp_path / "d.png"
    code = main(["diagnose", "mlp", "--init", "kaiming", "--init", "xavier", "--input-shape", "16,8",
                 "--set", "in_features=8", "--set", "hidden=[8,8]", "--plot", str(out)])
    text = capsys.readouterr().out
    assert code == 0 and "blocks.1.fc" in text and "mean activation-std ratio" in text
    assert out.is_file()
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    d = zoo.diagnose("mlp", input_shape=(4, 8), in_features=8, hidden=(8,))
    with pytest.raises(zoo.ZooError, match=r"pip install 'zoo\[plot\]'"):
        d.plot(tmp_path / "x.png")
    assert main(["diagnose", "mlp", "--input-shape", "a,b"]) == 2


def test_lsuv_gives_unit_variance_per_layer_and_is_deterministic():
    batch = torch.randn(256, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    model = zoo.create("resnet18", num_classes=10)
    report, layers = zoo.init.lsuv(model, batch, seed=3)
    assert len(layers) == 21
    variances = {}
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: variances.__setitem__(n, o.double().var().item()))
             for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        model.eval()(batch)
    for h in hooks:
        h.remove()
    assert all(abs(v - 1) <= 0.05 for v in variances.values()), variances
    again = zoo.create("resnet18", num_classes=10)
    zoo.init.lsuv(again, batch, seed=3)
    assert state_equal(model, again)
    row = report["layer2.0.conv1.weight"]
    assert row.init.startswith("scaled(orthogonal") and row.reason == "rule 'layer2.0.conv1.weight'"
    before = model.layer2[0].conv1.weight.clone()
    model.reset_parameters()  # the recorded policy redraws the LSUV weights
    assert torch.equal(model.layer2[0].conv1.weight, before)


def test_variance_scaling_matches_flax_lecun_normal():
    init = zoo.init.variance_scaling(1.0, "fan_in", "truncated_normal")
    values = init((512, 1024), seed=0)
    assert values.std().item() == pytest.approx(1 / math.sqrt(1024), rel=0.01)
    assert values.abs().max().item() <= 2 / 0.87962566103423978 / math.sqrt(1024) + 1e-7


def test_fixup_policy_on_resnet():
    model = zoo.create("resnet50", init="fixup", num_classes=10)
    report = zoo.describe(model)
    L, m = 16, 3
    expected = math.sqrt(2 / 64) * L ** (-1 / (2 * m - 2))  # layer1.0.conv1: 1x1, 64 inputs
    assert report["layer1.0.conv1.weight"].std == pytest.approx(expected)
    assert torch.all(model.layer3[2].conv3.weight == 0) and torch.all(model.fc.weight == 0)
    assert report["conv1.weight"].std == pytest.approx(math.sqrt(2 / 147))


def test_gpt2_policy_scales_residual_projections():
    import timm

    vit = timm.create_model("vit_tiny_patch16_224", img_size=32)
    report = zoo.init.apply(vit, "gpt2", seed=0)
    depth = len(vit.blocks)
    assert report["blocks.3.attn.proj.weight"].std == pytest.approx(0.02 / math.sqrt(2 * depth))
    assert report["blocks.3.mlp.fc2.weight"].std == pytest.approx(0.02 / math.sqrt(2 * depth))
    assert report["blocks.3.mlp.fc1.weight"].std == pytest.approx(0.02)
    measured = vit.blocks[3].attn.proj.weight.std().item()
    assert measured == pytest.approx(0.02 / math.sqrt(2 * depth), rel=0.05)


def test_vit_and_jax_policies_document_tokens_and_stems():
    import timm

    vit = timm.create_model("vit_tiny_patch16_224", img_size=32)
    report = zoo.init.apply(vit, "vit", seed=0)
    assert report["cls_token"].std == pytest.approx(1e-6)
    assert report["pos_embed"].reason == "policy vit: position"
    assert report["patch_embed.proj.weight"].init.startswith("variance_scaling")
    jax = zoo.init.apply(vit, "jax", seed=0)
    fan_in = 192
    assert jax["blocks.0.mlp.fc1.weight"].std == pytest.approx(1 / math.sqrt(fan_in))


def test_rule_precedence_override_then_rule_then_policy():
    layer = zoo.nn.Linear(8, 8, weight_init="zeros")
    model = nn.Sequential(layer, nn.ReLU(), nn.Linear(8, 8))
    report = zoo.init.apply(model, {"base": "kaiming", "rules": {
        "re:.*weight": "ones", "*": {"name": "constant", "value": 0.5}}}, seed=0)
    assert report["0.weight"].reason == "layer override (weight_init)" and torch.all(layer.weight == 0)
    assert report["2.weight"].reason == r"rule 're:.*weight'" and torch.all(model[2].weight == 1)
    assert report["2.bias"].reason == "rule '*'" and torch.all(model[2].bias == 0.5)


MODELS = ["resnet50", "convnext_tiny", "vit_tiny_patch16_224", "efficientnet_b0", "mobilenetv3_small_100"]


@pytest.mark.parametrize("name", MODELS)
def test_every_parameter_of_timm_models_is_accounted_for(name):
    import timm

    kwargs = {"img_size": 32} if name.startswith("vit") else {}
    with torch.device("meta"):
        a = timm.create_model(name, **kwargs)
    a.to_empty(device="cpu")
    b = __import__("copy").deepcopy(a)
    report = zoo.init.apply(a, "default", seed=1, strict=True)  # strict: nothing uncovered
    assert [r.name for r in report] == [n for n, _ in a.named_parameters()]
    zoo.init.apply(b, "default", seed=1)
    assert state_equal(a, b)


def test_plain_hand_written_unet_is_covered():
    net = ClassicUNet(3, 2)
    report = zoo.init.apply(net, "kaiming", seed=0, strict=True)
    assert not report.not_covered and report["up1.up.weight"].fan_in == 1024 * 1  # k/s = 1
