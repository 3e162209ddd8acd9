// What every source's rows are made of: row errors as values, rows as null-prototype
// objects, integers exact (a bigint past 2^53 - 1, where a number would round), and JSON
// text parsed without losing such integers.

/** A problem with one row: the reader yields it as `{ n, error }` and goes on. */
export class RowProblem extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** An error of the whole source (missing file, bad query, lost connection): thrown. */
export function sourceError(code, message, cause) {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.code = code;
  return error;
}

export const DEFAULT_MAX_ROW_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer as a number while that is exact, else as a bigint. */
export function exactInteger(big) {
  return big >= -MAX_SAFE && big <= MAX_SAFE ? Number(big) : big;
}

/** The integer a decimal text (`-?\d+`) is, as exactInteger gives it. */
export function integerFromText(text) {
  // Up to 15 digits a number is always exact; longer texts go through BigInt.
  const digits = text.charCodeAt(0) === 45 ? text.length - 1 : text.length;
  return digits <= 15 ? Number(text) : exactInteger(BigInt(text));
}

const INTEGER = /^[+-]?\d+$/;

/**
 * A decimal text from a database (PostgreSQL numeric, DuckDB DECIMAL): an integer as
 * exactInteger gives it; a fraction as a number when the number reads back as the same
 * decimal, else the text itself, so nothing is silently rounded; NaN and infinities as text.
 */
export function numberFromDecimalText(text) {
  if (INTEGER.test(text)) return integerFromText(text.replace(/^\+/, ""));
  const number = Number(text);
  if (!Number.isFinite(number)) return text;
  const integer = /\.0*$/.test(text) ? text.replace(/\.0*$/, "") : null;
  if (integer !== null && INTEGER.test(integer)) return integerFromText(integer);
  return canonicalDecimal(text) === canonicalDecimal(String(number)) ? number : text;
}

// A decimal text without its exponent, leading zeros or trailing fractional zeros, so two
// spellings of one value compare equal ("1.50" and "1.5", "1e-7" and "0.0000001").
function canonicalDecimal(text) {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) return text;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  let digits = whole + fraction;
  let point = whole.length + Number(exponent);
  const lead = digits.length - digits.replace(/^0+/, "").length;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, "");
  if (digits === "") return "0";
  return `${sign === "-" ? "-" : ""}${digits}e${point}`;
}

/** A float from a database: a finite number, else its text ("NaN", "Infinity"). */
export function finiteOrText(number) {
  return Number.isFinite(number) ? number : String(number);
}

/**
 * A row object: no prototype, so a `__proto__` column is an own property like any other
 * and nothing a source holds can reach Object.prototype.
 */
export function newRow() {
  return Object.create(null);
}

/** `object` (a parsed JSON object) as a row: a null-prototype copy of its own properties. */
export function asRow(object) {
  const row = Object.create(null);
  for (const key of Object.keys(object)) row[key] = object[key];
  return row;
}

/** Sets `key` on a plain object; `__proto__` becomes an own property, as JSON.parse makes it. */
export function setProperty(object, key, value) {
  if (key === "__proto__") Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}

export const isPlainObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * The value of one JSON text, parsed losslessly: integers beyond 2^53 - 1 as bigints,
 * objects and arrays nested at most `maxDepth` deep (the outermost value is depth 1).
 * Throws RowProblem: invalid_json or nesting_too_deep.
 *
 * A text with sixteen digits in a row goes to the exact parser below. Any other is read
 * by JSON.parse first (V8's parser is iterative: no depth breaks it), then a
 * walk of the value, bounded by `maxDepth`, asks whether it is what the text says: no
 * integer past 2^53 - 1 (rounded by JSON.parse), no number past a double (Infinity), no
 * value nested too deep. Only a text that fails the walk is read again by the exact
 * parser. (A scan for three-digit exponents as well sent a quarter of hex ids, "…e123…",
 * to the slow parser.)
 */
export function parseJson(text, maxDepth = DEFAULT_MAX_DEPTH) {
  // Sixteen digits in a row may be an integer past 2^53 - 1: read once, exactly.
  if (hasSixteenDigits(text)) return new LosslessParser(text, maxDepth).document();
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RowProblem("invalid_json", `invalid JSON: ${error.message}`);
  }
  return readAsIs(value, 1, maxDepth) ? value : new LosslessParser(text, maxDepth).document();
}

/**
 * Whether `text` has sixteen ASCII digits in a row. Every run of sixteen covers one
 * offset of the form 16k + 15, so only those are looked at, and a digit there is
 * widened to its run: a quarter of the time of `/\d{16}/` on event lines here.
 */
