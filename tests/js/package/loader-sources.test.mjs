// The loader's sources (`cohort-sync load`) as the installed package has them: every
// format plain and gzipped, stdin, SQLite, PostgreSQL (a throwaway cluster on 127.0.0.1)
// and DuckDB; integers past 2^53 kept exact from each; CSV's quirks; hostile rows that
// must be row errors, never throws; row numbers that count every row; and streaming:
// PostgreSQL through a cursor in batches, a large NDJSON file in bounded memory.
//
// loader/sources.js is not in the package's "exports", so it is imported by its path in
// the installed package.
import assert from "node:assert/strict";
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { seeded } from "../lib/random.mjs";

const { openSource } = await import(new URL("../../../node_modules/cohort-sync/loader/sources.js", import.meta.url));
const require = createRequire(import.meta.url);

const BIG = [9007199254740993n, 1234567890123456789n, -9223372036854775807n];
const dir = mkdtempSync(join(tmpdir(), "cohort-sync-sources-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A file in the test folder holding `content` (gzipped when the name ends .gz). */
function file(name, content) {
  const path = join(dir, `${++files}-${name}`);
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
  writeFileSync(path, name.endsWith(".gz") ? gzipSync(bytes) : bytes);
  return path;
}

/** Every SourceRow of `spec`, the source closed after. */
async function readAll(spec, options) {
  const source = openSource(spec, options);
  const out = [];
  try {
    for await (const item of source.rows) out.push(item);
  } finally {
    await source.close();
  }
  return out;
}

const rowsOf = (items) => items.map((item) => (item.error ? { n: item.n, error: item.error.code } : { ...item.row }));
const errorsOf = (items) => items.filter((item) => item.error).map((item) => ({ n: item.n, code: item.error.code, line: item.error.line }));

function assertNumbered(items) {
  assert.deepEqual(
    items.map((item) => item.n),
    items.map((_, i) => i + 1),
    "row numbers count every row, errors included, from 1",
  );
}

// The repository (for scripts/pg-cluster.mjs): the scratch project is inside it.
function repositoryRoot() {
  if (process.env.COHORT_SYNC_ROOT) return resolve(process.env.COHORT_SYNC_ROOT);
  for (let at = dirname(fileURLToPath(import.meta.url)); ; at = dirname(at)) {
    if (existsSync(join(at, "scripts/pg-cluster.mjs"))) return at;
    if (dirname(at) === at) throw new Error("no folder above this file holds scripts/pg-cluster.mjs (set COHORT_SYNC_ROOT)");
  }
}

const NDJSON = [
  `{"id": 9007199254740993, "name": "a", "n": 1.5, "ok": true, "tags": ["x"], "nested": {"big": 1234567890123456789}}`,
  `{"id": 1234567890123456789, "name": "\\"quoted\\" 9999999999999999999", "n": -2, "ok": false, "tags": [], "nested": null}`,
  ``,
  `{"id": -9223372036854775807, "name": "ü ✓", "n": 0, "ok": null, "tags": [1, 2], "nested": {}}`,
].join("\n");

function assertNdjsonRows(items) {
  assertNumbered(items);
  assert.equal(items.length, 3, "a blank line is no row");
  const [a, b, c] = items.map((item) => item.row);
  assert.deepEqual(
    items.map((item) => item.row.id),
    BIG,
  );
  assert.equal(Object.getPrototypeOf(a), null);
  assert.deepEqual(Object.keys(a), ["id", "name", "n", "ok", "tags", "nested"], "columns in source order");
  assert.equal(a.nested.big, 1234567890123456789n);
  assert.equal(a.n, 1.5);
  assert.equal(b.name, '"quoted" 9999999999999999999', "digits inside a string stay a string");
  assert.deepEqual(b.tags, []);
  assert.equal(c.name, "ü ✓");
  assert.deepEqual(c.tags, [1, 2]);
}

describe("NDJSON", () => {
  for (const name of ["rows.ndjson", "rows.jsonl", "rows.ndjson.gz"]) {
    test(`${name}: rows, exact 19-digit ids, size and bytes read`, async () => {
      const path = file(name, NDJSON);
      const source = openSource({ file: path });
      const expectedSize = statSync(path).size;
      assert.equal(source.sizeBytes, expectedSize);
      assert.equal(source.format, "ndjson");
      assert.equal(source.bytesRead(), 0);
      const items = [];
      for await (const item of source.rows) items.push(item);
      assert.equal(source.bytesRead(), expectedSize, "every byte of the file (compressed for .gz) is counted");
      await source.close();
      assertNdjsonRows(items);
    });
  }

  test("a format given outright wins over the name; small integers stay numbers", async () => {
    const items = await readAll({ file: file("rows.txt", '{"a": 9007199254740991, "b": -9007199254740991, "c": 1e2, "d": 123456789012345678901234567890.5}\n'), format: "ndjson" });
    assert.deepEqual({ ...items[0].row }, { a: 9007199254740991, b: -9007199254740991, c: 100, d: 1.2345678901234568e29 });
  });

  test("a name that says no format is a clear error", () => {
    assert.throws(() => openSource({ file: file("rows.txt", "{}") }), (error) => error.code === "source_error" && /format/.test(error.message));
  });
});

describe("NDJSON blocks", () => {
  test("cut where the content says (for worker threads and the block memo): read block by block, the rows, errors and lines of the file read whole, over random hostile NDJSON and random read chunks", async () => {
    const { ndjsonBlocks, rowsOfBlock } = await import(new URL("../../../node_modules/cohort-sync/loader/sources/ndjson.js", import.meta.url));
    const random = seeded(5).next;
    async function* cuts(bytes) {
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 3000);
        yield bytes.subarray(at, at + size);
        at += size;
      }
    }
    const read = async (blocks, limits) => {
      const out = [];
      let n = 0;
      for await (const block of blocks) {
        const rows = rowsOfBlock(block, { ...limits, firstN: n });
        if (rows.length > 0) n = rows[rows.length - 1].n;
        for (const row of rows) out.push(row.error ? { n: row.n, error: row.error } : { n: row.n, row: { ...row.row } });
      }
      return out;
    };
    let cut = 0;
    let oversized = 0;
    for (let round = 0; round < 120; round++) {
      const lines = [];
      for (let i = Math.floor(random() * 3000); i > 0; i--) {
        const r = random();
        if (r < 0.02) lines.push("{bad");
        else if (r < 0.04) lines.push("");
        else if (r < 0.05) lines.push(JSON.stringify({ big: "x".repeat(Math.floor(random() * 3000)) }));
        else lines.push(JSON.stringify({ id: `k-${i}`, v: random(), s: "y".repeat(Math.floor(random() * 100)) }));
      }
      const bytes = Buffer.from(lines.join(random() < 0.5 ? "\n" : "\r\n") + (random() < 0.5 ? "\n" : ""));
      const limits = { maxRowBytes: 200 + Math.floor(random() * 3000), maxDepth: 64 };
      const blocks = [];
      for await (const block of ndjsonBlocks(cuts(bytes), limits)) {
        blocks.push(block);
        if (block.oversized) oversized++;
      }
      cut += blocks.length;
      let count = 1;
      for (const byte of bytes) if (byte === 10) count++;
      const whole = bytes.length === 0 ? [] : [{ bytes: new Uint8Array(bytes), firstLine: 1, lines: count }];
      assert.deepEqual(await read(blocks, limits), await read(whole, limits), `round ${round}`);
    }
    assert.ok(cut > 500 && oversized > 50, JSON.stringify({ cut, oversized }));
  });

  test("a changed row, even of another length, moves only its own block's cuts", async () => {
    const { ndjsonBlocks } = await import(new URL("../../../node_modules/cohort-sync/loader/sources/ndjson.js", import.meta.url));
    const rows = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ id: `r-${i}`, n: i * 7919 }));
    const blocksOf = async (text) => {
      const out = [];
      for await (const block of ndjsonBlocks([Buffer.from(text)], { maxRowBytes: 1 << 20 })) out.push(Buffer.from(block.bytes).toString("hex"));
      return out;
    };
    const before = await blocksOf(rows.join("\n"));
    rows[3000] = JSON.stringify({ id: "r-3000", n: "a much longer value than it had" });
    const after = await blocksOf(rows.join("\n"));
    assert.ok(before.length > 5);
    const kept = after.filter((block) => before.includes(block)).length;
    assert.ok(kept >= before.length - 2, `${kept} of ${before.length} blocks unchanged`);
  });
});

