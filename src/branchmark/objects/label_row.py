"""``LabelRowV2``: all labels of one data unit on one branch (``encord.objects.LabelRowV2``).

The row is built from listing metadata (:class:`LabelRowMetadata`) and reaches its store only
through a :class:`~branchmark.bundle.LabelRowBackend`.  ``initialise_labels`` loads (or creates)
the row, ``save`` replaces it with ``to_encord_dict()``; both can be queued on a
:class:`~branchmark.bundle.Bundle`.  A row without a backend is *detached*: it can be filled
(``from_labels_dict``, or ``add_*`` on a row from ``from_media_metadata``) and serialised, but
not loaded or saved until ``attach_to_project`` gives it a stored row's identity.

Strict mode (``strict=True``, the default) adds the checks of :mod:`.validation` that the SDK
does not make; ``strict=False`` keeps only the SDK's own checks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from branchmark.errors import DataUnitNotFound, LabelRowError, OntologyError, RevisionConflict
from branchmark.objects.classification_instance import ClassificationInstance
from branchmark.objects.frame_view import FrameView
from branchmark.objects.frames import Frames, frames_class_to_frames_list, frames_to_ranges
from branchmark.objects.label_reader import read_label_row
from branchmark.objects.label_writer import prepare_label_row, write_label_row
from branchmark.objects.media_metadata import MediaMetadata, detached_metadata, media_mismatch
from branchmark.objects.metadata import DataType, FrameMedia, LabelRowMetadata
from branchmark.objects.object_instance import ObjectInstance
from branchmark.objects.validation import check_bitmask_size, frame_out_of_range
from branchmark.ontology.classification import Classification
from branchmark.ontology.ontology_object import Object
from branchmark.ontology.shape import Shape
from branchmark.ontology.structure import OntologyStructure

if TYPE_CHECKING:
    from branchmark.bundle import Bundle, LabelRowBackend, SavePayload
    from branchmark.project import Project

_NOT_INITIALISED = (
    "For this operation you will need to initialize labelling first. Call the "
    "`.initialise_labels()` to do so first."
)


_BITMASK = Shape.BITMASK  # a module constant: reading an enum member is slow in loops


class LabelRowV2:
    """The labels of one data unit on one branch.

    Parameters
    ----------
    label_row_metadata
        Identity and media facts (from ``Project.list_label_rows_v2``).
    project_client
        The backend that loads and saves rows; None for a detached row.
    ontology
        The project's :class:`OntologyStructure` (an object with a ``structure`` attribute, as
        Encord's ``Ontology``, is accepted too).
    strict
        Run branchmark's extra checks (see :mod:`branchmark.objects.validation`).
    """

    def __init__(
        self,
        label_row_metadata: LabelRowMetadata,
        project_client: LabelRowBackend | None,
        ontology: OntologyStructure | Any,
        *,
        strict: bool = True,
    ) -> None:
        structure = ontology if isinstance(ontology, OntologyStructure) else ontology.structure
        self._meta = label_row_metadata
        self._backend = project_client
        self._ontology = structure
        self.strict = strict
        self._initialised = False
        self._objects: dict[str, ObjectInstance] = {}
        self._classifications: dict[str, ClassificationInstance] = {}
        self._is_shadow_data = False
        self._data_unit_key: str | None = None
        self._object_hashes: frozenset[str] | None = None

    @classmethod
    def from_media_metadata(
        cls,
        ontology: OntologyStructure | Any,
        media_metadata: MediaMetadata,
        *,
        branch_name: str = "main",
        strict: bool = True,
    ) -> LabelRowV2:
        """A detached, initialised row for media described by the caller (SDK >= 0.1.198).

        ``media_metadata`` is a :class:`CustomerProvidedImageMetadata` (an image), a
        :class:`CustomerProvidedVideoMetadata` (a video of ``ceil(fps * duration)`` frames) or
        a list of image metadata (an image group); any other kind raises ``LabelRowError``
        naming it (see :mod:`.media_metadata`).  The row has the zero-UUID identity and
        an empty ``data_title``; instances can be added and ``to_encord_dict`` works, while
        ``save`` and ``initialise_labels`` raise ``LabelRowError`` until
        :meth:`attach_to_project`.  ``strict`` is the constructor's (branchmark's extra checks).
        """
        row = cls(detached_metadata(media_metadata, branch_name=branch_name), None, ontology)
        row.strict = strict
        row._initialised = True
        return row

    def attach_to_project(self, project: Project, data_hash: str) -> None:
        """Give this detached row the identity of ``data_hash``'s row on its branch in ``project``.

        Afterwards the row is what listing and initialising that row would have given, with this
        row's labels: ``save`` stores them under the same revision rules.  As the SDK does, the
        branch row is created here (empty) if it does not exist, so ``label_hash`` is set on
        return.  Checked first, and nothing is written when a check fails:

        * the project has the data unit (``DataUnitNotFound``);
        * the row's media facts agree with the data unit's: data type, width, height and frame
          count, per image for an image group (``LabelRowError`` naming the field; see
          :func:`~branchmark.objects.media_metadata.media_mismatch`);
        * every instance's feature hash is in the project's ontology (``OntologyError``);
        * the branch row holds no labels yet (``RevisionConflict``: saving would replace labels
          this row never loaded; list, initialise and edit that row instead).  A branch row
          that exists but was never saved (made by ``initialise_labels`` or an earlier attach)
          holds none and is taken over.

        The row then takes the project's ontology for later checks.  ``LabelRowError`` if the
        row is not detached.
        """
        if self._backend is not None:
            raise LabelRowError(
                f"Cannot attach {self!r}: it already belongs to a project. Only a detached row "
                f"(LabelRowV2.from_media_metadata) can be attached."
            )
        listed = project.list_label_rows_v2(data_hashes=[data_hash], branch_name=self.branch_name)
        if not listed:
            raise DataUnitNotFound(f"no data unit {data_hash!r} in project {project.title!r}")
        [target] = listed
        where = (
            f"data unit {target.data_title!r} ({data_hash}) on branch {self.branch_name!r} of "
            f"project {project.title!r}"
        )
        mismatch = media_mismatch(self._meta, target.label_row_metadata)
        if mismatch is not None:
            raise LabelRowError(f"Cannot attach the label row to {where}: {mismatch}.")
        structure = project.ontology_structure
        nodes = (*structure.objects, *structure.classifications)
        known = {node.feature_node_hash for node in nodes}
        instances: list[ObjectInstance | ClassificationInstance] = [
            *self._objects.values(),
            *self._classifications.values(),
        ]
        for instance in instances:
            if instance.feature_hash not in known:
                raise OntologyError(
                    f"Cannot attach the label row to {where}: {instance._where()} has feature "
                    f"hash {instance.feature_hash}, which is not in the project's ontology"
                )
        # Creates the branch row if missing (and writes nothing if it exists); a dict back
        # means the row holds labels, listed before or saved since by another writer.
        [(label_dict, meta)] = project.load_label_rows([target.label_row_metadata])
        if label_dict is not None:
            raise RevisionConflict(
                f"Cannot attach the label row to {where}: that branch already has a label row "
                f"with labels for it ({meta.label_hash}), which saving would overwrite. List "
                f"and initialise that row and add these instances to it, or attach on another "
                f"branch."
            )
        self._backend = project
        self._meta = meta
        self._data_unit_key = None
        self._ontology = structure
        self._object_hashes = None

    # identity -------------------------------------------------------------------------------
    @property
    def label_row_metadata(self) -> LabelRowMetadata:
        return self._meta

    @property
    def label_hash(self) -> str | None:
        return self._meta.label_hash

    @property
    def branch_name(self) -> str:
        return self._meta.branch_name

    @property
    def data_hash(self) -> str:
        return self._meta.data_hash

    @property
    def data_title(self) -> str:
        return self._meta.data_title

    @property
    def data_type(self) -> DataType:
        return self._meta.data_type

    @property
    def dataset_hash(self) -> str:
        return self._meta.dataset_hash

    @property
    def dataset_title(self) -> str:
        return self._meta.dataset_title

    @property
    def label_status(self) -> str:
        return self._meta.label_status

    @property
    def annotation_task_status(self) -> str | None:
        return self._meta.annotation_task_status

    @property
    def created_at(self) -> datetime | None:
        return self._meta.created_at

    @property
    def last_edited_at(self) -> datetime | None:
        return self._meta.last_edited_at

    @property
    def number_of_frames(self) -> int:
        if self._meta.data_type is DataType.IMG_GROUP and self._meta.frames:
            return len(self._meta.frames)
        return self._meta.number_of_frames

    @property
    def fps(self) -> float | None:
        return self._meta.fps

    @property
    def duration(self) -> float | None:
        return self._meta.duration

    @property
    def width(self) -> int | None:
        return self._meta.width

    @property
    def height(self) -> int | None:
        return self._meta.height

    @property
    def file_type(self) -> str:
        return self._meta.file_type

    @property
    def data_link(self) -> str:
        return self._meta.data_link

    @property
    def client_metadata(self) -> dict[str, Any] | None:
        return self._meta.client_metadata

    @property
    def workflow_graph_node(self) -> None:
        """Workflows are not modelled locally: always None."""
        return None

    @property
    def is_labelling_initialised(self) -> bool:
        return self._initialised

    @property
    def is_detached(self) -> bool:
        return self._backend is None

    @property
    def ontology_structure(self) -> OntologyStructure:
        return self._ontology

    def __repr__(self) -> str:
        return (
            f"LabelRowV2(data_title={self.data_title!r}, branch_name={self.branch_name!r}, "
            f"label_hash={self.label_hash!r}, initialised={self._initialised})"
        )

    # frames of the data unit ----------------------------------------------------------------
    def _group_frames(self) -> tuple[FrameMedia, ...]:
        return self._meta.frames

    def _frame_size(self, frame: int) -> tuple[int | None, int | None]:
        """``(width, height)`` of ``frame`` (per image for an image group), None if unknown."""
        frames = self._meta.frames
        if frames and 0 <= frame < len(frames):
            return frames[frame].width, frames[frame].height
        return self._meta.width, self._meta.height

    # loading --------------------------------------------------------------------------------
    def initialise_labels(
        self,
        include_object_feature_hashes: set[str] | None = None,
        include_classification_feature_hashes: set[str] | None = None,
        include_reviews: bool = False,
        include_archived: bool = False,
        overwrite: bool = False,
        bundle: Bundle | None = None,
        *,
        include_signed_url: bool = False,
    ) -> None:
        """Load the row (creating it on its branch when ``label_hash`` is None).

        With ``bundle`` the load is queued and the row stays uninitialised until the bundle
        executes.  The feature-hash filters drop other labels from memory; saving a filtered
        row deletes what was filtered out (as in the SDK).  ``LabelRowError`` when already
        initialised without ``overwrite`` or when the row is detached.
        """
        if self._initialised and not overwrite:
            raise LabelRowError(
                "You are trying to re-initialize a label row that has already been initialized. "
                "This would overwrite current labels. If this is your intend, set the `overwrite` "
                "flag to `True`."
            )
        backend = self._require_backend("initialise_labels")
        callback = self._load_callback(
            include_object_feature_hashes, include_classification_feature_hashes
        )
        if bundle is not None:
            bundle.add_load(self._meta, callback)
            return
        [(label_dict, meta)] = backend.load_label_rows([self._meta])
        callback(label_dict, meta)

    def _load_callback(
        self, objects: set[str] | None, classifications: set[str] | None
    ) -> Callable[[dict[str, Any] | None, LabelRowMetadata], None]:
        def apply(label_dict: dict[str, Any] | None, meta: LabelRowMetadata) -> None:
            if label_dict is None:
                self._reset_labels()
            else:
                self.from_labels_dict(label_dict)
                if objects is not None:
                    self._objects = {
                        h: o for h, o in self._objects.items() if o.feature_hash in objects
                    }
                if classifications is not None:
                    self._classifications = {
                        h: c
                        for h, c in self._classifications.items()
                        if c.feature_hash in classifications
                    }
            self._meta = meta
            self._initialised = True

        return apply

    def _reset_labels(self) -> None:
        for obj in self._objects.values():
            obj._parent = None
        for ci in self._classifications.values():
            ci._parent = None
        self._objects = {}
        self._classifications = {}

    def from_labels_dict(self, label_row_dict: dict[str, Any]) -> None:
        """Replace all labels with those of an Encord label-row dict and mark initialised.

        Reads both classification layouts (per-frame entries of SDK <= 0.1.202 become ranges).
        A missing required key raises ``KeyError``; an unknown object or classification
        feature hash ``OntologyError``; an unknown attribute hash ``LabelRowError``.  Identity
        fields of the dict (hashes, titles, status, times, data-unit media) refresh the
        metadata; frame count, fps and duration stay the metadata's.  On error nothing changes.
        """
        parsed = read_label_row(self, label_row_dict)
        self._reset_labels()
        self._meta = parsed.metadata
        self._is_shadow_data = parsed.is_shadow_data
        self._data_unit_key = parsed.data_unit_key
        for obj in parsed.objects:
            obj._parent = self
            self._objects[obj.object_hash] = obj
        for ci in parsed.classifications:
            ci._parent = self
            self._classifications[ci.classification_hash] = ci
        self._initialised = True

    # saving ---------------------------------------------------------------------------------
    def to_encord_dict(self, renumber_objects: bool = False) -> dict[str, Any]:
        """The label-row dict, byte-compatible with SDK >= 0.1.205 (key order included).

        A bitmask whose size differs from its frame raises ``BitmaskSizeMismatch`` (a
        ``ValueError``, as the SDK raises here).
        """
        if renumber_objects:
            self._renumber_objects()
        return write_label_row(self)

    def save(
        self,
        bundle: Bundle | None = None,
        validate_before_saving: bool = False,
        renumber_objects: bool = False,
    ) -> None:
        """Replace the stored row with ``to_encord_dict()`` (or queue that on ``bundle``).

        Checks first: initialised and attached (``LabelRowError``), unique ``object_number``
        per feature (``LabelRowError``), and in strict mode frames within the data unit
        (``FrameOutOfRange``) and bitmask sizes (``BitmaskSizeMismatch``).
        """
        self._require_initialised()
        backend = self._require_backend("save")
        if renumber_objects:
            self._renumber_objects()
        self._check_object_numbers()
        if self.strict or validate_before_saving:
            self._check_frames()
        target = backend if bundle is None else bundle.backend
        label_dict: SavePayload = (
            prepare_label_row(self)
            if getattr(target, "accepts_prepared_rows", False)
            else write_label_row(self)
        )

        def stored(meta: LabelRowMetadata) -> None:
            self._meta = meta

        if bundle is not None:
            bundle.add_save(self._meta, label_dict, stored)
            return
        [meta] = backend.save_label_rows([(self._meta, label_dict)])
        stored(meta)

    def _require_backend(self, operation: str) -> LabelRowBackend:
        if self._backend is None:
            raise LabelRowError(
                f"Cannot {operation} a detached label row ({self.data_title!r}): it has no "
                f"project backend. Use from_labels_dict / to_encord_dict offline, or "
                f"attach_to_project(project, data_hash) to give it one."
            )
        return self._backend

    def _require_initialised(self) -> None:
        if not self._initialised:
            raise LabelRowError(_NOT_INITIALISED)

    def _renumber_objects(self) -> None:
        counters: dict[str, int] = {}
        for obj in self._objects.values():
            counters[obj.feature_hash] = counters.get(obj.feature_hash, 0) + 1
            obj.object_number = counters[obj.feature_hash]

    def _check_object_numbers(self) -> None:
        seen: dict[tuple[str, int], ObjectInstance] = {}
        for obj in self._objects.values():
            number = obj._object_number
            if number is None:
                continue
            other = seen.setdefault((obj.feature_hash, number), obj)
            if other is not obj:
                raise LabelRowError(
                    f"Cannot save: objects '{other.object_hash}' and '{obj.object_hash}' both "
                    f"claim object_number={number} for the same ontology feature "
                    f"({obj.feature_hash}). Each object_number must be unique per ontology "
                    f"object within a label row."
                )

    def _check_frames(self) -> None:
        limit = self.number_of_frames
        for obj in self._objects.values():
            compact = obj._compact
            if obj._frame_map is None and (compact is None or compact[0] < limit):
                continue  # a compact instance (its frame is never negative)
            for frame in obj._frame_numbers():
                if not 0 <= frame < limit:
                    raise frame_out_of_range(frame, limit, where=obj._where())
        for ci in self._classifications.values():
            for frame in ci._frames:
                if not 0 <= frame < limit:
                    raise frame_out_of_range(frame, limit, where=ci._where())

    def _check_bitmask_sizes(self) -> None:
        for obj in self._objects.values():
            if obj._ontology_object.shape is not _BITMASK:
                continue
            for frame, data in obj._frames.items():
                width, height = self._frame_size(frame)
                check_bitmask_size(
                    data.coordinates, width=width, height=height, owner=obj, frame=frame
                )

    # adding and querying --------------------------------------------------------------------
    def _check_feature(
        self, feature_hash: str, owner: ObjectInstance | ClassificationInstance
    ) -> None:
        if self._object_hashes is None or feature_hash not in self._object_hashes:
            # (Re)built on a miss, so classes added to the ontology after the row are seen.
            self._object_hashes = frozenset(
                node.feature_node_hash
                for node in (*self._ontology.objects, *self._ontology.classifications)
            )
        if feature_hash not in self._object_hashes:
            raise OntologyError(
                f"{owner._where()}: feature hash {feature_hash} is not in this label row's ontology"
            )

    def add_object_instance(self, object_instance: ObjectInstance, force: bool = True) -> None:
        """Add an instance that is on at least one frame and on no other row.

        ``LabelRowError`` when not initialised, the instance has no frames, is already on a
        row, has dynamic answers on frames without coordinates, or (``force=False``) its hash
        is taken.  Strict mode re-checks its frames against the data unit (the SDK does not)
        and bitmask sizes.
        """
        self._require_initialised()
        if object_instance._parent is not None:
            raise LabelRowError(
                "The supplied ObjectInstance is already part of a LabelRowV2. You can only add a "
                "ObjectInstance to one LabelRowV2. You can do a ObjectInstance.copy() to create "
                "an identical ObjectInstance which is not part of any LabelRowV2."
            )
        frames = object_instance._frame_numbers()
        if not frames:
            object_instance.is_valid()  # raises the SDK's error
        if object_instance._dynamic_map and not object_instance._dynamic_frames() <= set(frames):
            raise LabelRowError(
                "There are some dynamic answers on frames that have no coordinates. Please ensure "
                "that all the dynamic answers are only on frames where coordinates have been set "
                "previously."
            )
        if self.strict:
            feature_hash = object_instance._ontology_object.feature_node_hash
            known = self._object_hashes
            if known is None or feature_hash not in known:
                self._check_feature(feature_hash, object_instance)
            limit = self.number_of_frames
            for frame in frames:
                if frame >= limit:
                    raise frame_out_of_range(frame, limit, where=object_instance._where())
            if object_instance._ontology_object.shape is _BITMASK:
                for frame, data in object_instance._frames.items():
                    width, height = self._frame_size(frame)
                    check_bitmask_size(
                        data.coordinates,
                        width=width,
                        height=height,
                        owner=object_instance,
                        frame=frame,
                    )
        object_hash = object_instance._object_hash
        previous = self._objects.get(object_hash)
        if previous is not None:
            if not force:
                raise LabelRowError(
                    f"An ObjectInstance with hash {object_hash!r} is already on this row; pass "
                    f"force=True to replace it."
                )
            previous._parent = None
        object_instance._parent = self
        self._objects[object_hash] = object_instance

    def add_classification_instance(
        self, classification_instance: ClassificationInstance, force: bool = False
    ) -> None:
        """Add a classification instance (SDK overlap rules).

        ``LabelRowError`` when not initialised, on no frame (unless global or range-only),
        already on a row, or overlapping an instance of the same classification (with
        ``force=True`` the overlapped instances lose those frames instead).
        """
        self._require_initialised()
        ci = classification_instance
        if ci._parent is not None:
            raise LabelRowError(
                "The supplied ClassificationInstance is already part of a LabelRowV2. You can "
                "only add a ClassificationInstance to one LabelRowV2. You can do a "
                "ClassificationInstance.copy() to create an identical ClassificationInstance "
                "which is not part of any LabelRowV2."
            )
        ci.is_valid()
        if self.strict:
            self._check_feature(ci.feature_hash, ci)
            limit = self.number_of_frames
            for frame in ci._frames:
                if frame >= limit:
                    raise frame_out_of_range(frame, limit, where=ci._where())
        self._check_classification_overlap(ci, list(ci._frames), force=force)
        ci._parent = self
        self._classifications[ci.classification_hash] = ci

    def _check_classification_overlap(
        self, ci: ClassificationInstance, frames: list[int], *, force: bool = False
    ) -> None:
        wanted = set(frames)
        for other in self._classifications.values():
            if other is ci or other.feature_hash != ci.feature_hash:
                continue
            if ci.is_global() and not frames:
                raise LabelRowError(
                    f"A global ClassificationInstance '{other.classification_hash}' of this "
                    f"classification was already added; only one is allowed per label row."
                )
            overlap = wanted & other._frames.keys()
            if not overlap:
                continue
            if force:
                other.remove_from_frames(sorted(overlap))
                continue
            raise LabelRowError(
                f"A ClassificationInstance '{other.classification_hash}' was already added and "
                f"has overlapping frames on the ranges {frames_to_ranges(overlap)}."
                "Make sure that you only add classifications which are on frames where the same "
                "type of classification does not yet exist."
            )

    def get_object_instances(
        self,
        filter_ontology_object: Object | None = None,
        filter_frames: Frames | None = None,
    ) -> list[ObjectInstance]:
        """Objects of the row, optionally of one ontology object and/or on some frames."""
        self._require_initialised()
        wanted = None if filter_frames is None else set(frames_class_to_frames_list(filter_frames))
        out = []
        for obj in self._objects.values():
            if (
                filter_ontology_object is not None
                and obj.feature_hash != filter_ontology_object.feature_node_hash
            ):
                continue
            if wanted is not None and wanted.isdisjoint(obj._frame_numbers()):
                continue
            out.append(obj)
        return out

    def get_classification_instances(
        self,
        filter_ontology_classification: Classification | None = None,
        filter_frames: Frames | None = None,
    ) -> list[ClassificationInstance]:
        """Classifications of the row, optionally of one classification and/or on frames."""
        self._require_initialised()
        wanted = None if filter_frames is None else set(frames_class_to_frames_list(filter_frames))
        out = []
        for ci in self._classifications.values():
            if (
                filter_ontology_classification is not None
                and ci.feature_hash != filter_ontology_classification.feature_node_hash
            ):
                continue
            if wanted is not None and wanted.isdisjoint(ci._frames):
                continue
            out.append(ci)
        return out

    def remove_object(self, object_instance: ObjectInstance) -> None:
        """Take an object off the row (it can then be added elsewhere)."""
        self._require_initialised()
        if self._objects.get(object_instance.object_hash) is object_instance:
            del self._objects[object_instance.object_hash]
            object_instance._parent = None

    def remove_classification(self, classification_instance: ClassificationInstance) -> None:
        """Take a classification off the row."""
        self._require_initialised()
        ci = classification_instance
        if self._classifications.get(ci.classification_hash) is ci:
            del self._classifications[ci.classification_hash]
            ci._parent = None

    def get_frame_view(self, frame: int = 0) -> FrameView:
        """A view of one frame (per-image size and media for an image group)."""
        self._require_initialised()
        if not 0 <= frame < self.number_of_frames:
            raise frame_out_of_range(frame, self.number_of_frames, where=repr(self))
        return FrameView(self, frame)

    def get_frame_views(self) -> list[FrameView]:
        """Views of every frame of the data unit."""
        self._require_initialised()
        return [FrameView(self, frame) for frame in range(self.number_of_frames)]
