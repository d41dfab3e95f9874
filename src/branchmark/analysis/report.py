"""Reports of one analysis: JSON (everything), CSV (the per-class table), self-contained HTML.

The HTML page has no external resource (no CDN, no script): the PR curves and the confusion
matrix are inline SVG drawn here, so the file opens offline and can be mailed as is.
"""

from __future__ import annotations

import csv
import html
import io
from typing import Any

import orjson

from branchmark.analysis.persist import clean_json
from branchmark.analysis.queries import (
    class_table,
    classifications,
    confusion,
    pr_curves,
    summary_at,
)
from branchmark.analysis.records import AnalysisRecord
from branchmark.errors import ValidationError
from branchmark.store import Store

FORMATS = ("json", "csv", "html")
CSV_COLUMNS = (
    "class",
    "name",
    "feature_hash",
    "shape",
    "tp",
    "fp",
    "fn",
    "precision",
    "recall",
    "f1",
    "ap",
    "coco_ap",
)
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    ".legend{list-style:none;padding:0}"
    "pre{background:#f6f6f6;padding:1em}.stale{color:#b00}"
)
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def report_data(
    store: Store, record: AnalysisRecord, *, iou_threshold: float = 0.5, confidence: float = 0.0
) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-ready data."""
    return dict(
        clean_json(
            {
                "analysis": record.to_dict(),
                "summary": summary_at(
                    store, record, iou_threshold=iou_threshold, confidence=confidence
                ),
                "classes": class_table(
                    store, record, iou_threshold=iou_threshold, confidence=confidence
                ),
                "pr_curves": pr_curves(store, record, iou_threshold=iou_threshold),
                "confusion": confusion(store, record),
                "classifications": classifications(store, record),
            }
        )
    )


def _number(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.4f}" if isinstance(value, float) else html.escape(str(value))


DASHES = ("", "6 3", "2 3", "8 3 2 3")
"""Stroke patterns cycled with the colours, so curves that coincide (a class scored as a box and
as a polygon often has the same curve) stay visible under each other."""


def _pr_svg(curves: list[dict[str, Any]]) -> str:
    w, h, m = 420, 320, 40
    plot_w, plot_h = w - m - 10, h - m - 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
        f'aria-label="precision-recall curves"><rect x="{m}" y="10" width="{plot_w}" '
        f'height="{plot_h}" fill="none" stroke="#999"/>'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, y = m + tick * plot_w, 10 + (1 - tick) * plot_h
        parts.append(
            f'<text x="{x:.1f}" y="{h - m + 24}" font-size="10" '
            f'text-anchor="middle">{tick:g}</text>'
            f'<text x="{m - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end">{tick:g}</text>'
        )
    for i, curve in enumerate(curves):
        points = [
            f"{m + r * plot_w:.1f},{10 + (1 - p) * plot_h:.1f}"
            for r, p in zip(curve["recall"], curve["precision"], strict=True)
            if p is not None and p >= 0
        ]
        colour, dash = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]
        parts.append(
            f'<polyline class="pr" fill="none" stroke="{colour}" stroke-width="1.5" '
            f'stroke-dasharray="{dash}" points="{" ".join(points)}">'
            f"<title>{html.escape(curve['name'])}</title></polyline>"
        )
    parts.append(
        f'<text x="{w // 2}" y="{h - 4}" font-size="12" text-anchor="middle">recall</text>'
        f'<text x="10" y="{h // 2}" font-size="12" transform="rotate(-90 10 {h // 2})" '
        'text-anchor="middle">precision</text></svg>'
    )
    legend = "".join(
        f'<li><svg width="28" height="8"><line x1="0" y1="4" x2="28" y2="4" stroke-width="2" '
        f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-dasharray="{DASHES[i % len(DASHES)]}"/>'
        f"</svg> {html.escape(c['name'])}</li>"
        for i, c in enumerate(curves)
    )
    return "".join(parts) + f'<ul class="legend">{legend}</ul>'


def _confusion_svg(data: dict[str, Any]) -> str:
    matrix = data["matrix"]
    rows, cols = data["row_names"], data["column_names"]
    cell, left, top = 28, 140, 110
    peak = max((v for row in matrix for v in row), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + cell * len(cols) + 10}" '
        f'height="{top + cell * len(rows) + 10}" role="img" aria-label="confusion matrix">'
    ]
    for j, name in enumerate(cols):
        x = left + j * cell + cell // 2
        parts.append(
            f'<text x="{x}" y="{top - 6}" font-size="11" transform="rotate(-60 {x} {top - 6})">'
            f"{html.escape(str(name))}</text>"
        )
    for i, name in enumerate(rows):
        y = top + i * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell * 0.65:.0f}" font-size="11" '
            f'text-anchor="end">{html.escape(str(name))}</text>'
        )
        for j, value in enumerate(matrix[i]):
            shade = int(255 - 200 * value / peak)
            parts.append(
                f'<rect class="cell" x="{left + j * cell}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="rgb({shade},{shade},255)" stroke="#fff"><title>{value}</title></rect>'
                f'<text x="{left + j * cell + cell // 2}" y="{y + cell * 0.65:.0f}" font-size="10" '
                f'text-anchor="middle">{value}</text>'
            )
    return "".join(parts) + "</svg>"


def _html(data: dict[str, Any]) -> str:
    a, summary = data["analysis"], data["summary"]
    overall = summary["overall"]
    rows = "".join(
        "<tr>" + "".join(f"<td>{_number(r.get(c))}</td>" for c in CSV_COLUMNS[1:]) + "</tr>"
        for r in data["classes"]
    )
    coco = (summary.get("coco") or {}).get("lines", [])
    stale = a["stale"]
    name, branch, gt = (html.escape(a[k]) for k in ("name", "branch", "ground_truth"))
    mode, protocol, status = (html.escape(a[k]) for k in ("match_mode", "protocol", "status"))
    stale_note = ""
    if stale["stale"]:
        stale_note = f'<p class="stale">stale: {html.escape("; ".join(stale["changes"]))}</p>'
    metrics = " · ".join(
        [f"TP {overall['tp']}", f"FP {overall['fp']}", f"FN {overall['fn']}"]
        + [
            f"{k} {_number(overall[v])}"
            for k, v in (
                ("precision", "precision"),
                ("recall", "recall"),
                ("F1", "f1"),
                ("mAP@t", "map"),
            )
        ]
    )
    header = "".join(f"<th>{c}</th>" for c in CSV_COLUMNS[1:])
    iou = data["confusion"]["iou_threshold"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name} – branchmark report</title>
<style>{STYLE}</style></head><body>
<h1>{name}</h1>
<p>predictions <b>{branch}</b> vs ground truth <b>{gt}</b>, {mode} matching,
protocol {protocol}, status {status}</p>
{stale_note}
<h2>Summary at IoU {summary["iou_threshold"]}, confidence {summary["confidence"]}</h2>
<p>{metrics}</p>
<h2>COCO</h2><pre>{html.escape(chr(10).join(coco))}</pre>
<h2>Per class</h2><table><tr>{header}</tr>{rows}</table>
<h2>Precision–recall</h2>{_pr_svg(data["pr_curves"])}
<h2>Confusion matrix (IoU {iou})</h2>{_confusion_svg(data["confusion"])}
</body></html>
"""


def render_report(
    store: Store,
    record: AnalysisRecord,
    *,
    fmt: str = "json",
    iou_threshold: float = 0.5,
    confidence: float = 0.0,
) -> str:
    """The report of ``record`` as ``json``, ``csv`` (per-class table) or ``html`` text."""
    if fmt not in FORMATS:
        raise ValidationError(f"report format must be one of {list(FORMATS)}, got {fmt!r}")
    data = report_data(store, record, iou_threshold=iou_threshold, confidence=confidence)
    if fmt == "json":
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(CSV_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(data["classes"])
        return buffer.getvalue()
    return _html(data)
