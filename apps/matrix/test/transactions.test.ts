import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ConnectorState, silentLogger } from "@parley/bridge";
import { REMEMBERED_TXNS, Transactions, transactionFingerprint } from "../src/transactions.ts";

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
  (JSON.parse(state.data.get("txn:recent") ?? "[]") as Array<[string, string]>).map(([txnId]) => txnId);

/** Timeline events as the homeserver sends them: each with its event ID (the recorder reads `id`). */
const ev = (...ids: string[]) => ids.map((id) => ({ id, event_id: `$${id}` }));

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
    for (let i = 0; i < REMEMBERED_TXNS + 40; i++) await t.receive(String(i), { events: ev(String(i)) });
    r.seen.length = 0;
    assert.deepEqual([...state.data.keys()], ["txn:recent"]);
    const ids = handled(state);
    assert.equal(ids.length, REMEMBERED_TXNS);
    assert.equal(ids.at(-1), String(REMEMBERED_TXNS + 39));
    assert.equal(ids[0], "40");
    // The latest is still known after a restart.
    const restarted = new Transactions({ state, handlers: r.handlers, logger: silentLogger });
    await restarted.receive(String(REMEMBERED_TXNS + 39), { events: ev(String(REMEMBERED_TXNS + 39)) });
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

  test("an id seen before with other events is a new transaction (a homeserver numbering from 1 again)", async () => {
    const state = memoryState();
    const r = recorder();
    const infos: string[] = [];
    const logger = { ...silentLogger, info: (m: string) => void infos.push(m), child: () => logger };
    await new Transactions({ state, handlers: r.handlers, logger }).receive("1", { events: ev("a", "b") });
    // The homeserver restarted and numbers from 1 again; so does the bridge.
    const restarted = new Transactions({ state, handlers: r.handlers, logger });
    await restarted.receive("1", { events: ev("c") });
    await restarted.receive("2", { events: ev("d") });
    // A retry of that new "1" is still recognised, whatever else changed in the body (unsigned.age does).
    await restarted.receive("1", { events: [{ id: "c", event_id: "$c", unsigned: { age: 9000 } }] });
    assert.deepEqual(r.seen, ["a", "b", "c", "d"]);
    assert.deepEqual(handled(state), ["1", "1", "2"]);
    assert.ok(infos.some((line) => line.includes("numbers anew")));
    // The same events in another order are another transaction too.
    await restarted.receive("2", { events: ev("b", "a") });
    assert.deepEqual(r.seen, ["a", "b", "c", "d", "b", "a"]);
  });

  test("a transaction of ephemeral data only is handled each time, and not remembered", async () => {
    const state = memoryState();
    const r = recorder();
    const t = new Transactions({ state, handlers: r.handlers, logger: silentLogger });
    await t.receive("e", { events: [], ephemeral: ev("typing") });
    await t.receive("e", { events: [], ephemeral: ev("receipt") });
    assert.deepEqual(r.seen, ["eph typing", "eph receipt"]);
    assert.deepEqual(handled(state), []);
  });

  test("a list kept by an older version (bare ids) matches nothing: the transaction is handled, the list rewritten", async () => {
    const state = memoryState();
    state.data.set("txn:recent", JSON.stringify(["3", "4"]));
    const r = recorder();
    await new Transactions({ state, handlers: r.handlers, logger: silentLogger }).receive("4", { events: ev("x") });
    assert.deepEqual(r.seen, ["x"]);
    assert.deepEqual(handled(state), ["4"]);
  });

  test("fingerprints follow the timeline events' IDs, in order, and nothing else", () => {
    const a = { event_id: "$a", unsigned: { age: 1 } };
    const b = { event_id: "$b" };
    assert.equal(transactionFingerprint({ events: [] }), undefined);
    assert.equal(
      transactionFingerprint({ events: [a, b] }),
      transactionFingerprint({ events: [{ ...a, unsigned: { age: 500 } }, b], ephemeral: [{ type: "m.typing" }] }),
    );
    assert.notEqual(transactionFingerprint({ events: [a, b] }), transactionFingerprint({ events: [b, a] }));
    assert.notEqual(transactionFingerprint({ events: [a] }), transactionFingerprint({ events: [a, b] }));
  });

  test("a transaction is recorded (and acknowledged) only once the engine has its events on record", async () => {
    const state = memoryState();
    const r = recorder();
    let release = () => {};
    const onRecord = new Promise<void>((resolve) => {
      release = resolve;
    });
    const t = new Transactions({ state, handlers: r.handlers, logger: silentLogger, settled: () => onRecord });
    let acknowledged = false;
    const receiving = t.receive("s", { events: ev("a") }).then(() => {
      acknowledged = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(r.seen, ["a"]);
    assert.equal(acknowledged, false);
    assert.deepEqual(handled(state), []);
    release();
    await receiving;
    assert.deepEqual(handled(state), ["s"]);
  });
});