describe("JSON array", () => {
  const text = `[\n  {"id": 9007199254740993, "s": "a,]}", "e": "x\\"],\\\\"},\n  {"id": 1234567890123456789, "list": [{"x": [1]}]},\n  {"id": -9223372036854775807}\n]\n`;
  for (const name of ["rows.json", "rows.json.gz"]) {
    test(`${name}: rows and exact ids`, async () => {
      const items = await readAll({ file: file(name, text) });
      assertNumbered(items);
      assert.deepEqual(
        items.map((item) => item.row.id),
        BIG,
      );
      assert.equal(items[0].row.s, "a,]}", "brackets and commas inside strings do not end an element");
      assert.equal(items[0].row.e, 'x"],\\', "nor do escaped quotes and backslashes");
      assert.deepEqual(items[1].row.list, [{ x: [1] }]);
    });
  }

  test("empty array, empty file: zero rows", async () => {
    assert.deepEqual(await readAll({ file: file("empty.json", " [ ] ") }), []);
    assert.deepEqual(await readAll({ file: file("nothing.json", "") }), []);
  });

  test("an element that is not an object is a row error; the next element follows", async () => {
    const items = await readAll({ file: file("mixed.json", `[{"a":1}, 5, "s", null, [1], {"a":2}]`) });
    assertNumbered(items);
    assert.deepEqual(rowsOf(items), [{ a: 1 }, { n: 2, error: "not_an_object" }, { n: 3, error: "not_an_object" }, { n: 4, error: "not_an_object" }, { n: 5, error: "not_an_object" }, { a: 2 }]);
  });

  test("broken JSON: one error row that says the rest is not read, then the end", async () => {
    const items = await readAll({ file: file("broken.json", `[{"a":1},\n{"a": tru},\n{"a":3}]`) });
    assert.deepEqual(rowsOf(items), [{ a: 1 }, { n: 2, error: "invalid_json" }]);
    assert.equal(items[1].error.line, 2);
    assert.match(items[1].error.message, /rest of the file is not read/);
    const cut = await readAll({ file: file("cut.json", `[{"a":1}, {"a":`) });
    assert.deepEqual(rowsOf(cut), [{ a: 1 }, { n: 2, error: "invalid_json" }]);
    const notArray = await readAll({ file: file("object.json", `{"a":1}`) });
    assert.deepEqual(rowsOf(notArray), [{ n: 1, error: "invalid_json" }]);
  });
});

