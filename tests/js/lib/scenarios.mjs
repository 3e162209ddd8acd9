// The shared membership scenarios (tests/scenarios/membership/*.json, see its README),
// read for the package and Worker suites; the Rust core runs the same files.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = join(dirname(fileURLToPath(import.meta.url)), "../../scenarios/membership");

/** `[{ file, name, steps }]`, in file-name order. */
export function scenarios() {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...JSON.parse(readFileSync(join(dir, file), "utf8")) }));
}

/** A step's page as the webhook body the sender would send, for cohort `cohortId`. */
export function body(page, cohortId = "scenario") {
  const parameters = { mixpanel_project_id: "1", mixpanel_cohort_id: cohortId, mixpanel_session_id: page.session };
  if (page.count !== undefined) parameters.page_info = { page_count: page.count, total_pages: page.total };
  parameters.members = page.ids.map((id) => ({ mixpanel_distinct_id: id }));
  return JSON.stringify({ action: page.action, parameters });
}
