"""Sharded safetensors (Hugging Face layout): write, read lazily, round-trip bit-exactly."""

import json
from pathlib import Path

import pytest
import torch
from conftest import state_equal

import zoo
import zoo.io.files as files


def test_sharded_round_trip_is_bit_exact_and_reads_one_shard_at_a_time(tmp_path, monkeypatch):
    model = zoo.create("resnet18", seed=3, num_classes=10)
    folder = zoo.save(model, tmp_path / "r18", max_shard_size="10MB")
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) == 5 and shards[0] == "model-00001-of-00005.safetensors"
    assert set(index["weight_map"]) == set(model.state_dict())
    assert index["metadata"]["total_size"] == sum(
        v.numel() * v.element_size() for v in model.state_dict().values())
    for name in shards:  # every tensor is under 10 MB, so every shard is (plus its header)
        assert (folder / name).stat().st_size <= 10_000_000 + 50_000
    reads = []
    real = files.load_file
    monkeypatch.setattr(files, "load_file", lambda p, device: reads.append(p) or real(p, device=device))
    loaded = zoo.load(folder)
    assert len(reads) == len(shards) and state_equal(model, loaded)
    assert state_equal(zoo.create("resnet18", weights=folder, num_classes=10), model)


def test_resharding_removes_stale_shards_and_single_file_wins_back(tmp_path):
    model = zoo.create("mlp", hidden=(256, 256), seed=1)
    folder = tmp_path / "m"
    zoo.save(model, folder, max_shard_size=300_000)
    first = sorted(p.name for p in folder.iterdir())
    zoo.save(model, folder, max_shard_size="1GB")
    assert sorted(p.name for p in folder.iterdir()) == [
        "model-00001-of-00001.safetensors", "model.safetensors.index.json"]
    assert len(first) > 2
    zoo.save_pretrained(model, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    assert state_equal(zoo.load(folder), model)


@pytest.mark.parametrize("bad", ["2XB", "-1GB", 0, "GB", 1.5])
def test_bad_shard_sizes(tmp_path, bad):
    with pytest.raises(zoo.CheckpointError, match="max_shard_size"):
        zoo.save(zoo.create("mlp", hidden=(4,)), tmp_path / "x", max_shard_size=bad)


def test_missing_shard_is_named(tmp_path):
    folder = zoo.save(zoo.create("mlp", hidden=(256, 256)), tmp_path / "m", max_shard_size=300_000)
    victim = sorted(folder.glob("model-*.safetensors"))[1]
    victim.unlink()
    with pytest.raises(zoo.CheckpointError, match=f"missing: {victim.name}"):
        zoo.load(folder)
    with pytest.raises(zoo.CheckpointError, match="not a valid shard index"):
        (folder / "model.safetensors.index.json").write_text("{}")
        zoo.load(folder)


@pytest.mark.slow
def test_a_billion_parameter_mlp_fits_in_1_1x_its_weight_bytes():
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "scripts/bench_big_mlp.py"], cwd=root, capture_output=True,
                         text=True, timeout=900, check=True).stdout
    ratio = float(re.search(r"= ([0-9.]+) x the weight bytes", out).group(1))
    assert ratio <= 1.1, out


def _index(folder):
    return folder / "model.safetensors.index.json"


def test_index_that_does_not_match_its_shards_is_an_error_naming_the_tensors(tmp_path):
    model = zoo.create("mlp", hidden=(256, 256), seed=1)
    folder = zoo.save(model, tmp_path / "m", max_shard_size=300_000)
    good = json.loads(_index(folder).read_text())
    for edit, message in [
        (lambda m: m.update({"ghost.weight": next(iter(m.values()))}), "listed but not.*ghost.weight"),
        (lambda m: m.pop("head.bias"), "in a shard but not in the index: head.bias"),
        # a tensor filed under the wrong shard: the index no longer says where it is
        (lambda m: m.update({"head.bias": sorted(set(m.values()))[0]}), "listed but not.*head.bias"),
    ]:
        index = json.loads(json.dumps(good))
        edit(index["weight_map"])
        _index(folder).write_text(json.dumps(index))
        for load in (zoo.load, lambda f: zoo.create("mlp", hidden=(256, 256), weights=f),
                     lambda f: zoo.load_weights(zoo.create("mlp", hidden=(256, 256)), f)):
            with pytest.raises(zoo.CheckpointError, match=message):
                load(folder)
    _index(folder).write_text(json.dumps(good))
    assert state_equal(zoo.load(folder), model)


def test_index_listing_nothing_or_files_outside_its_folder_is_an_error(tmp_path):
    folder = zoo.save(zoo.create("mlp", hidden=(256, 256)), tmp_path / "m", max_shard_size=300_000)
    index = json.loads(_index(folder).read_text())
    for weight_map, message in [({}, "lists no tensors"),
                                ({"head.bias": "/etc/passwd"}, "outside its folder: /etc/passwd"),
                                ({"head.bias": "../m/x.safetensors"}, "outside its folder")]:
        _index(folder).write_text(json.dumps({**index, "weight_map": weight_map}))
        with pytest.raises(zoo.CheckpointError, match=message):
            zoo.load(folder)


