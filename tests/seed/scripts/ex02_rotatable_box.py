# Seed guide, rotatable bounding box example (substituted; placeholders filled).  The example
# places boxes on frames 0, 5 and 10, so its data unit is the video.
# Import dependencies
import os
from pathlib import Path
from branchmark import UserClient, Project
from branchmark.objects import Object, ObjectInstance
from branchmark.objects.coordinates import RotatableBoundingBoxCoordinates

# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]
PREDICTION_BRANCH_NAME = "yolo-v8.run_01"
ONTOLOGY_OBJECT_TITLE = "Other type of fruit"
DATA_UNIT_TITLES = ["Cherries_video.mp4"]  # Specify the data unit titles here

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
rbb_ontology_object = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE,
    type_=Object
)

with project.create_bundle() as bundle:
    # Initialize labels for each selected label row in the prediction branch
    for label_row in prediction_branch_rows:
        label_row.initialise_labels(bundle=bundle)

# Define rotatable bounding box coordinates and frame for each object
rotatable_bounding_box_predictions = [
    {
        "frame_number": 0,
        "coordinates": RotatableBoundingBoxCoordinates(
            height=0.3,
            width=0.2,
            top_left_x=0.1,
            top_left_y=0.1,
            theta=15  # Angle of rotation in degrees
        ),
    },
    {
        "frame_number": 5,
        "coordinates": RotatableBoundingBoxCoordinates(
            height=0.25,
            width=0.25,
            top_left_x=0.15,
            top_left_y=0.15,
            theta=30
        ),
    },
    {
        "frame_number": 10,
        "coordinates": RotatableBoundingBoxCoordinates(
            height=0.2,
            width=0.3,
            top_left_x=0.2,
            top_left_y=0.2,
            theta=45
        ),
    },
]

# Add rotatable bounding box predictions to each filtered label row
for label_row in prediction_branch_rows:
    for prediction in rotatable_bounding_box_predictions:
        rbb_object_instance = rbb_ontology_object.create_instance()
        
        rbb_object_instance.set_for_frames(
            coordinates=prediction["coordinates"],
            frames=prediction["frame_number"],
            manual_annotation=False,  # Mark as a prediction
            confidence=1.0
        )
        
        # Link the object instance to the label row
        label_row.add_object_instance(rbb_object_instance)
    
with project.create_bundle() as bundle:
    for label_row in prediction_branch_rows:
        # Save the label row with the updated predictions within the bundle
        label_row.save(bundle=bundle)
