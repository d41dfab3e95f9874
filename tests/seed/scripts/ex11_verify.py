# Seed guide, "Verify Prediction Import" (substituted; placeholders filled).
# ENCORD_COMPAT s.8 item 6: ``get_answer().value`` only works for radio answers; for a checklist
# (a list of options) or text the value itself is printed instead.
# Import dependencies
import os
from branchmark import UserClient
import json

WORKSPACE = os.environ["BRANCHMARK_WORKSPACE"]
PROJECT_HASH = os.environ["SEED_PROJECT_HASH"]

# Open the workspace
user_client = UserClient.open(WORKSPACE)

# Specify Project. Replace <project_hash> with the hash of the Project you want to export labels for.
project = user_client.get_project(PROJECT_HASH)

# Downloads a local copy of all the labels
# Without the include_all_label_branches flag only the MAIN branch labels export
label_rows = project.list_label_rows_v2(include_all_label_branches=True) 

# Initialize label rows using bundles
with project.create_bundle() as bundle:
    for label_row in label_rows:
        label_row.initialise_labels(bundle=bundle)

for label_row in label_rows:
    # Here we have the label row for the branch, but without labels themselves downloaded
    print(f"Title: {label_row.data_title}, branch: {label_row.branch_name}")

    # Print essential label information for all objects
    for object_instance in label_row.get_object_instances():
        print (f"objectHash: {object_instance.object_hash}")
        print (f"Object name: {object_instance.object_name}")
        print (f"featureHash: {object_instance.feature_hash}")
        print (f"uid: {object_instance.ontology_item.uid}")
        print (f"Object color: {object_instance.ontology_item.color}")
        print (f"Ontology shape: {object_instance.ontology_item.shape}")

        # Print the frame number and the location of the object on the frame
        for annotation in object_instance.get_annotations():
            print(f"Frame {annotation.frame} -> {annotation.coordinates}")

        # Print all attributes 
        for attribute in object_instance.ontology_item.attributes:
            print (attribute, object_instance)

    # Print all essential classification information
    for classification_instance in label_row.get_classification_instances():
        print (f"classificationHash: {classification_instance.classification_hash}")
        print (f"Classification name: {classification_instance.classification_name}")
        print (f"featureHash: {classification_instance.feature_hash}")
        answer = classification_instance.get_answer()
        print (f"Classification answer: {getattr(answer, 'value', answer)}")
        print (f"Classification answer hash: {getattr(answer, 'feature_node_hash', None)}")
