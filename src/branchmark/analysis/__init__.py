"""Prediction-set lifecycle: analyse against ground truth, store results, stale check, compare,
delete.

Service functions (the SDK's ``Project`` methods and the web UI call these):

- :func:`analyse(store, project, branch, *, ground_truth, match, protocol, name, wait, progress)
  <branchmark.analysis.service.analyse>` -> :class:`AnalysisRecord`; :func:`reanalyse`,
  :func:`get_analysis`, :func:`list_analyses`, :func:`delete_analysis`.
- Queries on a stored result: :func:`summary_at` (any IoU of the grid x confidence),
  :func:`class_table`, :func:`pr_arrays` / :func:`pr_curves`, :func:`confusion`,
  :func:`classifications`, :func:`outcome_page` (filtered, paged per-object outcomes),
  :func:`confusion_objects` (the exact objects of one confusion-matrix cell).  Classes are
  named by name, feature hash or position everywhere (``pages.class_positions``).
- :func:`compare_analyses` -> :class:`Comparison`.
- Prediction sets: :func:`list_branch_info`, :func:`rename_branch`, :func:`delete_branch`,
  :func:`update_branch_metadata`.
- :func:`render_report` (JSON, CSV, self-contained HTML).

Modules: ``inputs`` (bulk reads), ``pairs`` (similarity of every same-image pair), ``answers``
(Strict/Partial, classifications), ``fp_reasons``, ``compute`` (the run), ``persist`` (one
transaction), ``jobs`` (status rows), ``service``, ``queries``, ``pages``, ``compare``, ``sets``,
``report``, ``confusion_pairs`` / ``confusion_cells`` (the confusion matrix's kept pairs).
"""

from __future__ import annotations

from branchmark.analysis.compare import Comparison, compare_analyses
from branchmark.analysis.confusion_cells import confusion_objects
from branchmark.analysis.pages import outcome_page
from branchmark.analysis.queries import (
    class_table,
    classifications,
    confusion,
    pr_arrays,
    pr_curves,
    summary_at,
)
from branchmark.analysis.records import (
    AnalysisRecord,
    JobRecord,
    JobStatus,
    OutcomePage,
    OutcomeRow,
    ResultInfo,
    Staleness,
)
from branchmark.analysis.report import render_report
from branchmark.analysis.service import (
    analyse,
    delete_analysis,
    get_analysis,
    list_analyses,
    reanalyse,
)
from branchmark.analysis.sets import (
    BranchInfo,
    delete_branch,
    list_branch_info,
    rename_branch,
    update_branch_metadata,
)

__all__ = [
    "AnalysisRecord",
    "BranchInfo",
    "Comparison",
    "JobRecord",
    "JobStatus",
    "OutcomePage",
    "OutcomeRow",
    "ResultInfo",
    "Staleness",
    "analyse",
    "class_table",
    "classifications",
    "compare_analyses",
    "confusion",
    "confusion_objects",
    "delete_analysis",
    "delete_branch",
    "get_analysis",
    "list_analyses",
    "list_branch_info",
    "outcome_page",
    "pr_arrays",
    "pr_curves",
    "reanalyse",
    "rename_branch",
    "render_report",
    "summary_at",
    "update_branch_metadata",
]
