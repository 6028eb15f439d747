"""Fine-tuning: foreign checkpoints, new heads, in_chans, reports, partial re-init, folders."""

import json

import pytest
import torch
from conftest import state_equal
from reference_unet import ClassicUNet
from safetensors.torch import save_file

import zoo

X = torch.randn(2, 3, 64, 48, generator=torch.Generator().manual_seed(3))


def randomize_norms(model: torch.nn.Module) -> None:
    """Non-trivial BN statistics, so eval-mode outputs depend on every buffer."""
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.num_features, generator=gen) * 0.2 - 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)


def write(model: torch.nn.Module, path) -> str:
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return str(path)


def test_torchvision_checkpoint_gives_equal_logits(tmp_path):
    import torchvision

    torch.manual_seed(0)
    reference = torchvision.models.resnet50(num_classes=10).eval()
    randomize_norms(reference)
    model = zoo.create("resnet50", weights=write(reference, tmp_path / "tv.safetensors"),
                       num_classes=10).eval()
    with torch.no_grad():
        assert torch.allclose(model(X), reference(X), atol=1e-5, rtol=0)
    assert model.zoo_load_report.ok and len(model.zoo_load_report.loaded) == len(reference.state_dict())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet34", "resnet101", "resnet152"])
def test_timm_checkpoints_of_every_depth(name, tmp_path):
    import timm

    torch.manual_seed(0)
    reference = timm.create_model(name, num_classes=5).eval()
    randomize_norms(reference)
    model = zoo.create(name, weights=write(reference, tmp_path / "t.safetensors"), num_classes=5)
    with torch.no_grad():
        assert torch.allclose(model.eval()(X), reference(X), atol=1e-5, rtol=0)


