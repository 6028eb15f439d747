"""The command line: each command end to end, errors without tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import zoo
from zoo.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys):
    code, out, _ = run(capsys, "list", "res*")
    assert code == 0 and out.split() == zoo.list_models("res*")


def test_create_then_describe_and_inspect(tmp_path, capsys):
    path = tmp_path / "unet.safetensors"
    code, out, _ = run(capsys, "create", "unet", "--init", "kaiming", "--seed", "0",
                       "--set", "depth=2", "--set", "base_width=8", "-o", str(path))
    assert code == 0 and "unet" in out
    expected = zoo.create("unet", init="kaiming", seed=0, depth=2, base_width=8)
    assert torch.equal(zoo.load(path).outc.conv.weight, expected.outc.conv.weight)
    code, out, _ = run(capsys, "describe", str(path))
    assert code == 0
    assert "inc.double_conv.0.weight" in out and "kaiming_normal" in out and "fan_in" in out
    code, out, _ = run(capsys, "describe", str(path), "--format", "json")
    assert json.loads(out) == zoo.describe(expected).to_dict()
    code, out, _ = run(capsys, "inspect", str(path))
    assert code == 0 and "zoo.arch: unet" in out and "outc.conv.weight" in out


def test_describe_a_name_with_policy_and_markdown(capsys):
    code, out, _ = run(capsys, "describe", "mlp", "--init", "xavier", "--format", "markdown",
                       "--set", "hidden=[8]")
    assert code == 0 and out.startswith("| name | shape | init |") and "xavier_uniform" in out


def test_create_with_json_policy(tmp_path, capsys):
    path = tmp_path / "m.safetensors"
    policy = '{"base": "kaiming", "rules": {"head.*": "zeros"}}'
    code, _, _ = run(capsys, "create", "mlp", "--init", policy, "--set", "hidden=[8]", "-o", str(path))
    assert code == 0 and torch.all(zoo.load(path).head.weight == 0)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["create", "unett", "-o", "x.safetensors"], "did you mean unet"),
        (["create", "mlp", "--init", "he", "-o", "x.safetensors"], "known: default"),
        (["create", "mlp", "--set", "hidden", "-o", "x.safetensors"], "--set takes key=value"),
        (["create", "mlp", "--set", "dropout=3", "-o", "x.safetensors"], "dropout must be in"),
        (["describe", "missing.safetensors"], "does not exist"),
        (["inspect", "missing.safetensors"], "does not exist"),
    ],
)
def test_errors_are_one_line_without_traceback(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_console_entry_point_and_module():
    result = subprocess.run([sys.executable, "-m", "zoo", "list", "u*"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.split() == ["unet"]
    result = subprocess.run([sys.executable, "-m", "zoo", "create", "--help"], capture_output=True, text=True)
    assert "--init" in result.stdout and "--seed" in result.stdout and "--set" in result.stdout


def test_create_from_weights_prints_the_load_report(tmp_path, capsys):
    source = tmp_path / "r18.safetensors"
    zoo.save(zoo.create("resnet18", seed=1), source)
    out_path = tmp_path / "r18_10.safetensors"
    code, out, _ = run(capsys, "create", "resnet18", "--weights", str(source),
                       "--set", "num_classes=10", "-o", str(out_path))
    assert code == 0
    assert "loaded 120 tensors" in out and "re-initialized (2): fc.weight (head" in out
    assert zoo.load(out_path).config.num_classes == 10


def test_describe_and_inspect_a_sharded_folder(tmp_path, capsys):
    folder = zoo.save(zoo.create("mlp", hidden=(8,)), tmp_path / "ckpt", max_shard_size="1MB")
    code, out, _ = run(capsys, "describe", str(folder))
    assert code == 0 and "head.weight" in out
    code, out, _ = run(capsys, "inspect", str(folder))
    assert code == 0 and "zoo.arch: mlp" in out and "blocks.0.fc.weight" in out


def test_create_from_a_save_pretrained_folder_needs_no_name(tmp_path, capsys):
    model = zoo.create("mlp", hidden=(8,), seed=5)
    folder = zoo.save_pretrained(model, tmp_path / "f")
    code, _, err = run(capsys, "create", "--weights", str(folder), "-o", str(tmp_path / "o.safetensors"))
    assert code == 0, err
    assert torch.equal(zoo.load(tmp_path / "o.safetensors").head.weight, model.head.weight)
    code, _, err = run(capsys, "create", "-o", str(tmp_path / "x.safetensors"))
    assert code == 2 and "--weights FOLDER" in err
    preset = str(Path(__file__).parents[1] / "configs" / "resnet18.yaml")
    code, _, err = run(capsys, "create", "--config", preset, "--weights", str(folder),
                       "-o", str(tmp_path / "y.safetensors"))
    assert code == 2 and "config.json (for 'mlp') conflicts with the preset" in err
    code, _, err = run(capsys, "create", "mlp", "--dtype", "int8", "-o", str(tmp_path / "z.safetensors"))
    assert code == 2 and "got 'int8'" in err
