# Seed guide, bitmask example (substituted; placeholders: the image's 836 x 1254 size).
# Import dependencies
import os
import numpy as np
from pathlib import Path
from branchmark import UserClient, Project
from branchmark.objects import Object, ObjectInstance
from branchmark.objects.coordinates import BitmaskCoordinates

# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]  # Unique project hash
PREDICTION_BRANCH_NAME = "yolo-v8.run_01"  # Specify your prediction branch
DATA_UNIT_TITLE = "blueberry_003.jpg"  # Specific data unit title
ONTOLOGY_OBJECT_TITLE = "Blueberry"  # Name of the bitmask object in your ontology

# Prepare the mask itself.
# For simplicity, we can just mask the whole image
# Note: the size of the mask must be identical to the size of the image
numpy_coordinates = np.ones((836, 1254))  # Replace with actual values

# Ensure the image is in boolean format
numpy_coordinates = numpy_coordinates.astype(bool)

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

# Find a bitmask annotation object in the project ontology
bitmask_ontology_object: Object = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE, type_=Object
)

# Instantiate an object instance from the bitmask ontology node
bitmask_object_instance: ObjectInstance = bitmask_ontology_object.create_instance()

# The coordinates for the bitmask are specified as follows
bitmask_object_instance.set_for_frames(
    # Create coordinates from provided numpy bitmask
    coordinates=BitmaskCoordinates(numpy_coordinates),
    # Add the bitmask to the first frame
    frames=0,
    # There are multiple additional fields that can be set optionally:
    manual_annotation=True,
    confidence=1.0,
)

# Link the object instance to the label row
label_row.add_object_instance(bitmask_object_instance)

# Save the label row with the bitmask instance
label_row.save()
print("Label row updated with bitmask instance.")
