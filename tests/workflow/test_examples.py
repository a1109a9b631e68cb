"""configs/examples/: the example study of classes that are not built in (horses, cows and
sheep from Objaverse-LVIS keys, against DomainNet real and clipart) plans every figure, and its
pin command and `snakemake fetch` work against fixture archives of its classes on the loopback
server."""

from __future__ import annotations

import re
from pathlib import Path

import trimesh
import yaml

from helpers.workflow import REPO, snakemake

EXAMPLE = REPO / "configs/examples/farm_animals.yaml"
FIGURES = [f"fig{i}_" for i in range(1, 13)] + ["domain_realism", "subject_realism"]


def test_example_dry_run_plans_every_figure(tmp_path):
    p = snakemake("-n", "--cores", "1", "--directory", str(tmp_path), "--configfile", str(EXAMPLE))
    planned = set(re.findall(r"results/(\w+)\.png", p.stdout))
    for fig in FIGURES:
        assert any(f.startswith(fig) for f in planned), (fig, planned)
    for cls in ("horse", "cow", "sheep"):  # its subjects: the pinned Objaverse objects of each class
        assert f"resources/assets/objaverse_{cls}" in p.stdout


def _serve_example(server, work: Path) -> Path:
    """The example's DomainNet archives (its classes only) and an Objaverse site with two
    usable objects per class on the loopback server; the override that points the example at
    them, with its own lock file."""
    from helpers import realdata_archives as ra
    from helpers.objaverse_site import write_objaverse

    cfg = yaml.safe_load(EXAMPLE.read_text())
    for dom, source in (("real", "domainnet_real"), ("clipart", "domainnet_toon")):
        domain = "real" if dom == "real" else "toon"
        z, train, test = ra.domainnet_files(dom, cfg["domains"][domain]["sources"][source]["classes"])
        for name, data in ((f"{dom}.zip", z), (f"{dom}_train.txt", train.encode()), (f"{dom}_test.txt", test.encode())):
            (server.root / name).write_bytes(data)
    uids = {c: [f"{c}{i}" for i in range(3)] for c in ("horse", "cow", "sheep")}
    licences = {u: ("by-nc" if u.endswith("2") else "cc0") for us in uids.values() for u in us}  # NC: refused

    def glb(path):
        trimesh.creation.box(extents=(1.0, 0.6, 0.4)).export(path)

    write_objaverse(server.root / "objaverse", uids, licences, glb)
    override = {
        "downloads": {n: {**e, "url": server.url(Path(e["url"]).name)} for n, e in cfg["downloads"].items()},
        "objaverse": {"base_url": server.url("objaverse"), "per_class": 2},
        "lock": str(work / "farm.lock.yaml"),
    }
    path = work / "serve.yaml"
    path.write_text(yaml.safe_dump(override))
    return path


def test_example_pin_and_fetch_on_the_loopback_server(tmp_path, monkeypatch):
    from domrand.assets.lock import read_lock
    from domrand.assets.pin import main as pin
    from helpers.httpserver import LoopbackServer

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    work = tmp_path / "work"
    work.mkdir()
    with LoopbackServer(tmp_path / "www") as server:
        override = _serve_example(server, work)
        assert pin([str(EXAMPLE), str(override), "--cache", str(work / "resources/assets/.archives")]) == 0
        lock = read_lock(work / "farm.lock.yaml")
        assert len(lock["assets"]) == 6  # DomainNet real and clipart: zip, train and test lists
        assert {k: [o["uid"] for o in v] for k, v in lock["objects"].items()} == {
            f"objaverse/{c}": [f"{c}0", f"{c}1"] for c in ("horse", "cow", "sheep")
        }
        snakemake("fetch", "--cores", "1", "--directory", str(work), "--configfile", str(EXAMPLE), str(override))
        assert server.count("real.zip") == 1  # the pin's copy is what fetch verified and kept
    assets = work / "resources/assets"
    for cls in ("horse", "cow", "sheep"):
        assert sorted(p.name for p in (assets / f"objaverse_{cls}").glob("*.glb")) == [f"{cls}0.glb", f"{cls}1.glb"]
        assert any((assets / "domainnet_real" / "real" / cls).glob("*.jpg"))
    assert any((assets / "domainnet_clipart" / "clipart" / "horse").glob("*.jpg"))
