# Seed guide, object primitive (skeleton) example (substituted; placeholders: template
# "Triangle", points (0.2, 0.6), (0.3, 0.65), (0.4, 0.7)).
# Import dependencies
import os
from pathlib import Path
from branchmark import UserClient, Project
from branchmark.objects import Object, ObjectInstance
from branchmark.objects.coordinates import SkeletonCoordinate, SkeletonCoordinates
from branchmark.objects.skeleton_template import SkeletonTemplate

# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]  # Unique project hash
PREDICTION_BRANCH_NAME = "yolo-v8.run_01"  # Specify your prediction branch
DATA_UNIT_TITLE = "strawberries_10.jpg"  # Specific data unit title
ONTOLOGY_OBJECT_TITLE = "Strawberry"  # Name of the object in your ontology
SKELETON_TEMPLATE_NAME = "Triangle"  # Name of the skeleton template

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

# Find a skeleton annotation object in the project ontology
skeleton_ontology_object: Object = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE, type_=Object
)
skeleton_template: SkeletonTemplate = project.ontology_structure.skeleton_templates[SKELETON_TEMPLATE_NAME]

# Instantiate an object instance from the skeleton ontology node
skeleton_object_instance: ObjectInstance = skeleton_ontology_object.create_instance()

skeleton_hashes = [coord.feature_hash for coord in skeleton_template.skeleton.values()]
skeleton_coordinates: SkeletonCoordinates = SkeletonCoordinates(values=[
    SkeletonCoordinate(
        x=0.2, y=0.6,  # Replace with actual coordinates
        name='point_0',
        color='#000000',
        value="point_0",
        feature_hash=skeleton_hashes[0]
    ),
    SkeletonCoordinate(
        x=0.3, y=0.65,  # Replace with actual coordinates
        name='point_1',
        color='#000000',
        value="point_1",
        feature_hash=skeleton_hashes[1]
    ),
    SkeletonCoordinate(
        x=0.4, y=0.7,  # Replace with actual coordinates
        name='point_2',
        color='#000000',
        value="point_2",
        feature_hash=skeleton_hashes[2]
    )
],
    name="Triangle"  # Replace with the actual name
)

print(skeleton_coordinates)

# The x,y coordinates of the skeleton are specified as follows
skeleton_object_instance.set_for_frames(
    coordinates=skeleton_coordinates,
    # Add the skeleton to the image
    frames=0,
    # Additional fields that can be set optionally:
    manual_annotation=True,
    confidence=1.0,
)

# Link the object instance to the label row
label_row.add_object_instance(skeleton_object_instance)

# Save the label row with the skeleton instance
label_row.save()
print("Label row updated with skeleton instance.")
