// Mapping between the validator's positions and the textarea's.
//
// Problems carry `offset` (bytes into the UTF-8 input) and `line`/`column` (1-based,
// columns counted in Unicode characters). A textarea counts UTF-16 code units, so an
// "é" is 2 bytes but 1 unit and an emoji 4 bytes but 2 units: convert, never assume.

// ignoreBOM keeps a leading U+FEFF in the output: the validator counts its bytes.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The textarea index of byte `offset` of `bytes` (the UTF-8 encoding of its text). */
export function indexOfOffset(bytes, offset) {
  return decoder.decode(bytes.subarray(0, Math.min(offset, bytes.length))).length;
}

/**
 * The textarea index of `line`:`column` (1-based, column in code points) in `text`.
 * Lines end at "\n" (a "\r" before it is an ordinary character of the line).
 */
export function indexOfLineColumn(text, line, column) {
  let index = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", index);
    if (next === -1) return text.length;
    index = next + 1;
  }
  for (let c = 1; c < column && index < text.length && text[index] !== "\n"; c++) {
    index += text.codePointAt(index) > 0xffff ? 2 : 1;
  }
  return index;
}

/** Where a problem points in the textarea (`bytes` when the report came from them). */
export function indexOfProblem(problem, text, bytes) {
  if (bytes && Number.isInteger(problem.offset)) return indexOfOffset(bytes, problem.offset);
  if (problem.line) return indexOfLineColumn(text, problem.line, problem.column ?? 1);
  return 0;
}

// The empty JSON Pointer, named as the CLI names it.
export const WHOLE_BODY = '"" (whole body)';
// Problems where the reader stopped: their position is the spot, not their pointer ("").
const STOPPED = new Set(["invalid_json", "invalid_utf8", "nesting_too_deep"]);

/** A JSON Pointer as people read it. */
export function pointerText(path) {
  return path === "" ? WHOLE_BODY : path;
}

/** True for a problem that points at the character where reading stopped. */
export function stoppedReading(problem) {
  return STOPPED.has(problem.code) && Boolean(problem.line);
}

/** "at /action, line 2, column 13", or "reading stopped at line 3, column 18". */
export function whereText(problem) {
  const at = problem.line ? `line ${problem.line}, column ${problem.column}` : "";
  if (stoppedReading(problem)) return `reading stopped at ${at}`;
  return `at ${pointerText(problem.path)}${at ? `, ${at}` : ""}`;
}

/**
 * The end of the JSON value or token that starts at `start`: a whole object or array
 * (to its matching bracket), a whole string literal, a number or literal, or the one
 * character there. Used to highlight the spot.
 */
export function tokenEnd(text, start) {
  if (start >= text.length) return start;
  if (text[start] === "{" || text[start] === "[") return containerEnd(text, start);
  if (text[start] === '"') {
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === '"') return i + 1;
      else if (text[i] === "\n") return i;
    }
    return text.length;
  }
  let i = start;
  while (i < text.length && !/[\s,:{}[\]"]/.test(text[i])) i++;
  return Math.max(i, start + 1);
}

/** The 1-based line and column (in code points) of textarea index `index`. */
export function lineColumnOf(text, index) {
  const lineStart = text.lastIndexOf("\n", index - 1) + 1;
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  let column = 1;
  for (let i = lineStart; i < index; i += text.codePointAt(i) > 0xffff ? 2 : 1) column++;
  return { line, column };
}

/** The index after the bracket that closes the object or array opening at `start`. */
function containerEnd(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "{" || c === "[") depth++;
    else if ((c === "}" || c === "]") && --depth === 0) return i + 1;
  }
  return text.length; // not closed: to the end
}
