"""A posable :class:`~domrand.meshes.skinning.SkinnedModel` as flat numpy arrays and back,
for storing it with ``np.savez`` next to a world's subjects."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .animation import INTERPOLATIONS, PATHS, AnimationClip, Channel, Sampler
from .skinning import Node, Part, Skin, SkinnedModel


def model_arrays(model: SkinnedModel, prefix: str = "skin_") -> dict[str, np.ndarray]:
    """What posing needs of ``model`` (skeleton, weights, clips) as flat numpy arrays, for
    ``np.savez``; :func:`model_from_arrays` reads them back. Materials and UVs are left out."""
    nodes = model.nodes
    out = {
        "vertices": model.vertices,
        "faces": model.faces,
        "joints": model.joints,
        "weights": model.weights,
        "parts": np.array([[p.start, p.stop, p.node, -1 if p.skin is None else p.skin] for p in model.parts]),
        "parent": np.array([n.parent for n in nodes]),
        "order": np.array(model.order),
        "translation": np.array([n.translation for n in nodes]).reshape(-1, 3),
        "rotation": np.array([n.rotation for n in nodes]).reshape(-1, 4),
        "scale": np.array([n.scale for n in nodes]).reshape(-1, 3),
        "has_matrix": np.array([n.matrix is not None for n in nodes]),
        "matrix": np.array([np.eye(4) if n.matrix is None else n.matrix for n in nodes]).reshape(-1, 4, 4),
        "skin_count": np.array([len(s.joints) for s in model.skins], np.int64),
        "skin_joints": np.concatenate([s.joints for s in model.skins] or [np.zeros(0, np.int64)]),
        "skin_ibm": np.concatenate([s.inverse_bind for s in model.skins] or [np.zeros((0, 4, 4))]),
        "clip_names": np.array([c.name for c in model.clips], dtype=str),
        "clip_range": np.array([[c.start, c.end] for c in model.clips]).reshape(-1, 2),
    }
    table = []
    for c, clip in enumerate(model.clips):
        for ch in clip.channels:
            k = len(table)
            table.append([c, ch.node, PATHS.index(ch.path), INTERPOLATIONS.index(ch.sampler.interpolation)])
            out[f"ch{k}_times"], out[f"ch{k}_values"] = ch.sampler.times, ch.sampler.values
    out["channels"] = np.array(table, np.int64).reshape(-1, 4)
    return {prefix + k: v for k, v in out.items()}


def model_from_arrays(data, path: Path, prefix: str = "skin_") -> SkinnedModel:
    """The posable model stored by :func:`model_arrays` (``data``: a mapping such as an
    ``np.load`` result); ``path`` names it in messages."""
    g = lambda k: data[prefix + k]  # noqa: E731 -- a one-letter accessor keeps the reads below on one line each
    nodes = tuple(
        Node(f"node{i}", int(p), t, r, s, m if hm else None)
        for i, (p, t, r, s, hm, m) in enumerate(
            zip(g("parent"), g("translation"), g("rotation"), g("scale"), g("has_matrix"), g("matrix"))
        )
    )
    bounds = np.concatenate([[0], np.cumsum(g("skin_count"))])
    skins = tuple(Skin(g("skin_joints")[a:b], g("skin_ibm")[a:b]) for a, b in zip(bounds[:-1], bounds[1:]))
    channels: dict[int, list] = {}
    for k, (c, node, path_i, interp) in enumerate(g("channels")):
        sampler = Sampler(g(f"ch{k}_times"), g(f"ch{k}_values"), INTERPOLATIONS[interp])
        channels.setdefault(int(c), []).append(Channel(int(node), PATHS[path_i], sampler))
    clips = tuple(
        AnimationClip(str(name), tuple(channels.get(c, ())), float(a), float(b))
        for c, (name, (a, b)) in enumerate(zip(g("clip_names"), g("clip_range")))
    )
    parts = tuple(Part(int(a), int(b), int(n), None if s < 0 else int(s)) for a, b, n, s in g("parts"))
    return SkinnedModel(
        path=Path(path),
        vertices=g("vertices"),
        faces=g("faces"),
        joints=g("joints"),
        weights=g("weights"),
        uv=None,
        colors=None,
        materials=(),
        parts=parts,
        nodes=nodes,
        order=tuple(int(i) for i in g("order")),
        skins=skins,
        clips=clips,
    )