describe("CSV", () => {
  const text = '\uFEFFid,name,note\r\n9007199254740993,"Smith, Jo","said ""hi""\r\nthen left"\r\n1234567890123456789,,""\r\n';
  for (const name of ["rows.csv", "rows.csv.gz"]) {
    test(`${name}: BOM, CRLF, quotes, embedded commas and line breaks, null and ""`, async () => {
      const items = await readAll({ file: file(name, text) });
      assertNumbered(items);
      assert.deepEqual(rowsOf(items), [
        { id: "9007199254740993", name: "Smith, Jo", note: 'said "hi"\r\nthen left' },
        { id: "1234567890123456789", name: null, note: "" },
      ]);
      assert.deepEqual(Object.keys(items[0].row), ["id", "name", "note"], "the BOM is not part of the first column's name");
    });
  }

  test("LF line ends, no final line break, a blank line skipped", async () => {
    const items = await readAll({ file: file("lf.csv", "a,b\n1,2\n\n3,4") });
    assert.deepEqual(rowsOf(items), [
      { a: "1", b: "2" },
      { a: "3", b: "4" },
    ]);
  });

  test("header only, empty file, BOM only: zero rows", async () => {
    assert.deepEqual(await readAll({ file: file("header.csv", "a,b,c\r\n") }), []);
    assert.deepEqual(await readAll({ file: file("header-no-eol.csv", "a,b,c") }), []);
    assert.deepEqual(await readAll({ file: file("empty.csv", "") }), []);
    assert.deepEqual(await readAll({ file: file("bom.csv", "\uFEFF") }), []);
  });

  test("a ragged row is a row error with its line; the next record reads", async () => {
    const items = await readAll({ file: file("ragged.csv", 'a,b\n1,2\n"multi\nline",2,3\n4\n5,6\n') });
    assertNumbered(items);
    assert.deepEqual(rowsOf(items), [{ a: "1", b: "2" }, { n: 2, error: "csv_fields" }, { n: 3, error: "csv_fields" }, { a: "5", b: "6" }]);
    assert.deepEqual(
      errorsOf(items).map((e) => e.line),
      [3, 5],
      "lines count the line breaks inside quotes",
    );
    assert.match(items[1].error.message, /line 3: 3 fields, the header has 2/);
  });

  test("an unclosed quote at the end of the file is a row error", async () => {
    const items = await readAll({ file: file("open.csv", 'a,b\n1,2\n3,"never closed\n') });
    assert.deepEqual(rowsOf(items), [{ a: "1", b: "2" }, { n: 2, error: "csv_quote" }]);
  });

  test("TSV by name, another delimiter by option", async () => {
    assert.deepEqual(rowsOf(await readAll({ file: file("rows.tsv", "a\tb\n1\t2 3\n") })), [{ a: "1", b: "2 3" }]);
    assert.deepEqual(rowsOf(await readAll({ file: file("semi.csv", "a;b\n1;2,5\n"), delimiter: ";" })), [{ a: "1", b: "2,5" }]);
  });

  test("a record split across read chunks at every byte", async () => {
    const bytes = Buffer.from(text, "utf8");
    const stream = Readable.from((function* () {
      for (const byte of bytes) yield Buffer.from([byte]);
    })());
    const items = await readAll({ stdin: true, format: "csv", stream });
    assert.deepEqual(rowsOf(items), rowsOf(await readAll({ file: file("same.csv", text) })));
  });

  test("cut into blocks of whole records (for worker threads), read block by block: the same rows, errors, lines and header errors as the whole, over random hostile CSV", async () => {
    // The loader's threads read CSV this way; here the cuts are tiny and the row limit small,
    // so that quoted line breaks, oversized and unclosed records fall across them.
    const { csvRows, csvBlocks, rowsOfCsvBlock } = await import(new URL("../../../node_modules/cohort-sync/loader/sources/csv.js", import.meta.url));
    const random = seeded(7).next;
    const pick = (list) => list[Math.floor(random() * list.length)];
    const pieces = ["a", "bb", ",", '"', '""', "\n", "\r\n", "x,y", '"q,\nq"', " ", "é", "\u{1F600}", "\n\n", '"open', "\r", "1234567890", "\t"];
    async function* cuts(bytes) {
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 40);
        yield bytes.subarray(at, at + size);
        at += size;
      }
    }
    const shown = (items) => items.map((item) => ({ n: item.n, ...(item.error ? { error: item.error } : { row: { ...item.row } }) }));
    let oversized = 0;
    let unclosed = 0;
    let headerErrors = 0;
    for (let round = 0; round < 1500; round++) {
      let text = random() < 0.85 ? "h1,h2,h3\n" : "";
      for (let i = Math.floor(random() * 60); i > 0; i--) text += pick(pieces);
      const bytes = Buffer.from(text);
      const limits = { maxRowBytes: 4 + Math.floor(random() * 30), delimiter: pick([",", "\t"]) };
      let whole;
      try {
        whole = [];
        for await (const row of csvRows(cuts(bytes), limits)) whole.push(row);
        whole = shown(whole);
      } catch (error) {
        whole = { error: error.message };
        headerErrors++;
      }
      let blocks;
      try {
        blocks = [];
        for await (const block of csvBlocks(cuts(bytes), { ...limits, blockBytes: 1 + Math.floor(random() * 30) })) {
          if (block.oversized) oversized++;
          if (block.unclosed) unclosed++;
          const before = blocks.length;
          for (const item of rowsOfCsvBlock(block, limits)) blocks.push({ ...item, n: item.n + before });
        }
        blocks = shown(blocks);
      } catch (error) {
        blocks = { error: error.message };
      }
      assert.deepEqual(blocks, whole, `${JSON.stringify(text)} ${JSON.stringify(limits)}`);
    }
    assert.ok(oversized > 50 && unclosed > 5 && headerErrors > 50, JSON.stringify({ oversized, unclosed, headerErrors }));
  });

  test("a changed record, even of another length, moves only its own block's cuts; the chunks read change none", async () => {
    const { csvBlocks } = await import(new URL("../../../node_modules/cohort-sync/loader/sources/csv.js", import.meta.url));
    const rows = Array.from({ length: 20_000 }, (_, i) => `r-${i},${i * 7919},"a, quoted\nvalue"`);
    const blocksOf = async (text, chunk) => {
      const bytes = Buffer.from(`id,n,note\n${text}\n`);
      const chunks = [];
      for (let at = 0; at < bytes.length; at += chunk) chunks.push(bytes.subarray(at, at + chunk));
      const out = [];
      for await (const block of csvBlocks(chunks, { maxRowBytes: 1 << 20 })) out.push(Buffer.from(block.bytes).toString("hex"));
      return out;
    };
    const before = await blocksOf(rows.join("\n"), 65536);
    assert.deepEqual(await blocksOf(rows.join("\n"), 7001), before, "the same cuts whatever the chunks");
    rows[3000] = `r-3000,"a much longer value than it had",x`;
    const after = await blocksOf(rows.join("\n"), 65536);
    assert.ok(before.length > 5);
    const kept = after.filter((block) => before.includes(block)).length;
    assert.ok(kept >= before.length - 2, `${kept} of ${before.length} blocks unchanged`);
  });
});

