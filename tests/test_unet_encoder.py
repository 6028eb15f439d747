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
    assert sorted(report.unexpected) == ["fc.bias", "fc.weight"]
    assert torch.equal(model.encoder.layer3[1].conv2.weight, classifier.layer3[1].conv2.weight)
    assert torch.equal(model.decoder[0].conv.double_conv[0].weight, decoder_before)


def test_unknown_encoder_suggests_names():
    with pytest.raises(zoo.ConfigError, match="did you mean resnet34"):
        zoo.create("unet", encoder="resnet43", device="meta")
