"""The main job, end to end, on real data:

1. create a UNet with kaiming init and print its per-parameter init report;
2. save it to .safetensors, reload it with zoo.load, check the weights are bit-identical;
3. write a ResNet-18 checkpoint with timm itself (random init, saved with safetensors),
   load it into zoo's resnet18 and compare the logits on two real photos (the sample
   images bundled with scikit-learn), and run the UNet on them too.

Run: python scripts/demo.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F

import zoo


def photo_batch(size: int = 224) -> torch.Tensor:
    """scikit-learn's two bundled photos (china.jpg, flower.jpg), ImageNet-normalized."""
    import numpy as np
    from sklearn.datasets import load_sample_images

    images = torch.from_numpy(np.stack(load_sample_images().images)).permute(0, 3, 1, 2).float() / 255
    images = F.interpolate(images, size=(size, size), mode="bilinear", antialias=True)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (images - mean) / std


def unet_round_trip(out: Path, photos: torch.Tensor) -> None:
    model = zoo.create("unet", init="kaiming", seed=0, in_channels=3, num_classes=2)
    print(zoo.describe(model))
    path = zoo.save(model, out / "unet.safetensors")
    loaded = zoo.load(path)
    same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
    count = sum(p.numel() for p in model.parameters())
    print(f"\nsaved {path} ({count:,} parameters); reloaded bit-identical: {same}")
    with torch.no_grad():
        masks = loaded.eval()(photos[:, :, :101, :157])  # odd sizes keep their shape
    print(f"UNet on photos {tuple(photos[:, :, :101, :157].shape)} -> {tuple(masks.shape)}")
    if not same:
        raise SystemExit("round trip changed the weights")


def timm_checkpoint_into_zoo(out: Path, photos: torch.Tensor) -> None:
    import timm
    from safetensors.torch import save_file

    torch.manual_seed(0)  # timm's own random init; zoo.create below never touches this RNG
    reference = timm.create_model("resnet18", pretrained=False).eval()
    path = out / "timm_resnet18.safetensors"
    save_file(reference.state_dict(), str(path))
    model = zoo.create("resnet18", weights=path).eval()
    with torch.no_grad():
        ours, theirs = model(photos), reference(photos)
    diff = (ours - theirs).abs().max().item()
    print(f"\nloaded timm's resnet18 checkpoint {path} into zoo.create('resnet18', weights=...)")
    print(f"logits on {len(photos)} photos {tuple(photos.shape)}: max |zoo - timm| = {diff:.3g}")
    print(f"top-1 class, zoo: {ours.argmax(1).tolist()}  timm: {theirs.argmax(1).tolist()}")
    if diff > 1e-5:
        raise SystemExit("logits differ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_out", help="folder for the .safetensors files")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    photos = photo_batch()
    unet_round_trip(out, photos)
    timm_checkpoint_into_zoo(out, photos)
    print("\ndemo OK")


if __name__ == "__main__":
    main()
