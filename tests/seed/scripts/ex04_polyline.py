# Seed guide, polyline example (substituted).  Placeholders filled: .x1/.y1 -> .1/.9,
# .x3/.y3 -> .2/.85, <frame-number> -> 0 (the seed's repeated first point is kept as written).
# Import dependencies
import os
from pathlib import Path
from branchmark import UserClient, Project
from branchmark.objects import Object, ObjectInstance
from branchmark.objects.coordinates import PolylineCoordinates, PointCoordinate

# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]  # Unique project hash
PREDICTION_BRANCH_NAME = "yolo-v8.run_01"  # Specify your prediction branch
DATA_UNIT_TITLE = "persimmon_001.jpg"  # Specific data unit title
ONTOLOGY_OBJECT_TITLE = "Branch"  # Name of the polyline object in your ontology

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

# Find a polyline annotation object in the project ontology
polyline_ontology_object: Object = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE, type_=Object
)

# Instantiate an object instance from the polyline ontology node
polyline_object_instance: ObjectInstance = polyline_ontology_object.create_instance()

# The x,y coordinates of each polyline vertex are specified as follows
polyline_object_instance.set_for_frames(
    coordinates=PolylineCoordinates(
        [PointCoordinate(.1, .9), PointCoordinate(.1, .9), PointCoordinate(.2, .85), PointCoordinate(.13, .456)]
    ),
    # Add the polyline to the specified frame number
    frames=0,  # Replace with the actual frame number
    # There are multiple additional fields that can be set optionally:
    manual_annotation=True,
    confidence=1.0,
)

# Link the object instance to the label row
label_row.add_object_instance(polyline_object_instance)

# Save the label row with the polyline instance
label_row.save()
print("Label row updated with polyline instance.")
