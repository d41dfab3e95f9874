"""``branchmark analyses list / show`` report a result of an older protocol version as stale, and
``branchmark analyse`` of the same analysis brings it to the current version; ``branchmark
compare`` refuses to set it against a current result until then (output parsed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from branchmark.analysis.compute import PROTOCOL_VERSION
from branchmark.cli.main import app
from branchmark.store import Store
from tests.analysis.builders import build_project, random_boxes, set_protocol_version


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_older_protocol_is_listed_and_shown_stale_until_analysed_again(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store.open(ws) as store:
        gt, a = random_boxes(np.random.default_rng(2), n_images=4, n_gt=20, n_pred=40, n_classes=2)
        build_project(store, gt, {"a": a}, n_images=4, n_classes=2, title="P")
    where = ("-p", "P", "-w", str(ws))
    first = json.loads(_run("analyse", "a", *where, "--json"))
    with Store.open(ws) as store:
        set_protocol_version(store, first["id"], "coco-1")
    change = f"protocol changed (version coco-1 -> {PROTOCOL_VERSION})"
    (listed,) = json.loads(_run("analyses", "list", *where, "--json"))
    assert listed["stale"] == change
    shown = _run("analyses", "show", "a-vs-main-strict", *where).splitlines()
    assert shown[1] == f"stale: {change}"
    again = json.loads(_run("analyse", "a", *where, "--json"))
    assert again["stale"] == {"stale": False, "changes": []}
    assert again["result"]["protocol_version"] == PROTOCOL_VERSION
    assert again["result"]["id"] != first["result"]["id"]
    (listed,) = json.loads(_run("analyses", "list", *where, "--json"))
    assert listed["stale"] == ""


def test_compare_refuses_an_older_protocol_until_it_is_analysed_again(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with Store.open(ws) as store:
        gt, a = random_boxes(np.random.default_rng(2), n_images=4, n_gt=20, n_pred=40, n_classes=2)
        _, b = random_boxes(np.random.default_rng(3), n_images=4, n_gt=20, n_pred=30, n_classes=2)
        build_project(store, gt, {"a": a, "b": b}, n_images=4, n_classes=2, title="P")
    where = ("-p", "P", "-w", str(ws))
    first = json.loads(_run("analyse", "a", *where, "--json"))
    _run("analyse", "b", *where)
    compare = ("compare", "a-vs-main-strict", "b-vs-main-strict", *where, "--json")
    before = json.loads(_run(*compare))
    with Store.open(ws) as store:
        set_protocol_version(store, first["id"], "coco-1")
    refused = CliRunner().invoke(app, list(compare))
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == (
        "error: 'a-vs-main-strict' and 'b-vs-main-strict' were computed under different "
        f"protocol versions (coco-1 vs {PROTOCOL_VERSION}); reanalyse 'a-vs-main-strict' to "
        f"bring it to {PROTOCOL_VERSION}\n"
    )
    _run("analyse", "a", *where)
    assert json.loads(_run(*compare)) == before
