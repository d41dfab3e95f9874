// Starting analyses and following their jobs (several at once) until they finish.
import { api, el } from "./api.js";

const POLL_MS = 700;

export async function follow(project, name, onUpdate) {
  for (;;) {
    const record = await api(`/api/projects/${project}/analyses/${encodeURIComponent(name)}`);
    onUpdate(record);
    if (!record.busy) return record;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function describe(record) {
  const job = record.job || {};
  const pct = Math.round((job.progress || 0) * 100);
  if (record.status === "failed") return `${record.name}: failed — ${job.message || "no message"}`;
  if (record.status === "done") return `${record.name}: done`;
  return `${record.name}: ${record.status} ${job.stage || ""} ${pct}%`;
}

export function setupJobs(project, { onDone = () => window.location.reload() } = {}) {
  const form = document.getElementById("analysis-form");
  const message = document.getElementById("analysis-message");
  const lines = new Map();
  const show = (record) => {
    let line = lines.get(record.name);
    if (!line) {
      line = el("div", { className: "job-line" });
      line.dataset.job = record.name;
      lines.set(record.name, line);
      message.append(line);
    }
    line.textContent = describe(record);
    line.dataset.status = record.status;
  };
  const run = async (start) => {
    try {
      const record = await start();
      show(record);
      const final = await follow(project, record.name, show);
      if (final.status === "done") onDone(final);
    } catch (error) {
      message.append(el("div", { className: "message error" }, error.message));
    }
  };
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form).entries());
      if (!data.name) delete data.name;
      run(() => api(`/api/projects/${project}/analyses`, { method: "POST", body: data }));
    });
  }
  for (const button of document.querySelectorAll("[data-rerun]")) {
    button.addEventListener("click", () => {
      button.disabled = true;
      run(() => api(`/api/projects/${project}/analyses/${encodeURIComponent(button.dataset.rerun)}/rerun`, { method: "POST" }));
    });
  }
}
