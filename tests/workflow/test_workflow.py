"""The workflow itself: lint, format, dry runs of every target in every config, schema
errors before any job, and a tiny end-to-end run that builds figure 2."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

import pandas as pd
import pytest
import yaml

from domrand.plan import FIGURES as PLAN_FIGURES
from helpers.workflow import BIN, REPO, snakemake

CONFIGS = [None, "configs/ci.yaml", "configs/paper.yaml"]
FIGURES = [f for f in PLAN_FIGURES if f.startswith("fig")]  # every numbered figure of the plan


def test_lint_is_clean():
    p = snakemake("--lint")
    assert "Lints for" not in p.stdout + p.stderr


def test_snakefmt_is_clean():
    p = subprocess.run([str(BIN / "snakefmt"), "--check", "."], cwd=REPO, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("configfile", CONFIGS)
def test_dry_run_every_figure(configfile, tmp_path):
    """Every figure of every config is planned, each as a job of its own rule. One dry run
    asks for them all: a figure that cannot be planned fails it, naming its missing input
    (the DAG of one target is part of the DAG of several)."""
    if configfile and not (REPO / configfile).exists():
        pytest.fail(f"{configfile} is missing")
    args = ["-n", "--cores", "1", "--directory", str(tmp_path), *(f"results/{t}.png" for t in FIGURES)]
    if configfile:
        args += ["--configfile", str(REPO / configfile)]
    out = snakemake(*args).stdout
    planned = {t for t in FIGURES if re.search(rf"^rule {t}:\n(?:    .*\n)*?    output: results/{t}\.png", out, re.M)}
    assert planned == set(FIGURES), f"figures not planned: {sorted(set(FIGURES) - planned)}"


@pytest.mark.parametrize(
    "change, key",
    [
        ({"world": {"bogus": 1}}, "world"),
        ({"render": {"image_size": "big"}}, "render.image_size"),
        ({"world": {"breeds": 0}}, "world.breeds"),
        ({"variants": {"no_lighting": {"lighting": {"bogus": True}}}}, "variants.no_lighting.lighting"),
        (
            {"domains": {"real": {"sources": {"x": {"adapter": "nope", "classes": ["cat"]}}}}},
            "domains.real.sources.x.adapter",
        ),
        (
            {
                "domains": {
                    "real": {
                        "sources": {"x": {"adapter": "petimages", "classes": ["cat", "dog"], "downloads": ["missing"]}}
                    }
                }
            },
            "domains.real.sources.x.downloads",
        ),
        ({"downloads": {"a": {"url": "ftp://x", "licence": "l", "attribution": "a"}}}, "downloads.a.url"),
        ({"variants": {"no_lighting": {"obstructors": {"count": [4, 1]}}}}, "variants.no_lighting.obstructors.count"),
        (
            {
                "domains": {
                    "real": {
                        "sources": {
                            "x": {
                                "adapter": "folder",
                                "path": "no/such/folder",
                                "classes": ["cat", "dog", "bicycle", "car"],
                            }
                        }
                    }
                }
            },
            "domains.real.sources.x.path",
        ),
        ({"domains": {"toon": None}}, "domains.toon"),
        ({"world": {"classes": ["cat", "dog", "bicycle", "car", "horse"]}}, "world.subjects.horse"),
        ({"tasks": {"plus_car": ["cat", "dog", "bicycle", "cra"]}}, "tasks.plus_car"),
        ({"search": {"space": {"sky.mode": ["cloudy"]}}}, "search.space.sky.mode"),
        ({"search": {"space": {"sky.colour": ["plain"]}}}, "search.space.sky.colour"),
    ],
)
def test_bad_config_stops_before_any_job(change, key, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(change))
    work = tmp_path / "work"
    work.mkdir()
    p = snakemake("--cores", "1", "--directory", str(work), "--configfile", str(bad), check=False)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert f"config key {key}" in out
    assert not (work / "results").exists()


def test_null_in_an_override_removes_tasks_and_their_jobs(tmp_path):
    override = tmp_path / "cats_and_dogs.yaml"
    override.write_text(yaml.safe_dump({"tasks": {"plus_bicycle": None, "plus_car": None}}))
    p = snakemake(
        "-n",
        "--cores",
        "1",
        "--directory",
        str(tmp_path),
        "results/fig8_categories.png",
        "--configfile",
        str(REPO / "configs/ci.yaml"),
        str(override),
    )
    assert "results/fig8_categories.png" in p.stdout
    assert "/cat_dog/" in p.stdout
    assert "plus_bicycle" not in p.stdout and "plus_car" not in p.stdout and "/bicycle" not in p.stdout


@pytest.mark.slow
def test_ci_config_builds_figure2(tmp_path):
    # Targets before --configfile: it takes several values and would swallow them.
    snakemake(
        "results/fig2_training_curves.png",
        "--cores",
        "2",
        "--directory",
        str(tmp_path),
        "--configfile",
        str(REPO / "configs/ci.yaml"),
        timeout=1200,
    )
    png = tmp_path / "results/fig2_training_curves.png"
    assert png.stat().st_size > 10_000
    table = pd.read_csv(tmp_path / "results/tables/fig2_training_curves.csv")
    ci = yaml.safe_load((REPO / "configs/ci.yaml").read_text())
    assert set(table["trained_on"]) == {"real", "synthetic"}
    assert sorted(table["epoch"].unique()) == list(range(1, ci["training"]["epochs"] + 1))
    assert table["n_seeds"].eq(len(ci["seeds"])).all()
    assert table["test_acc_mean"].between(0, 100).all()
    # Each curve comes from the models' own per-epoch history files.
    for trained_on, dataset in (("real", "real"), ("synthetic", "synth_control")):
        accs = [
            pd.read_csv(tmp_path / f"results/models/{dataset}/cat_dog/dropout/seed{s}/history.csv")["test_acc"]
            for s in ci["seeds"]
        ]
        mean = sum(a * 100 for a in accs) / len(accs)
        got = table[table["trained_on"] == trained_on].sort_values("epoch")["test_acc_mean"].to_numpy()
        assert got == pytest.approx(mean.to_numpy(), abs=1e-3)
    shutil.rmtree(tmp_path / "results")


def test_docs_rulegraph_is_current():
    from domrand.tools.docs import DOC, doc_graph, rulegraph

    block = doc_graph((REPO / DOC).read_text())
    assert block is not None, f"{DOC} has no rule graph block: run `make rulegraph`"
    assert "style " not in block
    assert block == rulegraph(REPO), f"{DOC}'s rule graph is stale: run `make rulegraph`"


def _serve_real_sources(server, pin=True):
    """Fixture archives of PetImages and DomainNet on the loopback server, and the config
    override that makes the real and toon domains out of them."""
    from helpers import realdata_archives as ra

    files = {"kagglecatsanddogs_5340.zip": ra.petimages_zip(10)}
    for dom, cats in (
        ("real", ["bicycle", "car", "police_car"]),
        ("clipart", ["cat", "dog"]),
        ("painting", ["cat", "dog"]),
    ):
        z, train, test = ra.domainnet_files(dom, cats)
        files.update({f"{dom}.zip": z, f"{dom}_train.txt": train.encode(), f"{dom}_test.txt": test.encode()})
    downloads = {}
    for fname, data in files.items():
        (server.root / fname).write_bytes(data)
        name = "petimages" if fname.startswith("kaggle") else "dn_" + fname.split(".")[0]
        downloads[name] = {"url": server.url(fname), "licence": "test licence", "attribution": f"test {name}"}
        if pin:
            downloads[name]["sha256"] = hashlib.sha256(data).hexdigest()

    def dn(*doms):
        return [f"dn_{d}{s}" for d in doms for s in ("", "_train", "_test")]

    return {
        "domains": {
            "real": {
                "train_per_class": 6,
                "test_per_class": 2,
                "sources": {
                    "pets": {"adapter": "petimages", "downloads": ["petimages"], "classes": ["cat", "dog"]},
                    "dn_real": {
                        "adapter": "domainnet",
                        "downloads": dn("real"),
                        "classes": ["bicycle", "car"],
                        "params": {"domains": ["real"]},
                    },
                },
            },
            "toon": {
                "test_per_class": 2,
                "sources": {
                    "dn_toon": {
                        "adapter": "domainnet",
                        "downloads": dn("clipart", "painting"),
                        "classes": ["cat", "dog"],
                        "params": {"domains": ["clipart", "painting"]},
                    }
                },
            },
        },
        "downloads": downloads,
        # the search's validation images come out of the real train pools (docs/search.md)
        "search": {"val_per_class": 2},
    }


def test_real_domains_from_served_archives(tmp_path, monkeypatch):
    from helpers.httpserver import LoopbackServer

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with LoopbackServer(tmp_path / "www") as server:
        override = tmp_path / "real.yaml"
        override.write_text(yaml.safe_dump(_serve_real_sources(server)))
        work = tmp_path / "work"
        targets = [f"results/datasets/real/{c}.parquet" for c in ("cat", "dog", "bicycle", "car")]
        targets += [f"results/datasets/toon/{c}.parquet" for c in ("cat", "dog")]
        targets += ["results/datasets/real_val/cat.parquet"]
        snakemake(
            "fetch",
            *targets,
            "results/ATTRIBUTION.md",
            "--cores",
            "1",
            "--directory",
            str(work),
            "--configfile",
            str(REPO / "configs/ci.yaml"),
            str(override),
        )
    from domrand.data.index import read_index

    def counts(d, c):
        return read_index(work / f"results/datasets/{d}/{c}.parquet")["split"].value_counts().to_dict()

    # 10 valid photos, 6 + 2 asked; the last 2 train images of the order are the search's
    assert counts("real", "cat") == {"train": 4, "test": 2}
    assert counts("real_val", "cat") == {"test": 2}
    assert counts("real", "bicycle") == {"train": 1, "test": 1}  # all there is (3 + 1) less 2, logged
    car = read_index(work / "results/datasets/real/car.parquet")
    assert not car["path"].str.contains("police_car").any()
    assert counts("toon", "dog") == {"test": 2}  # one clipart + one painting test image
    skipped = pd.read_csv(work / "results/sources/real/pets_skipped.csv")
    assert {p.split("/")[-1] for p in skipped["path"]} >= {"Thumbs.db", "666.jpg", "999.jpg", "11702.jpg"}
    text = (work / "results/ATTRIBUTION.md").read_text()
    assert "| petimages | dataset" in text or "| petimages |" in text
    assert "test dn_clipart" in text and "Domain `toon`: images from dn_toon" in text
    # Nothing rendered: real and toon come from the downloads only.
    assert not (work / "results/proxy").exists()


def test_unpinned_download_is_refused(tmp_path, monkeypatch):
    from helpers.httpserver import LoopbackServer

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with LoopbackServer(tmp_path / "www") as server:
        override = tmp_path / "real.yaml"
        override.write_text(yaml.safe_dump(_serve_real_sources(server, pin=False)))
        work = tmp_path / "work"
        p = snakemake(
            "results/datasets/real/cat.parquet",
            "--cores",
            "1",
            "--directory",
            str(work),
            "--configfile",
            str(REPO / "configs/ci.yaml"),
            str(override),
            check=False,
        )
        assert p.returncode != 0
        assert server.count("kagglecatsanddogs_5340.zip") == 0
    log = (work / "logs/assets/download_petimages.log").read_text()
    assert "config key downloads.petimages" in log and "python -m domrand.assets.pin" in log


def test_paper_config_fetch_target_resolves(tmp_path):
    p = snakemake(
        "-n", "--cores", "1", "--directory", str(tmp_path), "fetch", "--configfile", str(REPO / "configs/paper.yaml")
    )
    assert "resources/assets/petimages" in p.stdout
    assert "resources/downloads/weights/vgg16-397923af.pth" in p.stdout


def test_paper_config_has_the_papers_subjects_and_data(tmp_path):
    cfg = yaml.safe_load((REPO / "configs/paper.yaml").read_text())
    # The paper's model counts, as the only synthetic subjects of each class.
    assert cfg["objaverse"]["per_class"] == {"cat": 10, "dog": 28, "bicycle": 24, "car": 16}
    assert {c: s["mode"] for c, s in cfg["world"]["subjects"].items()} == dict.fromkeys(
        ("cat", "dog", "bicycle", "car"), "replace"
    )
    # The toon domain is cartoons only: no DomainNet painting anywhere.
    for source in cfg["domains"]["toon"]["sources"].values():
        assert source["params"]["domains"] == ["clipart"]
        assert not any("painting" in d for d in source["downloads"])
    assert not any("painting" in name for name in cfg["downloads"])
    # Figure 8's real test sets are the tasks' balanced indexes. paper.yaml's figure 8 takes the
    # best variant from a checkpoint, past which a dry run cannot see: name a model here.
    fixed = tmp_path / "fig8_control.yaml"
    fixed.write_text(yaml.safe_dump({"figures": {"models": {"fig8": "synth_control"}}}))
    p = snakemake(
        "-n",
        "--cores",
        "1",
        "--directory",
        str(tmp_path),
        "results/fig8_categories.png",
        "--configfile",
        str(REPO / "configs/paper.yaml"),
        str(fixed),
    )
    for task in cfg.get("tasks") or ("cat_dog", "plus_bicycle", "plus_car"):
        assert f"results/datasets/real/tasks/{task}.parquet" in p.stdout
        assert f"results/datasets/real/tasks/{task}_cap.csv" in p.stdout