def test_a_tensor_in_two_shards_is_refused_before_anything_is_copied(tmp_path):
    from safetensors.torch import load_file, save_file

    model = zoo.create("mlp", hidden=(256, 256), seed=1)
    folder = zoo.save(model, tmp_path / "m", max_shard_size=300_000)
    first = sorted(folder.glob("model-*.safetensors"))[0]
    tensors = load_file(str(first))
    tensors["head.bias"] = torch.zeros(3)  # also in the last shard, where the index says
    save_file(tensors, str(first), metadata=files._read_header(first)[0])
    target = zoo.create("mlp", hidden=(256, 256), seed=2)
    before = {k: v.clone() for k, v in target.state_dict().items()}
    with pytest.raises(zoo.CheckpointError, match="in more than one shard: head.bias"):
        zoo.load_weights(target, folder)
    assert all(torch.equal(before[k], v) for k, v in target.state_dict().items())


def test_a_save_that_fails_half_way_leaves_the_old_checkpoint_whole(tmp_path, monkeypatch):
    old = zoo.create("mlp", hidden=(256, 256), seed=1)
    folder = zoo.save(old, tmp_path / "m", max_shard_size=300_000)
    real, calls = files.save_file, []

    def disk_full_on_second(tensors, path, metadata=None):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(tensors, path, metadata=metadata)

    monkeypatch.setattr(files, "save_file", disk_full_on_second)
    with pytest.raises(OSError, match="No space"):
        zoo.save(zoo.create("mlp", hidden=(256, 256), seed=2), folder, max_shard_size=300_000)
    monkeypatch.undo()
    assert not list(folder.glob(".*tmp"))  # no temporary files left behind
    assert state_equal(zoo.load(folder), old)


def test_shards_of_another_save_are_refused(tmp_path):
    a = zoo.save(zoo.create("mlp", hidden=(256, 256), seed=1), tmp_path / "a", max_shard_size=300_000)
    b = zoo.save(zoo.create("mlp", hidden=(256, 256), seed=2), tmp_path / "b", max_shard_size=300_000)
    victim = sorted(a.glob("model-*.safetensors"))[1]
    victim.write_bytes((b / victim.name).read_bytes())  # same names and keys, other save
    with pytest.raises(zoo.CheckpointError, match=f"{victim.name} were written by another save"):
        zoo.load(a)


def test_a_sharded_save_into_a_save_pretrained_folder_keeps_its_config_true(tmp_path):
    folder = zoo.save_pretrained(zoo.create("mlp", hidden=(8,)), tmp_path / "p")
    resnet = zoo.create("resnet18", num_classes=4, seed=2)
    zoo.save(resnet, folder, max_shard_size="5MB")
    assert json.loads((folder / "config.json").read_text())["architecture"] == "resnet18"
    assert state_equal(zoo.create(weights=folder), resnet)
    other = tmp_path / "q"
    other.mkdir()
    (other / "config.json").write_text('{"architecture": "vit", "hidden_size": 3}')  # not zoo's
    zoo.save(resnet, other, max_shard_size="5MB")
    assert json.loads((other / "config.json").read_text()) == {"architecture": "vit", "hidden_size": 3}


def test_a_failed_index_write_leaves_the_old_checkpoint_whole(tmp_path, monkeypatch):
    old = zoo.create("mlp", hidden=(256, 256), seed=1)
    folder = zoo.save(old, tmp_path / "m", max_shard_size=300_000)
    real = Path.write_text

    def full_disk_for_the_index(self, *args, **kwargs):
        if "index.json" in self.name:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk_for_the_index)
    with pytest.raises(OSError, match="No space"):
        zoo.save(zoo.create("mlp", hidden=(256, 256), seed=2), folder, max_shard_size=300_000)
    monkeypatch.undo()
    assert state_equal(zoo.load(folder), old)


def test_symlinked_shards_are_replaced_not_written_through(tmp_path):
    model = zoo.create("mlp", hidden=(256, 256), seed=1)
    cache = zoo.save(model, tmp_path / "cache", max_shard_size=300_000)  # e.g. a shared hub cache
    folder = tmp_path / "m"
    folder.mkdir()
    for item in cache.iterdir():
        (folder / item.name).symlink_to(item)
    before = {p.name: p.read_bytes() for p in cache.iterdir()}
    other = zoo.create("mlp", hidden=(256, 256), seed=2)
    zoo.save(other, folder, max_shard_size=300_000)
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == before
    assert state_equal(zoo.load(folder), other) and state_equal(zoo.load(cache), model)


@pytest.mark.parametrize("blocker", ["config.json", "model.safetensors", "model.safetensors.index.json"])
def test_a_folder_where_zoo_writes_a_file_is_refused_before_writing(tmp_path, blocker):
    for sharded in (None, "1MB"):
        folder = tmp_path / f"f{sharded}"
        (folder / blocker).mkdir(parents=True)
        with pytest.raises(zoo.ZooError, match=f"{blocker} is a folder"):
            zoo.save_pretrained(zoo.create("mlp", hidden=(8,)), folder, max_shard_size=sharded)
        assert [p.name for p in folder.iterdir()] == [blocker]
