import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ConnectorState, silentLogger } from "@parley/bridge";
import { REMEMBERED_TXNS, Transactions } from "../src/transactions.ts";

function memoryState(): ConnectorState & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: async (k) => data.get(k),
    set: async (k, v) => {
      data.set(k, v);
    },
  };
}

function recorder(o: { failOn?: string; failTimes?: number } = {}) {
  const seen: string[] = [];
  let failures = 0;
  return {
    seen,
    handlers: {
      async event(raw: unknown) {
        const id = String((raw as { id: string }).id);
        if (id === o.failOn && failures < (o.failTimes ?? Number.POSITIVE_INFINITY)) {
          failures++;
          throw new Error("the engine could not take it");
        }
        await new Promise((r) => setTimeout(r, 1));
        seen.push(id);
      },
      async ephemeral(raw: unknown) {
        seen.push(`eph ${String((raw as { id: string }).id)}`);
      },
    },
  };
}

/** The transaction ids the state holds as handled. */
const handled = (state: { data: Map<string, string> }): string[] =>
  JSON.parse(state.data.get("txn:recent") ?? "[]") as string[];

const ev = (...ids: string[]) => ids.map((id) => ({ id }));

describe("transactions", () => {
  test("events are handled in order, timeline before ephemeral, transactions one after another", async () => {
    const r = recorder();
    const t = new Transactions({ state: memoryState(), handlers: r.handlers, logger: silentLogger });
    await Promise.all([
      t.receive("1", { events: ev("a", "b"), ephemeral: ev("x") }),
      t.receive("2", { events: ev("c") }),
    ]);
    assert.deepEqual(r.seen, ["a", "b", "eph x", "c"]);
  });

  test("a transaction id already handled is acknowledged without handling its events again, also after a restart", async () => {
    const state = memoryState();
    const r = recorder();
    await new Transactions({ state, handlers: r.handlers, logger: silentLogger }).receive("7", { events: ev("a") });
    const again = new Transactions({ state, handlers: r.handlers, logger: silentLogger });
    await again.receive("7", { events: ev("a") });
    assert.deepEqual(r.seen, ["a"]);
    assert.deepEqual(handled(state), ["7"]);
  });

  test("the state keeps a bounded list of the latest ids, and a damaged list is started anew", async () => {
    const state = memoryState();
    const r = recorder();
    const t = new Transactions({ state, handlers: r.handlers, logger: silentLogger });
    for (let i = 0; i < REMEMBERED_TXNS + 40; i++) await t.receive(String(i), { events: [] });
    assert.deepEqual([...state.data.keys()], ["txn:recent"]);
    const ids = handled(state);
    assert.equal(ids.length, REMEMBERED_TXNS);
    assert.equal(ids.at(-1), String(REMEMBERED_TXNS + 39));
    assert.equal(ids[0], "40");
    // The latest is still known after a restart.
    const restarted = new Transactions({ state, handlers: r.handlers, logger: silentLogger });
    await restarted.receive(String(REMEMBERED_TXNS + 39), { events: ev("again") });
    assert.deepEqual(r.seen, []);

    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m), child: () => logger };
    state.data.set("txn:recent", "{not json");
    const fresh = new Transactions({ state, handlers: r.handlers, logger });
    await fresh.receive("new", { events: ev("n") });
    assert.deepEqual(r.seen, ["n"]);
    assert.deepEqual(handled(state), ["new"]);
    assert.ok(warnings.some((w) => w.includes("unreadable")));
  });

  test("the same id sent again while it runs shares the first run", async () => {
    const r = recorder();
    const t = new Transactions({ state: memoryState(), handlers: r.handlers, logger: silentLogger });
    await Promise.all([t.receive("9", { events: ev("a", "b") }), t.receive("9", { events: ev("a", "b") })]);
    assert.deepEqual(r.seen, ["a", "b"]);
  });

  test("a failure rejects (the homeserver retries) and records nothing; the retry handles it", async () => {
    const state = memoryState();
    const r = recorder({ failOn: "b", failTimes: 1 });
    const t = new Transactions({ state, handlers: r.handlers, logger: silentLogger });
    await assert.rejects(t.receive("5", { events: ev("a", "b", "c") }));
    assert.deepEqual(handled(state), []);
    await t.receive("5", { events: ev("a", "b", "c") });
    assert.deepEqual(r.seen, ["a", "a", "b", "c"]);
    assert.deepEqual(handled(state), ["5"]);
  });

  test("an event that fails every time is skipped from the third attempt on, so the rooms behind it go on", async () => {
    const lines: string[] = [];
    const logger = { ...silentLogger, error: (m: string) => void lines.push(m), child: () => logger };
    const r = recorder({ failOn: "poison" });
    const t = new Transactions({ state: memoryState(), handlers: r.handlers, logger });
    const body = { events: ev("ok", "poison", "after") };
    await assert.rejects(t.receive("p", body));
    await assert.rejects(t.receive("p", body));
    await t.receive("p", body);
    assert.deepEqual(r.seen, ["ok", "ok", "ok", "after"]);
    assert.ok(lines.some((l) => l.includes("skipped")));
  });
});
