// The mapper writes a flat row's record straight from its text (mapping.js, mapLine;
// flat-row.js) rather than parsing it and mapping the object: the two ways must give the
// same key, record bytes and property lists, since the state keeps a checksum of those
// bytes and a re-run must find an unchanged row unchanged whichever way it went. Random
// mappings (events, users, groups; renames, include and exclude lists, nulls unset,
// constants, keys of two columns) over random rows (repeated, integer-like and
// "__proto__" columns; escapes, control characters, emoji; numbers of every form, 16 to
// 19 digits, past the doubles, not JSON; nested values; whitespace; broken JSON): where
// mapLine answers, it answers what the usual way does; it never answers for a row the
// usual way refuses. And it answers for every row of the plain kind a table exports.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { insertId } from "cohort-sync";
import { seeded } from "../lib/random.mjs";

const loaderDir = new URL("../../../node_modules/cohort-sync/loader/", import.meta.url);
const { RowProblem, checkMapping, createMapper } = await import(new URL("mapping.js", loaderDir));
const { isPlainObject, parseJson } = await import(new URL("sources/values.js", loaderDir));

const COLUMNS = ["id", "name", "user", "at", "g", "plan", "seats", "x", "y", "0", "12", "__proto__", 'a"b', "é", "toString", "constructor", "big", "t2"];

function mappingOf(g) {
  const object = g.pick(["events", "users", "groups"]);
  const m = { object };
  if (object === "events") {
    m.event = g.next() < 0.2 ? { value: "Const" } : "name";
    m.distinctId = "user";
    m.time = g.pick(["at", "t2"]);
    if (g.next() < 0.7) m.insertId = "id";
  }
  if (object === "users") m.distinctId = g.pick(["user", "id"]);
  if (object === "groups") {
    m.groupKey = g.next() < 0.5 ? { value: "company" } : "g";
    m.groupId = "id";
  }
  if (g.next() < 0.3) m.key = g.next() < 0.5 ? ["id"] : ["id", "g"];
  if (object === "events" && !m.insertId && !m.key) m.key = ["id"];
  const properties = {};
  if (g.next() < 0.3) properties.rename = Object.fromEntries(Array.from({ length: 1 + g.int(3) }, () => [g.pick(COLUMNS), g.pick(["x", "plan", "Renamed", 'q"uote', "__proto__", "7", "é2"])]));
  if (g.next() < 0.2) properties.include = COLUMNS.filter(() => g.next() < 0.6);
  if (g.next() < 0.2) properties.exclude = COLUMNS.filter(() => g.next() < 0.3);
  m.properties = properties;
  if (object !== "events" && g.next() < 0.4) m.nulls = "unset";
  return m;
}

const space = (g) => (g.next() < 0.9 ? "" : g.pick([" ", "\t", "  ", "\r", "\n"]));
const NUMBERS = ["0", "-0", "1", "42", "-7", "1.5", "1.50", "0.1", "1e3", "1E+2", "2.5e-3", "1e20", "1e400", "-1e400", "9007199254740991", "9007199254740993", "1234567890123456789", "12345678901234567.5", "01", "1.", ".5", "-", "1e", "1764456017056", "1764456017", "1764456017.5"];

function valueText(g) {
  const r = g.next();
  if (r < 0.45) return JSON.stringify(g.pick(["a", "pro", "", "user-1", "2026-01-02T03:04:05Z", "1764456017", "é€😀", "x y", "\u2028", `s${g.int(1000)}`]));
  if (r < 0.55) return g.pick(['"a\\"b"', '"\\n"', '"\\u00e9"', '"\\/x"', '"tab\\there"', `"${String.fromCharCode(1)}"`, '"\ud800"', '"x\udc00"', '"\ud83d\ude00"']);
  if (r < 0.78) return g.next() < 0.8 ? g.pick(NUMBERS) : String(g.int(1e6));
  if (r < 0.84) return g.pick(["true", "false"]);
  if (r < 0.93) return "null";
  if (r < 0.97) return g.pick(["{}", "[]", "[1,2]", '{"a":1}']);
  return g.pick(["tru", "nul", "undefined", "NaN"]);
}

