"""Regression tests for problems found by trying to break zoo (adversarial review)."""

import json
import math
import os
import stat
import warnings

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

import zoo
from zoo.cli import main


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.head = nn.Linear(4, 10, bias=False)
        self.head.weight = self.emb.weight


def test_tied_weights_are_one_tensor_written_once_and_reported_truly():
    model = Tied()
    report = zoo.init.apply(model, {"base": "xavier", "rules": {"emb.weight": "zeros"}}, seed=0)
    assert [r.name for r in report] == ["emb.weight"]
    assert torch.all(model.emb.weight == 0) and model.head.weight is model.emb.weight


def test_embedding_padding_row_stays_zero():
    emb = nn.Embedding(10, 4, padding_idx=3)
    zoo.init.apply(emb, "trunc_normal", seed=0)
    assert torch.all(emb.weight[3] == 0) and torch.all(emb.weight[2] != 0)


def test_common_torch_and_timm_layers_are_covered():
    import timm

    for module in (nn.LSTM(4, 8, 2), nn.GRU(4, 8), nn.MultiheadAttention(16, 4),
                   nn.TransformerEncoderLayer(16, 4, 32),
                   timm.create_model("vit_tiny_patch16_224", img_size=32, patch_size=16)):
        report = zoo.init.apply(module, "kaiming", seed=0)
        assert report.not_covered == [], type(module).__name__
    lstm = nn.LSTM(4, 8)
    report = zoo.init.apply(lstm, "torch", seed=0)
    assert report["weight_hh_l0"].high == pytest.approx(1 / 8**0.5)  # PyTorch: 1/sqrt(hidden)


def test_rules_that_match_nothing_are_errors():
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(zoo.InitError, match="rule 'head.\\*' matches no parameter"):
        zoo.init.apply(model, {"base": "kaiming", "rules": {"head.*": "zeros"}})
    with pytest.raises(zoo.InitError, match="'type:Nope' matches no parameter"):
        zoo.init.apply(model, {"base": "kaiming", "rules": {"type:Nope": "zeros"}})
    with pytest.raises(zoo.PolicyError, match="torch module class"):
        zoo.init.apply(model, {"base": "kaiming", "rules": {int: "zeros"}})


class WithBuffer(zoo.models.MLP):
    def __init__(self, config):
        super().__init__(config)
        self.register_buffer("table", torch.empty(3))


