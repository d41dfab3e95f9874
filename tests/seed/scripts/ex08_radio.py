# Seed guide, radio classification example (substituted; placeholders filled).
# ENCORD_COMPAT s.8 item 2: the seed passes the *string* RADIO_BUTTON_OPTION to set_answer; the
# SDK then files it under a nested text attribute.  As that section says, pass the Option the
# example fetched a line earlier instead.
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
DATA_UNIT_TITLE = "blueberry_003.jpg"  # Specific data unit title
ONTOLOGY_OBJECT_TITLE = "Blueberry or Cherry?"  # Name of the classification in your ontology
RADIO_BUTTON_OPTION_TITLE = "Blueberry"  # Title of the radio button option
RADIO_BUTTON_OPTION = "blueberry"  # Specify the answer for the radio button option

# Open the workspace
user_client: UserClient = UserClient.open(WORKSPACE)

# Get project for which predictions are to be added
project: Project = user_client.get_project(PROJECT_HASH)

# Specify the data unit to apply classification in the given branch
label_row = project.list_label_rows_v2(
    branch_name=PREDICTION_BRANCH_NAME,  # Filter by prediction branch
    data_title_eq=DATA_UNIT_TITLE
)[0]

# Initialize labels for the label row 
label_row.initialise_labels()

# Find the radio classification in the project ontology
radio_ontology_classification: Classification = project.ontology_structure.get_child_by_title(
    title=ONTOLOGY_OBJECT_TITLE,
    type_=Classification,
)

# Find the specific radio button option
blueberry_option = radio_ontology_classification.get_child_by_title(
    title=RADIO_BUTTON_OPTION_TITLE, type_=Option
)

# Create an instance of the radio classification
radio_classification_instance = radio_ontology_classification.create_instance()

# Set the answer for the classification instance
radio_classification_instance.set_answer(
    answer=blueberry_option
)

# Set the classification for the specified frame
radio_classification_instance.set_for_frames(
    # Add the classification to the image
    frames=0,
    # Additional fields that can be set optionally:
    manual_annotation=True,
    confidence=1.0,
)

# Link the classification instance to the label row
label_row.add_classification_instance(radio_classification_instance)

# Save the label row with the classification instance
label_row.save()

print("Label row updated with classification instance.")
