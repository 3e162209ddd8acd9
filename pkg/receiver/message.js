// The failure message a 400 carries (Mixpanel shows it in its UI): the first problems,
// then how many more. No imports, so the validator page (www/lib/response.js) shows
// exactly what the Worker sends by importing this same file.

/** `invalid payload: <code> at <pointer>: <message>; … (and N more)`. */
export function failureMessage(errors, shown = 3) {
  const parts = errors.slice(0, shown).map((p) => `${p.code} at ${p.path === "" ? '""' : p.path}: ${p.message}`);
  const more = errors.length > shown ? ` (and ${errors.length - shown} more)` : "";
  return `invalid payload: ${parts.join("; ")}${more}`;
}
