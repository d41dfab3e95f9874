# Seed guide, checklist classification example (substituted; placeholders filled).
# Import dependencies
from __future__ import annotations
import os
from pathlib import Path
from branchmark import UserClient, Project
from branchmark.objects import Classification
from branchmark.objects.options import Option

# Configuration
WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]  # Unique project hash
PREDICTION_BRANCH_NAME = "yolo-v8.run_01"  # Specify your prediction branch
DATA_UNIT_TITLE = "Blueberries_video.mp4"  # Specific data unit title
ONTOLOGY_OBJECT_TITLE = "Many types of fruit?"  # Name of the classification in your ontology
APPLE_OPTION_TITLE = "Apple"  # Title of the apple option
KIWI_OPTION_TITLE = "Kiwi"  # Title of the kiwi option

# Open the workspace
user_client: UserClient = UserClient.open(WORKSPACE)

# Get project for which predictions are to be added
project: Project = user_client.get_project(PROJECT_HASH)

# Specify the data unit to add classification in the given branch
label_row = project.list_label_rows_v2(
    branch_name=PREDICTION_BRANCH_NAME,  # Filter by prediction branch
    data_title_eq=DATA_UNIT_TITLE
)[0]

# Initialize labels for the label row
label_row.initialise_labels()

# Find the checklist classification in the project ontology
checklist_ontology_classification: Classification = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE,
    type_=Classification,
)

# Find the specific options in the checklist
apple_option = checklist_ontology_classification.get_child_by_title(
    title=APPLE_OPTION_TITLE, type_=Option
)

kiwi_option = checklist_ontology_classification.get_child_by_title(
    title=KIWI_OPTION_TITLE, type_=Option
)

# Create an instance of the checklist classification
checklist_classification_instance = checklist_ontology_classification.create_instance()

# Set the answers for the classification instance
checklist_classification_instance.set_answer(
    [apple_option, kiwi_option]
)

# Set the classification for the specified frame
checklist_classification_instance.set_for_frames(
    # Add the classification to the image
    frames=177,
    # Additional fields that can be set optionally:
    manual_annotation=True,
    confidence=1.0,
)

# Link the classification instance to the label row
label_row.add_classification_instance(checklist_classification_instance)

# Save the label row with the classification instance
label_row.save()

print("Label row updated with checklist classification instance.")
