// Project overview: class swatches and the analysis jobs (start, re-run, live status).
import { pageData } from "./api.js";
import { paintSwatches } from "./colors.js";
import { setupJobs } from "./jobs.js";

paintSwatches();
setupJobs(pageData().project.project_hash);
