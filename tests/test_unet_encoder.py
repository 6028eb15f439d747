"""UNet with a timm encoder: any input size, policy on decoder and encoder, save/load."""

import pytest
import torch
from conftest import state_equal
from safetensors.torch import save_file

import zoo


@pytest.fixture(scope="module")
def net():
    return zoo.create("unet", encoder="resnet18", base_width=8, out_channels=3, seed=2)


@pytest.mark.parametrize("size", [(37, 53), (64, 64), (33, 90)])
def test_any_input_size(net, size):
    with torch.no_grad():
        assert net.eval()(torch.zeros(1, 3, *size)).shape == (1, 3, *size)


def test_policy_covers_encoder_and_decoder_deterministically(net):
    report = zoo.describe(net)
    assert not report.not_covered
    assert report["encoder.conv1.weight"].reason == "policy default: conv weight"
    assert report["outc.conv.weight"].reason == "policy default: head weight"
    again = zoo.create("unet", encoder="resnet18", base_width=8, out_channels=3, seed=2)
    assert state_equal(net, again)


def test_save_load_round_trip(net, tmp_path):
    loaded = zoo.load(zoo.save(net, tmp_path / "enc_unet.safetensors"))
    assert loaded.config.encoder == "resnet18" and state_equal(net, loaded)


def test_encoder_weights_from_a_timm_checkpoint(tmp_path):
    import timm

    torch.manual_seed(0)
    classifier = timm.create_model("resnet18")
    path = tmp_path / "r18.safetensors"
    save_file(classifier.state_dict(), str(path))
    model = zoo.create("unet", encoder="resnet18", base_width=8)
    decoder_before = model.decoder[0].conv.double_conv[0].weight.clone()
    report = model.load_encoder(path)
    assert report.unexpected == [] and report.ok
    assert sorted(report.ignored) == ["fc.bias (not in the encoder)", "fc.weight (not in the encoder)"]
    assert torch.equal(model.encoder.layer3[1].conv2.weight, classifier.layer3[1].conv2.weight)
    assert torch.equal(model.decoder[0].conv.double_conv[0].weight, decoder_before)


@pytest.mark.parametrize("name", ["convnext_atto", "efficientnet_b0"])
def test_encoders_with_flattened_or_dropped_modules_load_and_match_timm(tmp_path, name):
    # features_only renames convnext's stages.0 to stages_0 and drops efficientnet's
    # conv_head / bn2: the classification checkpoint still loads, and the encoder's
    # features equal timm's own intermediates of the source model.
    import timm

    torch.manual_seed(0)
    source = timm.create_model(name).eval()
    path = tmp_path / f"{name}.safetensors"
    save_file(source.state_dict(), str(path))
    model = zoo.create("unet", encoder=name, base_width=8).eval()
    report = model.load_encoder(path)
    assert report.ok and report.loaded and all("not in the encoder" in k for k in report.ignored)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ours, theirs = model.encoder(x), source.forward_intermediates(x, intermediates_only=True)
    assert torch.allclose(ours[-1], theirs[-1], atol=1e-5)


def test_encoder_checkpoint_of_another_architecture_changes_nothing(tmp_path):
    import timm

    path = tmp_path / "r34.safetensors"
    save_file(timm.create_model("resnet34").state_dict(), str(path))  # more blocks than r18
    model = zoo.create("unet", encoder="resnet18", base_width=8)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(zoo.CheckpointError, match="does not fit resnet18; nothing was loaded"):
        model.load_encoder(path)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_unknown_encoder_suggests_names():
    with pytest.raises(zoo.ConfigError, match="did you mean resnet34"):
        zoo.create("unet", encoder="resnet43", device="meta")