describe("stdin", () => {
  test("NDJSON from a Readable, plain and gzipped (told by its first bytes)", async () => {
    const plain = openSource({ stdin: true, format: "ndjson", stream: Readable.from([Buffer.from(NDJSON)]) });
    assert.equal(plain.sizeBytes, null);
    const items = [];
    for await (const item of plain.rows) items.push(item);
    assert.equal(plain.bytesRead(), Buffer.byteLength(NDJSON));
    assertNdjsonRows(items);

    const zipped = gzipSync(Buffer.from(NDJSON));
    // The gzip header split over chunks: two bytes are enough to tell gzip.
    const stream = Readable.from([zipped.subarray(0, 2), zipped.subarray(2, 7), zipped.subarray(7)]);
    assertNdjsonRows(await readAll({ stdin: true, format: "jsonl", stream }));
  });

  test("JSON and CSV from a Readable of strings", async () => {
    assert.deepEqual(rowsOf(await readAll({ stdin: true, format: "json", stream: Readable.from(['[{"a":', '1}]']) })), [{ a: 1 }]);
    assert.deepEqual(rowsOf(await readAll({ stdin: true, format: "csv", stream: Readable.from(["a,b\n1,", "2\n"]) })), [{ a: "1", b: "2" }]);
  });

  test("NDJSON and a JSON array split across read chunks at every byte", async () => {
    const oneByteChunks = (text) => Readable.from((function* () {
      for (const byte of Buffer.from(text)) yield Buffer.from([byte]);
    })());
    assertNdjsonRows(await readAll({ stdin: true, format: "ndjson", stream: oneByteChunks(NDJSON) }));
    const json = `[{"e": "x\\"],\\\\", "id": 1234567890123456789}, 7, {"u": "ü"}]`;
    assert.deepEqual(rowsOf(await readAll({ stdin: true, format: "json", stream: oneByteChunks(json) })), [{ e: 'x"],\\', id: 1234567890123456789n }, { n: 2, error: "not_an_object" }, { u: "ü" }]);
  });

  test("stdin needs a format", () => {
    assert.throws(() => openSource({ stdin: true, stream: Readable.from([]) }), /format/);
  });
});

