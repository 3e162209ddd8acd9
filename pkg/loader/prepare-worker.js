// A worker thread that reads NDJSON, JSON-array or CSV blocks and prepares their rows
// (prepare.js): the same code the main thread runs, beside it, so that reading, mapping
// and hashing use a core of their own while the main thread plans, sends and keeps the
// books (prepare-pool.js). Row numbers here count from each block's first row; the main
// thread, which knows how many rows came before, adds that.
import { parentPort, workerData } from "node:worker_threads";
import { insertId } from "../node.js";
import { createMapper } from "./mapping.js";
import { prepareRows, transferables } from "./prepare.js";
import { rowsOfCsvBlock } from "./sources/csv.js";
import { rowsOfJsonArrayBlock } from "./sources/json-array.js";
import { rowsOfBlock } from "./sources/ndjson.js";

const { mapping, token, limits } = workerData;
const mapper = createMapper(mapping, { token, insertId: (event, key) => insertId(event, key) });
// A flat row is mapped from its text, without its object being made (mapping.js, mapLine).
const read = { ...limits, plainRows: true, mapLine: mapper.mapLine };

parentPort.on("message", ({ id, block }) => {
  try {
    const { rows: items, stopped } = limits.json
      ? rowsOfJsonArrayBlock(block, read)
      : { rows: limits.csvDelimiter === undefined ? rowsOfBlock(block, read) : rowsOfCsvBlock(block, { maxRowBytes: limits.maxRowBytes, delimiter: limits.csvDelimiter }), stopped: false };
    const prepared = prepareRows(items, { mapper });
    parentPort.postMessage({ id, read: items.length, prepared, stopped }, transferables(prepared));
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error?.message ?? error), stack: error?.stack, code: error?.code } });
  }
});
