"""The ``branchmark`` command line: thin commands over the SDK and the analysis layer."""
