// The wasm build skips string bodies 16 bytes at a time with SIMD128, a path the native
// `cargo test` never runs. These tests drive it from JavaScript: every kind of byte that
// must stop the scan, at every offset across two 16-byte blocks, checked against what
// JSON.parse and TextDecoder say of the same text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePayload, validatePayload } from "cohort-sync";

const encoder = new TextEncoder();

function body(idJsonText) {
  return `{"action":"add_members","parameters":{"mixpanel_project_id":"p","mixpanel_cohort_id":"c","mixpanel_session_id":"s","page_info":{"total_pages":1,"page_count":1},"members":[{"mixpanel_distinct_id":"${idJsonText}"}]}}`;
}

// What goes inside the quotes, as JSON text: escapes, raw characters JSON forbids,
// non-ASCII of every UTF-8 length.
const SPECIALS = ['\\"', "\\\\", "\\n", "\\u00e9", "\\ud83d\\ude00", "\u0001", "\u001f", "\t", "é", "€", "😀", "\u007f", "/"];

test("every special character at every offset agrees with JSON.parse", () => {
  for (const special of SPECIALS) {
    for (let at = 0; at < 40; at++) {
      const idText = "x".repeat(at) + special + "y".repeat(40 - at);
      const text = body(idText);
      let expected;
      try {
        expected = JSON.parse(text).parameters.members[0].mixpanel_distinct_id;
      } catch {
        expected = undefined;
      }
      const report = validatePayload(encoder.encode(text));
      assert.equal(report.valid, expected !== undefined, `${JSON.stringify(special)} at ${at}: ${JSON.stringify(report.errors)}`);
      if (expected !== undefined) {
        assert.equal(parsePayload(encoder.encode(text)).members[0].distinctId, expected);
      } else {
        assert.equal(report.errors[0].code, "invalid_json");
        // The problem points at the offending byte.
        assert.equal(report.errors[0].offset, text.indexOf('"mixpanel_distinct_id":"') + 24 + at);
      }
    }
  }
});

test("invalid UTF-8 at every offset is found, and where", () => {
  const bad = [[0xc3], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xff], [0x80], [0xed, 0xa0, 0x80]];
  for (const seq of bad) {
    for (let at = 0; at < 40; at++) {
      const prefix = encoder.encode(body("x".repeat(at)).split('"}]}}')[0]);
      const bytes = new Uint8Array([...prefix, ...seq, ...encoder.encode("tail\"}]}}")]);
      const report = validatePayload(bytes);
      let decodable = true;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        decodable = false;
      }
      assert.equal(decodable, false, `${seq} is invalid UTF-8`);
      assert.equal(report.valid, false);
      assert.equal(report.errors[0].code, "invalid_utf8", `${seq} at ${at}: ${JSON.stringify(report.errors)}`);
      assert.equal(report.errors[0].offset, prefix.length, `${seq} at ${at}`);
    }
  }
});
