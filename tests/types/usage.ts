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
  IdentityIndex,
  audienceProperties,
  brazeCohortChanges,
  cleverTapUploads,
  forwardingRequests,
  decodeSegmentMembership,
  encodeSegmentMembership,
  engageBatches,
  segmentMembershipUpdates,
  engageUrl,
  importBatches,
  isMtuExempt,
  matchMembers,
  readCleverTapResponse,
  resolveIdentity,
  segmentMembershipContains,
  validateEvents,
  validateProfiles,
  type Audience,
  type AudienceId,
  type AudienceOptions,
  type AudienceProperties,
  type BrazeCohortChange,
  type BrazeOptions,
  type BrazeRequest,
  type BrazeRequests,
  type CleverTapEventRecord,
  type CleverTapOptions,
  type CleverTapProfileRecord,
  type CleverTapRecord,
  type CleverTapUpload,
  type CohortSyncErrorCode,
  type EngageOptions,
  type EventValidationOptions,
  type IdentityMember,
  type IdentityRule,
  type MatchedMember,
  type MatchResult,
  type MixpanelRegion,
  type PageInput,
  type PartnerSyncData,
  type ProfileKind,
  type ProfileUpdate,
  type ProfileValidationOptions,
  type RecordProblem,
  type RecordProblemCode,
  type RecordReport,
  type RecordsInput,
  type ResolvedIdentity,
  type SkippedMember,
  type UploadFailure,
  type UploadOutcome,
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
const pageIds: string[] = validatePayload(body, { ids: true, maxMembers: 10 }).ids;
// @ts-expect-error: without ids: true the report's ids may be absent
const maybeIds: string[] = validatePayload(body).ids;
void pageIds;
void maybeIds;
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
  const total: number = page.page?.total ?? 1; // null for a pageless page
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

// Identity and destinations.
const rules: IdentityRule[] = [
  "clevertap",
  "braze",
  { braze: {} },
  { braze: { userIdProperty: "$braze_external_id", simplifiedIdMerge: true } },
  { properties: ["$email", "user_id"] },
  { properties: ["user_id"], fallbackToDistinctId: false },
];
// @ts-expect-error not a rule
resolveIdentity(raw, "mixpanel");
// @ts-expect-error properties is a list
resolveIdentity(raw, { properties: "user_id" });
const identityMember: IdentityMember = raw;
const resolved: ResolvedIdentity | null = resolveIdentity(identityMember, rules[0]!);
resolveIdentity(parsePayload("{}").members[0]!, "braze");
const identityText: string = resolved?.identity ?? resolved?.source ?? "";
// @ts-expect-error a member needs a distinct id
resolveIdentity({ email: "x@example.com" }, "clevertap");

const index: IdentityIndex = new IdentityIndex(["123456"]);
new IdentityIndex();
new IdentityIndex(new Set(["a"]));
const wasNew: boolean = index.add("986791") && index.has("123456");
const indexNumbers: number = index.size + index.memoryBytes;
const indexBytes: Uint8Array = index.toBytes();
const indexBack: IdentityIndex = IdentityIndex.fromBytes(indexBytes);
// @ts-expect-error identities are strings
index.add(5);
// @ts-expect-error size is read-only
index.size = 2;
indexBack.free();

const pageInput: PageInput = body;
const match: MatchResult = matchMembers(pageInput, index, "clevertap");
matchMembers(parsePayload("{}"), index, { braze: { simplifiedIdMerge: true } });
const matchedMember: MatchedMember | undefined = match.matched[0] ?? match.created[0];
const skippedMember: SkippedMember | undefined = match.skipped[0];
const skipReason: string | undefined = skippedMember?.reason;
index.free();

