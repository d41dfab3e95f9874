"""Run one analysis in its own process: ``python -m tests.analysis.worker WORKSPACE PROJECT
BRANCH MODE [STALL_STAGE]``; with a stage name it stalls there (for the SIGKILL test)."""

from __future__ import annotations

import sys
import time

from branchmark import analysis as an
from branchmark.store import Store, catalog


def main() -> None:
    location, project_title, branch, mode = sys.argv[1:5]
    stall = sys.argv[5] if len(sys.argv) > 5 else None

    def progress(stage: str, _fraction: float) -> None:
        if stage == stall:
            print("stalled", flush=True)
            time.sleep(600)

    store = Store.open(location)
    with store.read() as conn:
        project = catalog.get_project(conn, project_title)
    record = an.analyse(store, project, branch, match=mode, progress=progress)
    print(record.status.value, flush=True)


if __name__ == "__main__":
    main()
