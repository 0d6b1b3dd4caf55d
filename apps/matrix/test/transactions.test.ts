import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ConnectorState, silentLogger } from "@parley/bridge";
import { Transactions } from "../src/transactions.ts";

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
    assert.ok(state.data.has("txn:7"));
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
    assert.equal(state.data.has("txn:5"), false);
    await t.receive("5", { events: ev("a", "b", "c") });
    assert.deepEqual(r.seen, ["a", "a", "b", "c"]);
    assert.ok(state.data.has("txn:5"));
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
