// faults.test.mjs on PostgreSQL: the same faults, injected into a throwaway cluster's
// database (its connections refused and ended, a trigger raising or sleeping).
process.env.RECEIVER_STORE = "postgres";
await import("./faults.test.mjs");
