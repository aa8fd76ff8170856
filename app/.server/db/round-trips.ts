/**
 * Counts the round trips a request makes to D1: every `first`, `all`, `run`,
 * `raw` and `batch` call (a batch is one trip however many statements it
 * holds). The performance budget is at most two per signed-in screen, and a
 * test asserts the count of every screen (`X-D1-Round-Trips` in development).
 * The wrapper hands D1 its own statement objects, so nothing else changes.
 */
export interface CountedD1 {
  d1: D1Database;
  roundTrips: () => number;
}

const CALLS = new Set(["first", "all", "run", "raw"]);

export function countRoundTrips(d1: D1Database): CountedD1 {
  let trips = 0;
  const originals = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "bind") return (...args: unknown[]) => wrap(value.apply(target, args));
        if (CALLS.has(property as string))
          return (...args: unknown[]) => {
            trips++;
            return value.apply(target, args);
          };
        return value.bind(target);
      },
    });
    originals.set(proxy, statement);
    return proxy;
  };
  const counted = new Proxy(d1, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property === "prepare") return (query: string) => wrap(target.prepare(query));
      if (property === "batch")
        return (statements: D1PreparedStatement[]) => {
          trips++;
          return target.batch(statements.map((s) => originals.get(s) ?? s));
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { d1: counted, roundTrips: () => trips };
}
