// Data unit detail: the frame with every branch's objects drawn over it.
import { api, el, formatNumber, pageData } from "./api.js";
import { OUTCOME, layerColours, paintSwatches } from "./colors.js";
import { drawObjects, hitTest } from "./overlay.js";

const NEUTRAL = "#5f5f5f";
let data = pageData();
const canvas = document.getElementById("overlay");
const ctx = canvas.getContext("2d");
const tooltip = document.getElementById("tooltip");
const colours = layerColours(data.layers);
const hiddenBranches = new Set();
const hiddenClasses = new Set();
let image = null;
let regions = [];
let highlight = null;
let colourMode = data.layers.some((l) => l.objects.some((o) => o.outcome)) ? "outcome" : "branch";

// The canvas is letterboxed (object-fit: contain): the drawn frame's box inside the element.
function contentBox() {
  const rect = canvas.getBoundingClientRect();
  const s = Math.min(rect.width / canvas.width, rect.height / canvas.height) || 1;
  const w = canvas.width * s, h = canvas.height * s;
  return { s, left: rect.left + (rect.width - w) / 2, top: rect.top + (rect.height - h) / 2, rect };
}

function scale() {
  return contentBox().s;
}

function colourOf(object, layer) {
  if (colourMode === "outcome" && object.outcome) return OUTCOME[object.outcome] || colours.get(layer.branch);
  return colours.get(layer.branch);
}

function visible(object, layer) {
  return !hiddenBranches.has(layer.branch) && !hiddenClasses.has(object.class);
}

function draw() {
  canvas.width = data.width || 640;
  canvas.height = data.height || 480;
  if (image && image.complete && image.naturalWidth) {
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  } else {
    ctx.fillStyle = NEUTRAL;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  const result = drawObjects(ctx, data.layers, { colourOf, visible, scale: scale(), highlight });
  regions = result.regions;
  canvas.dataset.drawn = String(regions.length);
  canvas.dataset.frame = String(data.frame);
  if (result.pending.length) Promise.all(result.pending).then(draw);
}

function loadImage() {
  return new Promise((resolve) => {
    if (!data.media.available) {
      image = null;
      resolve();
      return;
    }
    const next = new Image();
    next.addEventListener("load", () => { image = next; resolve(); }, { once: true });
    next.addEventListener("error", () => { image = null; resolve(); }, { once: true });
    next.src = data.media.url;
  });
}

function buildClassToggles() {
  const list = document.getElementById("class-toggles");
  list.replaceChildren();
  const classes = new Map();
  for (const layer of data.layers) for (const o of layer.objects) classes.set(o.class, o.color);
  for (const [name, colour] of [...classes].sort()) {
    const box = el("input", { type: "checkbox", checked: !hiddenClasses.has(name) });
    box.dataset.class = name;
    box.addEventListener("change", () => {
      if (box.checked) hiddenClasses.delete(name); else hiddenClasses.add(name);
      draw();
      listObjects();
    });
    const swatch = el("span", { className: "swatch" });
    swatch.dataset.color = colour || "#888888";
    list.append(el("li", {}, el("label", {}, box, swatch, name || "(unnamed)")));
  }
  paintSwatches(list);
}

function describe(object, layer) {
  const lines = [`${object.class || "(unnamed)"} · ${layer.branch}`];
  if (object.confidence !== null && layer.kind !== "main") lines.push(`confidence ${formatNumber(object.confidence)}`);
  if (object.outcome) lines.push(`outcome ${object.outcome}${object.reason ? ` (${object.reason})` : ""}`);
  for (const a of object.attributes) lines.push(`${a.name}: ${a.value}`);
  return lines;
}

function listObjects() {
  const list = document.getElementById("object-list");
  list.replaceChildren();
  for (const layer of data.layers) {
    for (const object of layer.objects) {
      if (!visible(object, layer)) continue;
      const swatch = el("span", { className: "swatch" });
      swatch.dataset.color = colourOf(object, layer);
      const item = el("li", {}, swatch, describe(object, layer).join(" · "));
      item.addEventListener("mouseenter", () => { highlight = object; draw(); });
      item.addEventListener("mouseleave", () => { highlight = null; draw(); });
      list.append(item);
    }
  }
  paintSwatches(list);
}

function setupBranchToggles() {
  for (const box of document.querySelectorAll("#branch-toggles input[data-branch]")) {
    box.addEventListener("change", () => {
      if (box.checked) hiddenBranches.delete(box.dataset.branch); else hiddenBranches.add(box.dataset.branch);
      draw();
      listObjects();
    });
  }
  for (const swatch of document.querySelectorAll("[data-branch-swatch]")) {
    swatch.dataset.color = colours.get(swatch.dataset.branchSwatch);
  }
  paintSwatches();
}

canvas.addEventListener("mousemove", (event) => {
  const box = contentBox();
  const rect = box.rect;
  const x = (event.clientX - box.left) / box.s;
  const y = (event.clientY - box.top) / box.s;
  const hit = hitTest(ctx, regions, x, y, box.s);
  if (!hit) {
    tooltip.hidden = true;
    return;
  }
  tooltip.replaceChildren(...describe(hit.object, hit.layer).map((line) => el("div", {}, line)));
  tooltip.hidden = false;
  tooltip.style.left = `${event.clientX - rect.left + 14}px`;
  tooltip.style.top = `${event.clientY - rect.top + 14}px`;
});
canvas.addEventListener("mouseleave", () => { tooltip.hidden = true; });

document.addEventListener("keydown", (event) => {
  // Arrow keys belong to sliders, text fields and menus; elsewhere (checkboxes too) they move on.
  if (event.target instanceof Element && event.target.matches("input:not([type=checkbox]), select, textarea")) return;
  const link = document.querySelector(event.key === "ArrowLeft" ? "a.nav-prev" : event.key === "ArrowRight" ? "a.nav-next" : null);
  if (link) window.location.href = link.href;
});

// Video and image groups: move through frames without leaving the page.
const scrubber = document.getElementById("frame");
let frameRequest = 0;
async function showFrame(frame) {
  const ticket = ++frameRequest;
  const branches = data.layers.map((l) => l.branch).join(",");
  const query = new URLSearchParams({ ...data.filter, frame: String(frame), branches });
  const here = new URLSearchParams(window.location.search);
  for (const key of ["analysis", "iou", "confidence"]) if (here.has(key)) query.set(key, here.get(key));
  const next = await api(`/api/projects/${data.project.project_hash}/data-units/${data.data_unit.data_hash}?${query}`);
  if (ticket !== frameRequest) return;
  data = next;
  document.getElementById("frame-label").textContent = String(frame);
  const url = new URL(window.location.href);
  url.searchParams.set("frame", String(frame));
  history.replaceState(null, "", url);
  await loadImage();
  if (ticket !== frameRequest) return;
  draw();
  buildClassToggles();
  listObjects();
}
if (scrubber) {
  scrubber.addEventListener("input", () => showFrame(Number(scrubber.value)));
  for (const [id, step] of [["frame-prev", -1], ["frame-next", 1]]) {
    document.getElementById(id).addEventListener("click", () => {
      const value = Math.min(Number(scrubber.max), Math.max(0, Number(scrubber.value) + step));
      scrubber.value = String(value);
      showFrame(value);
    });
  }
}

window.addEventListener("resize", draw);
setupBranchToggles();
buildClassToggles();
listObjects();
loadImage().then(draw);
