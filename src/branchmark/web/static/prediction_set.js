// Prediction set page: sliders that update every number and list, PR curves, confusion matrix,
// outcome browser, jobs, delete and rename.
import { api, el, formatNumber, pageData } from "./api.js";
import { legendSample, prCurves, sameCurves } from "./charts.js";
import { setupJobs } from "./jobs.js";

const data = pageData();
const project = data.project.project_hash;
const analysis = data.analysis && data.analysis.name;
const base = analysis ? `/api/projects/${project}/analyses/${encodeURIComponent(analysis)}` : null;
const state = { iou: data.point ? data.point.iou_threshold : 0.5, confidence: data.point ? data.point.confidence : 0, kind: "prediction", outcome: "tp", page: 0, cell: null };
const PAGE_SIZE = 24;

function renderSummary(point) {
  for (const node of document.querySelectorAll("[data-metric]")) {
    const key = node.dataset.metric;
    if (key in point.overall) node.textContent = formatNumber(point.overall[key]);
  }
  const body = document.querySelector("#class-table tbody");
  body.replaceChildren(...point.per_class.map((r) => {
    const row = el("tr", {}, el("td", {}, r.name),
      ...["tp", "fp", "fn"].map((k) => el("td", { className: "num" }, String(r[k]))),
      ...["precision", "recall", "f1", "ap", "coco_ap"].map((k) => el("td", { className: "num" }, formatNumber(r[k]))));
    row.dataset.class = String(r.class);
    return row;
  }));
  document.body.dataset.summary = `${point.iou_threshold}:${point.confidence}`;
}

function renderCurves(curves) {
  const box = document.getElementById("pr-chart");
  box.replaceChildren(prCurves(curves));
  const legend = document.getElementById("pr-legend");
  const same = sameCurves(curves);
  legend.replaceChildren(...curves.map((c, i) => el("span", { className: "legend-entry" }, legendSample(i), c.name,
    same[i] ? el("span", { className: "muted" }, ` (same curve as ${same[i]})`) : null)));
  document.getElementById("pr-iou").textContent = curves.length ? `at IoU ${curves[0].iou_threshold}` : "no class with ground truth";
}

function renderConfusion(matrix) {
  const table = el("table", { className: "confusion" });
  const max = Math.max(1, ...matrix.matrix.flat());
  const label = (n) => el("span", { className: "clamp", title: n }, n);
  table.append(el("tr", {}, el("th", {}, "GT \\ predicted"), ...matrix.column_names.map((n) => el("th", {}, label(n)))));
  matrix.matrix.forEach((values, i) => {
    const row = el("tr", {}, el("th", { className: "rowhead" }, label(matrix.row_names[i])));
    values.forEach((count, j) => {
      const cell = el("td", { className: "cell" }, String(count));
      cell.dataset.row = String(i);
      cell.dataset.column = String(j);
      cell.style.setProperty("--heat", `${Math.round((count / max) * 85)}%`);
      if (count / max > 0.5) cell.classList.add("hot");
      cell.title = `${matrix.row_names[i]} → ${matrix.column_names[j]}: ${count}`;
      cell.addEventListener("click", () => {
        for (const other of table.querySelectorAll("td.selected")) other.classList.remove("selected");
        cell.classList.add("selected");
        for (const tab of document.querySelectorAll("#outcome-tabs button")) tab.setAttribute("aria-pressed", "false");
        state.cell = { row: i, column: j };
        state.page = 0;
        loadOutcomes();
      });
      row.append(cell);
    });
    table.append(row);
  });
  document.getElementById("confusion").replaceChildren(table);
}

