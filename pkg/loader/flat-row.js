// A flat row's members found in its JSON text, without making its object: what lets the
// mapper write a record straight from a row's own text (mapping.js, mapLine). Flat is
// one JSON object whose values are strings, numbers, true, false or null, and whose
// strings (keys and values) hold no escape, no control character and no lone surrogate
// (text decoded from UTF-8 has none): such a string's text is exactly what
// JSON.stringify writes for its value. Anything else, valid JSON or
// not, is no flat row, and the row is parsed and mapped the usual way, which says what
// is wrong with it.

/** The most members a flat row has; a row with more is mapped the usual way. */
export const MAX_MEMBERS = 1024;

const ESCAPE_OR_CONTROL = /[\u0000-\u001f\\]/;

/** The kinds of a member's value, by its first character. */
export const STRING = 34;
export const NULL = 110;

/**
 * The members of `text` when it is a flat row, into `spans` (an Int32Array of 4 *
 * MAX_MEMBERS): for member k, where its key's characters start and end (inside the
 * quotes) and where its value's text starts and ends. Returns how many, or -1.
 */
export function scanFlat(text, spans) {
  if (!text.isWellFormed()) return -1;
  const length = text.length;
  // With no escape and no control character anywhere (the common row), a string ends
  // at the next quote.
  const plain = !ESCAPE_OR_CONTROL.test(text);
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 123) return -1;
  i = skipSpace(text, i + 1);
  let count = 0;
  if (text.charCodeAt(i) === 125) return skipSpace(text, i + 1) === length ? 0 : -1;
  for (;;) {
    if (count === MAX_MEMBERS || text.charCodeAt(i) !== 34) return -1;
    const keyStart = i + 1;
    i = plain ? text.indexOf('"', keyStart) : stringEnd(text, keyStart);
    if (i < 0) return -1;
    const keyEnd = i;
    i = skipSpace(text, i + 1);
    if (text.charCodeAt(i) !== 58) return -1;
    i = skipSpace(text, i + 1);
    const valueStart = i;
    const c = text.charCodeAt(i);
    if (c === 34) {
      i = plain ? text.indexOf('"', i + 1) : stringEnd(text, i + 1);
      if (i < 0) return -1;
      i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      i = numberEnd(text, i);
      if (i < 0) return -1;
    } else if (c === 116 && text.startsWith("true", i)) i += 4;
    else if (c === 102 && text.startsWith("false", i)) i += 5;
    else if (c === 110 && text.startsWith("null", i)) i += 4;
    else return -1;
    spans[4 * count] = keyStart;
    spans[4 * count + 1] = keyEnd;
    spans[4 * count + 2] = valueStart;
    spans[4 * count + 3] = i;
    count++;
    i = skipSpace(text, i);
    const next = text.charCodeAt(i);
    if (next === 44) {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (next !== 125) return -1;
    return skipSpace(text, i + 1) === length ? count : -1;
  }
}

function skipSpace(text, i) {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return i;
    i++;
  }
}

// Where the string whose characters start at `i` ends (its closing quote), or -1 for an
// escape, a control character or no end.
function stringEnd(text, i) {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 34) return i;
    // Past the end charCodeAt is NaN, which no comparison holds for.
    if (c === 92 || !(c >= 32)) return -1;
    i++;
  }
}

// Where the number at `i` ends, by JSON's grammar, or -1.
function numberEnd(text, i) {
  if (text.charCodeAt(i) === 45) i++;
  const first = text.charCodeAt(i);
  if (first === 48) i++;
  else if (first >= 49 && first <= 57) i = digitsEnd(text, i + 1);
  else return -1;
  if (text.charCodeAt(i) === 46) {
    const from = i + 1;
    i = digitsEnd(text, from);
    if (i === from) return -1;
  }
  const e = text.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    const from = i;
    i = digitsEnd(text, from);
    if (i === from) return -1;
  }
  return i;
}

function digitsEnd(text, i) {
  for (;;) {
    const c = text.charCodeAt(i);
    if (!(c >= 48 && c <= 57)) return i;
    i++;
  }
}

/**
 * A number's value (`integer`: isPlainInteger(raw)) as the usual way reads it
 * (sources/values.js): JSON.parse's double, or the nearest double to a fraction or an
 * exponent's text. Undefined where that way reads it otherwise: an integer of sixteen digits or more may be past 2^53 - 1 (read
 * exactly, as a bigint), and a number past the doubles is kept as its text.
 */
export function flatNumber(raw, integer) {
  if (integer && raw.length - (raw.charCodeAt(0) === 45 ? 1 : 0) >= 16) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Whether a number's text (JSON's grammar) is an integer as JSON.stringify writes one:
 * digits, maybe a minus, and not -0 (for fewer than sixteen digits, the value's text).
 */
export function isPlainInteger(raw) {
  for (let i = raw.charCodeAt(0) === 45 ? 1 : 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return raw !== "-0";
}