function rowText(g) {
  const columns = new Set(["id", "name", "user", "at"]);
  for (let i = g.int(8); i > 0; i--) columns.add(g.pick(COLUMNS));
  const members = [...columns];
  if (g.next() < 0.05) members.push(g.pick(members));
  for (let i = members.length - 1; i > 0; i--) {
    const j = g.int(i + 1);
    [members[i], members[j]] = [members[j], members[i]];
  }
  const value = (column) => (column === "id" && g.next() < 0.8 ? JSON.stringify(`k${g.int(100)}`) : column === "at" && g.next() < 0.8 ? String(1764456017056 - g.int(1e9)) : valueText(g));
  const text = members.map((column) => `${space(g)}${JSON.stringify(column)}${space(g)}:${space(g)}${value(column)}${space(g)}`).join(",");
  const r = g.next();
  if (r < 0.02) return `{${text},}`;
  if (r < 0.04) return `[${text}]`;
  if (r < 0.05) return `{${text}} x`;
  return `${space(g)}{${text}}${space(g)}`;
}

/** The usual way: the row parsed, then mapped; "refused" for a row it cannot map. */
function usualWay(mapper, text) {
  try {
    const row = parseJson(text);
    if (!isPlainObject(row)) return "refused";
    return mapper.map(row);
  } catch (error) {
    if (error instanceof RowProblem || error?.code !== undefined) return "refused";
    throw error;
  }
}

describe("a flat row mapped from its text", () => {
  test("gives the key, record and property lists the parsed row gives, for random mappings and hostile rows; never a row the usual way refuses", () => {
    const g = seeded(20261207);
    let answered = 0;
    let rows = 0;
    for (let m = 0; m < 200; m++) {
      let mapping;
      try {
        mapping = checkMapping(mappingOf(g));
      } catch {
        continue;
      }
      const fast = createMapper(mapping, { token: "tok", insertId });
      const usual = createMapper(mapping, { token: "tok", insertId });
      for (let i = 0; i < 200; i++) {
        const text = rowText(g);
        rows++;
        const mapped = fast.mapLine(text);
        if (mapped === null) continue;
        answered++;
        assert.deepEqual(mapped, usualWay(usual, text), `${JSON.stringify(mapping)}\n${text}`);
      }
    }
    assert.ok(rows > 30_000 && answered > 1500, `rows ${rows}, answered from the text ${answered}`);
  });

  test("answers for every row a table exports plainly: events and profiles of strings, numbers, booleans and nulls", () => {
    const g = seeded(7);
    const cases = [
      [{ object: "events", event: "event", distinctId: "distinct_id", time: "time", insertId: "event_id" }, () => ({ event: g.pick(["Signed Up", "Page Viewed"]), distinct_id: `user-${g.int(1e5)}`, time: 1764456017056 - g.int(1e9), event_id: `e-${g.int(1e9)}`, page: "/blog/2026/launch", referrer: "https://www.google.com/", country: "FR", duration_ms: g.int(5000), ratio: g.next(), is_mobile: g.next() < 0.5, note: null })],
      [{ object: "users", distinctId: "distinct_id", nulls: "unset", properties: { rename: { plan: "Plan" } } }, () => ({ distinct_id: `user-${g.int(1e5)}`, $email: "u@example.com", $name: "Zoë 名前", plan: g.pick(["pro", "free"]), seats: g.int(500), score: -g.next(), paying: false, deleted_at: null })],
      [{ object: "groups", groupKey: { value: "company_id" }, groupId: "id" }, () => ({ id: g.int(1e6), name: `Company ${g.int(1e6)}`, employees: g.int(1e4) })],
    ];
    for (const [given, make] of cases) {
      const mapping = checkMapping(given);
      const fast = createMapper(mapping, { token: "tok", insertId });
      const usual = createMapper(mapping, { token: "tok", insertId });
      for (let i = 0; i < 2000; i++) {
        const text = JSON.stringify(make());
        const mapped = fast.mapLine(text);
        assert.notEqual(mapped, null, text);
        assert.deepEqual(mapped, usual.map(parseJson(text)), text);
      }
    }
  });

  test("keeps no row's text alive through the column names it remembers", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc");
    const mapper = createMapper(checkMapping({ object: "users", distinctId: "d" }), { token: "tok", insertId });
    const pad = "x".repeat(256 * 1024);
    gc();
    const before = process.memoryUsage().heapUsed;
    // Each row a line of a larger text (as a block's lines are), with a column name of its own.
    for (let i = 0; i < 400; i++) {
      const block = `{"d":"u${i}","attribute_${String(i).padStart(8, "0")}":1,"note":"${pad}"}\n{}`;
      assert.notEqual(mapper.mapLine(block.split("\n")[0]), null);
    }
    gc();
    const grown = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    assert.ok(grown < 30, `heap grew by ${grown.toFixed(0)} MiB for 400 rows of 256 KiB (100 MiB if each were kept)`);
  });
});
