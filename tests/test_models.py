"""Every registered model creates, forwards, and round-trips; layouts match timm/torchvision."""

import pytest
import torch
from conftest import SMALL, example_input, state_equal
from safetensors.torch import save_file

import zoo


@pytest.mark.parametrize("name", sorted(SMALL))
def test_create_forward_save_load_bit_exact(name, tmp_path):
    model = zoo.create(name, seed=3, **SMALL[name]).eval()
    x = example_input(name, model)
    y = model(x)
    if name == "mlp":
        assert y.shape == (x.shape[0], model.config.out_features)
    elif name.startswith("resnet"):
        assert y.shape == (x.shape[0], model.config.num_classes)
    else:
        assert y.shape == (x.shape[0], model.config.out_channels, *x.shape[-2:])
    path = zoo.save(model, tmp_path / f"{name}.safetensors")
    loaded = zoo.load(path).eval()
    assert type(loaded) is type(model) and loaded.config == model.config
    assert state_equal(model, loaded)
    assert torch.equal(loaded(x), y)
    assert zoo.describe(loaded).to_dict() == zoo.describe(model).to_dict()


@pytest.mark.parametrize("size", [(37, 53), (16, 16), (17, 16), (64, 31)])
@pytest.mark.parametrize("bilinear", [False, True])
def test_unet_returns_the_input_size(size, bilinear):
    model = zoo.create("unet", depth=3, base_width=8, bilinear=bilinear).eval()
    assert model(torch.zeros(1, 3, *size)).shape == (1, 2, *size)


def test_unet_too_small_input_gets_a_clear_error():
    model = zoo.create("unet", depth=3, base_width=8)
    with pytest.raises(ValueError, match="at least 8x8"):
        model(torch.zeros(1, 3, 7, 20))


def test_unet_classic_layout_parameter_count():
    # The standalone PyTorch UNet (3 in, 2 out, transposed-conv upsampling) has 31,037,698.
    model = zoo.create("unet", in_channels=3, num_classes=2, device="meta")
    assert sum(p.numel() for p in model.parameters()) == 31_037_698
    assert "up1.up.weight" in model.state_dict() and "outc.conv.weight" in model.state_dict()


@pytest.mark.parametrize("variant", [dict(norm="groupnorm", bias=True), dict(norm="none")])
def test_unet_variants(variant):
    model = zoo.create("unet", depth=2, base_width=16, **variant)
    assert model(torch.zeros(1, 3, 20, 21)).shape == (1, 2, 20, 21)


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
def test_resnet_keys_and_shapes_equal_timm_and_torchvision(name):
    import timm
    import torchvision

    ours = {k: tuple(v.shape) for k, v in zoo.create(name, device="meta").state_dict().items()}
    with torch.device("meta"):
        theirs_timm = timm.create_model(name).state_dict()
        theirs_tv = getattr(torchvision.models, name)().state_dict()
    assert ours == {k: tuple(v.shape) for k, v in theirs_timm.items()}
    assert ours == {k: tuple(v.shape) for k, v in theirs_tv.items()}


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_timm_checkpoint_gives_equal_logits(name, tmp_path):
    import timm

    torch.manual_seed(0)
    reference = timm.create_model(name, num_classes=10).eval()
    with torch.no_grad():  # non-trivial running statistics, so eval-mode BN matters
        for m in reference.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
    path = tmp_path / "timm.safetensors"
    save_file(reference.state_dict(), str(path))
    model = zoo.create(name, weights=path, num_classes=10).eval()
    x = torch.randn(2, 3, 96, 80, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(model(x), reference(x), atol=1e-5, rtol=0)


def test_resnet_num_classes_zero_gives_pooled_features():
    model = zoo.create("resnet18", num_classes=0)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 512)


def test_resnet_in_chans():
    model = zoo.create("resnet18", in_chans=1, num_classes=4)
    assert model(torch.zeros(2, 1, 32, 32)).shape == (2, 4)


@pytest.mark.parametrize("norm", ["none", "layernorm", "batchnorm"])
@pytest.mark.parametrize("activation", ["relu", "gelu", "selu"])
def test_mlp_variants(norm, activation):
    model = zoo.create("mlp", in_features=6, hidden=(12, 12), out_features=3, norm=norm,
                       activation=activation, dropout=0.1, bias=False)
    assert model(torch.randn(4, 6)).shape == (4, 3)
    assert all(p.dim() != 1 or "norm" in n for n, p in model.named_parameters())


def test_list_models_wildcards():
    assert zoo.list_models("res*") == ["resnet101", "resnet152", "resnet18", "resnet34", "resnet50"]
    assert zoo.list_models("unet") == ["unet"]
    assert zoo.list_models("nothing*") == []


def test_duplicate_registration_is_rejected():
    from zoo.registry import ModelEntry, register_model

    with pytest.raises(ValueError, match="already registered"):
        register_model(ModelEntry("mlp", zoo.models.MLP, zoo.models.MLPConfig))


def test_subclass_may_override_reset_parameters():
    class ZeroHeadMLP(zoo.models.MLP):
        def reset_parameters(self, init=None, seed=None):
            report = super().reset_parameters(init, seed)
            with torch.no_grad():
                self.head.weight.zero_()
            return report

    model = ZeroHeadMLP(zoo.models.MLPConfig(in_features=4, hidden=(8,), out_features=2))
    model.reset_parameters(init="kaiming", seed=1)
    assert torch.all(model.head.weight == 0) and model.blocks[0].fc.weight.std() > 0