describe("hostile rows: row errors, the reader goes on, nothing throws", () => {
  test("NDJSON: invalid UTF-8, 100k-deep nesting, __proto__, a line over 10 MB, not JSON, not an object", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const lines = [
      Buffer.from('{"a":1}'),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"a":"\xff\xfe"}
      Buffer.from(`{"deep": ${deep}}`),
      Buffer.from(deep),
      Buffer.from('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'),
      Buffer.from(`{"huge": "${"x".repeat(10 * 1024 * 1024 + 10)}"}`),
      Buffer.from('{"a": 1,}'),
      Buffer.from('"just a string"'),
      Buffer.from('{"a":2}\r'),
    ];
    const items = await readAll({ file: file("hostile.ndjson", Buffer.concat(lines.flatMap((line) => [line, Buffer.from("\n")]))) });
    assertNumbered(items);
    assert.deepEqual(errorsOf(items), [
      { n: 2, code: "invalid_utf8", line: 2 },
      { n: 3, code: "nesting_too_deep", line: 3 },
      { n: 4, code: "nesting_too_deep", line: 4 },
      { n: 6, code: "row_too_large", line: 6 },
      { n: 7, code: "invalid_json", line: 7 },
      { n: 8, code: "not_an_object", line: 8 },
    ]);
    assert.deepEqual({ ...items[0].row }, { a: 1 });
    assert.deepEqual({ ...items[8].row }, { a: 2 }, "a CRLF line end is not part of the JSON");
    const proto = items[4].row;
    assert.equal(Object.getPrototypeOf(proto), null);
    assert.deepEqual(Object.keys(proto), ["__proto__", "constructor"], "__proto__ is an own column like any other");
    assert.deepEqual({ ...proto.__proto__ }, { polluted: true });
    assert.equal({}.polluted, undefined, "Object.prototype is untouched");
    assert.equal(Object.prototype.polluted, undefined);
  });

  test("nesting: 64 levels are a row, 65 a row error (also past the JSON.parse fast path)", async () => {
    const nest = (depth, inner = "1") => "[".repeat(depth - 1) + inner + "]".repeat(depth - 1);
    const items = await readAll({
      file: file("depth.ndjson", [`{"a": ${nest(64)}}`, `{"a": ${nest(65)}}`, `{"a": ${nest(64, "12345678901234567890")}}`, `{"a": ${nest(65, "12345678901234567890")}}`].join("\n")),
    });
    assert.deepEqual(
      items.map((item) => item.error?.code ?? "row"),
      ["row", "nesting_too_deep", "row", "nesting_too_deep"],
    );
    let value = items[2].row.a;
    while (Array.isArray(value)) value = value[0];
    assert.equal(value, 12345678901234567890n);
  });

  test("JSON array: invalid UTF-8, too deep, too large, __proto__ elements are row errors or rows; the next element follows", async () => {
    const content = Buffer.concat([
      Buffer.from('[{"a":1},{"a":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(`"},{"d":${"[".repeat(100_000)}${"]".repeat(100_000)}},{"big":"${"y".repeat(2000)}"},{"__proto__":{"polluted":1}},{"a":2}]`),
    ]);
    const items = await readAll({ file: file("hostile.json", content) }, { maxRowBytes: 1000 });
    assertNumbered(items);
    assert.deepEqual(errorsOf(items).map((e) => e.code), ["invalid_utf8", "row_too_large", "row_too_large"]);
    const small = await readAll({ file: file("hostile2.json", content) }, { maxRowBytes: 1_000_000 });
    assert.deepEqual(errorsOf(small).map((e) => e.code), ["invalid_utf8", "nesting_too_deep"]);
    assert.equal(small[3].row.big.length, 2000);
    assert.deepEqual(Object.keys(small[4].row), ["__proto__"]);
    assert.deepEqual({ ...small[5].row }, { a: 2 });
    assert.equal({}.polluted, undefined);
  });

  test("JSON array: a long run of elements refused while cut is cut into blocks like any other, so memory does not grow with it", async () => {
    const { jsonArrayBlocks } = await import(new URL("../../../node_modules/cohort-sync/loader/sources/json-array.js", import.meta.url));
    const deep = `{"a":${"[".repeat(70)}${"]".repeat(70)}}`;
    async function* chunks() {
      for (let i = 0; i < 20; i++) yield Buffer.from(`${i === 0 ? "[" : ","}${Array(5000).fill(deep).join(",")}`);
      yield Buffer.from("]");
    }
    let elements = 0;
    let most = 0;
    for await (const block of jsonArrayBlocks(chunks(), { maxRowBytes: 1 << 20, maxDepth: 64 })) {
      elements += block.ends.length;
      most = Math.max(most, block.problems.length);
      assert.ok(block.problems.every((p) => p.code === "nesting_too_deep"));
    }
    assert.equal(elements, 100_000);
    assert.ok(most <= Math.ceil((64 * 1024) / deep.length) + 1, `at most a block's bytes of elements in a block: ${most}`);
  });

  test("CSV: invalid UTF-8 and an oversized record are row errors; a __proto__ column is an own column", async () => {
    const content = Buffer.concat([Buffer.from("__proto__,b\n1,2\n"), Buffer.from([0x33, 0x2c, 0xff, 0x0a]), Buffer.from(`"${"z".repeat(5000)}",4\n5,6\n`)]);
    const items = await readAll({ file: file("hostile.csv", content) }, { maxRowBytes: 1000 });
    assertNumbered(items);
    assert.deepEqual(errorsOf(items), [
      { n: 2, code: "invalid_utf8", line: 3 },
      { n: 3, code: "row_too_large", line: 4 },
    ]);
    assert.equal(items[0].row.__proto__, "1");
    assert.equal(Object.getPrototypeOf(items[0].row), null);
    assert.deepEqual({ ...items[3].row }, { ["__proto__"]: "5", b: "6" });
    assert.equal({}.polluted, undefined);
  });

  test("a missing file throws source_not_found when opened; a broken .gz throws source_error on reading", async () => {
    assert.throws(() => openSource({ file: join(dir, "no-such.ndjson") }), (error) => error.code === "source_not_found" && /no-such\.ndjson/.test(error.message));
    const path = join(dir, "broken.ndjson.gz");
    writeFileSync(path, Buffer.concat([gzipSync(Buffer.from('{"a":1}\n'.repeat(1000))).subarray(0, 40), Buffer.from("garbage")]));
    await assert.rejects(readAll({ file: path }), (error) => error.code === "source_error");
  });

  test("close() while reading ends the rows without an error", async () => {
    const source = openSource({ file: file("many.ndjson", '{"a":1}\n'.repeat(100_000)) });
    let count = 0;
    for await (const item of source.rows) {
      assert.ok(item.row);
      if (++count === 10) await source.close();
    }
    assert.equal(count, 10);
  });
});

