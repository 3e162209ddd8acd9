// From a source row to the Mixpanel record it becomes, as JSON text ready to send: an
// event for /import, a user update for /engage, a group update for /groups. The text
// is written once, here, in one fixed order, so the same row always gives the same
// bytes: the checksum the loader keeps of what it sent (LoadState, in the wasm) is of
// these bytes, and an unchanged row is known by it on the next run.
//
// The mapping (docs/loading.md, "The mapping"):
//   { object, key, distinctId, event, time, insertId, groupKey, groupId,
//     properties: { include, exclude, rename }, nulls: "drop" | "unset" }
// Column names are the source's; `event` and `groupKey` may be `{ value }` constants.
import { MAX_MEMBERS, NULL, STRING, flatNumber, isPlainInteger, scanFlat } from "./flat-row.js";

/**
 * The objects a load can write, and the Mixpanel endpoint each goes to. Audiences are
 * user profiles: rows of (user, audience) become each user's SegmentMembership.
 */
export const OBJECTS = { events: "/import", users: "/engage", groups: "/groups", audiences: "/engage" };

/** The most columns whose property names a mapper keeps at once. */
const MAX_CACHED = 4096;

/** Integers beyond this lose precision as JSON numbers in Mixpanel: sent as text. */
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A mapping problem of one row, reported with the row and never sent. */
export class RowProblem extends Error {
  constructor(code, field, message) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

/**
 * The mapping as given (a mapping file's object, or the CLI's flags), checked and with
 * its defaults: throws an Error naming what is wrong, before any row is read.
 */
export function checkMapping(given) {
  if (given === null || typeof given !== "object") throw new Error("the mapping must be an object");
  const mapping = { ...given };
  if (!(mapping.object in OBJECTS)) throw new Error(`mapping.object must be "events", "users", "groups" or "audiences", got ${JSON.stringify(mapping.object)}`);
  const column = (name, required) => {
    const value = mapping[name];
    if (value === undefined || value === null) {
      if (required) throw new Error(`mapping.${name} must name a column`);
      return;
    }
    const ok = typeof value === "string" ? value !== "" : typeof value === "object" && typeof value.value === "string" && value.value !== "";
    if (!ok) throw new Error(`mapping.${name} must be a column name or { "value": "…" }`);
  };
  if (mapping.object === "events") {
    column("event", true);
    column("distinctId", true);
    column("time", true);
    column("insertId", false);
  } else if (mapping.object === "users") {
    column("distinctId", true);
  } else if (mapping.object === "audiences") {
    column("distinctId", true);
    column("audienceId", true);
    column("audienceName", false);
    if (mapping.perAudience !== undefined && typeof mapping.perAudience !== "boolean") throw new Error("mapping.perAudience must be true or false");
    // One record a user: the user is the key.
    mapping.key = mapping.key ?? mapping.distinctId;
  } else {
    column("groupKey", true);
    column("groupId", true);
  }
  const keyDefault = { events: mapping.insertId, users: mapping.distinctId, groups: mapping.groupId }[mapping.object];
  mapping.key = [].concat(mapping.key ?? (typeof keyDefault === "string" ? keyDefault : []));
  if (mapping.key.length === 0 || !mapping.key.every((k) => typeof k === "string" && k !== "")) {
    throw new Error("mapping.key must name the column (or columns) that identify a row");
  }
  const props = mapping.properties ?? {};
  if (typeof props !== "object") throw new Error("mapping.properties must be an object");
  const list = (name) => {
    const value = props[name];
    if (value === undefined) return null;
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error(`mapping.properties.${name} must be a list of column names`);
    return new Set(value);
  };
  const rename = props.rename ?? {};
  if (typeof rename !== "object" || !Object.values(rename).every((v) => typeof v === "string" && v !== "")) {
    throw new Error("mapping.properties.rename must map column names to property names");
  }
  mapping.properties = { include: list("include"), exclude: list("exclude"), rename: new Map(Object.entries(rename)) };
  mapping.nulls ??= "drop";
  if (mapping.nulls !== "drop" && mapping.nulls !== "unset") throw new Error('mapping.nulls must be "drop" or "unset"');
  if (mapping.nulls === "unset" && mapping.object === "events") throw new Error('mapping.nulls "unset" is for users and groups: an event has nothing to unset');
  return mapping;
}

/**
 * A mapper for `mapping` (checked): `map(row) → { key, record, insertId? }` where
 * `record` is the JSON text to send; throws RowProblem for a row that cannot be mapped.
 * `token`: the project token (users and groups); `insertId(event, key)`: the derived
 * `$insert_id` when the source has none.
 */
export function createMapper(mapping, { token = "", insertId } = {}) {
  const used = new Set([mapping.distinctId, mapping.event, mapping.time, mapping.insertId, mapping.groupId].filter((c) => typeof c === "string"));
  const { include, exclude, rename } = mapping.properties;
  const isProperty = (column) => !used.has(column) && (include === null || include.has(column)) && !(exclude?.has(column) ?? false);

  const valueOf = (row, spec, field) => {
    if (typeof spec === "object") return spec.value;
    // Own columns only: a row may be a plain object (JSON.parse's), where "toString" is inherited.
    if (!Object.hasOwn(row, spec)) throw new RowProblem("missing_column", field, `the row has no column "${spec}" (${field})`);
    return row[spec];
  };
  const idText = (row, spec, field) => {
    const value = valueOf(row, spec, field);
    if (value === null || value === undefined) throw new RowProblem("missing_value", field, `${field} ("${spec}") is null`);
    return idString(value, field);
  };

  /** The properties of `row` (every column but the mapped ones, unless narrowed), and the nulls. */
  const properties = (row) => {
    const out = [];
    const nulls = [];
    for (const column of Object.keys(row)) {
      if (!isProperty(column)) continue;
      const name = rename.get(column) ?? column;
      const value = row[column];
      if (value === null || value === undefined) nulls.push(name);
      else out.push([name, value]);
    }
    return { out, nulls };
  };

  // Each column's property name, or null when it is no property: asked once a column.
  const names = new Map();
  const nameOf = (column) => {
    let name = names.get(column);
    if (name === undefined) {
      // A cache, kept small however many columns the rows name.
      if (names.size > MAX_CACHED) names.clear();
      names.set(column, (name = isProperty(column) ? (rename.get(column) ?? column) : null));
    }
    return name;
  };
  // The fast way writes the properties as one object through JSON.stringify, which puts
  // integer-like names first: the same order as the row's own keys, unless a rename
  // makes a name integer-like. Such mappings, and rows with a nested value, a
  // `__proto__` property or two columns renamed to one name, take `members`: the text is
  // the same either way.
  const renames = rename.size > 0;
  const fastMapping = ![...rename.values()].some((name) => /^(0|[1-9]\d*)$/.test(name));
  // Events have no removal, so no list of what they set.
  const lists = mapping.object === "events" ? null : nameLists();
  /**
   * `{ members, nulls, props }`: the properties of `row` as the members of a JSON object
   * (its text without the braces), the names of its null properties, and the names it
   * sets (one array for every row of its shape).
   */
  const propertiesOf = (row) => {
    if (!fastMapping) return slowProperties(row);
    const fields = {};
    let nulls = null;
    let shape = lists?.root ?? null;
    for (const column of Object.keys(row)) {
      const name = nameOf(column);
      if (name === null) continue;
      let value = row[column];
      if (value === null || value === undefined) {
        (nulls ??= []).push(name);
        continue;
      }
      switch (typeof value) {
        case "string":
        case "boolean":
          break;
        case "number":
          if (!Number.isFinite(value)) value = null;
          break;
        case "bigint":
          value = value > SAFE || value < -SAFE ? String(value) : Number(value);
          break;
        case "object":
          if (value instanceof Date) value = Number.isNaN(value.getTime()) ? null : value.toISOString();
          else if (value instanceof Uint8Array) value = base64(value);
          else return slowProperties(row);
          break;
        default:
          return slowProperties(row);
      }
      if (name === "__proto__" || (renames && Object.hasOwn(fields, name))) return slowProperties(row);
      fields[name] = value;
      if (shape !== null) shape = lists.step(shape, name);
    }
    return { members: JSON.stringify(fields).slice(1, -1), nulls: nulls ?? [], props: lists === null ? null : (shape?.list ?? Object.keys(fields)) };
  };
  /**
   * The record of `row` with its properties already written (propertiesOf's answer:
   * `members`, their JSON text without the braces).
   */
  const recordOf = (row, { members, nulls, props }) => {
    // One column's text as it is; several as a JSON list, so no two rows' keys run together.
    const parts = mapping.key.map((column) => idText(row, column, `key (${column})`));
    const key = parts.length === 1 ? parts[0] : JSON.stringify(parts);
    // The state keeps keys as text, each ended by NUL (as every store keeps ids: docs/rules.md).
    if (key.includes("\u0000")) throw new RowProblem("forbidden_character", "key", "the key holds U+0000 (NUL), which no id may hold");
    if (mapping.object === "events") {
      const event = idText(row, mapping.event, "event");
      const distinctId = idText(row, mapping.distinctId, "distinct_id");
      const time = timeOf(valueOf(row, mapping.time, "time"));
      const given = mapping.insertId ? valueOf(row, mapping.insertId, "$insert_id") : null;
      const id = given === null || given === undefined ? insertId(event, key) : idString(given, "$insert_id");
      const rest = members === "" ? "" : `,${members}`;
      const record = `{"event":${quote(event)},"properties":{"time":${time},"distinct_id":${quote(distinctId)},"$insert_id":${quote(id)}${rest}}}`;
      return { key, record, insertId: id };
    }
    const unset = mapping.nulls === "unset" && nulls.length > 0 ? `,"$unset":${JSON.stringify(nulls)}` : "";
    const who =
      mapping.object === "users"
        ? `"$distinct_id":${quote(idText(row, mapping.distinctId, "distinct_id"))}`
        : `"$group_key":${quote(idText(row, mapping.groupKey, "group_key"))},"$group_id":${quote(idText(row, mapping.groupId, "group_id"))}`;
    // `props` is what a later removal of this row needs (load.js, removed).
    return { key, record: `{"$token":${JSON.stringify(token)},${who},"$set":{${members}}${unset}}`, props };
  };

  // mapLine's state: the columns met so far (each one's property name and its name's
  // text, whether the record's head reads it, and the last row it was met in).
  const flat = fastMapping && mapping.object !== "audiences";
  const spans = new Int32Array(4 * MAX_MEMBERS);
  // The columns recordOf reads: the mapped ones and the key's.
  const headColumns = new Set([mapping.distinctId, mapping.event, mapping.time, mapping.insertId, mapping.groupKey, mapping.groupId, ...mapping.key].filter((c) => typeof c === "string"));
  const columns = new Map();
  const lastRow = [];
  let rowsSeen = 0;
  const columnOf = (column) => {
    const name = nameOf(column);
    return {
      column,
      plain: column !== "__proto__" && name !== "__proto__" && !/^(0|[1-9]\d*)$/.test(column),
      head: headColumns.has(column),
      name,
      nameText: name === null ? null : JSON.stringify(name),
      // Written as the row names it: a run of the row's own text can hold it.
      asIs: name === column,
      stamp: 0,
    };
  };
  const slowProperties = (row) => {
    const { out, nulls } = properties(row);
    return { members: members(out).slice(1), nulls, props: lists === null ? null : out.map(([name]) => name) };
  };

  return {
    /** An audiences row: `{ user, id, name }` (the name null when not mapped). */
    audience(row) {
      const user = idText(row, mapping.distinctId, "distinct_id");
      if (user.includes("\u0000")) throw new RowProblem("forbidden_character", "distinct_id", "the distinct id holds U+0000 (NUL), which no id may hold");
      const id = idText(row, mapping.audienceId, "audience id");
      const name = mapping.audienceName === undefined ? null : valueOf(row, mapping.audienceName, "audience name");
      return { user, id, name: name === null || name === undefined ? null : String(name) };
    },
    map(row) {
      return recordOf(row, propertiesOf(row));
    },
    /**
     * The same as `map(parseJson(text))` for a flat row (flat-row.js), written from the
     * row's own text without making its object; null for any other row (or one that
     * cannot be mapped), which is then parsed and mapped.
     */
    mapLine(text) {
      if (!flat) return null;
      const count = scanFlat(text, spans);
      if (count < 0) return null;
      // A cache, kept small whatever columns the rows hold; cleared between rows only, so
      // a repeat within a row is always seen.
      if (columns.size > MAX_CACHED) {
        columns.clear();
        lastRow.length = 0;
      }
      const stamp = ++rowsSeen;
      const head = {};
      // The properties' text: members copied from the row as they are, in runs of
      // members that lie one after another there, and the others written.
      let written = "";
      const write = (member) => {
        written += written === "" ? member : `,${member}`;
      };
      let runStart = -1;
      let runEnd = -1;
      let nulls = null;
      let shape = lists?.root ?? null;
      const names = lists === null ? null : [];
      for (let k = 0; k < count; k++) {
        const keyStart = spans[4 * k];
        const keyEnd = spans[4 * k + 1];
        // Rows of one shape name their columns in one order: the column at this place
        // in the last row is checked first, without slicing the name out.
        let seen = lastRow[k];
        if (seen === undefined || seen.column.length !== keyEnd - keyStart || !sameText(text, keyStart, seen.column)) {
          // A copy: a slice of the row's text would keep the whole row (and the block it
          // was cut from) alive as long as the name is cached.
          const column = ownCopy(text.slice(keyStart, keyEnd));
          seen = columns.get(column);
          if (seen === undefined) columns.set(column, (seen = columnOf(column)));
          lastRow[k] = seen;
        }
        // A repeated column (JSON.parse keeps its last value at its first place), an
        // integer-like column (JSON.parse puts those first) or "__proto__": the usual way.
        // (Two columns renamed to one name are both written, as the usual way writes them.)
        if (seen.plain === false || seen.stamp === stamp) return null;
        seen.stamp = stamp;
        const start = spans[4 * k + 2];
        const end = spans[4 * k + 3];
        const first = text.charCodeAt(start);
        // The value's text as JSON.stringify writes it, when that is its text here.
        let asIs = true;
        let valueText = null;
        let value;
        if (first === NULL) value = null;
        else if (first === STRING) {
          if (seen.head) value = text.slice(start + 1, end - 1);
        } else if (first === 116 || first === 102) value = first === 116;
        else {
          const raw = text.slice(start, end);
          const integer = isPlainInteger(raw);
          value = flatNumber(raw, integer);
          if (value === undefined) return null;
          if (!integer) {
            valueText = String(value);
            asIs = valueText === raw;
          }
        }
        if (seen.head) head[seen.column] = value;
        if (seen.name === null) continue;
        if (value === null) {
          (nulls ??= []).push(seen.name);
          continue;
        }
        if (asIs && seen.asIs && start === keyEnd + 2 && text.charCodeAt(keyEnd + 1) === 58) {
          // `"column":value` as the row has it: the run goes on if it ended just before.
          if (runStart >= 0 && keyStart - 1 === runEnd + 1 && text.charCodeAt(runEnd) === 44) runEnd = end;
          else {
            if (runStart >= 0) write(text.slice(runStart, runEnd));
            runStart = keyStart - 1;
            runEnd = end;
          }
        } else {
          if (runStart >= 0) write(text.slice(runStart, runEnd));
          runStart = -1;
          write(`${seen.nameText}:${valueText ?? text.slice(start, end)}`);
        }
        if (names !== null) names.push(seen.name);
        if (shape !== null) shape = lists.step(shape, seen.name);
      }
      if (runStart >= 0) write(text.slice(runStart, runEnd));
      try {
        return recordOf(head, { members: written, nulls: nulls ?? [], props: names === null ? null : (shape?.list ?? names) });
      } catch (error) {
        if (error instanceof RowProblem) return null;
        throw error;
      }
    },
  };
}

/**
 * Lists of property names, interned: the rows of one shape share one array, so that a
 * chunk hands each list to another thread once (prepare.js). A tree of the names in the
 * order they come; at most `limit` lists, then `step` gives null and the caller makes
 * its own.
 */
function nameLists(limit = 4096) {
  const root = { next: new Map(), list: [] };
  let count = 1;
  return {
    root,
    step(node, name) {
      let child = node.next.get(name);
      if (child === undefined) {
        if (count >= limit) return null;
        count++;
        child = { next: new Map(), list: [...node.list, name] };
        node.next.set(name, child);
      }
      return child;
    },
  };
}

/** `,"name":value` for each pair, values written by `json`. */
function members(pairs) {
  let text = "";
  for (const [name, value] of pairs) text += `,${JSON.stringify(name)}:${json(value)}`;
  return text;
}

/**
 * A property value as JSON text: integers beyond 2^53 as their exact digits in a string
 * (Mixpanel keeps numbers as doubles), dates as ISO text, bytes as base64, and objects
 * and arrays with the same rules inside.
 */
export function json(value) {
  switch (typeof value) {
    case "bigint":
      return value > SAFE || value < -SAFE ? `"${value}"` : String(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return String(value);
    case "undefined":
      return "null";
    default:
      break;
  }
  if (value === null) return "null";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "null" : JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return JSON.stringify(base64(value));
  if (Array.isArray(value)) return `[${value.map(json).join(",")}]`;
  let text = "";
  for (const key of Object.keys(value)) text += `${text === "" ? "" : ","}${JSON.stringify(key)}:${json(value[key])}`;
  return `{${text}}`;
}

// What JSON.stringify escapes in a string, and any surrogate (it escapes the lone ones; a
// pair is left to it too): a string with none is its own text in quotes, without
// JSON.stringify's cost (about three times a regular expression's test, for short ids).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON text: the same as JSON.stringify(text). */
function quote(text) {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** `text` in a string of its own (V8 keeps a slice of 13 characters or more as a view of its whole). */
function ownCopy(text) {
  return ` ${text}`.slice(1);
}

/** Whether `text` holds `column` at `at` (its length already known to fit). */
function sameText(text, at, column) {
  for (let i = 0; i < column.length; i++) if (text.charCodeAt(at + i) !== column.charCodeAt(i)) return false;
  return true;
}

/** Standard base64, padded, by btoa rather than Buffer: the validator page imports this module too. */
function base64(bytes) {
  let binary = "";
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let at = 0; at < bytes.length; at += 0x8000) binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  return btoa(binary);
}

/** An id (distinct id, key, group id) as text: numbers and bigints by their exact digits. */
function idString(value, field) {
  switch (typeof value) {
    case "string":
      return value;
    case "bigint":
      return value.toString();
    case "number":
      if (Number.isInteger(value)) return String(value);
      throw new RowProblem("wrong_type", field, `${field} is the number ${value}; an id must be text or a whole number`);
    default:
      throw new RowProblem("wrong_type", field, `${field} must be text or a whole number, got ${value === null ? "null" : value instanceof Date ? "a date" : typeof value}`);
  }
}

/**
 * Mixpanel's `time` in milliseconds (/import takes them) from what sources hold: a Date
 * (database timestamps), ISO 8601 text, or epoch seconds or milliseconds (a number,
 * bigint or digits; below 1e11 it is seconds: 1e11 s is the year 5138, 1e11 ms is 1973).
 */
export function timeOf(value) {
  let ms;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number" || typeof value === "bigint") ms = epoch(Number(value));
  else if (typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) ms = epoch(Number(value));
  else if (typeof value === "string") ms = /\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) || !/T|\s\d/.test(value) ? value : `${value.replace(" ", "T")}Z`) : NaN;
  else ms = NaN;
  if (!Number.isFinite(ms)) throw new RowProblem("bad_time", "time", `time ${JSON.stringify(String(value)).slice(0, 80)} is not a date, ISO 8601 text or epoch seconds or milliseconds`);
  return Math.round(ms);
}

function epoch(n) {
  return Math.abs(n) < 1e11 ? n * 1000 : n;
}
