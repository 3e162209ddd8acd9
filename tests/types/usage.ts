// Uses every exported name with its declared types. Compiled, never run.
import {
  CohortSyncError,
  classifyStatus,
  parsePayload,
  retryDelays,
  validatePayload,
  webhookResponse,
  type CohortPage,
  type Member,
  type PageInfo,
  type Problem,
  type StatusClass,
  type ValidateOptions,
  type ValidationReport,
  type WebhookAction,
  type WebhookResponse,
} from "cohort-sync";
import init, { validatePayload as validateWeb } from "cohort-sync/web";

const options: ValidateOptions = { maxMembers: 1000, maxBytes: 10 * 1024 * 1024 };
const body = new TextEncoder().encode("{}");

const report: ValidationReport = validatePayload(body, options);
const ok: boolean = report.valid;
const pageInfo: PageInfo | null = report.page;
const count: number | null = report.memberCount;
const firstError: Problem | undefined = report.errors[0];
const line: number | undefined = firstError?.line;
validatePayload("{}");
validatePayload(body.buffer);
validatePayload(new DataView(body.buffer), null);
// @ts-expect-error maxMembers is a number
validatePayload(body, { maxMembers: "10" });

function handle(page: CohortPage): string[] {
  const action: WebhookAction = page.action;
  const total: number = page.page.total;
  const members: Member[] = page.members;
  return members.map((m) => `${action} ${total} ${m.distinctId} ${m.email ?? ""} ${String(m.properties["plan"])}`);
}

try {
  handle(parsePayload("{}"));
} catch (e) {
  if (e instanceof CohortSyncError) {
    const code: string = e.code;
    const problems: Problem[] = e.problems;
    console.log(code, problems.map((p) => `${p.path}:${p.column ?? "?"} ${p.message}`), e.message, e.stack);
  }
}

const reply: WebhookResponse = webhookResponse("members");
const failure = webhookResponse("add_members", { message: "bad page", code: 400 });
const contentType: "application/json" = failure.headers["content-type"];
const status: number = reply.status + failure.status;
// @ts-expect-error the error needs a numeric HTTP code
webhookResponse("members", { message: "x", code: "400" });

const verdict: StatusClass = classifyStatus(503);
// @ts-expect-error not one of the three classes
const wrong: "ignore" = classifyStatus(200);
const delays: number[] = retryDelays();

const error = new CohortSyncError("invalid_argument", "custom", []);
const asError: Error = error;

async function browser(): Promise<ValidationReport> {
  await init();
  await init(new URL("./cohort_sync_bg.wasm", import.meta.url));
  return validateWeb("{}");
}

console.log(ok, pageInfo, count, line, reply, contentType, status, verdict, wrong, delays, asError, browser);
