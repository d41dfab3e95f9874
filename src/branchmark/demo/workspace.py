"""Glue of the demo data into a workspace, through the public SDK as a user would write it.

:func:`build_demo_workspace` renders the demo dataset (:func:`build_demo_dataset`), creates a
project with the demo ontology, adds the images and the video as data units, saves the exact
ground truth on ``main`` and each detector's output on its own prediction branch with
``manual_annotation=False`` and the detector's confidence, all with bundles.  Pixel geometry from
the renderer and the detectors is normalised here, once, at the SDK boundary.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from branchmark.client import UserClient
from branchmark.demo.dataset import build_demo_dataset
from branchmark.demo.ontology import describe_objects
from branchmark.demo.records import DemoDataset, DemoDataUnit, FrameDetections, FrameTruth
from branchmark.objects import (
    Classification,
    ClassificationInstance,
    LabelRowV2,
    Object,
    ObjectInstance,
    OntologyStructure,
)
from branchmark.objects.coordinates import (
    BoundingBoxCoordinates,
    PointCoordinate,
    PolygonCoordinates,
)
from branchmark.objects.frames import Range
from branchmark.objects.options import Option
from branchmark.project import Project

DEMO_PROJECT_TITLE = "Fruit demo"
GROUND_TRUTH = "main"


@dataclasses.dataclass(frozen=True)
class DemoWorkspace:
    """What :func:`build_demo_workspace` made: where, which project, which prediction branches."""

    workspace: Path
    project_hash: str
    project_title: str
    prediction_branches: tuple[str, ...]
    dataset: DemoDataset


@dataclasses.dataclass(frozen=True)
class _Shapes:
    """Ontology nodes of one fruit class: its box object, its polygon object, ripeness options."""

    box: Object
    polygon: Object
    box_options: dict[str, Option]
    polygon_options: dict[str, Option]


def build_demo_workspace(
    workspace: Path | str,
    *,
    seed: int = 0,
    image_count: int = 24,
    video_frames: int = 36,
) -> DemoWorkspace:
    """Render the demo data and store it as a project with ground truth and two prediction sets.

    Parameters
    ----------
    workspace
        Workspace folder; the rendered media go to ``<workspace>/demo-media`` before being copied
        into the workspace's media store.  A project titled ``"Fruit demo"`` must not exist yet.
    seed, image_count, video_frames
        Passed to :func:`build_demo_dataset`.

    Returns
    -------
    DemoWorkspace
        The project hash and the prediction branch names (one per detector).
    """
    root = Path(workspace)
    dataset = build_demo_dataset(
        root / "demo-media", seed=seed, image_count=image_count, video_frames=video_frames
    )
    client = UserClient.open(root)
    try:
        project = client.create_project(DEMO_PROJECT_TITLE, dataset.ontology)
        hashes = _add_media(project, dataset)
        structure = project.ontology_structure
        shapes = _shapes_by_class(structure)
        lighting = _lighting(structure)

        _save_branch(
            project,
            GROUND_TRUTH,
            hashes,
            lambda unit, row: _add_truth(row, unit.truth, shapes, lighting),
        )
        for info in dataset.detectors:

            def fill(unit: DemoDataUnit, row: LabelRowV2, name: str = info.name) -> None:
                _add_detections(row, unit.predictions_of(name), shapes, lighting)

            _save_branch(project, info.name, hashes, fill)
            project.set_branch_metadata(
                info.name,
                {"model": info.name, "version": info.version, "notes": info.description},
            )
        return DemoWorkspace(
            workspace=root,
            project_hash=project.project_hash,
            project_title=project.title,
            prediction_branches=tuple(info.name for info in dataset.detectors),
            dataset=dataset,
        )
    finally:
        client.close()


def _add_media(project: Project, dataset: DemoDataset) -> dict[str, DemoDataUnit]:
    """Add every image and the video; map data hash to its demo unit."""
    hashes: dict[str, DemoDataUnit] = {}
    for unit in dataset.data_units:
        path = dataset.root / unit.path
        if unit.data_type == "video":
            data_hash = project.add_video(path, title=unit.title)
        else:
            data_hash = project.add_image(path, title=unit.title)
        hashes[data_hash] = unit
    return hashes


def _save_branch(
    project: Project,
    branch: str,
    hashes: dict[str, DemoDataUnit],
    fill: Callable[[DemoDataUnit, LabelRowV2], None],
) -> None:
    """List the branch's rows, initialise them in one bundle, fill each, save in one bundle."""
    rows = [
        row for row in project.list_label_rows_v2(branch_name=branch) if row.data_hash in hashes
    ]
    with project.create_bundle() as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)
    for row in rows:
        fill(hashes[row.data_hash], row)
    with project.create_bundle() as bundle:
        for row in rows:
            row.save(bundle=bundle)


def _shapes_by_class(structure: OntologyStructure) -> dict[str, _Shapes]:
    shapes: dict[str, _Shapes] = {}
    described = {(d.class_name, d.shape): d for d in describe_objects()}
    for class_name in sorted({name for name, _ in described}):
        box = structure.get_child_by_hash(
            described[class_name, "bounding_box"].feature_hash, Object
        )
        polygon = structure.get_child_by_hash(described[class_name, "polygon"].feature_hash, Object)
        shapes[class_name] = _Shapes(
            box=box,
            polygon=polygon,
            box_options=_ripeness_options(box),
            polygon_options=_ripeness_options(polygon),
        )
    return shapes


