// Re-indents JSON text without parsing it into values: strings and numbers are copied
// exactly as written, and repeated keys stay repeated, so formatting never changes
// what the validator sees (JSON.parse + stringify would turn 1.0 into 1 and drop a
// duplicate key). Only call it on text the validator read as JSON.

/** `text` re-indented by `indent` spaces a level; `{}` and `[]` stay on one line. */
export function formatJson(text, indent = 2) {
  let out = "";
  let depth = 0;
  const newline = () => `\n${" ".repeat(depth * indent)}`;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      const next = text.slice(i + 1).search(/\S/);
      if (next !== -1 && text[i + 1 + next] === close) {
        out += c + close; // an empty object or array
        i += 1 + next;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === "}" || c === "]") {
      depth--;
      out += newline() + c;
    } else if (c === ",") {
      out += c + newline();
    } else if (c === ":") {
      out += ": ";
    } else if (!/\s/.test(c)) {
      out += c; // a number, a literal or a byte-order mark
    }
  }
  return `${out}\n`;
}
