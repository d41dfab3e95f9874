# Seed guide "Import Encord-Format Predictions", bounding box example, after the substitutions of
# ENCORD_COMPAT "How branchmark names map"; placeholders filled (workspace and project hash come
# from the environment the test sets).
# Import dependencies
import os
from pathlib import Path
from branchmark import UserClient, Project
from branchmark.objects import LabelRowV2, Object, OntologyStructure, ObjectInstance
from branchmark.objects.coordinates import BoundingBoxCoordinates, RotatableBoundingBoxCoordinates, PolygonCoordinates, PolylineCoordinates, PointCoordinate, BitmaskCoordinates

# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]
PREDICTION_BRANCH_NAME = "yolo-v8.run_01"
ONTOLOGY_OBJECT_TITLE = "Cherry" # Name of object label in your Ontology
DATA_UNIT_TITLES = ["cherry_001.png", "Cherries_video.mp4"]  # List of specific data units

# Ensure SSH path and project hash are set
assert WORKSPACE, "Workspace cannot be None"
assert PROJECT_HASH, "Project hash cannot be None"

# Open the workspace
user_client = UserClient.open(WORKSPACE)

# Get the project and list label rows for the prediction branch
project = user_client.get_project(PROJECT_HASH)
all_prediction_branch_rows = project.list_label_rows_v2(branch_name=PREDICTION_BRANCH_NAME)

# Filter label rows based on the specified data unit titles
prediction_branch_rows = [
    row for row in all_prediction_branch_rows 
    if row.data_title in DATA_UNIT_TITLES
]

if not prediction_branch_rows:
    print("No matching data units found in the specified branch.")
else:
    print("Data units found:", [row.data_title for row in prediction_branch_rows])

# Retrieve the specified ontology object by title
ontology_object = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE,
    type_=Object
)

# Initialize labels for each selected label row in the prediction branch
with project.create_bundle() as bundle:
    for row in prediction_branch_rows:
        row.initialise_labels(bundle=bundle)

# Add bounding box predictions to each filtered label row
for row in prediction_branch_rows:
    # Instantiate an object instance for bounding box predictions
    inst = ontology_object.create_instance()
    inst.set_for_frames(
        coordinates=BoundingBoxCoordinates(
            height=0.1,
            width=0.1,
            top_left_x=0.5,
            top_left_y=0.5,
        ),
        frames=0,  # Apply to the specified frame
        manual_annotation=False,  # Set to False as this is a prediction
        confidence=1, # Confidence of your prediction
    )

    # Add the prediction instance to the label row
    row.add_object_instance(inst)

with project.create_bundle() as bundle:
    # Save the row with predictions within the bundle
    for row in prediction_branch_rows:
        row.save(bundle=bundle)
