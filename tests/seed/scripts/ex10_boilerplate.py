# Seed guide, "Store Predictions Boilerplate" (substituted; placeholders filled).
# ENCORD_COMPAT s.8 item 4: the last ``for`` loop's body is not indented in the seed (a
# SyntaxError); it is indented here.  Everything else is as written.
# Import dependencies
import os
from branchmark import UserClient, Project
from branchmark.objects import LabelRowV2, Object, OntologyStructure, ObjectInstance

from branchmark.objects.coordinates import BoundingBoxCoordinates, RotatableBoundingBoxCoordinates, PolygonCoordinates, PolylineCoordinates, PointCoordinate, BitmaskCoordinates


# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]

# Specify a label_rows_v2 branch name for your predictions.
PREDICTION_BRANCH_NAME = "boilerplate.v1"

assert WORKSPACE is not None, "Workspace cannot be None"
assert PROJECT_HASH is not None, "Project hash cannot be None"

# Open the workspace
user_client = UserClient.open(WORKSPACE)

# Access the project and prepare the branch for predictions
project = user_client.get_project(PROJECT_HASH)
prediction_branch_rows = project.list_label_rows_v2(branch_name=PREDICTION_BRANCH_NAME)

if len(prediction_branch_rows) > 0:
  print("Branch is:", prediction_branch_rows[0].branch_name)

ontology_object = project.ontology_structure.objects[0]
with project.create_bundle() as bundle:
    for row in prediction_branch_rows:
        row.initialise_labels(bundle=bundle)

for row in prediction_branch_rows:
    inst = ontology_object.create_instance()
    inst.set_for_frames(
        coordinates=BoundingBoxCoordinates(
            height=0.8,
            width=0.8,
            top_left_x=0.1,
            top_left_y=0.1,
        ),
        # Add the bounding box to the first frame
        frames=0,
        # There are multiple additional fields that can be set optionally:
        manual_annotation=False,
    )
    row.add_object_instance(inst)

with project.create_bundle() as bundle:
    for row in prediction_branch_rows:
        row.save(bundle=bundle)
