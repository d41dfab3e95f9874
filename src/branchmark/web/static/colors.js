// Colours shared by every view: ground truth, prediction branches, and outcomes.
export const GROUND_TRUTH = "#00e5ff";
export const PREDICTION_PALETTE = ["#ff2bd6", "#ffb000", "#7cff00", "#a970ff", "#ff6a3d", "#3d8bff"];
export const OUTCOME = { TP: "#22c55e", FP: "#ef4444", FN: "#f59e0b" };

// The colour of a branch: main is the ground truth; predictions take the palette in order.
export function branchColour(name, kind, predictionIndex) {
  if (kind === "main" || name === "main") return GROUND_TRUTH;
  return PREDICTION_PALETTE[predictionIndex % PREDICTION_PALETTE.length];
}

// Assign colours to a list of {branch, kind} layers: returns Map(branch -> colour).
export function layerColours(layers) {
  const colours = new Map();
  let i = 0;
  for (const layer of layers) {
    colours.set(layer.branch, branchColour(layer.branch, layer.kind, layer.kind === "main" ? 0 : i++));
  }
  return colours;
}

// Elements with data-color get it as their background (style attributes are blocked by CSP).
export function paintSwatches(root = document) {
  for (const el of root.querySelectorAll("[data-color]")) {
    el.style.setProperty("--swatch", el.dataset.color);
  }
}
