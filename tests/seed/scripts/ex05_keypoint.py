# Seed guide, keypoint example (substituted; placeholders: x=0.42, y=0.37, frame 3 of the video).
# Import dependencies
import os
from pathlib import Path
from branchmark import UserClient, Project
from branchmark.objects import Object, ObjectInstance
from branchmark.objects.coordinates import PointCoordinate

# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]  # Unique project hash
PREDICTION_BRANCH_NAME = "yolo-v8.run_01"  # Specify your prediction branch
DATA_UNIT_TITLE = "Blueberries_video.mp4"  # Specific data unit title
ONTOLOGY_OBJECT_TITLE = "Pedicel"  # Name of the keypoint object in your ontology

# Open the workspace
user_client: UserClient = UserClient.open(WORKSPACE)

# Get project for which predictions are to be added
project: Project = user_client.get_project(PROJECT_HASH)

# Specify the data unit to label in the given branch
label_row = project.list_label_rows_v2(
    branch_name=PREDICTION_BRANCH_NAME,  # Filter by prediction branch
    data_title_eq=DATA_UNIT_TITLE
)[0]

# Initialize labels for the label row
label_row.initialise_labels()

# Find a keypoint annotation object in the project ontology
keypoint_ontology_object: Object = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE, type_=Object
)

# Instantiate an object instance from the keypoint ontology node
keypoint_object_instance: ObjectInstance = keypoint_ontology_object.create_instance()

# The x,y coordinates of the keypoint are specified as follows
keypoint_object_instance.set_for_frames(
    coordinates=PointCoordinate(
        x=0.42,  # Replace with the actual value for the x-axis
        y=0.37   # Replace with the actual value for the y-axis
    ),
    # Add the keypoint to the specified frame number
    frames=3,  # Replace with the actual frame number
    # There are multiple additional fields that can be set optionally:
    manual_annotation=True,
    confidence=1.0,
)

# Link the object instance to the label row
label_row.add_object_instance(keypoint_object_instance)

# Save the label row with the keypoint instance
label_row.save()
print("Label row updated with keypoint instance.")
