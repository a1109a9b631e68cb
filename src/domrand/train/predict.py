"""Class probabilities of a trained model on a test set.

A frozen-backbone model's test images went through the same frozen backbone when the test
set's features were extracted (one plain view per test image), so its predictions are the
head applied to those stored features: the same numbers as a full forward pass up to the
float16 storage the head also trained on, without a second pass through the backbone.
Fine-tuned models have their own backbone and run on the images.
"""

from __future__ import annotations

import pandas as pd
import torch

from domrand.data.index import read_index
from domrand.train.backbones import Classifier, Head, load_backbone, make_backbone
from domrand.train.images import load_images


def load_model(model_path) -> dict:
    return torch.load(model_path, map_location="cpu", weights_only=False)


def load_classifier(model_path, backbone_path, sha256: str | None = None) -> Classifier:
    """A trained model: the frozen backbone from its weights file, or the fine-tuned one."""
    m = load_model(model_path)
    if m["backbone_state"] is None:
        backbone = load_backbone(m["backbone"], backbone_path, sha256)
    else:
        backbone = make_backbone(m["backbone"])
        backbone.load_state_dict(m["backbone_state"])
    head = Head(m["in_features"], len(m["classes"]), m["dropout"])
    head.load_state_dict(m["head"])
    clf = Classifier(backbone, head).eval()
    clf.classes = list(m["classes"])
    return clf


def _test_rows(test_index: list, classes: list[str]) -> pd.DataFrame:
    df = pd.concat([read_index(p, split="test") for p in test_index], ignore_index=True)
    return df[df["label"].isin(classes)].reset_index(drop=True)


@torch.no_grad()
def predict_from_features(model_path, feature_paths: list, classes: list[str]) -> tuple[pd.DataFrame, torch.Tensor]:
    """(rows, probabilities (N, n_model_classes)) of a frozen-backbone model on the test split
    of stored features, restricted to `classes`; rows has path and label."""
    m = load_model(model_path)
    if m["backbone_state"] is not None:
        raise ValueError(f"{model_path} is a fine-tuned model: its backbone is not the one the features were made with")
    head = Head(m["in_features"], len(m["classes"]), m["dropout"])
    head.load_state_dict(m["head"])
    head.eval()
    feats, paths, labels = [], [], []
    for p in feature_paths:
        f = torch.load(p, map_location="cpu", weights_only=False, mmap=True)
        keep = [i for i, c in enumerate(f["test_labels"]) if c in classes]
        if keep:
            feats.append(f["test"][keep].float())
            paths += [f["test_paths"][i] for i in keep]
            labels += [f["test_labels"][i] for i in keep]
    if not feats:
        raise ValueError(f"features {feature_paths} have no test images of classes {classes}")
    x = torch.cat(feats)
    if x.shape[1] != m["in_features"]:
        raise ValueError(f"features {feature_paths} have {x.shape[1]} dimensions but model {model_path} expects "
                         f"{m['in_features']}: they were made with another backbone")
    probs = torch.softmax(head(x), 1)
    return pd.DataFrame({"path": paths, "label": labels}), probs


@torch.no_grad()
def predict_from_images(clf: Classifier, test_index: list, classes: list[str], input_size: int,
                        device: str = "cpu") -> tuple[pd.DataFrame, torch.Tensor]:
    """(rows, probabilities) of a full classifier on the test images of `test_index`."""
    df = _test_rows(test_index, classes)
    if df.empty:
        raise ValueError(f"test set {test_index} has no test images of classes {classes}")
    x = load_images(df["path"].tolist(), int(input_size))
    probs = torch.cat([torch.softmax(clf(c.to(device).float().div(255)), 1).cpu() for c in x.split(256)])
    return df[["path", "label"]], probs