describe("SQLite", () => {
  let path;
  before(() => {
    const Database = require("better-sqlite3");
    path = join(dir, "rows.db");
    const db = new Database(path);
    db.exec("CREATE TABLE t (id INTEGER, name TEXT, score REAL, data BLOB, small INTEGER)");
    const insert = db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)");
    for (const id of BIG) insert.run(id, `n${id}`, 0.5, Buffer.from([1, 2, 3]), 42);
    insert.run(null, "__proto__", null, null, null);
    db.close();
  });

  test("INTEGER ids exact, REAL, BLOB as bytes, NULL, columns in query order, params", async () => {
    const items = await readAll({ sqlite: path, query: "SELECT id, small, name, score, data FROM t WHERE name <> ? ORDER BY rowid", params: ["__proto__"] });
    assertNumbered(items);
    assert.deepEqual(
      items.map((item) => item.row.id),
      BIG,
    );
    const row = items[0].row;
    assert.deepEqual(Object.keys(row), ["id", "small", "name", "score", "data"]);
    assert.equal(row.small, 42);
    assert.equal(row.score, 0.5);
    assert.ok(row.data instanceof Uint8Array);
    assert.deepEqual([...row.data], [1, 2, 3]);
  });

  test("an open Database is used and left open; a column named __proto__ is an own column", async () => {
    const Database = require("better-sqlite3");
    const db = new Database(path, { readonly: true });
    const items = await readAll({ sqlite: db, query: "SELECT name AS __proto__ FROM t WHERE id IS NULL" });
    assert.equal(items[0].row.__proto__, "__proto__");
    assert.equal(Object.getPrototypeOf(items[0].row), null);
    assert.equal(db.open, true);
    db.close();
  });

  test("a missing file, a bad query: clear errors when opened", () => {
    assert.throws(() => openSource({ sqlite: join(dir, "none.db"), query: "SELECT 1" }), (error) => error.code === "source_not_found");
    assert.throws(() => openSource({ sqlite: path, query: "SELECT nope FROM t" }), (error) => error.code === "source_error" && /no such column/.test(error.message));
    assert.equal(existsSync(join(dir, "none.db")), false, "opening a source creates no file");
  });
});