const ctOptions: CleverTapOptions = { ts: 1_700_000_000 };
const uploads: CleverTapUpload[] = cleverTapUploads(bodies[0]!, ctOptions);
cleverTapUploads(parsePayload("{}"));
cleverTapUploads(body, null);
const requestBodies: string[] = cleverTapUploads(body, { ts: 1, format: "json" });
const forwarded = forwardingRequests(body, { clevertap: { ts: 1 }, braze: { simplifiedIdMerge: true } });
const forwardedBodies: string[] = [...(forwarded.clevertap ?? []), ...(forwarded.braze?.requests ?? [])];
const spans: number[] | null | undefined = validatePayload(body, { memberSpans: true }).memberSpans;
void forwardedBodies.length;
void spans;
const asObjects: CleverTapUpload[] = cleverTapUploads(body, { format: "objects" });
// @ts-expect-error: "json" gives strings, not uploads
const notObjects: CleverTapUpload[] = cleverTapUploads(body, { format: "json" });
// @ts-expect-error: an unknown format
cleverTapUploads(body, { format: "text" });
readCleverTapResponse(requestBodies[0]!, 200, "");
void asObjects;
void notObjects;
// @ts-expect-error ts is a number of seconds
cleverTapUploads(body, { ts: "now" });
const records: CleverTapRecord[] = uploads.flatMap((u) => u.d);
for (const record of records) {
  if (record.type === "event") {
    const ev: CleverTapEventRecord = record;
    const data: PartnerSyncData = ev.evtData;
    const action: "Added" | "Removed" = data.Action;
    console.log(data["Partner Segment Name"], data["Partner Segment ID"], action, ev.ts, ev.identity);
  } else {
    const profile: CleverTapProfileRecord = record;
    console.log(profile.profileData.Email ?? profile.profileData.Phone);
  }
}
const uploadOutcome: UploadOutcome = readCleverTapResponse(uploads[0]!, 200, '{"status":"success","processed":1,"unprocessed":[]}');
readCleverTapResponse({ d: records }, 503, new Uint8Array(0));
readCleverTapResponse({ d: [] }, 204, null);
// @ts-expect-error the status is a number
readCleverTapResponse({ d: [] }, "200", "");
const failure0: UploadFailure | undefined = uploadOutcome.failed[0];
const failureRecord: CleverTapRecord | null | undefined = failure0?.record;
const retryLater: CleverTapRecord[] = uploadOutcome.retry;
const deliveredCount: number = uploadOutcome.delivered + (failure0?.code ?? 0);

const brazeOptions: BrazeOptions = { userIdProperty: "$braze_external_id", simplifiedIdMerge: false };
const brazeRequests: BrazeRequests = brazeCohortChanges(body, brazeOptions);
brazeCohortChanges(parsePayload("{}"));
const brazeRequest: BrazeRequest | undefined = brazeRequests[0];
const change: BrazeCohortChange | undefined = brazeRequest?.cohort_changes[0];
const brazeIds: string[] = change?.user_ids ?? [];
const shouldRemove: boolean | undefined = change?.should_remove;
const brazeSkipped: SkippedMember[] = brazeRequests.skipped;
const cohortIdOf: string | undefined = brazeRequest?.cohort_id;
// @ts-expect-error simplifiedIdMerge is a boolean
brazeCohortChanges(body, { simplifiedIdMerge: "yes" });

// Audiences.
const audienceIds: AudienceId[] = ["11036", 11034];
const segment: string = encodeSegmentMembership(audienceIds);
encodeSegmentMembership(new Set(["11036"]));
// @ts-expect-error a bare string would iterate its characters
encodeSegmentMembership("11036");
const decoded: string[] = decodeSegmentMembership(segment);
const inSegment: boolean = segmentMembershipContains(segment, "11034") || segmentMembershipContains(segment, 11036);
const audiences: Audience[] = [
  { id: "11036", name: "Possible Parisians", member: true },
  { id: 11034, name: "Lapsed", member: false },
];
const audienceOptions: AudienceOptions = { perAudience: true };
const props: AudienceProperties = audienceProperties(audiences, audienceOptions);
audienceProperties(audiences);
const segmentProp: string = props.SegmentMembership;
const parisian: boolean | undefined = props["In Possible Parisians"];
// @ts-expect-error member is a boolean
audienceProperties([{ id: "1", name: "n", member: "yes" }]);
const updates: ProfileUpdate[] = [{ distinctId: "u-1", properties: props }];
const engageOptions: EngageOptions = { token: "project-token", maxPerRequest: 2000 };
const engageBodies: string[] = engageBatches(updates, engageOptions);
// @ts-expect-error the token is required
engageBatches(updates, {});
const membershipBodies: string[] = segmentMembershipUpdates([{ distinctId: "u-1", audiences: [{ id: "1", name: "n", member: true }] }], { token: "t", perAudience: true });
void membershipBodies;
const region: MixpanelRegion = "eu";
const engageEndpoints: string[] = [engageUrl(region), engageUrl("us"), engageUrl()];
// @ts-expect-error only "us" and "eu"
engageUrl("in");