let outcomeTicket = 0;
async function loadOutcomes() {
  const ticket = ++outcomeTicket;
  let page;
  const caption = document.getElementById("outcome-caption");
  if (state.cell) {
    page = await api(`${base}/confusion/${state.cell.row}/${state.cell.column}?page=${state.page}&page_size=${PAGE_SIZE}`);
    if (ticket !== outcomeTicket) return;
    const c = page.cell;
    const what = page.kind === "ground_truth" ? "ground-truth objects" : "predictions";
    caption.textContent = `confusion cell ${c.row_name} → ${c.column_name}: ${page.total} ${what} at IoU ${page.iou_threshold}, ` +
      "each with its own outcome" + (page.exact ? "" : ` (the matrix counts ${c.count})`);
  } else {
    const query = new URLSearchParams({ kind: state.kind, outcome: state.outcome, iou: state.iou, confidence: state.confidence, page: state.page, page_size: PAGE_SIZE });
    page = await api(`${base}/outcomes?${query}`);
    if (ticket !== outcomeTicket) return;
    caption.textContent = `${page.total} ${state.outcome.toUpperCase()} at IoU ${state.iou}, confidence ≥ ${Number(state.confidence).toFixed(2)}`;
  }
  const list = document.getElementById("outcome-list");
  list.dataset.total = String(page.total);
  if (!page.rows.length) {
    const what = state.cell ? "objects in this cell" : `${state.outcome.toUpperCase()} objects at these thresholds`;
    list.replaceChildren(el("p", { className: "empty" }, `No ${what}.`));
  } else list.replaceChildren(...page.rows.map((r) => {
    const label = (r.outcome || "").toUpperCase();
    const crop = el("a", { className: `crop ${label}`, href: r.detail_url },
      r.crop_url ? el("img", { src: r.crop_url, alt: `${r.class_name} ${label}`, loading: "lazy" }) : null,
      el("span", {}, `${label}${r.reason ? ` · ${r.reason}` : ""}`),
      el("span", {}, `${r.class_name}${r.score !== null ? ` · ${formatNumber(r.score, 2)}` : ""}`),
      el("span", { className: "muted", title: r.data_title }, r.data_title));
    crop.dataset.outcome = label;
    return crop;
  }));
  const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
  document.getElementById("outcome-page").textContent = `page ${state.page + 1} of ${pages}`;
  document.getElementById("outcome-prev").disabled = state.page === 0;
  document.getElementById("outcome-next").disabled = state.page + 1 >= pages;
}

let summaryTicket = 0;
async function update({ curves = false } = {}) {
  const ticket = ++summaryTicket;
  const query = new URLSearchParams({ iou: state.iou, confidence: state.confidence });
  const point = await api(`${base}/summary?${query}`);
  if (ticket !== summaryTicket) return;
  renderSummary(point);
  const url = new URL(window.location.href);
  url.searchParams.set("iou", String(state.iou));
  url.searchParams.set("confidence", String(state.confidence));
  history.replaceState(null, "", url);
  if (curves) renderCurves((await api(`${base}/pr-curves?iou=${state.iou}`)).curves);
  if (!state.cell) loadOutcomes();
}

function setupSliders() {
  const iou = document.getElementById("iou");
  const confidence = document.getElementById("confidence");
  iou.addEventListener("input", () => {
    state.iou = data.iou_grid[Number(iou.value)];
    document.getElementById("iou-value").textContent = String(state.iou);
    state.page = 0;
    update({ curves: true });
  });
  confidence.addEventListener("input", () => {
    state.confidence = Number(confidence.value);
    document.getElementById("confidence-value").textContent = state.confidence.toFixed(2);
    state.page = 0;
    update();
  });
  for (const button of document.querySelectorAll("#outcome-tabs button")) {
    button.addEventListener("click", () => {
      for (const other of document.querySelectorAll("#outcome-tabs button")) other.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-pressed", "true");
      Object.assign(state, { kind: button.dataset.kind, outcome: button.dataset.outcome, page: 0, cell: null });
      for (const cell of document.querySelectorAll(".confusion td.selected")) cell.classList.remove("selected");
      loadOutcomes();
    });
  }
  document.getElementById("outcome-prev").addEventListener("click", () => { state.page -= 1; loadOutcomes(); });
  document.getElementById("outcome-next").addEventListener("click", () => { state.page += 1; loadOutcomes(); });
}

function setupSetActions() {
  const branch = data.branch.name;
  const url = `/api/projects/${project}/sets/${encodeURIComponent(branch)}`;
  const deleteDialog = document.getElementById("confirm-delete");
  document.getElementById("delete-set").addEventListener("click", () => deleteDialog.showModal());
  deleteDialog.addEventListener("close", async () => {
    if (deleteDialog.returnValue !== "delete") return;
    await api(url, { method: "DELETE" });
    window.location.href = `/projects/${project}`;
  });
  const renameDialog = document.getElementById("rename-dialog");
  document.getElementById("rename-set").addEventListener("click", () => renameDialog.showModal());
  renameDialog.addEventListener("close", async () => {
    if (renameDialog.returnValue !== "rename") return;
    const name = document.getElementById("new-name").value;
    try {
      await api(url, { method: "PATCH", body: { name } });
      window.location.href = `/projects/${project}/sets/${encodeURIComponent(name)}`;
    } catch (error) {
      document.getElementById("rename-message").textContent = error.message;
      renameDialog.showModal();
    }
  });
}

setupSetActions();
setupJobs(project, { onDone: (record) => { window.location.href = `/projects/${project}/sets/${encodeURIComponent(record.branch)}?analysis=${encodeURIComponent(record.name)}`; } });
if (data.point) {
  setupSliders();
  renderCurves(data.pr_curves);
  renderConfusion(data.confusion);
  loadOutcomes();
}