def _ripeness_options(obj: Object) -> dict[str, Option]:
    attribute = obj.attributes[0]
    return {option.value: option for option in attribute.options}


def _lighting(structure: OntologyStructure) -> tuple[Classification, dict[str, Option]]:
    classification = structure.get_child_by_title("Lighting", type_=Classification)
    options = {option.value: option for option in classification.attributes[0].options}
    return classification, options


def _box(box: Sequence[float], width: int, height: int) -> BoundingBoxCoordinates:
    x0, y0, x1, y1 = box
    return BoundingBoxCoordinates(
        height=(y1 - y0) / height,
        width=(x1 - x0) / width,
        top_left_x=x0 / width,
        top_left_y=y0 / height,
    )


def _ring(flat: Sequence[float], width: int, height: int) -> list[PointCoordinate]:
    # Vertices are pixel centres in [0.5, W - 0.5]: normalised they stay inside 0..1.
    return [PointCoordinate(flat[i] / width, flat[i + 1] / height) for i in range(0, len(flat), 2)]


def _polygon(
    polygons: Iterable[Sequence[Sequence[float]]], width: int, height: int
) -> PolygonCoordinates:
    nested = [[_ring(ring, width, height) for ring in polygon] for polygon in polygons]
    return PolygonCoordinates(polygons=nested)


def _add_truth(
    row: LabelRowV2,
    truth: Sequence[FrameTruth],
    shapes: dict[str, _Shapes],
    lighting: tuple[Classification, dict[str, Option]],
) -> None:
    """Ground truth: per fruit (a track in the video) one box and one polygon instance."""
    width, height = int(row.width or 0), int(row.height or 0)
    instances: dict[tuple[int, str], ObjectInstance] = {}
    for frame in truth:
        for fruit in frame.objects:
            nodes = shapes[fruit.class_name]
            for kind, obj, options, coordinates in (
                ("box", nodes.box, nodes.box_options, _box(fruit.box, width, height)),
                (
                    "polygon",
                    nodes.polygon,
                    nodes.polygon_options,
                    _polygon(fruit.polygons, width, height),
                ),
            ):
                key = (fruit.object_id, kind)
                instance = instances.get(key)
                if instance is None:
                    instance = instances[key] = obj.create_instance()
                    instance.set_answer(options[fruit.ripeness])
                instance.set_for_frames(coordinates, frames=frame.frame, manual_annotation=True)
    for instance in instances.values():
        row.add_object_instance(instance)
    _add_lighting(
        row, [(f.frame, f.lighting, 1.0) for f in truth], lighting, manual_annotation=True
    )


def _add_detections(
    row: LabelRowV2,
    frames: Sequence[FrameDetections],
    shapes: dict[str, _Shapes],
    lighting: tuple[Classification, dict[str, Option]],
) -> None:
    """A detector's output: box and polygon per detection, linked by track id in the video."""
    width, height = int(row.width or 0), int(row.height or 0)
    instances: dict[tuple[int | str, str], ObjectInstance] = {}
    serial = itertools.count()
    for frame in frames:
        for detection in frame.detections:
            nodes = shapes[detection.class_name]
            track = detection.track_id if detection.track_id is not None else f"d{next(serial)}"
            for kind, obj, options, coordinates in (
                ("box", nodes.box, nodes.box_options, _box(detection.box, width, height)),
                (
                    "polygon",
                    nodes.polygon,
                    nodes.polygon_options,
                    _polygon([[detection.polygon]], width, height),
                ),
            ):
                key = (track, kind)
                instance = instances.get(key)
                if instance is None:
                    instance = instances[key] = obj.create_instance()
                    if detection.ripeness is not None:  # None: the detector abstained
                        instance.set_answer(options[detection.ripeness])
                instance.set_for_frames(
                    coordinates,
                    frames=frame.frame,
                    manual_annotation=False,
                    confidence=detection.confidence,
                )
    for instance in instances.values():
        row.add_object_instance(instance)
    _add_lighting(
        row,
        [(f.frame, f.lighting, f.lighting_confidence) for f in frames],
        lighting,
        manual_annotation=False,
    )


def _add_lighting(
    row: LabelRowV2,
    answers: Sequence[tuple[int, str, float]],
    lighting: tuple[Classification, dict[str, Option]],
    *,
    manual_annotation: bool,
) -> None:
    """One classification instance per run of consecutive frames with the same answer.

    The label-row format keeps one confidence per classification instance, so a run's
    confidence is the mean of its frames' confidences.
    """
    classification, options = lighting
    ordered = sorted(answers)
    for value, run in itertools.groupby(ordered, key=lambda item: item[1]):
        frames = list(run)
        instance: ClassificationInstance = classification.create_instance()
        instance.set_answer(options[value])
        instance.set_for_frames(
            Range(frames[0][0], frames[-1][0]),
            confidence=sum(c for _, _, c in frames) / len(frames),
            manual_annotation=manual_annotation,
        )
        row.add_classification_instance(instance)
