// dead-pages.test.mjs on PostgreSQL: the member row refused by a trigger in the database.
process.env.RECEIVER_STORE = "postgres";
await import("./dead-pages.test.mjs");
