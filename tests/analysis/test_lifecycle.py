"""Stale flags, reanalysis, failed runs, deletion without orphans, rename, metadata, compare."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sqlalchemy as sa

from branchmark import analysis as an
from branchmark.analysis.compute import PROTOCOL_VERSION
from branchmark.errors import AnalysisNotFound, ConflictError, OntologyMismatch, ValidationError
from branchmark.project import Project
from branchmark.store import Store, catalog
from branchmark.store import analysis_schema as s
from branchmark.store import schema as t
from tests.analysis.builders import (
    BoxSet,
    box_ontology,
    build_project,
    random_boxes,
    set_protocol_version,
    write_boxes,
)

N_IMAGES, N_CLASSES = 8, 3


@pytest.fixture
def setup(store: Store):
    rng = np.random.default_rng(11)
    gt, pred = random_boxes(rng, n_images=N_IMAGES, n_gt=60, n_pred=200, n_classes=N_CLASSES)
    _, other = random_boxes(
        np.random.default_rng(12), n_images=N_IMAGES, n_gt=60, n_pred=150, n_classes=N_CLASSES
    )
    project, units = build_project(
        store, gt, {"a": pred, "b": other}, n_images=N_IMAGES, n_classes=N_CLASSES
    )
    return store, project, units


def _one_box(category: int = 0) -> BoxSet:
    return BoxSet(
        np.array([0]),
        np.array([category]),
        np.array([[1.0, 1.0, 5.0, 5.0]]),
        np.array([0.5]),
        np.array([False]),
    )


def test_stale_after_prediction_gt_and_ontology_edits_and_clear_after_reanalysis(setup) -> None:
    store, project, units = setup
    record = an.analyse(store, project, "a")
    assert not record.stale
    write_boxes(store, project.id, "a", _one_box(), units)
    record = an.get_analysis(store, project, record.name)
    assert record.stale and len(record.staleness.changes) == 1
    assert "predictions branch 'a' changed" in record.staleness.changes[0]
    write_boxes(store, project.id, "main", _one_box(), units)
    with store.write() as conn:
        catalog.set_ontology(conn, project.id, box_ontology(N_CLASSES))
    changes = an.get_analysis(store, project, record.name).staleness.changes
    assert [c.split(" ")[0] for c in changes] == ["ground", "predictions", "ontology"]
    before = an.get_analysis(store, project, record.name).summary["counts"]
    again = an.reanalyse(store, project, record.name)
    assert not again.stale and again.result.id != record.result.id
    assert again.summary["counts"]["predictions"] == before["predictions"] + 1
    assert again.summary["counts"]["ground_truth"] == before["ground_truth"] + 1


def test_result_of_an_older_protocol_is_stale_until_reanalysed(setup) -> None:
    """A result stored under another PROTOCOL_VERSION (its numbers came from other code) is
    stale with nothing else changed; re-running it stores the current version."""
    store, project, _ = setup
    assert PROTOCOL_VERSION != "coco-1"
    record = an.analyse(store, project, "a")
    assert record.result.protocol_version == PROTOCOL_VERSION and not record.stale
    set_protocol_version(store, record.id, "coco-1")
    old = an.get_analysis(store, project, record.name)
    assert old.result.protocol_version == "coco-1"
    change = f"protocol changed (version coco-1 -> {PROTOCOL_VERSION})"
    assert old.stale and old.staleness.changes == (change,)
    (listed,) = [r for r in an.list_analyses(store, project) if r.name == record.name]
    assert listed.staleness == old.staleness
    again = an.reanalyse(store, project, record.name)
    assert not again.stale and again.result.id != record.result.id
    assert again.result.protocol_version == PROTOCOL_VERSION
    assert again.summary == record.summary  # same inputs, same code: same numbers


def test_failed_rerun_keeps_the_previous_result(setup) -> None:
    store, project, units = setup
    first = an.analyse(store, project, "a")
    bogus = _one_box()
    with store.write() as conn:  # an object whose class the ontology does not have
        from branchmark.store.annotations import AnnotationBatch, insert_annotations
        from branchmark.store.bulk_rows import ensure_label_rows

        rows = ensure_label_rows(conn, units[:1], catalog.get_branch(conn, project.id, "a"))
        insert_annotations(
            conn,
            AnnotationBatch(
                label_row_id=np.array([rows[units[0]]]),
                frame=np.zeros(1, np.int64),
                object_hash=["zz"],
                feature_hash=["nope"],
                shape=["bounding_box"],
                x=bogus.xywh[:, 0],
                y=bogus.xywh[:, 1],
                w=bogus.xywh[:, 2],
                h=bogus.xywh[:, 3],
            ),
        )
    with pytest.raises(OntologyMismatch, match="'nope'"):
        an.reanalyse(store, project, first.name)
    record = an.get_analysis(store, project, first.name)
    assert record.status is an.JobStatus.FAILED and "'nope'" in record.job.message
    assert record.result == first.result and record.stale


def test_names_and_parameters(setup) -> None:
    store, project, _ = setup
    strict = an.analyse(store, project, "a")
    partial = an.analyse(store, project, "a", match="partial")
    assert (strict.name, partial.name) == ("a-vs-main-strict", "a-vs-main-partial")
    with pytest.raises(ConflictError, match="other parameters"):
        an.analyse(store, project, "b", name=strict.name)
    with pytest.raises(ValidationError, match="against itself"):
        an.analyse(store, project, "main")
    with pytest.raises(ValidationError):
        an.analyse(store, project, "a", name="bad name!")
    assert [r.name for r in an.list_analyses(store, project, branch="a")] == [
        partial.name,
        strict.name,
    ]
    an.delete_analysis(store, project, strict.name)
    with pytest.raises(AnalysisNotFound):
        an.get_analysis(store, project, strict.name)


def _counts(store: Store) -> dict[str, int]:
    tables = [*s.TABLES, t.annotations, t.label_rows, t.object_answers, t.classifications]
    with store.read() as conn:
        return {
            tb.name: conn.execute(sa.select(sa.func.count()).select_from(tb)).scalar_one()
            for tb in tables
        }


def test_delete_branch_leaves_no_orphans(setup) -> None:
    store, project, _ = setup
    an.analyse(store, project, "a")
    kept = an.analyse(store, project, "b")
    an.analyse(store, project, "a", match="partial")
    an.delete_branch(store, project, "a")
    with store.read() as conn:
        assert [b.name for b in catalog.list_branches(conn, project.id)] == ["main", "b"]
        arrays, r = s.analysis_arrays, s.analysis_results
        orphans = {
            "results": sa.select(sa.func.count())
            .select_from(r)
            .where(r.c.analysis_id.not_in(sa.select(s.analyses.c.id))),
            "jobs": sa.select(sa.func.count())
            .select_from(s.analysis_jobs)
            .where(s.analysis_jobs.c.analysis_id.not_in(sa.select(s.analyses.c.id))),
            "arrays": sa.select(sa.func.count())
            .select_from(arrays)
            .where(arrays.c.result_id.not_in(sa.select(r.c.id))),
            "label_rows": sa.select(sa.func.count())
            .select_from(t.label_rows)
            .where(t.label_rows.c.branch_id.not_in(sa.select(t.branches.c.id))),
            "annotations": sa.select(sa.func.count())
            .select_from(t.annotations)
            .where(t.annotations.c.label_row_id.not_in(sa.select(t.label_rows.c.id))),
            "analyses": sa.select(sa.func.count())
            .select_from(s.analyses)
            .where(s.analyses.c.branch_id.not_in(sa.select(t.branches.c.id))),
        }
        assert {k: conn.execute(q).scalar_one() for k, q in orphans.items()} == dict.fromkeys(
            orphans, 0
        )
        b_count = conn.execute(
            sa.select(sa.func.count())
            .select_from(arrays)
            .where(arrays.c.result_id == kept.result.id)
        ).scalar_one()
    counts = _counts(store)
    assert (
        counts["analyses"] == 1
        and counts["analysis_results"] == 1
        and counts["analysis_arrays"] == b_count > 0
    )
    assert (
        an.outcome_page(store, an.get_analysis(store, project, kept.name), page_size=1).total == 150
    )
    with pytest.raises(ValidationError, match="ground truth"):
        an.delete_branch(store, project, "main")
    an.delete_branch(store, project, "main", allow_main=True)
    counts = _counts(store)
    assert counts["analyses"] == counts["analysis_results"] == counts["analysis_arrays"] == 0
    assert counts["annotations"] == 150  # only branch b's objects remain


def test_rename_and_metadata(setup) -> None:
    store, project, _ = setup
    record = an.analyse(store, project, "a")
    an.rename_branch(store, project, "a", "a.v2")
    assert an.get_analysis(store, project, record.name).branch == "a.v2"
    with pytest.raises(ConflictError):
        an.rename_branch(store, project, "a.v2", "b")
    with pytest.raises(ValidationError):
        an.rename_branch(store, project, "main", "gt")
    meta = an.update_branch_metadata(
        store, project, "a.v2", model="yolo", version="8", notes="first"
    )
    assert meta == {"model": "yolo", "version": "8", "notes": "first"}
    info = {b.name: b for b in an.list_branch_info(store, project)}
    assert (
        info["a.v2"].objects == 200
        and info["a.v2"].analyses == 1
        and info["a.v2"].meta["model"] == "yolo"
    )


def test_compare_deltas_and_flips(setup) -> None:
    store, project, _ = setup
    a, b = an.analyse(store, project, "a"), an.analyse(store, project, "b")
    result = an.compare_analyses(store, a, b, iou_threshold=0.5, confidence=0.2)
    sa_ = an.summary_at(store, a, iou_threshold=0.5, confidence=0.2)
    sb = an.summary_at(store, b, iou_threshold=0.5, confidence=0.2)
    for row in result.per_class:
        ra = next(r for r in sa_["per_class"] if r["class"] == row["class"])
        rb = next(r for r in sb["per_class"] if r["class"] == row["class"])
        for m in ("ap", "precision", "recall", "f1"):
            assert row["delta"][m] == pytest.approx(rb[m] - ra[m])

    def found(rec: an.AnalysisRecord) -> set[int]:
        page = an.outcome_page(
            store, rec, kind="ground_truth", outcome="tp", confidence=0.2, page_size=1000
        )
        return {r.annotation_id for r in page.rows}

    fa, fb = found(a), found(b)
    assert set(result.gt_flips["tp_to_fn"]["annotation_ids"]) == fa - fb
    assert set(result.gt_flips["fn_to_tp"]["annotation_ids"]) == fb - fa
    assert result.prediction_flips["compared"] == 0  # different prediction sets


@pytest.mark.parametrize("face", ["analysis", "sdk"])
def test_compare_refuses_results_of_different_protocol_versions_until_reanalysed(
    setup, face: str
) -> None:
    """Objects would flip because the rules changed (coco-2 ignores keypoint GT without
    labelled points), not the models: the comparison is refused, naming what to re-run, and
    once that is re-run it gives the numbers it gave before the version was rewritten."""
    store, project, _ = setup
    a, b = an.analyse(store, project, "a"), an.analyse(store, project, "b")
    sdk = Project(store, project)

    def compare(x: str, y: str) -> an.Comparison:
        if face == "sdk":
            return sdk.compare_analyses(x, y, iou_threshold=0.5, confidence=0.2)
        found = an.get_analysis(store, project, x), an.get_analysis(store, project, y)
        return an.compare_analyses(store, *found, iou_threshold=0.5, confidence=0.2)

    before = json.dumps(compare(a.name, b.name).to_dict(), sort_keys=True)
    set_protocol_version(store, a.id, "coco-1")
    with pytest.raises(ConflictError) as caught:
        compare(a.name, b.name)
    assert caught.value.message == (
        f"{a.name!r} and {b.name!r} were computed under different protocol versions "
        f"(coco-1 vs {PROTOCOL_VERSION}); reanalyse {a.name!r} to bring it to {PROTOCOL_VERSION}"
    )
    with pytest.raises(ConflictError) as caught:  # either order names the old one to re-run
        compare(b.name, a.name)
    assert caught.value.message == (
        f"{b.name!r} and {a.name!r} were computed under different protocol versions "
        f"({PROTOCOL_VERSION} vs coco-1); reanalyse {a.name!r} to bring it to {PROTOCOL_VERSION}"
    )
    an.reanalyse(store, project, a.name)
    assert json.dumps(compare(a.name, b.name).to_dict(), sort_keys=True) == before


def test_compare_of_two_old_protocols(setup) -> None:
    """Two results of the same older version compare (no rule changed between them); two of
    different older versions are refused with both to re-run."""
    store, project, _ = setup
    a, b = an.analyse(store, project, "a"), an.analyse(store, project, "b")
    before = json.dumps(an.compare_analyses(store, a, b).to_dict(), sort_keys=True)
    set_protocol_version(store, a.id, "coco-1")
    set_protocol_version(store, b.id, "coco-1")
    a, b = an.get_analysis(store, project, a.name), an.get_analysis(store, project, b.name)
    assert json.dumps(an.compare_analyses(store, a, b).to_dict(), sort_keys=True) == before
    set_protocol_version(store, b.id, "coco-0")
    b = an.get_analysis(store, project, b.name)
    with pytest.raises(ConflictError) as caught:
        an.compare_analyses(store, a, b)
    assert caught.value.message == (
        f"{a.name!r} and {b.name!r} were computed under different protocol versions "
        f"(coco-1 vs coco-0); reanalyse both to bring them to {PROTOCOL_VERSION}"
    )


def test_background_job_reports_progress_then_done(setup) -> None:
    import time

    store, project, _ = setup
    queued = an.analyse(store, project, "a", wait=False)
    assert queued.status in (an.JobStatus.QUEUED, an.JobStatus.RUNNING, an.JobStatus.DONE)
    deadline = time.monotonic() + 120
    record = queued
    while record.status is not an.JobStatus.DONE and time.monotonic() < deadline:
        assert record.status is not an.JobStatus.FAILED, record.job
        time.sleep(0.05)
        record = an.get_analysis(store, project, queued.name)
    assert record.status is an.JobStatus.DONE and record.job.progress == 1.0
    assert record.job.started_at <= record.job.finished_at and record.result is not None
