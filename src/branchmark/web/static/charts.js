// Inline-SVG charts: PR curves (no chart library, no CDN).
import { PREDICTION_PALETTE } from "./colors.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

// Curves of different classes often coincide (a box class and a polygon class of the same
// objects): each curve gets a dash pattern as well as a colour, and the one drawn later is
// dashed over the earlier, so both stay visible where they overlap.
const DASHES = ["", "7 4", "2 3", "10 3 2 3"];

export function curveStyle(k) {
  return { stroke: PREDICTION_PALETTE[k % PREDICTION_PALETTE.length], dash: DASHES[k % DASHES.length] };
}

// A short line in curve k's colour and dash, for the legend.
export function legendSample(k) {
  const { stroke, dash } = curveStyle(k);
  const root = svg("svg", { viewBox: "0 0 28 8", width: 28, height: 8, class: "legend-sample", "aria-hidden": "true" });
  root.append(svg("line", { x1: 1, x2: 27, y1: 4, y2: 4, stroke, "stroke-width": 2.5, "stroke-dasharray": dash }));
  return root;
}

// For each curve, the name of an earlier curve with exactly the same points (or null).
export function sameCurves(curves) {
  const seen = new Map();
  return curves.map((curve) => {
    const key = JSON.stringify([curve.recall, curve.precision]);
    if (seen.has(key)) return seen.get(key);
    seen.set(key, curve.name);
    return null;
  });
}

// curves: [{name, recall: [...], precision: [... or null]}]; returns an <svg>.
export function prCurves(curves, { width = 460, height = 300 } = {}) {
  const m = { left: 42, right: 12, top: 10, bottom: 34 };
  const w = width - m.left - m.right, h = height - m.top - m.bottom;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": "precision-recall curves" });
  const g = svg("g", { transform: `translate(${m.left},${m.top})` });
  root.append(g);
  for (let i = 0; i <= 4; i++) {
    const v = i / 4;
    g.append(svg("line", { x1: 0, x2: w, y1: h - v * h, y2: h - v * h, stroke: "#eef0f3" }));
    g.append(svg("text", { x: -6, y: h - v * h + 4, "text-anchor": "end" }, v.toFixed(2)));
    g.append(svg("text", { x: v * w, y: h + 16, "text-anchor": "middle" }, v.toFixed(2)));
  }
  g.append(svg("rect", { x: 0, y: 0, width: w, height: h, fill: "none", stroke: "#9ca3af" }));
  g.append(svg("text", { x: w / 2, y: h + 30, "text-anchor": "middle" }, "recall"));
  g.append(svg("text", { x: -h / 2, y: -32, transform: "rotate(-90)", "text-anchor": "middle" }, "precision"));
  curves.forEach((curve, k) => {
    const points = [];
    curve.recall.forEach((r, i) => {
      const p = curve.precision[i];
      if (p !== null && p !== undefined) points.push(`${(r * w).toFixed(1)},${(h - p * h).toFixed(1)}`);
    });
    if (!points.length) return;
    const { stroke, dash } = curveStyle(k);
    const line = svg("polyline", { points: points.join(" "), fill: "none", stroke, "stroke-width": 2, "stroke-dasharray": dash });
    line.append(svg("title", {}, curve.name));
    g.append(line);
  });
  return root;
}
