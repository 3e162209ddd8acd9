// The receiver's host-agnostic parts: the routes (routes.js) and the objects behind them
// (a Cohort per cohort, one Profiles, one Registry), all over the storage interface of
// storage.md. A host (the Worker, or createReceiver in Node) decides where each object's
// storage lives and runs one call of an object at a time.
export { handleRequest, isReceiverPath } from "./routes.js";
export { Cohort } from "./cohort.js";
export { Profiles } from "./profiles.js";
export { Registry } from "./registry.js";
export { sql, storageDatabase } from "./database.js";
export { failureMessage } from "./message.js";
export { dataPoint, eventSinks, logEvent } from "./log.js";
export { authMode } from "./auth.js";
export { SETTINGS, SettingError, readSettings } from "./settings.js";
