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

/**
 * The end of the JSON token that starts at `start`: a whole string literal, a number
 * or literal, or the one bracket / character there. Used to highlight the spot.
 */
export function tokenEnd(text, start) {
  if (start >= text.length) return start;
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
