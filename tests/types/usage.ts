// Uses every exported name with its declared types. Compiled, never run.
import {
  CohortState,
  CohortSyncError,
  classifyStatus,
  diffMembers,
  parsePayload,
  planSync,
  retryDelays,
  validatePayload,
  webhookResponse,
  type ApplyResult,
  type CohortPage,
  type IdList,
  type MemberDiff,
  type MemberInput,
  type PlanOptions,
  type RawMember,
  type SnapshotBytes,
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

// Membership: the sender plans, the receiver applies and keeps a snapshot.
const diff: MemberDiff = diffMembers(["A", "B", "C", "D"], new Set(["A", "C", "E", "F"]));
const joined: string[] = diff.added;
function* generated(): Generator<string> {
  yield "A";
}
const previousIds: IdList = generated();
diffMembers(previousIds, diff.removed);
// @ts-expect-error a bare string would iterate its characters
diffMembers("ABCD", []);
// @ts-expect-error ids are strings
diffMembers([1, 2], []);

const planOptions: PlanOptions = {
  projectId: "2345678",
  cohortId: "98765",
  cohortName: "Power users",
  cohortDescription: null,
  sessionId: "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
  batchSize: 1000,
  snapshotAgeMs: 30 * 60 * 1000,
};
const raw: RawMember = { mixpanel_distinct_id: "u-2", email: "bob@example.com", first_name: "Bob", $braze_external_id: "b-2" };
const inputs: MemberInput[] = ["u-1", raw, { distinctId: "u-3" }, ...parsePayload("{}").members];
const bodies: string[] = planSync(["u-0"], inputs, planOptions);
planSync(null, ["u-1"], { projectId: "p", cohortId: "c", sessionId: "s" });
planSync(undefined, new Set(["u-1"]), { projectId: "p", cohortId: "c", sessionId: "s" });
// @ts-expect-error sessionId is required
planSync(null, ["u-1"], { projectId: "p", cohortId: "c" });
// @ts-expect-error batchSize is a number
planSync(null, ["u-1"], { ...planOptions, batchSize: "10" });
// @ts-expect-error members need a distinct id
planSync(null, [{ email: "x@example.com" }], planOptions);

const state: CohortState = new CohortState();
const applied: ApplyResult[] = bodies.map((b) => state.apply(b));
const result: ApplyResult = state.apply(new TextEncoder().encode(bodies[0]), { maxMembers: 1000 });
state.apply(parsePayload(bodies[0]));
state.apply(new ArrayBuffer(0), null);
const changed: string[] = [...result.added, ...result.removed];
const flags: boolean = result.duplicate || result.sessionComplete;
const size: number = result.size + state.size + state.memoryBytes;
const isMember: boolean = state.has("u-1");
const everyone: string[] = state.members();
const pending: string | null = state.pendingSession;
// @ts-expect-error distinct ids are strings
state.has(5);
// @ts-expect-error size is read-only
state.size = 3;
const snapshot: Uint8Array = state.toBytes();
const chunks: Uint8Array[] = state.toChunks(1024 * 1024);
state.toChunks();
const stored: SnapshotBytes = snapshot;
CohortState.fromChunks([new ArrayBuffer(0), new DataView(new ArrayBuffer(0))]);
const restored: CohortState = CohortState.fromBytes(stored);
const fromChunks: CohortState = CohortState.fromChunks(chunks);
try {
  CohortState.fromBytes(new Uint8Array(3));
} catch (e) {
  if (e instanceof CohortSyncError && e.code === "invalid_snapshot") restored.free();
}
// @ts-expect-error a snapshot is bytes, not text
CohortState.fromBytes("CSST");
fromChunks.free();
state.free();

console.log(ok, pageInfo, count, line, reply, contentType, status, verdict, wrong, delays, asError, browser);
console.log(joined, applied, changed, flags, size, isMember, everyone, pending);
