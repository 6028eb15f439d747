"""YAML presets: one per registered variant, read safely, overridable."""

from pathlib import Path

import pytest
import torch
from conftest import state_equal

import zoo
from zoo.cli import main

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_registered_variant_has_a_preset_equal_to_its_defaults(name):
    path = CONFIGS / f"{name}.yaml"
    assert path.is_file()
    assert zoo.create(config=path, device="meta").config == zoo.create(name, device="meta").config


def test_preset_with_overrides(tmp_path):
    model = zoo.create(config=CONFIGS / "mlp.yaml", hidden=(8,), seed=3)
    assert model.config.hidden == (8,)
    assert state_equal(model, zoo.create("mlp", hidden=(8,), seed=3))


def test_cli_create_with_config(tmp_path, capsys):
    out = tmp_path / "m.safetensors"
    assert main(["create", "--config", str(CONFIGS / "mlp.yaml"), "--set", "hidden=[4]", "-o", str(out)]) == 0
    assert zoo.load(out).config.hidden == (4,)


def test_unsafe_yaml_is_refused(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("model: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(zoo.ConfigError, match="not valid YAML"):
        zoo.create(config=path)


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("- a\n- b\n", "must hold a mapping"),
        ("model: mlp\nextra: 1\n", "unknown key"),
        ("init: kaiming\n", "must name the model"),
        ("model: mlp\nconfig: [1, 2]\n", "'config' must be a mapping"),
        ("model: mlp\nconfig:\n  hiden: [4]\n", "no field"),
    ],
)
def test_bad_presets(tmp_path, text, pattern):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(zoo.ConfigError, match=pattern):
        zoo.create(config=path, device="meta")


def test_missing_preset_and_name_conflict(tmp_path):
    with pytest.raises(zoo.ConfigError, match="does not exist"):
        zoo.create(config=tmp_path / "none.yaml")
    with pytest.raises(zoo.ConfigError, match="conflicts"):
        zoo.create("unet", config=CONFIGS / "mlp.yaml")
    assert torch.is_tensor(zoo.create(config=CONFIGS / "unet.yaml", depth=1, base_width=4).outc.conv.weight)
