// A store shared by several objects (the Node host's SQLite file, a PostgreSQL database)
// gives each object a "space": its tables' names carry the space's prefix
// (`c17_members`). The objects' SQL names its tables plainly, as in a Durable Object,
// where each object has a database of its own; the store rewrites each statement for
// the space, learning the table names from the schemas it runs.

/**
 * The names of one space: `learn(schema)` notes the tables and indexes a schema creates,
 * `local(text)` rewrites a statement's table names with the prefix, `tables` lists them.
 * `onLearn()` is told when the names change (rewritten statements are stale).
 */
export function tableNames(prefix, onLearn = () => {}) {
  if (!/^[a-z][a-z0-9_]*_$/.test(prefix)) throw new Error(`bad table prefix ${JSON.stringify(prefix)}`);
  const tables = new Set();
  let pattern = null;
  return {
    tables,
    learn(text) {
      for (const [, name] of text.matchAll(/CREATE\s+(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+(\w+)/gi)) {
        if (tables.has(name)) continue;
        tables.add(name);
        pattern = new RegExp(`(?<![\\w.'"])(?:${[...tables].join("|")})(?![\\w'"])`, "g");
        onLearn();
      }
    },
    local: (text) => (pattern === null ? text : text.replace(pattern, (name) => prefix + name)),
  };
}
