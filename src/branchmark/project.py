"""``Project``: one project of a workspace, Encord's ``encord.Project`` over the local store.

A project is the :class:`~branchmark.bundle.LabelRowBackend` of its label rows:
``LabelRowV2.initialise_labels`` and ``save`` come back here (directly or through a
``Bundle``) and go to the store in one transaction per call.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from branchmark.bundle import Bundle, LabelDict, SavePayload
from branchmark.collector import paused_collector
from branchmark.errors import DataUnitNotFound, StoreError, ValidationError
from branchmark.media import probe_image, probe_video
from branchmark.objects.label_row import LabelRowV2
from branchmark.objects.metadata import DataType, FrameMedia, LabelRowMetadata
from branchmark.ontology.structure import OntologyStructure
from branchmark.store import Store, catalog
from branchmark.store import label_rows as store_rows
from branchmark.store.label_row_copy import copy_label_rows
from branchmark.store.records import (
    BranchRecord,
    DataUnitRecord,
    FrameRecord,
    LabelRowRecord,
    ProjectRecord,
)

if TYPE_CHECKING:
    from branchmark.analysis.compare import Comparison
    from branchmark.analysis.records import AnalysisRecord


def _metadata(
    project: ProjectRecord, unit: DataUnitRecord, branch_name: str, row: LabelRowRecord | None
) -> LabelRowMetadata:
    return LabelRowMetadata(
        data_hash=unit.data_hash,
        data_title=unit.title,
        data_type=DataType.parse(unit.data_type),
        branch_name=branch_name,
        label_hash=None if row is None else row.label_hash,
        revision=0 if row is None else row.revision,
        dataset_hash=unit.dataset_hash,
        dataset_title=unit.dataset_title,
        project_hash=project.project_hash,
        label_status="NOT_LABELLED" if row is None else row.label_status,
        created_at=None if row is None else row.created_at,
        last_edited_at=None if row is None else row.last_edited_at,
        number_of_frames=unit.frames,
        fps=unit.fps,
        duration=unit.duration,
        width=unit.width,
        height=unit.height,
        file_type=unit.file_type,
        data_link=unit.data_link,
        client_metadata=unit.client_metadata,
        frames=tuple(
            FrameMedia(
                index=f.frame,
                image_hash=f.image_hash,
                title=f.title,
                width=f.width,
                height=f.height,
                data_link=f.data_link,
                file_type=f.file_type,
            )
            for f in unit.frame_media
        ),
    )


class Project:
    """A project: its ontology, data units, branches and label rows (``encord.Project``)."""

    def __init__(self, store: Store, record: ProjectRecord) -> None:
        self._store = store
        self._record = record
        self._ontology: OntologyStructure | None = None
        # Data units never change once added and leave only with their project (there is no
        # unit deletion), so records read once serve every later bundle by data hash.
        self._units: dict[str, DataUnitRecord] = {}

    # identity ------------------------------------------------------------------------------
    @property
    def project_hash(self) -> str:
        return self._record.project_hash

    @property
    def title(self) -> str:
        return self._record.title

    @property
    def description(self) -> str:
        return self._record.description

    @property
    def store(self) -> Store:
        """The workspace store (for importers and the analysis)."""
        return self._store

    @property
    def record(self) -> ProjectRecord:
        return self._record

    @property
    def ontology_structure(self) -> OntologyStructure:
        """The project's current ontology (loaded once, on first use)."""
        if self._ontology is None:
            with self._store.read() as conn:
                self._ontology = OntologyStructure.from_dict(
                    catalog.get_ontology(conn, self._record.id)
                )
        return self._ontology

    def __repr__(self) -> str:
        return f"Project(title={self.title!r}, project_hash={self.project_hash!r})"

    # label rows ----------------------------------------------------------------------------
    def list_label_rows_v2(
        self,
        data_hashes: Sequence[str] | None = None,
        label_hashes: Sequence[str] | None = None,
        edited_before: Any = None,
        edited_after: Any = None,
        label_statuses: Sequence[str] | None = None,
        shadow_data_state: Any = None,
        data_title_eq: str | None = None,
        data_title_like: str | None = None,
        workflow_graph_node_title_eq: str | None = None,
        workflow_graph_node_title_like: str | None = None,
        include_workflow_graph_node: bool = True,
        include_client_metadata: bool = False,
        include_images_data: bool = False,
        include_children: bool = False,
        include_all_label_branches: bool = False,
        branch_name: str | None = None,
        resolve_client_metadata_locally: bool = False,
    ) -> list[LabelRowV2]:
        """One ``LabelRowV2`` per data unit on ``branch_name`` (default ``main``).

        Rows that do not exist on the branch yet come back with ``label_hash=None``;
        ``initialise_labels`` creates them.  ``include_all_label_branches`` lists every
        existing row on every branch instead.  ``data_title_like`` is SQL ``LIKE``.
        ``edited_before/after`` and ``label_statuses`` filter existing rows; the workflow and
        client-metadata keywords are accepted for compatibility and have no local meaning.
        """
        with self._store.read() as conn:
            listing = store_rows.list_label_rows(
                conn,
                self._record.id,
                branch_name=branch_name,
                include_all_branches=include_all_label_branches,
                data_hashes=data_hashes,
                label_hashes=label_hashes,
                title_eq=data_title_eq,
                title_like=data_title_like,
            )
        rows = []
        for entry in listing:
            self._units.setdefault(entry.data_unit.data_hash, entry.data_unit)
            row = entry.row
            if label_statuses is not None:
                status = "NOT_LABELLED" if row is None else row.label_status
                if status not in {str(getattr(s, "value", s)) for s in label_statuses}:
                    continue
            if edited_before is not None and (row is None or row.last_edited_at > edited_before):
                continue
            if edited_after is not None and (row is None or row.last_edited_at < edited_after):
                continue
            meta = _metadata(self._record, entry.data_unit, entry.branch_name, row)
            rows.append(LabelRowV2(meta, self, self.ontology_structure))
        return rows

    def create_bundle(self, bundle_size: int | None = None) -> Bundle:
        """A :class:`Bundle` whose queued loads and saves run when its ``with`` block exits."""
        return Bundle(self, bundle_size)

    def _locate(
        self, conn: Any, metas: Sequence[LabelRowMetadata]
    ) -> list[tuple[DataUnitRecord, BranchRecord]]:
        """Data unit and branch of each row (units not seen yet read 500 per query; branches
        made as needed)."""
        units = self._units
        hashes = sorted({m.data_hash for m in metas} - units.keys())
        for start in range(0, len(hashes), 500):
            for unit in catalog.get_data_units(
                conn, self._record.id, data_hashes=hashes[start : start + 500]
            ):
                units[unit.data_hash] = unit
        branches = {
            name: catalog.ensure_branch(conn, self._record.id, name)
            for name in sorted({m.branch_name for m in metas})
        }
        located = []
        for meta in metas:
            if meta.data_hash not in units:
                raise DataUnitNotFound(f"no data unit {meta.data_hash!r} in project {self.title!r}")
            located.append((units[meta.data_hash], branches[meta.branch_name]))
        return located

    def load_label_rows(
        self, rows: Sequence[LabelRowMetadata]
    ) -> list[tuple[LabelDict | None, LabelRowMetadata]]:
        """``LabelRowBackend.load_label_rows``: create missing rows, then load every row."""
        with self._store.write() as conn:
            pairs = self._locate(conn, rows)
            records = store_rows.create_label_rows(conn, pairs)
            located = [(u, b, r) for (u, b), r in zip(pairs, records, strict=True)]
            names = catalog.object_names(catalog.get_ontology(conn, self._record.id))
            dicts = store_rows.load_label_rows(conn, located, object_names=names)
        results = []
        for d, (unit, branch, record) in zip(dicts, located, strict=True):
            meta = _metadata(self._record, unit, branch.name, record)
            if d is not None and d.get("annotation_task_status") is not None:
                # kept in the row's header only (no workflow here): hand it back as saved
                meta = meta.replace(annotation_task_status=d["annotation_task_status"])
            results.append((d, meta))
        return results

    accepts_prepared_rows = True
    """Saves may send :class:`~branchmark.store.label_dict.PreparedLabelRow` payloads."""

    def save_label_rows(
        self, rows: Sequence[tuple[LabelRowMetadata, SavePayload]]
    ) -> list[LabelRowMetadata]:
        """``LabelRowBackend.save_label_rows``: replace every row in one transaction."""
        with paused_collector(), self._store.write() as conn:
            pairs = self._locate(conn, [meta for meta, _ in rows])
            requests = [
                store_rows.SaveRequest(unit, branch, meta.label_hash, meta.revision, label_dict)
                for (unit, branch), (meta, label_dict) in zip(pairs, rows, strict=True)
            ]
            records = store_rows.save_label_rows(conn, requests)
        return [
            _metadata(self._record, req.data_unit, req.branch.name, record)
            for req, record in zip(requests, records, strict=True)
        ]

    # branches ------------------------------------------------------------------------------
    def list_branches(self) -> list[str]:
        """Branch names of the project, ``main`` first."""
        return [b.name for b in self.branches()]

    def branches(self) -> list[BranchRecord]:
        """Branch records (kind, metadata, revision, created time), ``main`` first."""
        with self._store.read() as conn:
            return catalog.list_branches(conn, self._record.id)

    def get_branch_metadata(self, branch_name: str) -> dict[str, Any]:
        """Free-form metadata of a branch (model name, version, notes ...)."""
        with self._store.read() as conn:
            return dict(catalog.get_branch(conn, self._record.id, branch_name).meta)

    def set_branch_metadata(self, branch_name: str, metadata: dict[str, Any]) -> None:
        """Replace a branch's metadata, creating the branch if it does not exist yet."""
        with self._store.write() as conn:
            catalog.ensure_branch(conn, self._record.id, branch_name)
            catalog.set_branch_meta(conn, self._record.id, branch_name, metadata)

    def copy_labels_to_branch(
        self,
        target_branch: str,
        source_branch: str = catalog.MAIN_BRANCH,
        overwrite: bool = False,
        data_hashes: Sequence[str] | None = None,
        label_hashes: Sequence[str] | None = None,
        batch_size: int = 50,
    ) -> int:
        """Copy the label rows of ``source_branch`` to ``target_branch``; return how many rows
        were written.

        Each row keeps every object (object hashes included), classification, answer,
        confidence, manual flag and its created / last-edited times; only its identity (label
        hash, branch, revision) is new.  ``data_hashes`` / ``label_hashes`` pick source rows
        (both: rows matching both).  A data unit that already has a row on the target keeps
        it unless ``overwrite``, which replaces it as a save would (its revision goes up, so a
        writer holding the old row gets ``RevisionConflict``).  The target branch is created
        if needed.  Rows are written ``batch_size`` at a time, one transaction per batch: a
        failure leaves earlier batches copied.  A source row that exists but holds nothing
        (initialised, never saved) is copied too: the target then has an empty row.

        Raises ``ValueError`` when source and target are the same branch (as the SDK does) or
        ``batch_size`` is not a positive int, ``InvalidBranchName`` for a bad name (before
        anything is written) and ``BranchNotFound`` when the source branch does not exist.
        """
        if source_branch == target_branch:
            raise ValueError(
                f"source and target branch are both {target_branch!r}: copy to another branch"
            )
        catalog.validate_branch_name(target_branch)
        catalog.validate_branch_name(source_branch)
        if type(batch_size) is not int or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        with self._store.read() as conn:
            catalog.get_branch(conn, self._record.id, source_branch)
            listing = store_rows.list_label_rows(
                conn,
                self._record.id,
                branch_name=source_branch,
                data_hashes=data_hashes,
                label_hashes=label_hashes,
            )
        row_ids = [entry.row.id for entry in listing if entry.row is not None]
        copied = 0
        for start in range(0, max(len(row_ids), 1), batch_size):
            with self._store.write() as conn:
                target = catalog.ensure_branch(conn, self._record.id, target_branch)
                copied += copy_label_rows(
                    conn, row_ids[start : start + batch_size], target, overwrite=overwrite
                )
        return copied

    def export_coco_labels(
        self,
        label_hashes: Sequence[str] | None = None,
        include_object_feature_hashes: Collection[str] | None = None,
        include_classification_feature_hashes: Collection[str] | None = None,
        branch_name: str | None = None,
    ) -> dict[str, Any]:
        """The branch (default ``main``) as a COCO dataset dict, as ``branchmark export coco``
        writes it (:func:`branchmark.exporters.coco.export_coco_dataset`).

        ``label_hashes`` keeps the images and annotations of those label rows of the branch;
        ``include_object_feature_hashes`` keeps the annotations of those objects.  Categories
        are always every object class.  Annotation ids are those of the unfiltered export, so
        a filtered export is a subset of the full one.  A branch that does not exist raises
        ``BranchNotFound``.

        The SDK (``encord[coco]``'s ``CocoExporter``) writes another layout of the same data,
        and code reading its extras will not find them here: its image ids start at 0 in
        label-row order, ``file_name`` is ``images/<data_hash>.<ext>`` with ``coco_url`` and
        ``image_title`` beside it, a video gives only its labelled frames, categories carry
        the shape as ``supercategory``, and every annotation has a ``segmentation`` and an
        ``attributes`` dict (track id, rotation, object answers, manual flag).  Here image ids
        and categories recorded by a COCO import come back as imported (else ids from 1 and
        the image title as ``file_name``), every frame of a video is an image, a skeleton
        becomes ``keypoints``, and polylines and points, which have no COCO form, are left
        out.  Neither puts classifications in a COCO file, so
        ``include_classification_feature_hashes`` changes nothing (accepted for the SDK's
        signature).
        """
        from branchmark.exporters.coco import export_coco_dataset

        branch = branch_name or catalog.MAIN_BRANCH
        dataset, _skipped = export_coco_dataset(
            self._store, project=self.project_hash, branch=branch
        )
        if label_hashes is None and include_object_feature_hashes is None:
            return dataset
        images, categories = self._coco_ids(branch, label_hashes, include_object_feature_hashes)
        annotations = [
            a
            for a in dataset["annotations"]
            if (images is None or a["image_id"] in images)
            and (categories is None or a["category_id"] in categories)
        ]
        kept_images = [i for i in dataset["images"] if images is None or i["id"] in images]
        return {**dataset, "images": kept_images, "annotations": annotations}

    def _coco_ids(
        self,
        branch: str,
        label_hashes: Sequence[str] | None,
        feature_hashes: Collection[str] | None,
    ) -> tuple[set[Any] | None, set[Any] | None]:
        """COCO image ids of the branch rows with these label hashes and category ids of these
        object feature hashes, numbered as the exporter numbers them (None: no filter)."""
        # The exporter's own numbering, so the ids match the dataset it just wrote.
        from branchmark.exporters.coco import coco_categories, coco_image_ids
        from branchmark.importers.targets import COCO_META_KEY, OntologyObjects

        with self._store.read() as conn:
            units = catalog.get_data_units(conn, self._record.id)
            images: set[Any] | None = None
            if label_hashes is not None:
                listing = store_rows.list_label_rows(
                    conn, self._record.id, branch_name=branch, label_hashes=label_hashes
                )
                chosen = {e.data_unit.id for e in listing if e.row is not None}
                images = {
                    i for (unit_id, _), i in coco_image_ids(units)[1].items() if unit_id in chosen
                }
            categories: set[Any] | None = None
            if feature_hashes is not None:
                ontology = OntologyObjects.from_ontology(
                    catalog.get_ontology(conn, self._record.id)
                )
                main = catalog.get_branch(conn, self._record.id, catalog.MAIN_BRANCH)
                recorded = main.meta.get(COCO_META_KEY, {}).get("categories", [])
                ids = coco_categories(ontology, recorded)[1]
                categories = {ids[h] for h in feature_hashes if h in ids}
        return images, categories

    # analyses (delegating to branchmark.analysis) ----------------------------------------
    def analyse(
        self,
        branch: str,
        *,
        ground_truth: str = "main",
        match: str = "strict",
        protocol: str = "coco",
        name: str | None = None,
        wait: bool = True,
        progress: Any = None,
    ) -> AnalysisRecord:
        """Analyse prediction branch ``branch`` against ``ground_truth`` (Strict or Partial).

        Runs as a job (``wait=False``: in a background thread) and returns the analysis record;
        a re-run of the same name replaces the stored result only when it succeeds.
        """
        from branchmark.analysis import service

        return service.analyse(
            self._store,
            self._record,
            branch,
            ground_truth=ground_truth,
            match=match,
            protocol=protocol,
            name=name,
            wait=wait,
            progress=progress,
        )

    def reanalyse(self, analysis: str | int, *, wait: bool = True) -> AnalysisRecord:
        """Run an analysis again with the same parameters (e.g. when it is stale)."""
        from branchmark.analysis import service

        return service.reanalyse(self._store, self._record, analysis, wait=wait)

    def get_analysis(self, analysis: str | int) -> AnalysisRecord:
        """One analysis by name or id, with job status, result and staleness."""
        from branchmark.analysis import service

        return service.get_analysis(self._store, self._record, analysis)

    def list_analyses(self, branch: str | None = None) -> list[AnalysisRecord]:
        """Every analysis of the project (of one prediction branch when given)."""
        from branchmark.analysis import service

        return service.list_analyses(self._store, self._record, branch=branch)

    def delete_analysis(self, analysis: str | int) -> None:
        """Delete an analysis and everything stored for it."""
        from branchmark.analysis import service

        service.delete_analysis(self._store, self._record, analysis)

    def compare_analyses(
        self, a: str | int, b: str | int, *, iou_threshold: float = 0.5, confidence: float = 0.0
    ) -> Comparison:
        """Per-class deltas (``b - a``) and flipped objects of two analyses on one ground truth."""
        from branchmark.analysis import compare, service

        return compare.compare_analyses(
            self._store,
            service.get_analysis(self._store, self._record, a),
            service.get_analysis(self._store, self._record, b),
            iou_threshold=iou_threshold,
            confidence=confidence,
        )

    def delete_branch(self, branch_name: str, *, allow_main: bool = False) -> None:
        """Delete a prediction set: its label rows and every analysis of it, in one transaction."""
        from branchmark.analysis import sets

        sets.delete_branch(self._store, self._record, branch_name, allow_main=allow_main)

    def rename_branch(self, branch_name: str, new_name: str) -> None:
        """Rename a prediction branch (its analyses follow)."""
        from branchmark.analysis import sets

        sets.rename_branch(self._store, self._record, branch_name, new_name)

    # data ----------------------------------------------------------------------------------
    def _copy_media(self, source: Path, data_hash: str) -> str:
        root = self._store.media_root
        if root is None:
            raise StoreError(
                "this workspace has no media folder: open it with media_root=... or set "
                "$BRANCHMARK_MEDIA_ROOT to add media files"
            )
        relative = Path(self.project_hash) / f"{data_hash}{source.suffix.lower()}"
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return relative.as_posix()

    def _discard_media(self, relative_paths: Sequence[str]) -> None:
        """Remove copied media files whose data unit was not recorded (a failed insert)."""
        root = self._store.media_root
        for relative in relative_paths:
            if root is not None:
                (root / relative).unlink(missing_ok=True)

    @contextlib.contextmanager
    def _media_kept_on_success(self, relative_paths: Sequence[str]) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self._discard_media(relative_paths)
            raise

    def add_data_unit(
        self,
        title: str,
        data_type: DataType | str,
        width: int,
        height: int,
        frames: int = 1,
        fps: float | None = None,
        *,
        data_link: str = "",
        file_type: str = "",
        data_hash: str | None = None,
    ) -> str:
        """Register a data unit without media (sizes given); return its data hash."""
        kind = DataType.parse(data_type)
        with self._store.write() as conn:
            unit = catalog.add_data_unit(
                conn,
                self._record.id,
                title=title,
                data_type=kind.value,
                width=width,
                height=height,
                frames=frames,
                fps=fps,
                duration=None if not fps else frames / fps,
                data_link=data_link,
                file_type=file_type,
                data_hash=data_hash,
            )
        return unit.data_hash

    def add_image(self, path: str | Path, title: str | None = None) -> str:
        """Copy an image into the workspace as a data unit; return its data hash."""
        source = Path(path)
        info = probe_image(source)
        return self._add_media_unit(
            source, title, "image", width=info.width, height=info.height, file_type=info.file_type
        )

    def add_video(self, path: str | Path, title: str | None = None) -> str:
        """Copy a video into the workspace (size, frames, fps read with OpenCV)."""
        source = Path(path)
        info = probe_video(source)
        return self._add_media_unit(
            source,
            title,
            "video",
            width=info.width,
            height=info.height,
            frames=info.frames,
            fps=info.fps,
            duration=info.duration,
            file_type=info.file_type,
        )

    def _add_media_unit(self, source: Path, title: str | None, data_type: str, **facts: Any) -> str:
        """Copy ``source`` into the media folder and register it as one data unit (the copy is
        removed again if the insert fails); ``facts`` are the probed sizes and type."""
        data_hash = str(uuid.uuid4())
        media_path = self._copy_media(source, data_hash)
        with self._media_kept_on_success([media_path]), self._store.write() as conn:
            catalog.add_data_unit(
                conn,
                self._record.id,
                title=title or source.name,
                data_type=data_type,
                media_path=media_path,
                data_link=media_path,
                data_hash=data_hash,
                **facts,
            )
        return data_hash

    def add_image_group(self, paths: Sequence[str | Path], title: str | None = None) -> str:
        """Copy images into the workspace as one image group (one frame per image)."""
        sources = [Path(p) for p in paths]
        if not sources:
            raise ValidationError("an image group needs at least one image")
        infos = [probe_image(p) for p in sources]
        data_hash = str(uuid.uuid4())
        frames = []
        for index, (source, info) in enumerate(zip(sources, infos, strict=True)):
            image_hash = str(uuid.uuid4())
            media_path = self._copy_media(source, image_hash)
            frames.append(
                FrameRecord(
                    frame=index,
                    image_hash=image_hash,
                    title=source.name,
                    width=info.width,
                    height=info.height,
                    media_path=media_path,
                    data_link=media_path,
                    file_type=info.file_type,
                )
            )
        copied = [f.media_path for f in frames]
        with self._media_kept_on_success(copied), self._store.write() as conn:
            catalog.add_data_unit(
                conn,
                self._record.id,
                title=title or sources[0].stem,
                data_type="img_group",
                width=None,
                height=None,
                frames=len(frames),
                data_hash=data_hash,
                frame_media=frames,
            )
        return data_hash

    def list_data_units(self) -> list[DataUnitRecord]:
        """Every data unit of the project, in creation order."""
        with self._store.read() as conn:
            return catalog.get_data_units(conn, self._record.id)

    def import_coco_labels(
        self,
        labels_dict: dict[str, Any],
        category_id_to_feature_hash: dict[Any, str],
        image_id_to_frame_index: dict[Any, Any],
        branch_name: str | None = None,
        confidence_field_name: str | None = None,
        *,
        manual_annotation: bool = True,
        replace: bool = False,
        strict: bool = False,
    ) -> Any:
        """Import COCO labels as the SDK does (ENCORD_COMPAT s.6); see
        :func:`branchmark.importers.coco_labels.import_coco_labels` for the rules and the
        keyword-only additions (``manual_annotation``, ``replace``, ``strict``).  Returns the
        :class:`~branchmark.importers.report.ImportReport`."""
        from branchmark.importers.coco_labels import import_coco_labels

        return import_coco_labels(
            self._store, self.project_hash, labels_dict, category_id_to_feature_hash,
            image_id_to_frame_index, branch_name, confidence_field_name,
            manual_annotation=manual_annotation, replace=replace, strict=strict,
        )  # fmt: skip
