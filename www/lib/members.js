// "Members and destinations": each member's identity under the chosen rule
// (resolveIdentity), and the records that would go out to CleverTap (cleverTapUploads)
// or Braze (brazeCohortChanges). Large pages show their first ROWS rows and a count.
import {
  brazeCohortChanges,
  cleverTapUploads,
  IdentityIndex,
  matchMembers,
  parsePayload,
  resolveIdentity,
} from "../../pkg/web.js";
import { $, el, errorText, plural } from "./dom.js";

const ROWS = 100; // rows drawn per table
// A member's default fields: the package's property rules read exported properties only.
const DEFAULT_FIELDS = ["mixpanel_distinct_id", "email", "first_name", "last_name", "phone_number"];
const PREVIEW = 5; // records (or ids) in the JSON preview of the first request

export function createMembers() {
  let bytes = null; // the last valid body
  let page = null; // its parsePayload() result, made on first need
  const noneKnown = new IdentityIndex(); // empty: matchMembers then sorts into created / skipped

  const rule = $("rule");
  const prop = $("prop");
  for (const input of [rule, prop, $("fallback")]) input.addEventListener("input", () => draw());

  /**
   * The identity rule the controls describe, and the destination whose records go with
   * it: `{ rule, destination: "clevertap" | "braze" | null, brazeOptions? }`.
   */
  function chosenRule() {
    const property = prop.value.trim();
    switch (rule.value) {
      case "braze":
        return { rule: "braze", destination: "braze", brazeOptions: {} };
      case "braze-sim":
        return { rule: { braze: { simplifiedIdMerge: true } }, destination: "braze", brazeOptions: { simplifiedIdMerge: true } };
      case "braze-prop":
        return { rule: { braze: { userIdProperty: property } }, destination: "braze", brazeOptions: { userIdProperty: property } };
      case "chain": {
        const properties = property.split(",").map((s) => s.trim()).filter(Boolean);
        return { rule: { properties, fallbackToDistinctId: $("fallback").checked }, destination: null };
      }
      default:
        return { rule: "clevertap", destination: "clevertap" };
    }
  }

  function defaultFieldsNote() {
    if (rule.value !== "chain" && rule.value !== "braze-prop") return "";
    const named = prop.value.split(",").map((s) => s.trim()).filter((s) => DEFAULT_FIELDS.includes(s));
    return named.length ? ` Note: ${named.join(", ")} ${named.length === 1 ? "is a default field" : "are default fields"}, not an exported property; identity rules only read exported properties.` : "";
  }

  function showControls() {
    const custom = rule.value === "braze-prop" || rule.value === "chain";
    $("prop-field").hidden = !custom;
    $("fallback-field").hidden = rule.value !== "chain";
    $("prop-label").textContent = rule.value === "chain" ? "Properties, in order (comma-separated)" : "Property";
    if (rule.value === "braze-prop" && prop.value.includes(",")) prop.value = prop.value.split(",")[0].trim(); // one property
  }

  function draw() {
    showControls();
    const tbody = $("identities").tBodies[0];
    $("identities-wrap").hidden = !bytes;
    $("records-part").hidden = !bytes;
    if (!bytes) {
      tbody.replaceChildren();
      clearRecords("");
      return;
    }
    const chosen = chosenRule();
    try {
      page ??= parsePayload(bytes);
      // One call sorts every member; the table then shows where each identity came from.
      const { created, skipped } = matchMembers(bytes, noneKnown, chosen.rule);
      const total = page.members.length;
      $("members-note").textContent =
        `${plural(total, "member")}: ${created.length.toLocaleString("en-US")} with an identity, ` +
        `${skipped.length.toLocaleString("en-US")} without (not sent)` +
        (total > ROWS ? `. Showing the first ${ROWS}.` : ".") +
        defaultFieldsNote();
      $("members-note").classList.remove("error-text");
      tbody.replaceChildren(...page.members.slice(0, ROWS).map((m, i) => identityRow(m, i, chosen.rule)));
    } catch (error) {
      $("members-note").textContent = errorText(error);
      $("members-note").classList.add("error-text");
      $("identities-wrap").hidden = true;
      $("records-part").hidden = true;
      return;
    }
    try {
      if (chosen.destination === "clevertap") drawCleverTap();
      else if (chosen.destination === "braze") drawBraze(chosen.brazeOptions);
      else clearRecords("A custom chain is for your own destination: the package builds records for CleverTap and Braze only.");
    } catch (error) {
      clearRecords(errorText(error));
    }
  }

  function drawCleverTap() {
    const uploads = cleverTapUploads(bytes);
    const records = uploads.flatMap((u) => u.d);
    $("records-h").textContent = "CleverTap uploads (Partner Sync)";
    $("records-note").textContent =
      `${plural(records.length, "record")} in ${plural(uploads.length, "upload")} (at most 1000 each)` +
      (records.length > ROWS ? `. Showing the first ${ROWS}.` : ".");
    setTable(
      ["#", "Identity", "Type", "Data"],
      records.slice(0, ROWS).map((r, i) => [
        String(i + 1),
        r.identity,
        r.type,
        r.type === "event"
          ? `${r.evtName}: ${r.evtData.Action} · ${r.evtData["Partner Segment Name"] || "(no name)"} (${r.evtData["Partner Segment ID"]})`
          : Object.entries(r.profileData).map(([k, v]) => `${k} ${v}`).join(" · "),
      ]),
    );
    const first = uploads[0] ? { d: uploads[0].d.slice(0, PREVIEW) } : null;
    preview(first, uploads[0] && uploads[0].d.length > PREVIEW ? `first ${PREVIEW} of ${uploads[0].d.length} records` : "");
  }

  function drawBraze(options) {
    const requests = brazeCohortChanges(bytes, options);
    const changes = requests.flatMap((r, n) => r.cohort_changes.map((c) => ({ n, ...c })));
    const ids = changes.reduce((sum, c) => sum + c.user_ids.length, 0);
    $("records-h").textContent = "Braze partner cohort requests";
    $("records-note").textContent =
      `${plural(requests.length, "request")}, ${plural(ids, "user id")}; ` +
      `${plural(requests.skipped.length, "member")} skipped (no user id).`;
    setTable(
      ["Request", "should_remove", "User ids", "First ids"],
      changes.slice(0, ROWS).map((c) => [
        String(c.n + 1),
        String(c.should_remove),
        c.user_ids.length.toLocaleString("en-US"),
        c.user_ids.slice(0, 5).join(", ") + (c.user_ids.length > 5 ? ", …" : ""),
      ]),
    );
    const first = requests[0]
      ? { ...requests[0], cohort_changes: requests[0].cohort_changes.map((c) => ({ ...c, user_ids: c.user_ids.slice(0, PREVIEW) })) }
      : null;
    preview(first, ids > PREVIEW ? `user ids cut to the first ${PREVIEW} per change` : "");
  }

  function setTable(headings, rows) {
    const table = $("records");
    table.tHead.replaceChildren(el("tr", {}, headings.map((h) => el("th", { scope: "col" }, h))));
    table.tBodies[0].replaceChildren(...rows.map((cells) => el("tr", {}, cells.map((c, i) => el("td", { "data-label": headings[i] }, c)))));
    table.closest(".table-wrap").hidden = rows.length === 0;
  }

  let previewed = null; // the first request, shown as JSON only while its box is open
  const toggle = $("records-json-toggle");
  toggle.addEventListener("click", () => {
    toggle.setAttribute("aria-expanded", String(toggle.getAttribute("aria-expanded") !== "true"));
    drawPreview();
  });

  function preview(value, cut) {
    previewed = value;
    $("records-json").hidden = value === null;
    $("records-json-cut").textContent = cut ? ` (${cut})` : "";
    drawPreview();
  }

  function drawPreview() {
    const open = toggle.getAttribute("aria-expanded") === "true" && previewed !== null;
    $("records-json-box").hidden = !open;
    $("records-json-body").textContent = open ? JSON.stringify(previewed, null, 2) : "";
  }

  function clearRecords(note) {
    $("records-h").textContent = "Records that would go out";
    $("records-note").textContent = note;
    setTable([], []);
    preview(null, "");
  }

  return {
    /** Redraws for a new body: `validBytes` is null when the body is not valid. */
    render(validBytes, report) {
      bytes = validBytes;
      page = null;
      draw();
      if (!validBytes) {
        $("members-note").classList.remove("error-text");
        $("members-note").textContent = report ? "Shown once the body is valid." : "Nothing yet.";
      }
    },
  };
}

function identityRow(member, i, rule) {
  const found = resolveIdentity(member, rule);
  return el(
    "tr",
    { className: found ? "" : "no-identity" },
    el("td", { className: "num", "data-label": "#" }, String(i + 1)),
    el("td", { "data-label": "Distinct id" }, el("code", {}, member.distinctId)),
    el("td", { "data-label": "Identity" }, found ? el("code", {}, found.identity) : el("span", { className: "badge warn" }, "no identity")),
    el("td", { "data-label": "From" }, found ? el("code", { className: "muted" }, found.source) : "not sent"),
  );
}
