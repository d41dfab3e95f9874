# Seed guide, polygon example (substituted; placeholders filled).
# Import dependencies
import os
from pathlib import Path
from branchmark import UserClient, Project
from branchmark.objects import Object, ObjectInstance
from branchmark.objects.coordinates import PolygonCoordinates, PointCoordinate

# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]
PREDICTION_BRANCH_NAME = "yolo-v8.run_01"  # Specify the prediction branch
DATA_UNIT_TITLE = "persimmon_001.jpg"  # The title of the data unit (image or video)
ONTOLOGY_OBJECT_TITLE = "Persimmon"  # The ontology object title for the polygon

# Open the workspace
user_client: UserClient = UserClient.open(WORKSPACE)

# Get the project and list label rows for the prediction branch
project: Project = user_client.get_project(PROJECT_HASH)
prediction_branch_rows = project.list_label_rows_v2(
    branch_name=PREDICTION_BRANCH_NAME,  # Use the prediction branch
    data_title_eq=DATA_UNIT_TITLE
)

if not prediction_branch_rows:
    print("No matching data units found in the specified branch.")
else:
    print("Data units found:", [row.data_title for row in prediction_branch_rows])

# Initialize labels for each selected label row in the prediction branch
label_row = prediction_branch_rows[0]
label_row.initialise_labels()

# Find a polygon annotation object in the project ontology
polygon_ontology_object: Object = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE, type_=Object
)

# Instantiate an object instance from the polygon ontology node
polygon_object_instance: ObjectInstance = polygon_ontology_object.create_instance()

# Define the polygon coordinates
polygon_coordinates = PolygonCoordinates([
    PointCoordinate(0.1, 0.2),
    PointCoordinate(0.3, 0.4),
    PointCoordinate(0.5, 0.6),
    PointCoordinate(0.7, 0.8)
])

# Set the polygon prediction for the specified frame
polygon_object_instance.set_for_frames(
    coordinates=polygon_coordinates,
    frames=0,  # Specify the frame number
    manual_annotation=False,  # Mark as a prediction
    confidence=1.0  # Optional confidence score
)

# Link the object instance to the label row
label_row.add_object_instance(polygon_object_instance)

# Save the label row 
label_row.save()
