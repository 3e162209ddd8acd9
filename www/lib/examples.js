// The bundled examples (files in www/examples/, fetched from this origin) and a
// generated 1000-member page. Each mistake is labelled with the problem code the
// package reports for it.

export const EXAMPLES = [
  {
    group: "Valid",
    items: [
      ["valid-members-page", "members page 1 of 2 (5 members)"],
      ["valid-add-members", "add_members"],
      ["valid-remove-members", "remove_members"],
      ["real-sender-members", "as Mixpanel really sends it: no page_info, $-properties (no_page_info)"],
      ["large-page", "members page, 1000 members (generated)"],
      ["warning-duplicate-member", "warning: a distinct id twice (duplicate_member)"],
      ["warning-unknown-field", "warnings: unknown field, no cohort name"],
    ],
  },
  {
    group: "Common mistakes",
    items: [
      ["missing-action", "no action (missing_field)"],
      ["unknown-action", 'action "add_member" (unknown_action)'],
      ["members-not-an-array", "members is an object (wrong_type)"],
      ["member-without-distinct-id", "a member without mixpanel_distinct_id (missing_field)"],
      ["empty-distinct-id", "an empty distinct id (empty_string)"],
      ["number-distinct-id", "a distinct id as a number (wrong_type)"],
      ["page-past-total", "page 3 of 2 (page_out_of_range)"],
      ["page-zero", "page 0 (page_out_of_range)"],
      ["fractional-page", "page 1.5 (not_an_integer)"],
      ["missing-session-id", "no session id (missing_field)"],
      ["too-long-session-id", "a 300-character session id (too_long)"],
      ["duplicate-key", '"action" twice (duplicate_key)'],
      ["invalid-json", "a trailing comma (invalid_json)"],
      ["not-an-object", "a bare array of members (not_an_object)"],
    ],
  },
];

/** Fills `select` with the examples, grouped. */
export function fillExampleSelect(select) {
  for (const { group, items } of EXAMPLES) {
    const optgroup = document.createElement("optgroup");
    optgroup.label = group;
    for (const [value, label] of items) optgroup.append(new Option(label, value));
    select.append(optgroup);
  }
}

/** The text of example `name`. */
export async function loadExample(name) {
  if (name === "large-page") return largePage(1000);
  const response = await fetch(new URL(`../examples/${encodeURIComponent(name)}.json`, import.meta.url));
  if (!response.ok) throw new Error(`example ${name}: HTTP ${response.status}`);
  return response.text();
}

/** A valid `members` page of `n` realistic members, pretty-printed. */
export function largePage(n) {
  const members = Array.from({ length: n }, (_, i) => ({
    mixpanel_distinct_id: `5f1c0b7e-${String(i).padStart(4, "0")}-4a8e-9c1d-8a7e6f5d4c3b`,
    email: `user${i}@example.com`,
    first_name: "Ada",
    last_name: "Lovelace",
    phone_number: "+15555550100",
    ...(i % 3 ? { $CleverTap_user_id: `ct-${i}` } : {}),
    ...(i % 4 ? { $braze_external_id: `bz-${i}` } : {}),
    plan: i % 2 ? "pro" : "free",
  }));
  const body = {
    action: "members",
    parameters: {
      mixpanel_project_id: "2345678",
      mixpanel_cohort_id: "98765",
      mixpanel_cohort_name: "Power users",
      mixpanel_cohort_description: "Active on 5 of the last 7 days",
      mixpanel_session_id: "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
      page_info: { total_pages: 4, page_count: 1 },
      members,
    },
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}
