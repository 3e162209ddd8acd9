// One cohort's Durable Object: owns its membership (store.js) and its outbox of changes
// to forward (outbox.js). The object runs one event at a time between awaits, and every
// page is applied inside one synchronous SQLite transaction, so concurrent pages of a
// cohort are serialised and a page is applied whole or not at all. The RPC reply (and so
// the Worker's 200) is held by the runtime until the transaction is durable.
import { DurableObject } from "cloudflare:workers";
import { changeRequests, destinations, send } from "./forward.js";
import { OUTBOX_SCHEMA, Outbox } from "./outbox.js";
import { MembershipStore, SCHEMA } from "./store.js";

const decoder = new TextDecoder();

export class CohortObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA + OUTBOX_SCHEMA);
    this.store = new MembershipStore(ctx.storage.sql);
    this.outbox = new Outbox(ctx, {
      name: `cohort:${ctx.id.toString().slice(0, 16)}`,
      baseDelayMs: Number(env.FORWARD_RETRY_BASE_MS) || undefined,
      maxDelayMs: Number(env.FORWARD_RETRY_MAX_MS) || undefined,
    });
  }

  /**
   * Applies a page the Worker has validated: `{ action, projectId, cohortId, cohortName,
   * sessionId, page, total }` and either `ids` (forwarding off) or the raw `body`
   * (forwarding on: the members as sent are kept for the destinations). Returns the
   * outcome in counts (the changed members stay here: they go to the outbox).
   */
  async apply(page) {
    if (this.env.FAULT_INJECTION === "true") await this.injectFault("apply");
    const forwarding = destinations(this.env).length > 0;
    const members = page.body
      ? JSON.parse(decoder.decode(page.body)).parameters.members.map((m) => [m.mixpanel_distinct_id, forwarding ? JSON.stringify(m) : null])
      : page.ids.map((id) => [id, null]);
    const outcome = this.ctx.storage.transactionSync(() => {
      const result = this.store.apply({
        action: page.action,
        sessionId: page.sessionId,
        page: page.page,
        total: page.total,
        members,
        cohort: { projectId: page.projectId, cohortId: page.cohortId, cohortName: page.cohortName ?? null },
      });
      if (!result.duplicate && forwarding) {
        const cohort = { projectId: page.projectId, cohortId: page.cohortId, cohortName: page.cohortName, sessionId: page.sessionId };
        for (const [dest, request] of changeRequests(this.env, cohort, result.added, result.removed)) this.outbox.add(dest, request);
      }
      if (this.env.FAULT_INJECTION === "true" && this.fault === "fail-in-transaction") throw new Error("injected: storage failed mid-apply");
      return result;
    });
    if (forwarding) await this.outbox.schedule();
    if (this.fault === "fail-after-commit") throw new Error("injected: the runtime died after the write, before the answer");
    return {
      added: outcome.added.length,
      removed: outcome.removed.length,
      duplicate: outcome.duplicate,
      sessionComplete: outcome.sessionComplete,
      size: outcome.size,
    };
  }

  /** `null` for a cohort never synced here. */
  info() {
    const state = this.store.state();
    if (!state.updatedAt) return null;
    return {
      size: state.size ?? 0,
      sessionId: state.sessionId,
      updatedAt: state.updatedAt,
      cohortName: state.cohort?.cohortName ?? null,
      pendingSession: state.fullSync ? { sessionId: state.fullSync.sid, totalPages: state.fullSync.total } : null,
      outbox: this.outbox.counts(),
    };
  }

  has(id) {
    return this.store.has(id);
  }

  /** A page of members in id order; the cursor is the last id, base64url. `null`: bad cursor. */
  list(limit, cursor) {
    let after = null;
    if (cursor !== null) {
      try {
        after = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));
      } catch {
        return null;
      }
    }
    const { members, last } = this.store.list(limit, after);
    return { members, cursor: last === null ? null : toBase64Url(last) };
  }

  async alarm() {
    await this.outbox.deliver((dest, request, key) => send(this.env, dest, request, key));
  }

  /**
   * Test-only faults, possible only with FAULT_INJECTION = "true" (never set in
   * wrangler.toml): "fail-before-apply" (storage unavailable), "fail-in-transaction"
   * (a write fails mid-apply: the transaction rolls back), "fail-after-commit" (the
   * change is stored but the answer is lost). `null` clears.
   */
  async injectFault(where) {
    if (this.fault === "fail-before-apply" && where === "apply") throw new Error("injected: storage unavailable");
  }

  setFault(fault) {
    if (this.env.FAULT_INJECTION !== "true") throw new Error("fault injection is off");
    this.fault = fault;
  }
}

function toBase64Url(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
