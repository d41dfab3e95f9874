"""Read every label row of a project on every branch and print it as JSON (for the seed tests).

Run in a fresh process so that what it prints comes from the store, not from memory.
Usage: python dump_workspace.py WORKSPACE PROJECT_HASH
"""

import json
import sys

from branchmark import UserClient
from branchmark.objects.coordinates import BitmaskCoordinates


def answer_of(answer):
    if isinstance(answer, list):
        return [o.label for o in answer]
    return getattr(answer, "label", answer)


project = UserClient.open(sys.argv[1]).get_project(sys.argv[2])
rows = [r for r in project.list_label_rows_v2(include_all_label_branches=True) if r.label_hash]
with project.create_bundle() as bundle:
    for row in rows:
        row.initialise_labels(bundle=bundle)
out = []
for row in rows:
    objects = []
    for inst in row.get_object_instances():
        frames = []
        for ann in inst.get_annotations():
            coords = ann.coordinates
            extra = {}
            if isinstance(coords, BitmaskCoordinates):
                mask = coords.to_numpy_array()
                extra = {"mask_shape": list(mask.shape), "mask_sum": int(mask.sum())}
            frames.append(
                {
                    "frame": ann.frame,
                    "confidence": ann.confidence,
                    "manual": ann.manual_annotation,
                    **extra,
                }
            )
        objects.append(
            {
                "hash": inst.object_hash,
                "name": inst.object_name,
                "shape": str(getattr(inst.ontology_item.shape, "value", inst.ontology_item.shape)),
                "frames": frames,
            }
        )
    classifications = [
        {
            "hash": ci.classification_hash,
            "name": ci.classification_name,
            "frames": [a.frame for a in ci.get_annotations()],
            "answer": answer_of(ci.get_answer()),
            "confidence": ci.confidence,
            "manual": ci.manual_annotation,
        }
        for ci in row.get_classification_instances()
    ]
    out.append(
        {
            "title": row.data_title,
            "branch": row.branch_name,
            "label_hash": row.label_hash,
            "objects": objects,
            "classifications": classifications,
            "dict": row.to_encord_dict(),
        }
    )
print(json.dumps(out))
