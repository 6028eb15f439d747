"""Fine-tuning on real data: scikit-learn's bundled handwritten digits (1,797 8x8 images).

1. Train an MLP and a small ResNet (resnet18 with one block per stage, 1 input channel)
   under several init policies with fixed seeds; print a test-accuracy table.
2. Save the best model, reload it with zoo.load, check it scores the same.
3. Fine-tune it on a 5-class subset (digits 0-4) through the new-head path:
   zoo.create(NAME, weights=BEST, num_classes=5) re-initializes only the head.

Run: python scripts/finetune_digits.py  (needs scikit-learn: pip install -e ".[examples]")
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812

import zoo

POLICIES = ("default", "kaiming", "xavier")


def load_digits_split(seed: int = 0):
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.images, dtype=torch.float32) / 16.0  # pixel values are 0..16
    y = torch.tensor(data.target)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    split = int(0.8 * len(y))
    return (x[order[:split]], y[order[:split]]), (x[order[split:]], y[order[split:]])


def as_input(kind: str, x: torch.Tensor) -> torch.Tensor:
    if kind == "mlp":
        return x.flatten(1)
    return x[:, None]  # 8x8, one channel: the stem and max-pool bring it to 2x2


def build(kind: str, policy: str, classes: int, weights: Path | None = None):
    if kind == "mlp":
        return zoo.create("mlp", init=policy, seed=0, in_features=64, hidden=(128, 128),
                          out_features=classes, weights=weights)
    return zoo.create("resnet18", init=policy, seed=0, in_chans=1, num_classes=classes,
                      layers=(1, 1, 1, 1), weights=weights)


def train(model, kind, data, epochs: int, lr: float, seed: int = 0) -> None:
    x, y = data
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(y), generator=gen).split(64):
            loss = F.cross_entropy(model(as_input(kind, x[batch])), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


@torch.no_grad()
def accuracy(model, kind, data) -> float:
    x, y = data
    model.eval()
    return (model(as_input(kind, x)).argmax(1) == y).float().mean().item()


def subset(data, classes: int):
    x, y = data
    keep = y < classes
    return x[keep], y[keep]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default=None, help="folder for the best model (default: temp)")
    args = parser.parse_args()
    start = time.perf_counter()
    train_data, test_data = load_digits_split()
    print(f"digits: {len(train_data[1])} train / {len(test_data[1])} test images, 10 classes")

    results: dict[tuple[str, str], float] = {}
    best = (None, -1.0, "", "")
    for kind, lr in (("mlp", 3e-3), ("resnet", 1e-3)):
        for policy in POLICIES:
            model = build(kind, policy, 10)
            train(model, kind, train_data, args.epochs, lr)
            acc = results[(kind, policy)] = accuracy(model, kind, test_data)
            if acc > best[1]:
                best = (model, acc, kind, policy)
    print(f"\ntest accuracy after {args.epochs} epochs (seed 0)")
    print(f"  {'model':10}" + "".join(f"{p:>10}" for p in POLICIES))
    for kind in ("mlp", "resnet"):
        print(f"  {kind:10}" + "".join(f"{results[(kind, p)]:10.3f}" for p in POLICIES))

    model, acc, kind, policy = best
    folder = Path(args.out or tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    path = zoo.save(model, folder / f"digits_{kind}_{policy}.safetensors")
    reloaded = zoo.load(path)
    same = accuracy(reloaded, kind, test_data)
    print(f"\nbest: {kind} / {policy} ({acc:.3f}); saved {path}; reloaded scores {same:.3f}")
    if same != acc:
        raise SystemExit("reloaded model scores differently")

    five_train, five_test = subset(train_data, 5), subset(test_data, 5)
    tuned = build(kind, policy, 5, weights=path)  # loads all but the head: new 5-class head
    print(f"new head for digits 0-4: {tuned.zoo_load_report.reinitialized}")
    before = accuracy(tuned, kind, five_test)
    train(tuned, kind, five_train, 2, 1e-3)
    print(f"5-class accuracy: {before:.3f} with the fresh head -> "
          f"{accuracy(tuned, kind, five_test):.3f} after 2 epochs")
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