describe("PostgreSQL", () => {
  let cluster;
  let pg;
  before(async () => {
    const { startCluster } = await import(pathToFileURL(join(repositoryRoot(), "scripts/pg-cluster.mjs")).href);
    cluster = await startCluster({ fsync: false });
    pg = require("pg");
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    await client.query(`CREATE TABLE t (id BIGINT, at TIMESTAMPTZ, local TIMESTAMP, day DATE, amount NUMERIC, ratio NUMERIC, doc JSONB, ids BIGINT[], data BYTEA, n INT, f FLOAT8, ok BOOLEAN, name TEXT)`);
    await client.query(
      `INSERT INTO t VALUES
        ($1, '2024-03-01 12:34:56.789+02', '2024-03-01 12:34:56.789', '2024-03-01', 12345678901234567890123, 1.50, '{"big": 1234567890123456789, "x": [1]}', '{9007199254740993, 1}', '\\x0102', 7, 0.25, true, 'a'),
        ($2, 'infinity', '1999-12-31 23:59:59', '0044-03-15 BC', NULL, 0.1, '{}', NULL, NULL, NULL, 'NaN', NULL, NULL),
        ($3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
      BIG.map(String),
    );
    await client.end();
  });
  after(async () => {
    await cluster?.stop();
  });

  test("BIGINT ids exact, timestamps as Dates, numeric, jsonb, arrays, bytea", async () => {
    const items = await readAll({ postgres: cluster.url, query: "SELECT * FROM t ORDER BY at NULLS LAST, local NULLS LAST;" });
    assertNumbered(items);
    assert.deepEqual(
      items.map((item) => item.row.id),
      BIG,
    );
    const [a, b] = items.map((item) => item.row);
    assert.deepEqual(Object.keys(a), ["id", "at", "local", "day", "amount", "ratio", "doc", "ids", "data", "n", "f", "ok", "name"]);
    assert.ok(a.at instanceof Date);
    assert.equal(a.at.toISOString(), "2024-03-01T10:34:56.789Z");
    assert.equal(a.local.toISOString(), "2024-03-01T12:34:56.789Z", "a timestamp without a zone is UTC");
    assert.equal(a.day.toISOString(), "2024-03-01T00:00:00.000Z");
    assert.equal(a.amount, 12345678901234567890123n);
    assert.equal(a.ratio, 1.5);
    assert.equal(a.doc.big, 1234567890123456789n);
    assert.deepEqual(a.doc.x, [1]);
    assert.deepEqual(a.ids, [9007199254740993n, 1]);
    assert.deepEqual([...a.data], [1, 2]);
    assert.equal(a.n, 7);
    assert.equal(a.f, 0.25);
    assert.equal(a.ok, true);
    assert.equal(b.at, "infinity", "what a Date cannot hold stays text");
    assert.equal(b.local.toISOString(), "1999-12-31T23:59:59.000Z");
    assert.equal(b.day.getUTCFullYear(), -43);
    assert.equal(b.ratio, 0.1);
    assert.equal(b.f, "NaN");
    assert.equal(items[2].row.at, null);
  });

  test("25k rows stream through the cursor: FETCH in batches, never the whole result at once", async () => {
    const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
    const seen = [];
    // The pool's client, watched: the texts of the queries the source sends.
    const watched = {
      totalCount: 0,
      async connect() {
        const client = await pool.connect();
        const query = client.query.bind(client);
        client.query = (config, ...rest) => {
          seen.push(typeof config === "string" ? config : config.text);
          return query(config, ...rest);
        };
        return client;
      },
    };
    const source = openSource({
      postgres: watched,
      query: "SELECT g AS n, 9007199254740993 + g AS id FROM generate_series(1, $1::int) AS g",
      params: [25_000],
      batchRows: 1000,
    });
    await source.ready();
    let count = 0;
    let activity = null;
    for await (const item of source.rows) {
      assert.equal(item.n, item.row.n);
      assert.equal(item.row.id, 9007199254740993n + BigInt(item.row.n));
      count++;
      if (count === 1500) {
        // The server's view of the source's connection, mid-stream: a transaction open
        // on the cursor, its last statement a FETCH of one batch.
        const other = new pg.Client({ connectionString: cluster.url });
        await other.connect();
        const { rows } = await other.query("SELECT state, query FROM pg_stat_activity WHERE query LIKE 'FETCH%' AND pid <> pg_backend_pid()");
        await other.end();
        activity = rows;
        assert.equal(source.fetches(), 2, "after 1500 rows, two batches have been fetched");
      }
    }
    await source.close();
    assert.equal(count, 25_000);
    assert.deepEqual(activity, [{ state: "idle in transaction", query: "FETCH 1000 FROM cohort_sync_source" }]);
    const fetches = seen.filter((text) => text.startsWith("FETCH"));
    assert.equal(fetches.length, 26, "25 full batches and an empty one");
    assert.ok(seen.some((text) => /^DECLARE cohort_sync_source NO SCROLL CURSOR FOR /.test(text)));
    assert.deepEqual(seen.slice(-2), ["CLOSE cohort_sync_source", "COMMIT"]);
    assert.equal(pool.idleCount, 1, "the client went back to the pool");
    await pool.end();
  });

  test("leaving early rolls the transaction back and gives the client back", async () => {
    const pool = new pg.Pool({ connectionString: cluster.url, max: 1 });
    const source = openSource({ postgres: pool, query: "SELECT g FROM generate_series(1, 10000) AS g", batchRows: 100 });
    let count = 0;
    for await (const item of source.rows) if (++count === 150) break;
    await source.close();
    assert.equal(count, 150);
    assert.equal(pool.totalCount, 1);
    assert.equal(pool.idleCount, 1);
    const { rows } = await pool.query("SELECT count(*)::int AS cursors FROM pg_cursors");
    assert.equal(rows[0].cursors, 0);
    await pool.end();
  });

  test("a bad query and an unreachable server: source_error on ready() or the first read", async () => {
    const bad = openSource({ postgres: cluster.url, query: "SELECT nope FROM t" });
    await assert.rejects(bad.ready(), (error) => error.code === "source_error" && /nope/.test(error.message));
    await bad.close();
    const bad2 = openSource({ postgres: cluster.url, query: "SELECT nope FROM t" });
    await assert.rejects(readAllFrom(bad2), (error) => error.code === "source_error");
    await bad2.close();
    // A port nothing listens on: one just given up by a server of our own.
    const { createServer } = await import("node:net");
    const server = createServer();
    await new Promise((done) => server.listen(0, "127.0.0.1", done));
    const { port } = server.address();
    await new Promise((done) => server.close(done));
    const down = openSource({ postgres: `postgres://postgres@127.0.0.1:${port}/x`, query: "SELECT 1" });
    await assert.rejects(down.ready(), (error) => error.code === "source_error" && /connect/.test(error.message));
    await down.close();
  });
});

async function readAllFrom(source) {
  const out = [];
  for await (const item of source.rows) out.push(item);
  return out;
}

describe("DuckDB", () => {
  let duckdb;
  before(() => {
    duckdb = require("@duckdb/node-api");
  });

  test("BIGINT and HUGEINT exact, TIMESTAMP and DATE as Dates, LIST, STRUCT, BLOB, DECIMAL, JSON", async () => {
    const items = await readAll({
      duckdb: null,
      query: `SELECT * FROM (VALUES
          (9007199254740993::BIGINT, 9007199254740993::HUGEINT, 170141183460469231731687303715884105727::HUGEINT, 18446744073709551615::UBIGINT,
           TIMESTAMP '2024-03-01 12:34:56.789', TIMESTAMPTZ '2024-03-01 12:34:56+02', DATE '2024-03-01', [1, 2], {'a': 1, '__proto__': 2},
           '\\x01\\x02'::BLOB, 1.50::DECIMAL(10, 2), 12345678901234567.5::DECIMAL(38, 1), '{"big": 1234567890123456789}'::JSON, 42::INTEGER, 'infinity'::TIMESTAMP),
          (1234567890123456789::BIGINT, 1234567890123456789::HUGEINT, -5::HUGEINT, 1::UBIGINT,
           NULL, NULL, NULL, [], {'a': NULL, '__proto__': NULL}, NULL, NULL, NULL, NULL, NULL, NULL)
        ) AS t(id, huge, huger, ubig, ts, tstz, day, list, struct, blob, dec, bigdec, doc, small, inf)`,
    });
    assertNumbered(items);
    const [a, b] = items.map((item) => item.row);
    assert.equal(a.id, 9007199254740993n);
    assert.equal(a.huge, 9007199254740993n);
    assert.equal(a.huger, 170141183460469231731687303715884105727n);
    assert.equal(a.ubig, 18446744073709551615n);
    assert.equal(b.id, 1234567890123456789n);
    assert.equal(b.huge, 1234567890123456789n);
    assert.equal(b.huger, -5);
    assert.equal(b.ubig, 1);
    assert.ok(a.ts instanceof Date);
    assert.equal(a.ts.toISOString(), "2024-03-01T12:34:56.789Z");
    assert.equal(a.tstz.toISOString(), "2024-03-01T10:34:56.000Z");
    assert.equal(a.day.toISOString(), "2024-03-01T00:00:00.000Z");
    assert.deepEqual(a.list, [1, 2]);
    assert.deepEqual(Object.keys(a.struct), ["a", "__proto__"]);
    assert.equal(Object.getPrototypeOf(a.struct), Object.prototype, "a STRUCT field named __proto__ did not set the prototype");
    assert.deepEqual([...a.blob], [1, 2]);
    assert.ok(a.blob instanceof Uint8Array);
    assert.equal(a.dec, 1.5);
    assert.equal(a.bigdec, "12345678901234567.5", "a DECIMAL no number holds stays text");
    assert.equal(a.doc.big, 1234567890123456789n);
    assert.equal(a.small, 42);
    assert.equal(typeof a.inf, "string");
    assert.equal(b.ts, null);
    assert.deepEqual(b.list, []);
  });

  test("a Parquet file DuckDB wrote, read back by query, chunk by chunk", async () => {
    const parquet = join(dir, "rows.parquet");
    const instance = await duckdb.DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT i AS n, 9007199254740993 + i AS id, (TIMESTAMP '2024-01-01' + to_seconds(i)) AS at FROM range(1, 10001) AS r(i)) TO '${parquet}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const source = openSource({ duckdb: null, query: `SELECT * FROM '${parquet}' ORDER BY n` });
    let count = 0;
    for await (const item of source.rows) {
      count++;
      assert.equal(item.n, count);
      assert.equal(item.row.n, count);
      assert.equal(item.row.id, 9007199254740993n + BigInt(count));
      assert.equal(item.row.at.getTime(), Date.UTC(2024, 0, 1) + count * 1000);
    }
    await source.close();
    assert.equal(count, 10_000);
  });

  test("a CSV file read by query", async () => {
    const csv = file("duck.csv", "id,name,when\n1234567890123456789,a,2024-03-01 10:00:00\n9007199254740993,b,2024-03-02 11:00:00\n");
    const items = await readAll({ duckdb: ":memory:", query: `SELECT * FROM read_csv('${csv}') ORDER BY name` });
    assert.deepEqual(
      items.map((item) => item.row.id),
      [1234567890123456789n, 9007199254740993n],
    );
    assert.equal(items[1].row.when.toISOString(), "2024-03-02T11:00:00.000Z");
  });

  test("a database file, a missing file, a bad query", async () => {
    const path = join(dir, "rows.duckdb");
    const instance = await duckdb.DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run("CREATE TABLE t AS SELECT 1234567890123456789::BIGINT AS id");
    connection.closeSync();
    instance.closeSync();
    assert.deepEqual(rowsOf(await readAll({ duckdb: path, query: "SELECT id FROM t" })), [{ id: 1234567890123456789n }]);
    assert.throws(() => openSource({ duckdb: join(dir, "none.duckdb"), query: "SELECT 1" }), (error) => error.code === "source_not_found");
    assert.equal(existsSync(join(dir, "none.duckdb")), false);
    const bad = openSource({ duckdb: null, query: "SELECT * FROM no_such_table" });
    await assert.rejects(readAllFrom(bad), (error) => error.code === "source_error" && /no_such_table/.test(error.message));
    await bad.close();
  });
});

