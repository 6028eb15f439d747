"""safetensors files: metadata, atomic saves, strict and clear loads."""

import json
import os

import pytest
import torch
from conftest import SMALL, state_equal
from safetensors import safe_open
from safetensors.torch import save_file

import zoo


@pytest.fixture
def saved(tmp_path, small_unet):
    return zoo.save(small_unet, tmp_path / "unet.safetensors"), small_unet


def test_metadata_describes_the_model(saved):
    path, model = saved
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    assert meta["zoo.arch"] == "unet"
    assert json.loads(meta["zoo.config"]) == model.config.to_dict()
    assert json.loads(meta["zoo.init"]) == {"base": "kaiming", "rules": []}
    assert meta["zoo.seed"] == "0" and meta["zoo.format_version"] == "1"
    assert meta["zoo.version"] == zoo.__version__ and meta["torch.version"] == torch.__version__
    assert meta["zoo.dtype"] == "float32"


def test_rules_round_trip_through_metadata(tmp_path):
    init = {"base": "xavier", "rules": {"head.*": "zeros", "role:bias": {"name": "constant", "value": 0.1}}}
    model = zoo.create("mlp", init=init, seed=2, **SMALL["mlp"])
    loaded = zoo.load(zoo.save(model, tmp_path / "m.safetensors"))
    assert zoo.describe(loaded).to_dict() == zoo.describe(model).to_dict()
    assert zoo.describe(loaded)["head.bias"].reason == "rule 'head.*'"


def test_load_places_and_casts(saved):
    path, model = saved
    half = zoo.load(path, dtype=torch.bfloat16)
    for key, value in model.state_dict().items():
        expected = value.to(torch.bfloat16) if value.is_floating_point() else value
        assert torch.equal(half.state_dict()[key], expected)
    meta = zoo.load(path, device="meta")
    assert all(p.is_meta for p in meta.parameters())
    assert zoo.describe(meta).policy == "kaiming"


def test_bf16_model_round_trip(tmp_path):
    model = zoo.create("mlp", dtype="bfloat16", **SMALL["mlp"])
    loaded = zoo.load(zoo.save(model, tmp_path / "bf16.safetensors"))
    assert loaded.head.weight.dtype == torch.bfloat16 and state_equal(model, loaded)


def test_save_is_atomic_and_failure_keeps_the_old_file(saved, monkeypatch):
    path, model = saved
    before = path.read_bytes()

    def broken(*args, **kwargs):
        open(args[1], "wb").write(b"partial")  # a write that dies half way
        raise OSError("disk full")

    monkeypatch.setattr(zoo.io.files, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        zoo.save(model, path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_save_rejects_foreign_modules_and_bad_paths(tmp_path, small_unet):
    with pytest.raises(zoo.ZooError, match="save_file"):
        zoo.save(torch.nn.Linear(2, 2), tmp_path / "x.safetensors")
    with pytest.raises(zoo.ZooError, match="does not exist"):
        zoo.save(small_unet, tmp_path / "no" / "x.safetensors")
    with pytest.raises(zoo.ZooError, match="directory"):
        zoo.save(small_unet, tmp_path)


def test_missing_file(tmp_path):
    with pytest.raises(zoo.CheckpointError, match="does not exist"):
        zoo.load(tmp_path / "nope.safetensors")


def test_not_a_safetensors_file(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(zoo.CheckpointError, match="not a readable safetensors file"):
        zoo.load(path)


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_truncated_file(saved, keep):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(zoo.CheckpointError, match="truncated"):
        zoo.load(path)


def test_file_without_zoo_metadata_says_what_is_missing(tmp_path):
    path = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(zoo.CheckpointError, match="zoo.arch.*zoo.create\\(NAME, weights=PATH\\)"):
        zoo.load(path)


def test_mismatched_file_lists_keys_and_builds_nothing(saved, tmp_path):
    path, model = saved
    tensors = {k: v.clone() for k, v in model.state_dict().items()}
    tensors.pop("inc.double_conv.0.weight")
    tensors["extra.weight"] = torch.zeros(1)
    tensors["outc.conv.weight"] = torch.zeros(5, 8, 1, 1)
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata=meta)
    with pytest.raises(zoo.CheckpointError) as err:
        zoo.load(bad)
    message = str(err.value)
    assert "missing from the file (1): inc.double_conv.0.weight" in message
    assert "unexpected in the file (1): extra.weight" in message
    assert "outc.conv.weight: expected shape (3, 8, 1, 1), file has (5, 8, 1, 1)" in message
    assert "nothing was loaded" in message


def test_dtype_mismatch_is_reported(saved, tmp_path):
    path, model = saved
    tensors = {k: v.clone() for k, v in model.state_dict().items()}
    tensors["inc.double_conv.0.weight"] = tensors["inc.double_conv.0.weight"].half()
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata=meta)
    with pytest.raises(zoo.CheckpointError, match="expected dtype float32, file has float16"):
        zoo.load(bad)


def test_load_weights_strict_failure_leaves_model_untouched(tmp_path):
    model = zoo.create("mlp", seed=1, **SMALL["mlp"])  # hidden (32, 16)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    other = zoo.create("mlp", seed=2, in_features=12, hidden=(32, 20), out_features=5)
    path = tmp_path / "other.safetensors"
    save_file(other.state_dict(), str(path))
    with pytest.raises(zoo.CheckpointError, match=r"blocks.1.fc.weight: expected shape \(16, 32\)"):
        zoo.load_weights(model, path)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    report = zoo.load_weights(model, path, strict=False)
    assert "blocks.0.fc.weight" in report.loaded and report.mismatched
    assert torch.equal(model.blocks[0].fc.weight, other.blocks[0].fc.weight)
    # What did not fit was re-drawn by the model's own policy and seed: its old values.
    assert torch.equal(model.blocks[1].fc.weight, before["blocks.1.fc.weight"])
    assert torch.equal(model.head.weight, before["head.weight"])


@pytest.mark.parametrize("prefix", ["module.", "_orig_mod.", "module._orig_mod."])
def test_known_prefixes_are_stripped(tmp_path, prefix):
    source = zoo.create("mlp", seed=5, **SMALL["mlp"])
    path = tmp_path / "p.safetensors"
    save_file({prefix + k: v for k, v in source.state_dict().items()}, str(path))
    target = zoo.create("mlp", seed=6, **SMALL["mlp"])
    report = zoo.load_weights(target, path)
    assert state_equal(source, target) and report.stripped_prefixes


def test_non_strict_load_with_no_matching_key_still_fails(tmp_path):
    path = tmp_path / "wrong.safetensors"
    save_file({"encoder.fc.weight": torch.zeros(2, 2)}, str(path))
    model = zoo.create("mlp", **SMALL["mlp"])
    with pytest.raises(zoo.CheckpointError, match="unexpected in the file"):
        zoo.load_weights(model, path, strict=False)


def test_create_with_weights_initializes_nothing(tmp_path, monkeypatch):
    source = zoo.create("resnet18", seed=4, num_classes=3)
    path = tmp_path / "r.safetensors"
    save_file(source.state_dict(), str(path))
    from zoo.init import engine

    monkeypatch.setattr(engine, "_write", lambda *a: pytest.fail("drew values it then overwrote"))
    model = zoo.create("resnet18", weights=path, num_classes=3)
    assert state_equal(model, source)


def test_no_pickle_anywhere():
    root = os.path.dirname(zoo.__file__)
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                text = open(os.path.join(folder, name)).read()
                assert "torch.load(" not in text and "import pickle" not in text, name
