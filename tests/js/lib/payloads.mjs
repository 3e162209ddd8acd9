// Payload builders shared by the JS tests: a realistic Mixpanel Cohort Sync request and
// small ways to break it.

export function member(i) {
  return {
    mixpanel_distinct_id: `user-${i}`,
    email: `user${i}@example.com`,
    first_name: "Ada",
    last_name: "Lovelace",
    phone_number: "+15555550100",
    $CleverTap_user_id: `ct-${i}`,
  };
}

/**
 * A valid payload object; `edit` may mutate it before it is serialised. `memberOf`
 * builds the i-th member (`member` by default).
 */
export function payload(edit = () => {}, { action = "members", members = 2, memberOf = member } = {}) {
  const p = {
    action,
    parameters: {
      mixpanel_project_id: "2345678",
      mixpanel_cohort_id: "98765",
      mixpanel_cohort_name: "Power users",
      mixpanel_cohort_description: "Active on 5 of the last 7 days",
      mixpanel_session_id: "3f1a9c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
      page_info: { page_count: 1, total_pages: 1 },
      members: Array.from({ length: members }, (_, i) => memberOf(i)),
    },
  };
  edit(p);
  return p;
}

export const text = (p) => JSON.stringify(p);
export const bytes = (p) => new TextEncoder().encode(typeof p === "string" ? p : JSON.stringify(p));
