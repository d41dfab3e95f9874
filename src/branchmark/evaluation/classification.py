"""Per-frame classification metrics: radio, checklist and text answers.

Each input is one entry per evaluation frame, GT and prediction aligned: the answer of one
top-level classification on that frame, or ``None`` when there is none. A frame where neither
side answers does not count. A prediction on a frame without a GT answer is a false positive; a
GT answer without a prediction is a false negative (``EVALUATION.md``, "Classifications").

- Radio (one option per frame): top-1 accuracy = frames where both agree / frames where either
  answers; per-option precision, recall, F1; a confusion matrix with a ``none`` row and column;
  AP per option, one-vs-rest, ranking the frames that predict the option by confidence
  (101-point interpolation as ``COCOeval.accumulate``).
- Checklist (a set of options per frame): per-option precision, recall, F1; micro (pooled counts)
  and macro (mean over options where defined) averages; exact-set match rate. An empty set is no
  answer.
- Text: exact-match rate after Unicode NFC and trimming; an empty string is no answer.

Undefined values (0 / 0) are NaN; ``to_dict`` writes them as ``None``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from branchmark.evaluation.compatibility import normalise_text
from branchmark.evaluation.thresholds import f1_from, interpolated_ap, ratio_or_nan

#: Label of the confusion matrix's extra row / column: no answer on that side.
NONE_LABEL = "none"


def _clean(value: Any) -> Any:
    """NaN -> None, numpy -> Python, recursively (for JSON)."""
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _to_dict(result: Any) -> dict[str, Any]:
    return {field.name: _clean(getattr(result, field.name)) for field in dataclasses.fields(result)}


def _options(seen: set[str], options: Sequence[str] | None, name: str) -> tuple[str, ...]:
    if options is None:
        return tuple(sorted(seen))
    order = tuple(options)
    if len(set(order)) != len(order):
        raise ValueError(f"options: must be unique, got {list(order)}")
    unknown = sorted(seen - set(order))
    if unknown:
        raise ValueError(f"{name}: answers {unknown} are not among the options {list(order)}")
    return order


def _check_lengths(gt: Sequence[Any], pred: Sequence[Any]) -> None:
    if len(gt) != len(pred):
        raise ValueError(f"pred: expected {len(gt)} frames like gt, got {len(pred)}")


@dataclasses.dataclass(frozen=True)
class RadioResult:
    """Radio classification metrics; per-option arrays are aligned with ``options``.

    ``confusion`` is ``(K + 1, K + 1)``: rows are the GT option (last row: no GT answer),
    columns the predicted option (last column: no prediction).
    """

    options: tuple[str, ...]
    n_frames: int
    accuracy: float
    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    f1: NDArray[np.float64]
    ap: NDArray[np.float64]
    mean_ap: float
    confusion: NDArray[np.int64]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN -> None); ``confusion_labels`` names rows and columns."""
        return {**_to_dict(self), "confusion_labels": [*self.options, NONE_LABEL]}


def evaluate_radio(
    gt: Sequence[str | None],
    pred: Sequence[str | None],
    *,
    scores: ArrayLike,
    options: Sequence[str] | None = None,
) -> RadioResult:
    """Metrics of one radio classification over aligned frames.

    Parameters
    ----------
    gt, pred
        ``(F,)`` the chosen option (feature hash) per frame, or ``None``.
    scores
        ``(F,)`` confidence of each frame's prediction (read only where ``pred`` is not None).
    options
        Row/column order, e.g. the ontology's options; default: every option seen, sorted.

    Returns
    -------
    RadioResult

    Examples
    --------
    >>> r = evaluate_radio(["a", "a", "b", None], ["a", "b", "b", "a"],
    ...                    scores=[0.9, 0.8, 0.7, 0.6])
    >>> r.accuracy, r.tp.tolist(), r.fp.tolist(), r.fn.tolist()
    (0.5, [1, 1], [1, 1], [1, 0])
    """
    _check_lengths(gt, pred)
    score = np.asarray(scores, dtype=np.float64)
    if score.shape != (len(gt),):
        raise ValueError(f"scores: expected shape ({len(gt)},), got {score.shape}")
    has_pred = np.array([p is not None for p in pred], dtype=bool)
    if not np.isfinite(score[has_pred]).all():
        raise ValueError("scores: every frame with a prediction needs a finite confidence")
    labels = _options({a for a in (*gt, *pred) if a is not None}, options, "gt/pred")
    k = len(labels)
    index = {option: i for i, option in enumerate(labels)}
    g = np.array([k if a is None else index[a] for a in gt], dtype=np.int64)
    p = np.array([k if a is None else index[a] for a in pred], dtype=np.int64)
    counted = (g < k) | (p < k)
    confusion = np.zeros((k + 1, k + 1), dtype=np.int64)
    np.add.at(confusion, (g[counted], p[counted]), 1)
    tp = np.diag(confusion)[:k].copy()
    fp = confusion[:, :k].sum(axis=0) - tp
    fn = confusion[:k, :].sum(axis=1) - tp
    precision, recall = ratio_or_nan(tp, tp + fp), ratio_or_nan(tp, tp + fn)

    ap = np.full(k, np.nan)
    for i in range(k):
        ranked = np.flatnonzero(p == i)
        ranked = ranked[np.argsort(-score[ranked], kind="stable")]
        hit = g[ranked] == i
        ap[i] = interpolated_ap(np.cumsum(hit), np.cumsum(~hit), int((g == i).sum()))
    n_frames = int(counted.sum())
    return RadioResult(
        options=labels,
        n_frames=n_frames,
        accuracy=float(ratio_or_nan(int(tp.sum()), n_frames)),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=precision,
        recall=recall,
        f1=f1_from(precision, recall),
        ap=ap,
        mean_ap=float(np.mean(ap[~np.isnan(ap)])) if (~np.isnan(ap)).any() else math.nan,
        confusion=confusion,
    )


