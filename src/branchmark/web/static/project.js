// Project overview: class swatches (and, with analyses, the job controls in analyses.js).
import { paintSwatches } from "./colors.js";

paintSwatches();