def test_classic_unet_checkpoint_loads_strictly_with_equal_outputs(tmp_path):
    torch.manual_seed(0)
    reference = ClassicUNet(3, 2).eval()
    randomize_norms(reference)
    assert sum(p.numel() for p in reference.parameters()) == 31_037_698
    model = zoo.create("unet", weights=write(reference, tmp_path / "u.safetensors")).eval()
    x = torch.randn(1, 3, 37, 53, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(model(x), reference(x), atol=1e-5, rtol=0)


def test_new_head_equals_a_fresh_models_head(tmp_path):
    source = zoo.create("resnet18", seed=1, num_classes=1000)
    path = zoo.save(source, tmp_path / "r18.safetensors")
    model = zoo.create("resnet18", weights=path, num_classes=10, init="kaiming", seed=5)
    fresh = zoo.create("resnet18", num_classes=10, init="kaiming", seed=5)
    assert torch.equal(model.fc.weight, fresh.fc.weight) and torch.equal(model.fc.bias, fresh.fc.bias)
    assert torch.equal(model.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    report = model.zoo_load_report
    assert report.reinitialized == [
        "fc.weight (head: file (1000, 512), model (10, 512))",
        "fc.bias (head: file (1000,), model (10,))",
    ]
    assert len(report.loaded) == len(source.state_dict()) - 2 and report.ok


def test_new_head_through_load_weights_and_pooled_features(tmp_path):
    path = zoo.save(zoo.create("resnet18", seed=1), tmp_path / "r.safetensors")
    model = zoo.create("resnet18", num_classes=3, seed=2)
    with torch.no_grad():
        model.fc.weight.fill_(7.0)  # a head the user already has is kept, not redrawn
    report = zoo.load_weights(model, path)
    assert torch.all(model.fc.weight == 7.0) and not report.reinitialized
    assert report.ignored[0].startswith("fc.weight (head kept: file (1000, 512), model (3, 512))")
    assert torch.equal(model.layer1[0].conv1.weight, zoo.load(path).layer1[0].conv1.weight)
    features = zoo.create("resnet18", weights=path, num_classes=0)
    assert features.zoo_load_report.ignored == [
        "fc.bias (the model has no head)", "fc.weight (the model has no head)"
    ]
    assert features.eval()(X).shape == (2, 512)


def test_reset_classifier_matches_fresh_model_and_keeps_dtype():
    model = zoo.create("resnet18", seed=3, init="xavier", dtype=torch.bfloat16)
    model.reset_classifier(7)
    fresh = zoo.create("resnet18", seed=3, init="xavier", num_classes=7, dtype=torch.bfloat16)
    assert model.fc.weight.dtype == torch.bfloat16
    assert state_equal(model, fresh) and model.config.num_classes == 7
    model.reset_classifier(0)
    assert isinstance(model.fc, torch.nn.Identity)
    assert model.eval()(X.to(torch.bfloat16)).shape == (2, 512)
    unet = zoo.create("unet", depth=2, base_width=8, seed=1)
    unet.reset_classifier(5)
    assert state_equal(unet, zoo.create("unet", depth=2, base_width=8, seed=1, out_channels=5))


@pytest.mark.parametrize("in_chans", [1, 2, 4, 6])
@pytest.mark.parametrize("grey_filters", [False, True])
def test_in_chans_adaptation_keeps_activations(tmp_path, in_chans, grey_filters):
    rgb = zoo.create("resnet18", seed=0).eval()
    if grey_filters:  # filters equal on R, G and B, as in pretrained stems, roughly
        with torch.no_grad():
            rgb.conv1.weight.copy_(rgb.conv1.weight[:, :1].expand(-1, 3, -1, -1))
    path = zoo.save(rgb, tmp_path / "rgb.safetensors")
    model = zoo.create("resnet18", weights=path, in_chans=in_chans).eval()
    assert model.zoo_load_report.adapted[0].startswith(f"conv1.weight: 3 -> {in_chans} input")
    grey = torch.rand(2, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = rgb.forward_features(grey.expand(-1, 3, -1, -1))
        ours = model.forward_features(grey.expand(-1, in_chans, -1, -1))
    # A grey image replicated on every channel gives the RGB model's activations: always
    # for the sum rule (1) and whole repeats (6); for 2 and 4 when filters are grey.
    if in_chans in (1, 6) or grey_filters:
        assert torch.allclose(ours, reference, atol=1e-4)
    else:
        assert not torch.allclose(ours, reference, atol=1e-4)


def test_loading_a_float16_file_casts_and_reports(tmp_path):
    source = zoo.create("mlp", seed=1, hidden=(16,))
    path = tmp_path / "half.safetensors"
    save_file({k: v.half() for k, v in source.state_dict().items()}, str(path))
    model = zoo.create("mlp", weights=path, hidden=(16,))
    assert model.head.weight.dtype == torch.float32
    assert torch.equal(model.head.weight, source.head.weight.half().float())
    assert "head.weight: float16 -> float32" in model.zoo_load_report.cast


def test_strict_create_with_unexpected_keys_fails_and_non_strict_reports(tmp_path):
    source = zoo.create("mlp", seed=1, hidden=(16,))
    path = tmp_path / "extra.safetensors"
    save_file({**source.state_dict(), "aux.weight": torch.zeros(3)}, str(path))
    with pytest.raises(zoo.CheckpointError, match=r"unexpected in the file \(1\): aux.weight"):
        zoo.create("mlp", weights=path, hidden=(16,))
    model = zoo.create("mlp", weights=path, hidden=(16,), strict=False)
    assert model.zoo_load_report.unexpected == ["aux.weight"] and state_equal(model, source)


def test_reinit_by_pattern_and_module_is_bit_identical_to_fresh():
    fresh = zoo.create("resnet18", seed=9, init="orthogonal", num_classes=4)
    model = zoo.create("resnet18", seed=9, init="orthogonal", num_classes=4)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    report = zoo.init.reinit(model, "fc.*", model.layer4)
    assert {r.name for r in report} == {n for n, _ in model.named_parameters()
                                         if n.startswith(("fc.", "layer4."))}
    for name, value in model.named_parameters():
        changed = not name.startswith(("fc.", "layer4."))
        assert torch.equal(value, fresh.get_parameter(name) + (1.0 if changed else 0.0)), name
    with pytest.raises(zoo.InitError, match="matches no parameter"):
        zoo.init.reinit(model, "head.*")


def test_save_pretrained_folder_round_trip(tmp_path):
    model = zoo.create("unet", depth=2, base_width=8, seed=4, init="lecun")
    folder = zoo.save_pretrained(model, tmp_path / "unet-small")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    import json

    config = json.loads((folder / "config.json").read_text())
    assert config["architecture"] == "unet" and config["config"]["depth"] == 2
    assert state_equal(zoo.load(folder), model)
    assert state_equal(zoo.create("unet", weights=folder, depth=2, base_width=8), model)
    with pytest.raises(zoo.CheckpointError, match="has neither model.safetensors nor"):
        zoo.load(tmp_path)


def test_timm_loads_a_zoo_file(tmp_path):
    import timm

    model = zoo.create("resnet50", seed=0).eval()
    path = zoo.save(model, tmp_path / "zoo_r50.safetensors")
    theirs = timm.create_model(
        "resnet50", pretrained=True, pretrained_cfg_overlay=dict(file=str(path)), num_classes=10
    ).eval()
    assert theirs.fc.out_features == 10
    with torch.no_grad():
        assert torch.allclose(theirs.forward_features(X), model.forward_features(X), atol=1e-5)


def test_a_save_pretrained_folder_brings_its_config_init_and_seed(tmp_path):
    model = zoo.create("resnet18", num_classes=7, init="xavier", seed=3)
    folder = zoo.save_pretrained(model, tmp_path / "r18-7")
    again = zoo.create(weights=folder)  # no name, no config: the folder's own
    assert again.config.num_classes == 7 and state_equal(again, model)
    state = zoo.init.init_state(again)
    assert (state.policy.name, state.seed) == ("xavier", 3)
    five = zoo.create("resnet18", weights=folder, num_classes=5)  # the call overrides
    fresh = zoo.create("resnet18", num_classes=5, init="xavier", seed=3)
    assert torch.equal(five.fc.weight, fresh.fc.weight)  # new head: the folder's policy and seed
    assert torch.equal(five.conv1.weight, model.conv1.weight)
    with pytest.raises(zoo.ConfigError, match="conflicts with the weights folder's config.json.*resnet18"):
        zoo.create("unet", weights=folder)


def test_another_librarys_config_json_is_not_read(tmp_path):
    folder = zoo.save_pretrained(zoo.create("resnet18", num_classes=7), tmp_path / "f")
    (folder / "config.json").write_text(json.dumps({"architecture": "resnet18", "num_classes": 7}))
    model = zoo.create("resnet18", weights=folder, num_classes=7)  # timm-style: ours to give
    assert model.config.num_classes == 7
    with pytest.raises(zoo.ConfigError, match="needs a model name.*config.json, but zoo did not write it"):
        zoo.create(weights=folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(zoo.ConfigError, match="config.json.*not valid JSON"):
        zoo.create("resnet18", weights=folder)
