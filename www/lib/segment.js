// The "SegmentMembership" panel: encode audience ids, decode a value, test whether a
// value holds an id (whole quoted tokens only: 1103 is not in '11036','11034').
import { decodeSegmentMembership, encodeSegmentMembership, segmentMembershipContains } from "../../pkg/web.js";
import { $, el, errorText, plural } from "./dom.js";

export function setupSegment() {
  const encIn = $("enc-in");
  const decIn = $("dec-in");
  const hasValue = $("has-value");
  const hasId = $("has-id");

  function encode() {
    // One id per line; blank lines are skipped (an empty id cannot be encoded anyway).
    const ids = encIn.value.split("\n").map((s) => s.trim()).filter(Boolean);
    result($("enc-out"), () => {
      const value = encodeSegmentMembership(ids);
      return [el("code", { className: "value" }, value === "" ? '""' : value)];
    });
  }

  function decode() {
    result($("dec-out"), () => {
      const ids = decodeSegmentMembership(decIn.value);
      return [
        el("span", {}, `${plural(ids.length, "audience id")}: `),
        ...ids.map((id) => el("code", { className: "chip" }, id)),
      ];
    });
  }

  function contains() {
    result($("has-out"), () => {
      const yes = segmentMembershipContains(hasValue.value, hasId.value.trim());
      return [
        el("strong", { className: yes ? "yes" : "no" }, yes ? "Yes" : "No"),
        el("span", {}, yes ? ` — the value holds the token '${hasId.value.trim()}'.` : ` — no whole token '${hasId.value.trim()}' in the value.`),
      ];
    });
  }

  encIn.addEventListener("input", encode);
  decIn.addEventListener("input", decode);
  hasValue.addEventListener("input", contains);
  hasId.addEventListener("input", contains);
  encode();
  decode();
  contains();
}

/** Fills `output` with `make()`'s nodes, or with the error it throws, shown as one. */
function result(output, make) {
  try {
    output.replaceChildren(...make());
    output.dataset.state = "ok";
    delete output.dataset.code;
  } catch (error) {
    output.replaceChildren(el("span", { className: "badge" }, "error"), " ", el("span", {}, errorText(error)));
    output.dataset.state = "error";
    output.dataset.code = error.code ?? "";
  }
}
