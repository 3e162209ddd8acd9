// The installed package inside real workerd (Miniflare), loaded through its `workerd`
// export condition with the .wasm as a CompiledWasm module, as Wrangler would deploy it.
// Miniflare listens on 127.0.0.1 only and `cf: false` keeps it from fetching anything.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { bytes, payload, text } from "../lib/payloads.mjs";

const pkgDir = dirname(fileURLToPath(import.meta.resolve("cohort-sync/package.json")));
const projectDir = join(pkgDir, "../..");
const entry = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).exports["."].workerd;

// The worker under test: validate the POST body and say what happened.
const WORKER = `
import { validatePayload, parsePayload, webhookResponse, CohortSyncError } from "cohort-sync";
export default {
  async fetch(request) {
    const body = new URL(request.url).searchParams.has("text")
      ? await request.text()
      : new Uint8Array(await request.arrayBuffer());
    const report = validatePayload(body);
    let members = null, error = null;
    try {
      members = parsePayload(body).members.length;
    } catch (e) {
      error = { cohortSyncError: e instanceof CohortSyncError, isError: e instanceof Error, code: e.code };
    }
    const reply = webhookResponse(report.action, report.valid ? null : { code: 400, message: "invalid payload" });
    return Response.json({ report, members, error, reply });
  },
};`;

// Module rules: .js files are ES modules, .wasm files are compiled ahead of time.
const RULES = [
  [/\.m?js$/, "ESModule"],
  [/\.wasm$/, "CompiledWasm"],
];
const typeOf = (file) => RULES.find(([re]) => re.test(file))?.[1];

let mf;
before(async () => {
  const files = readdirSync(pkgDir, { recursive: true })
    .map((f) => join(pkgDir, f))
    .filter((f) => typeOf(f));
  mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    compatibilityDate: "2024-09-23",
    modulesRoot: projectDir,
    modules: [
      { type: "ESModule", path: join(projectDir, "worker.mjs"), contents: WORKER },
      // What a bundler does for a bare `import "cohort-sync"`: resolve the `workerd`
      // condition of the package's exports map.
      { type: "ESModule", path: join(projectDir, "cohort-sync"), contents: `export * from "./node_modules/cohort-sync/${entry.replace(/^\.\//, "")}";` },
      ...files.map((path) => ({ type: typeOf(path), path })),
    ],
  });
  await mf.ready;
});
after(() => mf?.dispose());

async function post(body, query = "") {
  const res = await mf.dispatchFetch(`http://127.0.0.1/webhook${query}`, { method: "POST", body });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

describe("in workerd", { timeout: 120_000 }, () => {
  test("the exports map has a workerd entry", () => {
    assert.equal(typeof entry, "string");
  });

  test("a valid body", async () => {
    const out = await post(bytes(payload()));
    assert.equal(out.report.valid, true, JSON.stringify(out.report.errors));
    assert.equal(out.report.cohortId, "98765");
    assert.equal(out.members, 2);
    assert.equal(out.reply.status, 200);
    assert.deepEqual(JSON.parse(out.reply.body), { action: "members", status: "success" });
    assert.equal((await post(text(payload()), "?text")).members, 2);
  });

  test("an invalid body", async () => {
    const out = await post(text(payload((p) => (p.parameters.page_info = { page_count: 2, total_pages: 1 }))));
    assert.equal(out.report.valid, false);
    assert.ok(out.report.errors.some((e) => e.code === "page_out_of_range"), JSON.stringify(out.report.errors));
    assert.deepEqual(out.error, { cohortSyncError: true, isError: true, code: "invalid_payload" });
    assert.equal(out.reply.status, 400);
    assert.equal(JSON.parse(out.reply.body).status, "failure");
  });

  test("hostile bodies", async () => {
    for (const body of ["[".repeat(100_000), new Uint8Array([0x7b, 0xff, 0x7d]), "", "null"]) {
      const out = await post(body);
      assert.equal(out.report.valid, false);
      assert.ok(out.report.errors.length > 0);
      assert.equal(out.error.cohortSyncError, true);
    }
    assert.equal((await post(bytes(payload()))).report.valid, true, "still healthy afterwards");
  });
});