@dataclasses.dataclass(frozen=True)
class ChecklistResult:
    """Checklist classification metrics; per-option arrays are aligned with ``options``."""

    options: tuple[str, ...]
    n_frames: int
    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    f1: NDArray[np.float64]
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    exact_match_rate: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN -> None)."""
        return _to_dict(self)


def _nanmean(values: NDArray[np.float64]) -> float:
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if len(defined) else math.nan


def evaluate_checklist(
    gt: Sequence[Collection[str] | None],
    pred: Sequence[Collection[str] | None],
    *,
    options: Sequence[str] | None = None,
) -> ChecklistResult:
    """Metrics of one checklist classification over aligned frames.

    Parameters
    ----------
    gt, pred
        ``(F,)`` the set of checked options (feature hashes) per frame, or ``None``.
    options
        Option order; default: every option seen, sorted.

    Returns
    -------
    ChecklistResult

    Examples
    --------
    >>> r = evaluate_checklist([{"a", "b"}, {"a"}], [{"a"}, {"a"}])
    >>> r.tp.tolist(), r.fn.tolist(), r.exact_match_rate, r.micro_recall
    ([2, 0], [0, 1], 0.5, 0.6666666666666666)
    """
    _check_lengths(gt, pred)
    for name, frames in (("gt", gt), ("pred", pred)):
        for i, answer in enumerate(frames):
            if isinstance(answer, str):
                raise ValueError(f"{name}[{i}]: expected a collection of option hashes, got a str")
    gt_sets = [frozenset(a) if a else None for a in gt]
    pred_sets = [frozenset(a) if a else None for a in pred]
    for name, sets in (("gt", gt_sets), ("pred", pred_sets)):
        for i, s in enumerate(sets):
            if s is not None and not all(isinstance(o, str) for o in s):
                raise ValueError(
                    f"{name}[{i}]: expected a collection of option hashes, got {set(s)}"
                )
    seen = set().union(*(s for s in (*gt_sets, *pred_sets) if s is not None))
    labels = _options(seen, options, "gt/pred")
    index = {option: i for i, option in enumerate(labels)}
    k, n = len(labels), len(gt_sets)
    g = np.zeros((n, k), dtype=bool)
    p = np.zeros((n, k), dtype=bool)
    for row, (a, b) in enumerate(zip(gt_sets, pred_sets, strict=True)):
        g[row, [index[o] for o in a or ()]] = True
        p[row, [index[o] for o in b or ()]] = True
    tp = (g & p).sum(axis=0).astype(np.int64)
    fp = (~g & p).sum(axis=0).astype(np.int64)
    fn = (g & ~p).sum(axis=0).astype(np.int64)
    precision, recall = ratio_or_nan(tp, tp + fp), ratio_or_nan(tp, tp + fn)
    f1 = f1_from(precision, recall)
    micro_p = ratio_or_nan(tp.sum(), tp.sum() + fp.sum())
    micro_r = ratio_or_nan(tp.sum(), tp.sum() + fn.sum())
    counted = [a is not None or b is not None for a, b in zip(gt_sets, pred_sets, strict=True)]
    exact = sum(a is not None and a == b for a, b in zip(gt_sets, pred_sets, strict=True))
    return ChecklistResult(
        options=labels,
        n_frames=sum(counted),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=precision,
        recall=recall,
        f1=f1,
        micro_precision=float(micro_p),
        micro_recall=float(micro_r),
        micro_f1=float(f1_from(micro_p, micro_r)),
        macro_precision=_nanmean(precision),
        macro_recall=_nanmean(recall),
        macro_f1=_nanmean(f1),
        exact_match_rate=float(ratio_or_nan(exact, sum(counted))),
    )


@dataclasses.dataclass(frozen=True)
class TextResult:
    """Text classification metrics over the frames where either side answers."""

    n_frames: int
    n_exact: int
    n_false_positive: int
    n_false_negative: int
    exact_match_rate: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN -> None)."""
        return _to_dict(self)


def evaluate_text(gt: Sequence[str | None], pred: Sequence[str | None]) -> TextResult:
    """Exact-match rate of one text classification after NFC + trimming.

    Parameters
    ----------
    gt, pred
        ``(F,)`` the text per frame, or ``None``.

    Returns
    -------
    TextResult

    Examples
    --------
    >>> evaluate_text([" Caf\\u00e9", "x", None], ["Cafe\\u0301", None, "y"]).exact_match_rate
    0.3333333333333333
    """
    _check_lengths(gt, pred)

    def norm(value: str | None, name: str, i: int) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{name}[{i}]: expected a str or None, got {type(value).__name__}")
        return normalise_text(value) or None

    a = [norm(v, "gt", i) for i, v in enumerate(gt)]
    b = [norm(v, "pred", i) for i, v in enumerate(pred)]
    n_frames = sum(x is not None or y is not None for x, y in zip(a, b, strict=True))
    exact = sum(x is not None and x == y for x, y in zip(a, b, strict=True))
    return TextResult(
        n_frames=n_frames,
        n_exact=exact,
        n_false_positive=sum(x is None and y is not None for x, y in zip(a, b, strict=True)),
        n_false_negative=sum(x is not None and y is None for x, y in zip(a, b, strict=True)),
        exact_match_rate=float(ratio_or_nan(exact, n_frames)),
    )