// Ingestion.
const events: RecordsInput = [{ event: "Signed up", properties: { time: 1_700_000_000, distinct_id: "u-1", $insert_id: "a-1" } }];
const eventOptions: EventValidationOptions = { now: Date.now() };
const eventReport: RecordReport = validateEvents(events, eventOptions);
validateEvents('{"event":"e"}\n{"event":"f"}');
validateEvents(new TextEncoder().encode("[]"), null);
const recordProblem: RecordProblem | undefined = eventReport.problems[0];
const recordCode: RecordProblemCode | undefined = recordProblem?.code;
const recordIndex: number | null | undefined = recordProblem?.index;
const severity: "error" | "warning" | undefined = recordProblem?.severity;
const counts: number = eventReport.valid + eventReport.invalid + eventReport.invalidIndexes.length;
const kind: ProfileKind = "group";
const profileReport: RecordReport = validateProfiles([{ $token: "t", $group_key: "company", $group_id: "c-1", $set: {} }], kind);
validateProfiles("[]", "user");
const profileOptions: ProfileValidationOptions = { token: "mp-token" };
validateProfiles([{ $distinct_id: "u-1", $set: { plan: "pro" } }], "user", profileOptions);
validateProfiles("[]", "group", null);
validateProfiles("[]", "group", {});
// @ts-expect-error the token is a string
validateProfiles("[]", "user", { token: 5 });
// @ts-expect-error options are an object
validateProfiles("[]", "user", "mp-token");
// @ts-expect-error "user" or "group"
validateProfiles([], "users");
const importBodies: string[] = importBatches(events);
importBatches("[]");
const exempt: boolean = isMtuExempt("Notification Sent");
// @ts-expect-error event names are strings
isMtuExempt(5);

try {
  encodeSegmentMembership(["a'b"]);
} catch (e) {
  if (e instanceof CohortSyncError) {
    const errorCode: CohortSyncErrorCode = e.code;
    if (errorCode === "invalid_audience_id" || errorCode === "invalid_segment_membership") console.log(errorCode);
  }
}

console.log(identityText, wasNew, indexNumbers, matchedMember, skipReason, failureRecord, retryLater, deliveredCount);
console.log(brazeIds, shouldRemove, brazeSkipped, cohortIdOf, decoded, inSegment, segmentProp, parisian, engageBodies);
console.log(engageEndpoints, recordIndex, recordCode, severity, counts, profileReport, importBodies, exempt);

// The receiver outside Cloudflare ("cohort-sync/receiver").
import { createReceiver, toNodeListener, type Receiver, type ReceiverOptions } from "cohort-sync/receiver";
const receiverOptions: ReceiverOptions = { db: "cohorts.db", username: "u", password: "p", acceptCohorts: ["1"], settings: { FORWARD_RETRY_BASE_MS: "50" } };
const receiver: Receiver = createReceiver(receiverOptions);
const answered: Promise<Response> = receiver.fetch(new Request("http://localhost/webhook", { method: "POST", body: "{}" }));
const listener = toNodeListener(receiver);
// @ts-expect-error maxBodyBytes is a number
createReceiver({ maxBodyBytes: "10" });
console.log(answered, listener, receiver.nodeHandler, receiver.close());