function hasSixteenDigits(text) {
  const isDigit = (at) => {
    const c = text.charCodeAt(at);
    return c >= 48 && c <= 57;
  };
  for (let at = 15; at < text.length; at += 16) {
    if (!isDigit(at)) continue;
    let start = at;
    let end = at;
    while (start > 0 && isDigit(start - 1)) start--;
    while (end + 1 < text.length && isDigit(end + 1)) end++;
    if (end - start >= 15) return true;
    at = end;
  }
  return false;
}

// Whether JSON.parse's `value` (at `depth`) holds only numbers it read exactly, nested at
// most `maxDepth` deep. A fraction is as exact as the exact parser makes it (the nearest double).
function readAsIs(value, depth, maxDepth) {
  if (typeof value === "number") return Number.isSafeInteger(value) || (Number.isFinite(value) && !Number.isInteger(value));
  if (value === null || typeof value !== "object") return true;
  if (depth > maxDepth) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!readAsIs(value[i], depth + 1, maxDepth)) return false;
    return true;
  }
  // JSON.parse's objects have no inherited enumerable keys; "__proto__" is an own one.
  for (const key in value) if (!readAsIs(value[key], depth + 1, maxDepth)) return false;
  return true;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const CONTROL = /[\u0000-\u001f]/;

// A recursive-descent parser of RFC 8259 JSON; its recursion is bounded by maxDepth.
class LosslessParser {
  constructor(text, maxDepth) {
    this.text = text;
    this.at = 0;
    this.maxDepth = maxDepth;
  }

  fail(what) {
    throw new RowProblem("invalid_json", `invalid JSON: ${what} at position ${this.at}`);
  }

  space() {
    const text = this.text;
    let at = this.at;
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 32 || c === 10 || c === 13 || c === 9) at++;
      else break;
    }
    this.at = at;
  }

  document() {
    this.space();
    const value = this.value(1);
    this.space();
    if (this.at !== this.text.length) this.fail("unexpected data after the value");
    return value;
  }

  value(depth) {
    const c = this.text.charCodeAt(this.at);
    if (c === 123 || c === 91) {
      if (depth > this.maxDepth) throw new RowProblem("nesting_too_deep", `a value is nested deeper than ${this.maxDepth} levels`);
      return c === 123 ? this.object(depth) : this.array(depth);
    }
    if (c === 34) return this.string();
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    if (this.text.startsWith("true", this.at)) return (this.at += 4), true;
    if (this.text.startsWith("false", this.at)) return (this.at += 5), false;
    if (this.text.startsWith("null", this.at)) return (this.at += 4), null;
    return this.fail(Number.isNaN(c) ? "unexpected end" : "unexpected character");
  }

  object(depth) {
    const object = {};
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 125) {
      this.at++;
      return object;
    }
    for (;;) {
      if (this.text.charCodeAt(this.at) !== 34) this.fail("expected a string key");
      const key = this.string();
      this.space();
      if (this.text.charCodeAt(this.at) !== 58) this.fail("expected ':'");
      this.at++;
      this.space();
      setProperty(object, key, this.value(depth + 1));
      this.space();
      const c = this.text.charCodeAt(this.at++);
      if (c === 125) return object;
      if (c !== 44) this.fail("expected ',' or '}'");
      this.space();
    }
  }

  array(depth) {
    const array = [];
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 93) {
      this.at++;
      return array;
    }
    for (;;) {
      array.push(this.value(depth + 1));
      this.space();
      const c = this.text.charCodeAt(this.at++);
      if (c === 93) return array;
      if (c !== 44) this.fail("expected ',' or ']'");
      this.space();
    }
  }

  string() {
    const text = this.text;
    const start = this.at;
    let end = text.indexOf('"', start + 1);
    // A quote ends the string unless an odd number of backslashes escapes it.
    for (;;) {
      if (end === -1) this.fail("unterminated string");
      let slashes = 0;
      while (text.charCodeAt(end - 1 - slashes) === 92) slashes++;
      if (slashes % 2 === 0) break;
      end = text.indexOf('"', end + 1);
    }
    this.at = end + 1;
    const inner = text.slice(start + 1, end);
    if (!inner.includes("\\") && !CONTROL.test(inner)) return inner;
    try {
      // Escapes and their validity as JSON.parse has them.
      return JSON.parse(text.slice(start, end + 1));
    } catch (error) {
      this.at = start;
      return this.fail(`bad string (${error.message})`);
    }
  }

  number() {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) return this.fail("bad number");
    const token = match[0];
    this.at += token.length;
    if (match[1] === undefined && match[2] === undefined) return integerFromText(token);
    // A fraction or exponent: the nearest double, or the text when that is infinite.
    const number = Number(token);
    return Number.isFinite(number) ? number : token;
  }
}