def test_buffers_take_name_rules_so_a_subclass_can_reset():
    model = WithBuffer(zoo.models.MLPConfig(in_features=4, hidden=(8,), out_features=2))
    with pytest.raises(zoo.InitError, match="persistent buffers zoo cannot initialize: table"):
        model.reset_parameters(init="kaiming", seed=0)
    model.reset_parameters(init={"base": "kaiming", "rules": {"table": "ones"}}, seed=0)
    assert torch.all(model.table == 1)


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "normal", "std": "x"}, {"name": "normal", "std": -1},
        {"name": "normal", "std": float("nan")}, {"name": "constant", "value": None},
        {"name": "orthogonal", "gain": "x"}, {"name": "kaiming_normal", "negative_slope": "x"},
        {"name": "trunc_normal", "a": 10, "b": 11}, {"name": "xavier_uniform", "gain": -1},
    ],
)
def test_bad_initializer_arguments_are_policy_errors(spec, capsys, tmp_path):
    with pytest.raises(zoo.PolicyError):
        zoo.init.as_initializer(spec)
    policy = json.dumps({"base": "kaiming", "rules": {"*": spec}})
    assert main(["create", "mlp", "--init", policy, "-o", str(tmp_path / "x.safetensors")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_float8_and_other_dtypes_are_refused():
    with pytest.raises(zoo.ConfigError, match="dtype must be one of"):
        zoo.create("mlp", dtype="float8_e4m3fn")


def test_custom_policies_survive_save_and_load(tmp_path):
    custom = zoo.init.Policy(name="mine", weight=zoo.init.normal(0.5))
    model = zoo.create("mlp", init=custom, hidden=(8,), seed=1)
    loaded = zoo.load(zoo.save(model, tmp_path / "a.safetensors"))
    assert zoo.describe(loaded).to_dict() == zoo.describe(model).to_dict()
    loaded.reset_parameters()
    assert torch.equal(loaded.head.weight, model.head.weight)
    lying = zoo.init.Policy(name="xavier", weight=zoo.init.zeros())  # named like xavier, is not
    model = zoo.create("mlp", init=lying, hidden=(8,))
    loaded = zoo.load(zoo.save(model, tmp_path / "b.safetensors"))
    assert zoo.describe(loaded)["head.weight"].distribution == "const 0"


@pytest.mark.parametrize(
    "key, value", [("zoo.init", "{x"), ("zoo.seed", "abc"), ("zoo.config", "null"), ("zoo.config", "[1,2]")]
)
def test_corrupt_metadata_is_a_checkpoint_error(tmp_path, key, value):
    path = zoo.save(zoo.create("mlp", hidden=(4,)), tmp_path / "m.safetensors")
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    save_file(tensors, str(path), metadata={**meta, key: value})
    with pytest.raises(zoo.CheckpointError, match="invalid"):
        zoo.load(path)


def test_preset_not_utf8_and_alias_override(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(zoo.ConfigError, match="not UTF-8"):
        zoo.create(config=bad)
    preset = os.path.join(os.path.dirname(__file__), "..", "configs", "unet.yaml")
    assert zoo.create(config=preset, num_classes=5, device="meta").config.out_channels == 5


def test_weights_too_large_for_memory_get_a_clear_error():
    with pytest.raises(zoo.ConfigError, match="cannot allocate"):
        zoo.create("mlp", in_features=10**11, hidden=(4096,))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_unavailable_devices_are_named():
    for device in ("cuda", "cuda:1", 5):
        with pytest.raises(zoo.ConfigError, match="CUDA is not available"):
            zoo.create("mlp", device=device)


def test_describe_marks_checkpoint_weights_and_works_on_submodules(tmp_path):
    source = zoo.create("resnet18", num_classes=10)
    path = tmp_path / "r.safetensors"
    save_file(source.state_dict(), str(path))
    model = zoo.create("resnet18", weights=path, num_classes=3, init="xavier")
    report = zoo.describe(model)
    assert report["conv1.weight"].reason == "loaded from checkpoint"
    assert report["fc.weight"].reason == "policy xavier: head weight"
    head_report = zoo.describe(model.fc)
    assert [r.name for r in head_report] == ["fc.weight", "fc.bias"]


def test_save_refuses_tied_and_load_weights_refuses_meta(tmp_path):
    model = zoo.create("mlp", hidden=(4,), out_features=4, in_features=4)
    model.blocks[0].fc.weight = model.head.weight
    with pytest.raises(zoo.ZooError, match="shares memory"):
        zoo.save(model, tmp_path / "t.safetensors")
    path = zoo.save(zoo.create("mlp", hidden=(4,)), tmp_path / "ok.safetensors")
    with pytest.raises(zoo.CheckpointError, match="meta device"):
        zoo.load_weights(zoo.create("mlp", hidden=(4,), device="meta"), path)


def test_save_follows_symlinks_and_keeps_permissions(tmp_path):
    target = zoo.save(zoo.create("mlp", hidden=(4,), seed=1), tmp_path / "real.safetensors")
    os.chmod(target, 0o644)
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    zoo.save(zoo.create("mlp", hidden=(4,), seed=2), link)
    assert link.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert zoo.load(target).config.hidden == (4,) and json.loads(
        zoo.io.zoo_metadata(target)["zoo.seed"]) == 2


def test_wrong_argument_types_are_clear():
    with pytest.raises(zoo.ZooError, match="str or pathlib.Path"):
        zoo.save(zoo.create("mlp", hidden=(4,)), None)
    with pytest.raises(zoo.CheckpointError, match="str or pathlib.Path"):
        zoo.load(None)
    with pytest.raises(zoo.InitError, match="needs a torch.nn.Module"):
        zoo.init.apply(None, "kaiming")
    report = zoo.init.apply(nn.Linear(2, 2), "kaiming", names="weight")  # one name, not letters
    assert [r.name for r in report] == ["weight"]


def test_non_strict_load_initializes_missing_norm_layers(tmp_path):
    source = zoo.create("resnet18", seed=1)
    state = {k: v for k, v in source.state_dict().items() if not k.startswith("layer4.1.bn2.")}
    path = tmp_path / "nobn.safetensors"
    save_file(state, str(path))
    model = zoo.create("resnet18", weights=path, strict=False, seed=1)
    bn = model.layer4[1].bn2
    assert torch.all(bn.running_var == 1) and torch.all(bn.running_mean == 0)
    assert torch.equal(model.layer4[1].bn2.weight, source.layer4[1].bn2.weight)  # policy value
    assert "layer4.1.bn2.running_mean" in model.zoo_load_report.missing


def test_diagnose_survives_a_zero_head_and_bad_inputs(tmp_path):
    d = zoo.diagnose("resnet18", input_shape=(2, 3, 32, 32), inits=["fixup"], num_classes=4)
    assert "fixup" in str(d) and math.isfinite(d.ratio("fixup"))
    with pytest.raises(zoo.ConfigError, match="cannot run on an input of shape"):
        zoo.diagnose("resnet18", input_shape=(2, 5, 32, 32))
    with pytest.raises(zoo.ConfigError, match="floating-point input"):
        zoo.diagnose("mlp", input=torch.ones(2, 784, dtype=torch.long))
    with pytest.raises(zoo.ZooError, match=".png file in an existing folder"):
        d.plot(tmp_path / "no" / "d.png")
    with pytest.raises(zoo.ZooError, match=".png file"):
        d.plot(tmp_path / "d.txt")


def test_lsuv_rejects_bad_batches():
    model = zoo.create("mlp", hidden=(8,))
    with pytest.raises(zoo.InitError, match="cannot run on a batch of shape"):
        zoo.init.lsuv(model, torch.randn(4, 3))
    with pytest.raises(zoo.InitError, match="finite values"):
        zoo.init.lsuv(model, torch.full((4, 784), float("nan")))


def test_reinit_takes_regexes_and_resets_norm_statistics():
    model = zoo.create("resnet18", seed=0, num_classes=4)
    fresh = zoo.create("resnet18", seed=0, num_classes=4)
    with torch.no_grad():
        model.layer4[0].bn1.running_mean.fill_(3.0)
        model.fc.weight.add_(1.0)
    zoo.init.reinit(model, "re:fc\\..*", model.layer4)
    assert torch.all(model.layer4[0].bn1.running_mean == 0)
    assert torch.equal(model.fc.weight, fresh.fc.weight)


def test_sharded_save_refuses_a_file_name(tmp_path):
    with pytest.raises(zoo.ZooError, match="give a folder path"):
        zoo.save(zoo.create("mlp", hidden=(4,)), tmp_path / "x.safetensors", max_shard_size="1MB")


def _saved_mlp(tmp_path, value):
    model = zoo.create("mlp", in_features=4, hidden=(8,), out_features=2)
    with torch.no_grad():
        model.head.weight[0, 0] = value
    return model, zoo.save(model, tmp_path / f"m{value}.safetensors")


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_checkpoint_with_nan_or_inf_loads_with_a_warning_at_the_callers_line(tmp_path, value):
    model, path = _saved_mlp(tmp_path, value)
    with pytest.warns(UserWarning, match=r"NaN or Inf in 1 tensor\(s\) loaded from .*: head.weight") as w:
        loaded = zoo.create("mlp", in_features=4, hidden=(8,), out_features=2, weights=path)
    assert w[0].filename == __file__  # points at the user's line, not inside zoo
    assert loaded.zoo_load_report.non_finite == ["head.weight"]
    assert "holding NaN or Inf (1): head.weight" in str(loaded.zoo_load_report)
    torch.testing.assert_close(loaded.head.weight, model.head.weight, rtol=0, atol=0, equal_nan=True)
    with pytest.warns(UserWarning, match="head.weight"):
        zoo.load(path)


def test_cast_that_overflows_is_reported(tmp_path):
    _, path = _saved_mlp(tmp_path, 1e10)  # finite in float32, inf in float16
    target = zoo.create("mlp", in_features=4, hidden=(8,), out_features=2, dtype="float16")
    with pytest.warns(UserWarning, match="overflows float16"):
        report = zoo.load_weights(target, path)
    assert report.non_finite == ["head.weight (overflows float16)"]


def test_finite_checkpoint_loads_without_warning(tmp_path):
    _, path = _saved_mlp(tmp_path, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = zoo.load_weights(zoo.create("mlp", in_features=4, hidden=(8,), out_features=2), path)
    assert report.non_finite == []


@pytest.mark.parametrize("make", [
    lambda: nn.MultiheadAttention(512, 8, add_bias_kv=True),
    lambda: nn.MultiheadAttention(512, 8, kdim=128, vdim=64, bias=False),
    lambda: nn.Transformer(256, 4, 1, 1, 512, batch_first=True),  # xavier_uniform on every matrix
])
def test_torch_policy_matches_pytorchs_attention_and_transformer_init(make):
    # PyTorch's own init of the same layers is the reference: zeros and ones where it puts
    # them, and the uniform bounds / normal std its values show.
    theirs, ours = make(), make()
    report = zoo.init.apply(ours, "torch", seed=0, strict=True)
    for name, reference in theirs.named_parameters():
        row, value, reference = report[name], ours.get_parameter(name).detach(), reference.detach()
        if reference.min() == reference.max():  # a constant
            assert row.low == row.high == reference.flatten()[0].item(), name
            assert torch.all(value == row.low), name
        elif row.high is not None:  # uniform: the bound is where PyTorch's values end
            tolerance = max(1e-3, 8 / reference.numel())
            assert reference.abs().max().item() == pytest.approx(row.high, rel=tolerance), name
            assert value.abs().max().item() == pytest.approx(row.high, rel=tolerance), name
        else:
            assert reference.std().item() == pytest.approx(row.std, rel=0.15), name
            assert value.std().item() == pytest.approx(row.std, rel=0.15), name


def test_load_with_a_narrower_dtype_reports_overflow_once(tmp_path):
    _, path = _saved_mlp(tmp_path, 1e10)
    with pytest.warns(UserWarning, match="overflows float16") as caught:
        model = zoo.load(path, dtype="float16")
    assert len(caught) == 1 and caught[0].filename == __file__
    assert torch.isinf(model.head.weight[0, 0]) and model.head.weight.dtype == torch.float16
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zoo.load(path)  # float32: nothing overflows, nothing to say
