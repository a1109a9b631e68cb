"""Training the paper's classifier: the head on frozen features, or the whole network.

Both paths log one history row per epoch (train loss, train accuracy, accuracy on the
monitoring test set), checkpoint after every epoch and resume from the checkpoint when a
killed job is rerun. Hyperparameters follow the paper: Adam, lr 0.001, 10 epochs.

The paper reports each model's best epoch on the test set ("optimal accuracy through 10
epochs"), so a model keeps what evaluation needs to score every epoch: a frozen model the
head's weights after each epoch (float16, `epoch_heads`; the test features are stored), a
fine-tuned model its class probabilities on the monitoring test set after each epoch
(`epoch_monitor`), since keeping ten copies of a backbone is not worth it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F

from domrand.io import atomic_path
from domrand.train.backbones import Classifier, Head, load_backbone
from domrand.train.images import augment, labels_for, load_images


def load_features(paths) -> dict:
    """Concatenate per-class feature files (from `extract_features`) into one."""
    parts = [torch.load(p, map_location="cpu", weights_only=False, mmap=True) for p in paths]  # read once, by cat
    out = {}
    for split in ("train", "test"):
        tensors = [p[split] for p in parts if p[split].numel()]
        dim = 1 if split == "train" else 0
        out[split] = torch.cat(tensors, dim) if tensors else torch.empty(0)
        out[f"{split}_labels"] = [lab for p in parts for lab in p[f"{split}_labels"]]
    return out


def _read_indexes(paths, split: str) -> pd.DataFrame:
    from domrand.data.index import read_index

    return pd.concat([read_index(p, split=split) for p in paths], ignore_index=True)


def _select(labels: list[str], classes: list[str], data_slice: dict | None = None) -> torch.Tensor:
    """Positions of the labels in `classes`; with `data_slice` ({part, parts}: seeds over the
    data) only the part-th of `parts` equal, contiguous chunks of each class's positions: the
    dataset rendered one training set per seed, image numbers in order, so each seed's models
    train on their own images (own per-image seeds, breeds, poses and augmented views)."""
    if data_slice is None:
        return torch.tensor([i for i, c in enumerate(labels) if c in classes], dtype=torch.long)
    keep = []
    for c in classes:
        rows = [i for i, lab in enumerate(labels) if lab == c]
        keep += slice_part(rows, data_slice)
    return torch.tensor(sorted(keep), dtype=torch.long)


def slice_part(rows: list, data_slice: dict) -> list:
    """The part-th of `parts` equal contiguous chunks of `rows` (their count must divide)."""
    part, parts = int(data_slice["part"]), int(data_slice["parts"])
    if len(rows) % parts:
        raise ValueError(
            f"{len(rows)} training images do not split into {parts} per-seed sets; "
            "re-render the dataset (its size is train_per_class x number of seeds)"
        )
    n = len(rows) // parts
    return rows[part * n : (part + 1) * n]


class _Loop:
    """Epoch loop with per-epoch history, checkpoints and resume."""

    def __init__(self, params, checkpoint: Path, modules: dict, opt, gen: torch.Generator, log, snapshot=None):
        self.params, self.modules, self.opt, self.gen, self.log = params, modules, opt, gen, log
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.snapshot = snapshot  # called after each epoch's evaluation; what it returns is kept per epoch
        self.history: list[dict] = []
        self.snapshots: list = []
        self.start = 0
        if self.checkpoint is not None and self.checkpoint.exists():
            ck = torch.load(self.checkpoint, map_location="cpu", weights_only=False)
            if ck.get("params") == params:
                for k, m in modules.items():
                    m.load_state_dict(ck["modules"][k])
                opt.load_state_dict(ck["opt"])
                gen.set_state(ck["gen"])
                torch.set_rng_state(ck["torch_rng"])  # dropout masks
                if torch.cuda.is_available() and ck.get("cuda_rng") is not None:
                    torch.cuda.set_rng_state_all(ck["cuda_rng"])
                self.history, self.start = ck["history"], ck["epoch"]
                self.snapshots = ck.get("snapshots", [])
                log(f"resuming from {self.checkpoint} after epoch {self.start}")
            else:
                log(f"ignoring {self.checkpoint}: it was made with other parameters")

    def run(self, train_epoch, evaluate):
        for epoch in range(self.start, int(self.params["epochs"])):
            t0 = time.perf_counter()
            loss, acc, n = train_epoch(epoch)
            test_acc = evaluate()
            if self.snapshot is not None:
                self.snapshots.append(self.snapshot())
            dt = time.perf_counter() - t0
            self.history.append(
                {
                    "epoch": epoch + 1,
                    "train_loss": loss,
                    "train_acc": acc,
                    "test_acc": test_acc,
                    "seconds": dt,
                    "images_per_second": n / dt,
                }
            )
            self.log(
                f"epoch {epoch + 1}/{self.params['epochs']}: loss {loss:.4f} train acc {acc:.4f} "
                f"test acc {test_acc:.4f} ({n / dt:.0f} img/s)"
            )
            if self.checkpoint is None:
                continue
            with atomic_path(self.checkpoint) as tmp:
                torch.save(
                    {
                        "params": self.params,
                        "epoch": epoch + 1,
                        "history": self.history,
                        "snapshots": self.snapshots,
                        "gen": self.gen.get_state(),
                        "torch_rng": torch.get_rng_state(),
                        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                        "opt": self.opt.state_dict(),
                        "modules": {k: m.state_dict() for k, m in self.modules.items()},
                    },
                    tmp,
                )
        return self.history


def _epoch(n: int, batch_size: int, gen: torch.Generator, opt, step) -> tuple[float, float, int]:
    """One training epoch over `n` examples in an order drawn from `gen`: for each batch of
    indices, `step(idx)` returns (logits, labels, loss) and the optimiser takes a step on the
    loss. Returns the epoch's mean loss, accuracy and number of examples."""
    total, correct, seen = 0.0, 0, 0
    for idx in torch.randperm(n, generator=gen).split(batch_size):
        out, yb, loss = step(idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        correct += int((out.argmax(1) == yb).sum())
        seen += len(idx)
    return total / seen, correct / seen, seen


def _save_model(
    out_dir: Path, model_meta: dict, head: Head, backbone_state, history, epochs: dict | None = None
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "history.csv") as tmp:
        pd.DataFrame(history).to_csv(tmp, index=False)
    with atomic_path(out_dir / "model.pt") as tmp:
        torch.save({**model_meta, "head": head.state_dict(), "backbone_state": backbone_state, **(epochs or {})}, tmp)


def train_head(
    train_features: list, monitor_features: list, out_dir, checkpoint, params: dict, device="cpu", log=print
) -> list[dict]:
    """Train the head of a frozen-backbone classifier on stored features.

    params: seed, classes, dropout, lr, epochs, batch_size, backbone. The monitoring accuracy
    each epoch is on the test split of `monitor_features` (the real test set).
    """
    classes = list(params["classes"])
    tr, mo = load_features(train_features), load_features(monitor_features)
    keep = _select(tr["train_labels"], classes, params.get("data_slice"))
    if len(keep) == 0:
        raise ValueError(f"{train_features} has no training images of classes {classes}")
    x = tr["train"] if len(keep) == tr["train"].shape[1] else tr["train"][:, keep]  # (views, N, F) float16
    y = labels_for(pd.DataFrame({"label": [tr["train_labels"][i] for i in keep]}), classes)
    mkeep = _select(mo["test_labels"], classes)
    ym = labels_for(pd.DataFrame({"label": [mo["test_labels"][i] for i in mkeep]}), classes)
    head, history, epoch_heads = fit_head(
        x, y, mo["test"][mkeep], ym, params, checkpoint, device, log, keep_epochs=True
    )
    meta = {
        "backbone": params["backbone"],
        "classes": classes,
        "dropout": float(params["dropout"]),
        "frozen": True,
        "in_features": int(x.shape[-1]),
        "params": params,
    }
    _save_model(Path(out_dir), meta, head.cpu(), None, history, {"epoch_heads": epoch_heads})
    return history


def _half_state(module) -> dict:
    return {k: v.detach().to("cpu", torch.float16).clone() for k, v in module.state_dict().items()}


def fit_head(
    x: torch.Tensor,
    y: torch.Tensor,
    xm: torch.Tensor,
    ym: torch.Tensor,
    params: dict,
    checkpoint=None,
    device="cpu",
    log=print,
    keep_epochs: bool = False,
):
    """Train a head on stored features: x (views, N, F), labels y (N,) in the order of
    params['classes']; xm, ym the monitoring test set. Epoch e trains on view e mod views.
    checkpoint: a path to checkpoint to and resume from, or None (none kept).
    Returns (head, history), plus the head's float16 state after each epoch with keep_epochs.

    params: seed, classes, dropout, lr, epochs, batch_size."""
    torch.manual_seed(int(params["seed"]))
    classes = list(params["classes"])
    xm, ym = xm.float().to(device), ym.to(device)
    head = Head(x.shape[-1], len(classes), float(params["dropout"])).to(device)
    opt = torch.optim.Adam(head.parameters(), lr=float(params["lr"]))
    gen = torch.Generator().manual_seed(int(params["seed"]))
    loop = _Loop(
        params, checkpoint, {"head": head}, opt, gen, log, snapshot=(lambda: _half_state(head)) if keep_epochs else None
    )
    bs = int(params["batch_size"])

    def train_epoch(epoch):
        head.train()
        xv = x[epoch % x.shape[0]].to(device)

        def step(idx):
            xb, yb = xv[idx.to(device)].float(), y[idx].to(device)
            out = head(xb)
            return out, yb, F.cross_entropy(out, yb)

        return _epoch(len(y), bs, gen, opt, step)

    @torch.no_grad()
    def evaluate():
        head.eval()
        return float((head(xm).argmax(1) == ym).float().mean()) if len(ym) else float("nan")

    history = loop.run(train_epoch, evaluate)
    return (head, history, loop.snapshots) if keep_epochs else (head, history)


def finetune(
    train_index: list, monitor_index: list, backbone_path, out_dir, checkpoint, params: dict, device="cpu", log=print
) -> list[dict]:
    """Train backbone and head together (the paper's "unfrozen" architecture) on images.

    params: as train_head plus input_size and augment.
    """
    torch.manual_seed(int(params["seed"]))
    classes = list(params["classes"])
    size = int(params["input_size"])
    df = _read_indexes(train_index, "train")
    df = df.iloc[_select(df["label"].tolist(), classes, params.get("data_slice")).numpy()].reset_index(drop=True)
    mo = _read_indexes(monitor_index, "test")
    mo = mo[mo["label"].isin(classes)].reset_index(drop=True)
    x, y = load_images(df["path"].tolist(), size, log), labels_for(df, classes)
    xm, ym = load_images(mo["path"].tolist(), size, log), labels_for(mo, classes)
    backbone = load_backbone(params["backbone"], backbone_path, params.get("sha256"))
    head = Head(backbone.out_features, len(classes), float(params["dropout"]))
    model = Classifier(backbone, head).to(device)
    if device.startswith("cuda"):
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=float(params["lr"]))
    gen = torch.Generator().manual_seed(int(params["seed"]))
    monitor_probs = {}
    loop = _Loop(
        params, checkpoint, {"model": model}, opt, gen, log, snapshot=lambda: monitor_probs["last"].to(torch.float16)
    )
    bs = int(params["batch_size"])
    amp = dict(device_type="cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda"))

    def step(idx):
        xb, yb = augment(x[idx].to(device), params["augment"], gen), y[idx].to(device)
        with torch.autocast(**amp):
            out = model(xb)
            loss = F.cross_entropy(out.float(), yb)
        return out, yb, loss

    def train_epoch(epoch):
        model.train()
        return _epoch(len(y), bs, gen, opt, step)

    @torch.no_grad()
    def evaluate():
        model.eval()
        probs = (
            torch.cat([model(c.to(device).float().div(255)).float().softmax(1).cpu() for c in xm.split(256)])
            if len(ym)
            else torch.empty((0, len(classes)))
        )
        monitor_probs["last"] = probs
        return float((probs.argmax(1) == ym).float().mean()) if len(ym) else float("nan")

    history = loop.run(train_epoch, evaluate)
    meta = {
        "backbone": params["backbone"],
        "classes": classes,
        "dropout": float(params["dropout"]),
        "frozen": False,
        "in_features": backbone.out_features,
        "params": params,
    }
    _save_model(
        Path(out_dir),
        meta,
        head.cpu(),
        backbone.cpu().state_dict(),
        history,
        {"epoch_monitor": {"paths": [os.path.realpath(p) for p in mo["path"]], "probs": loop.snapshots}},
    )
    return history