describe("memory", () => {
  test("200k NDJSON rows stream with RSS growth well under the file's size", async (t) => {
    const path = join(dir, "large.ndjson");
    const out = createWriteStream(path);
    const pad = "p".repeat(400);
    for (let i = 1; i <= 200_000; i++) {
      const line = `{"n": ${i}, "id": ${9007199254740993n + BigInt(i)}, "name": "user ${i}", "pad": "${pad}"}\n`;
      if (!out.write(line)) await new Promise((done) => out.once("drain", done));
    }
    await new Promise((done, fail) => out.end((error) => (error ? fail(error) : done())));
    const size = statSync(path).size;
    assert.ok(size > 80_000_000, `the file is ${size} bytes`);
    // Read in a process of its own, so what this file's other tests left in the heap
    // does not count.
    const modules = new URL("../../../node_modules/cohort-sync/loader/sources.js", import.meta.url).href;
    const script = `
      const { openSource } = await import(${JSON.stringify(modules)});
      const source = openSource({ file: ${JSON.stringify(path)} });
      const base = process.memoryUsage().rss;
      let peak = base, count = 0, ordered = true;
      for await (const item of source.rows) {
        count++;
        if (item.row.n !== count || item.row.id !== 9007199254740993n + BigInt(count)) ordered = false;
        if (count % 2000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      }
      await source.close();
      console.log(JSON.stringify({ count, ordered, growth: peak - base, bytesRead: source.bytesRead() }));
    `;
    const { execFile } = await import("node:child_process");
    const stdout = await new Promise((done, fail) =>
      execFile(process.execPath, ["--input-type=module", "-e", script], (error, out) => (error ? fail(error) : done(out))),
    );
    const { count, ordered, growth, bytesRead } = JSON.parse(stdout);
    assert.equal(count, 200_000);
    assert.ok(ordered, "every row, in order, with its exact id");
    assert.equal(bytesRead, size);
    t.diagnostic(`RSS grew ${(growth / 1e6).toFixed(1)} MB over a ${(size / 1e6).toFixed(1)} MB file`);
    assert.ok(growth < size / 3, `RSS grew ${(growth / 1e6).toFixed(1)} MB reading a ${(size / 1e6).toFixed(1)} MB file`);
  });
});
