/**
 * Retention by age, on SQLite and on a real PostgreSQL, with injected clocks:
 * old message-map rows, ledger entries, dead letters and expired state go in
 * small batches; recent rows and undated state stay, and a correction of a
 * retained message still finds it. The schedule (at start, then every
 * interval, stopped with the bridge) is tested on a store of its own.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectorStateIn } from "../src/store/connector-state.ts";
import {
  type BridgeStore,
  DAY_MS,
  type MessageRecord,
  MIGRATIONS,
  openStore,
  type PrunableRecords,
  StoreRetention,
  StoreValueError,
} from "../src/store/index.ts";
import { type LogLine, recordingLogger } from "./recording-logger.ts";
import { postgresBackend, sqliteBackend } from "./store-backends.ts";

/** 2023-11-14, a fixed "now" the tests move by hand. */
const START = 1_700_000_000_000;
const ROOM = "lobby@muc.parley.test";

/** A clock the test sets; the store and the retention read it. */
function testClock(at = START) {
  const clock = { now: at, read: () => clock.now };
  return clock;
}

const message = (remoteId: string, createdAt: number, over: Partial<MessageRecord> = {}): MessageRecord => ({
  network: "discord",
  channel: "c1",
  remoteId,
  room: ROOM,
  sender: "u1",
  direction: "to-xmpp",
  createdAt,
  originId: `origin-${remoteId}`,
  stanzaId: `stanza-${remoteId}`,
  ...over,
});

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`store retention on ${backend.name}`, { timeout: 300_000 }, () => {
    const open: BridgeStore[] = [];
    const storeWith = async (clock: { read: () => number }, url?: string) => {
      const s = await openStore(url ?? (await backend.fresh()), { now: clock.read });
      open.push(s);
      return s;
    };

    before(() => backend.setup());
    after(async () => {
      for (const s of open) await s.close();
      await backend.teardown();
    });

    it("prune deletes the oldest rows dated before the cutoff, at most `limit` a call", async () => {
      const clock = testClock();
      const store = await storeWith(clock);
      for (const at of [5, 1, 4, 2, 3]) await store.recordMessage(message(`m${at}`, at));
      assert.equal(await store.prune("messages", 4, 2), 2);
      assert.deepEqual(await store.byRemoteId("discord", "m1"), []);
      assert.deepEqual(await store.byRemoteId("discord", "m2"), []);
      assert.equal(await store.prune("messages", 4, 2), 1);
      assert.equal(await store.prune("messages", 4, 2), 0);
      for (const kept of ["m4", "m5"]) assert.equal((await store.byRemoteId("discord", kept)).length, 1, kept);
      assert.equal(await store.prune("messages", 100, 0), 0, "a limit of 0 deletes nothing");
      await assert.rejects(store.prune("messages", 1.5, 10), StoreValueError);
      await assert.rejects(store.prune("puppets" as PrunableRecords, 1, 10), StoreValueError);
    });

    it("state written with a ttl reads as gone once expired and is pruned; state without one stays", async () => {
      const clock = testClock();
      const store = await storeWith(clock);
      await store.setState("s", "short", "a", { ttlMs: 1000 });
      await store.setState("s", "cursor", "b");
      await store.setState("s", "renewed", "c", { ttlMs: 1000 });
      clock.now += 500;
      await store.setState("s", "renewed", "c2", { ttlMs: 1000 }); // each write sets the expiry anew
      await store.setState("s", "made-permanent", "d", { ttlMs: 1000 });
      await store.setState("s", "made-permanent", "d2");
      clock.now += 600;
      assert.equal(await store.getState("s", "short"), undefined, "past its expiry");
      assert.equal(await store.getState("s", "renewed"), "c2");
      assert.equal(await store.getState("s", "cursor"), "b");
      assert.equal(await store.prune("expired-state", clock.now, 100), 1);
      clock.now += 10 * 365 * DAY_MS;
      assert.equal(await store.prune("expired-state", clock.now, 100), 1, "only `renewed` had an expiry left");
      assert.equal(await store.getState("s", "cursor"), "b", "a key without a ttl is never pruned");
      assert.equal(await store.getState("s", "made-permanent"), "d2", "a write without a ttl clears the expiry");
      await assert.rejects(store.setState("s", "k", "v", { ttlMs: 0 }), StoreValueError);
      await assert.rejects(store.setState("s", "k", "v", { ttlMs: 2.5 }), StoreValueError);
    });

    it("a sweep drops what is older than the policy, keeps the rest, and a retained message still takes a correction", async () => {
      const clock = testClock();
      const store = await storeWith(clock);
      const lines: LogLine[] = [];
      const counted: Array<[PrunableRecords, number]> = [];
      // Five messages from 100 days ago (more than one batch), one from 10 days ago.
      for (let i = 0; i < 5; i++) await store.recordMessage(message(`old${i}`, START - 100 * DAY_MS + i));
      await store.recordMessage(message("recent", START - 10 * DAY_MS));
      // Delivered 40 days ago and 5 days ago, by the store's clock.
      clock.now = START - 40 * DAY_MS;
      await store.markDelivered("delivered-long-ago", "r-old");
      clock.now = START - 5 * DAY_MS;
      await store.markDelivered("delivered-lately", "r-new");
      await store.setState("connector:discord", "posted:old0", "{}", { ttlMs: DAY_MS });
      clock.now = START;
      await store.addDeadLetter({
        key: "dead-old",
        lane: "l",
        payload: "",
        error: "e",
        attempts: 6,
        at: START - 31 * DAY_MS,
      });
      await store.addDeadLetter({
        key: "dead-new",
        lane: "l",
        payload: "",
        error: "e",
        attempts: 6,
        at: START - DAY_MS,
      });
      await store.setState("connector:discord", "cursor:c1", "12345");

      const retention = new StoreRetention({
        store,
        policy: { messagesDays: 90, ledgerDays: 30 },
        logger: recordingLogger(lines),
        now: clock.read,
        batchSize: 2,
        onPruned: (records, rows) => void counted.push([records, rows]),
      });
      const counts = await retention.sweep();
      assert.deepEqual(counts, { messages: 5, deliveries: 1, "dead-letters": 1, unconfirmed: 0, "expired-state": 1 });
      assert.deepEqual(counted, [
        ["messages", 5],
        ["deliveries", 1],
        ["dead-letters", 1],
        ["expired-state", 1],
      ]);
      const logged = lines.find((l) => l.msg === "store retention pruned old rows");
      assert.equal(logged?.level, "info");
      assert.deepEqual(logged?.fields, {
        messages: 5,
        deliveries: 1,
        "dead-letters": 1,
        unconfirmed: 0,
        "expired-state": 1,
        messagesDays: 90,
        ledgerDays: 30,
      });

      for (let i = 0; i < 5; i++) assert.deepEqual(await store.byRemoteId("discord", `old${i}`), []);
      assert.equal(
        await store.byXmppId("discord", ROOM, "stanza-old0"),
        undefined,
        "an old message no longer resolves",
      );
      // What an XMPP correction of the recent message looks up: its stanza-id or origin-id in the room.
      assert.equal((await store.byXmppId("discord", ROOM, "stanza-recent"))?.remoteId, "recent");
      assert.equal((await store.byXmppId("discord", ROOM, "origin-recent"))?.remoteId, "recent");
      assert.equal((await store.byRemoteId("discord", "recent")).length, 1);
      assert.equal(await store.deliveredResult("delivered-long-ago"), undefined);
      assert.equal(await store.deliveredResult("delivered-lately"), "r-new");
      assert.deepEqual(
        (await store.listDeadLetters()).map((d) => d.key),
        ["dead-new"],
      );
      assert.equal(await store.getState("connector:discord", "cursor:c1"), "12345", "a cursor is never pruned");

      lines.length = 0;
      assert.deepEqual(await retention.sweep(), {
        messages: 0,
        deliveries: 0,
        "dead-letters": 0,
        unconfirmed: 0,
        "expired-state": 0,
      });
      assert.deepEqual(
        lines.map((l) => [l.level, l.msg]),
        [["debug", "store retention found nothing to prune"]],
      );
    });

    it("0 days keeps messages and the ledger for ever; expired state still goes", async () => {
      const clock = testClock();
      const store = await storeWith(clock);
      await store.recordMessage(message("ancient", 1));
      clock.now = 1;
      await store.markDelivered("ancient-key");
      await store.setState("s", "k", "v", { ttlMs: 1 });
      clock.now = START;
      const retention = new StoreRetention({
        store,
        policy: { messagesDays: 0, ledgerDays: 0 },
        logger: recordingLogger([]),
        now: clock.read,
      });
      assert.deepEqual(await retention.sweep(), {
        messages: 0,
        deliveries: 0,
        "dead-letters": 0,
        unconfirmed: 0,
        "expired-state": 1,
      });
      assert.equal((await store.byRemoteId("discord", "ancient")).length, 1);
      assert.equal(await store.deliveredResult("ancient-key"), null);
    });

    it("connector state marked expiresWithMessage goes with the message map; other keys stay", async () => {
      const clock = testClock();
      const store = await storeWith(clock);
      const state = connectorStateIn(store, "discord", { messagesDays: 90, ledgerDays: 30 });
      await state.set("posted:1", "{}", { expiresWithMessage: true });
      await state.set("recent:c1", "[1]");
      await state.set("typing:1", "x", { ttlMs: 60_000 });
      await store.recordMessage(message("1", START));
      clock.now = START + 89 * DAY_MS;
      assert.equal(await state.get("posted:1"), "{}");
      assert.equal(await state.get("typing:1"), undefined);
      clock.now = START + 91 * DAY_MS;
      const retention = new StoreRetention({
        store,
        policy: { messagesDays: 90, ledgerDays: 30 },
        logger: recordingLogger([]),
        now: clock.read,
      });
      assert.deepEqual(await retention.sweep(), {
        messages: 1,
        deliveries: 0,
        "dead-letters": 0,
        unconfirmed: 0,
        "expired-state": 2,
      });
      assert.equal(await state.get("posted:1"), undefined);
      assert.equal(await state.get("recent:c1"), "[1]");
      const forever = connectorStateIn(store, "matrix", { messagesDays: 0, ledgerDays: 30 });
      await forever.set("parts:1", "[]", { expiresWithMessage: true });
      clock.now += 100 * 365 * DAY_MS;
      assert.equal(await forever.get("parts:1"), "[]", "messagesDays 0 keeps per-message state for ever too");
    });

    it("a database from before retention keeps its rows and state, undated, through the migration", async () => {
      const url = await backend.fresh();
      const [first] = MIGRATIONS;
      assert.ok(first);
      await backend.raw(
        url,
        "CREATE TABLE parley_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
      );
      for (const statement of first.sql) await backend.raw(url, statement);
      await backend.raw(url, "INSERT INTO parley_migrations (version, name, applied_at) VALUES (1, 'v1', 0)");
      await backend.raw(
        url,
        "INSERT INTO parley_state (scope, state_key, value) VALUES ('connector:discord', 'cursor:c1', '42')",
      );
      await backend.raw(
        url,
        `INSERT INTO parley_messages (network, remote_id, room, channel, sender, direction, created_at)
         VALUES ('discord', 'kept', '${ROOM}', 'c1', 'u1', 'to-xmpp', ${START - DAY_MS})`,
      );
      const clock = testClock();
      const store = await storeWith(clock, url);
      const versions = await backend.raw(url, "SELECT version FROM parley_migrations ORDER BY version");
      assert.deepEqual(
        versions.map((r) => Number(r.version)),
        MIGRATIONS.map((m) => m.version),
      );
      assert.equal(await store.getState("connector:discord", "cursor:c1"), "42");
      assert.equal((await store.byRemoteId("discord", "kept")).length, 1);
      clock.now += 1000 * 365 * DAY_MS;
      assert.equal(await store.prune("expired-state", clock.now, 100), 0, "state written before has no expiry");
      assert.equal(await store.getState("connector:discord", "cursor:c1"), "42");
    });
  });
}

describe("StoreRetention's schedule", () => {
  /** A store whose prune calls the test watches and answers. */
  function watchedStore(answer: (records: PrunableRecords) => Promise<number>) {
    const calls: PrunableRecords[] = [];
    const waiters: Array<{ n: number; resolve: () => void }> = [];
    return {
      calls,
      /** Resolves once `n` prune calls have been made. */
      until(n: number): Promise<void> {
        if (calls.length >= n) return Promise.resolve();
        return new Promise((resolve) => waiters.push({ n, resolve }));
      },
      store: {
        prune: (records: PrunableRecords) => {
          calls.push(records);
          for (const w of waiters.filter((w) => calls.length >= w.n)) w.resolve();
          return answer(records);
        },
      },
    };
  }

  it("sweeps at start, again after each interval, and not after stop", async () => {
    const watched = watchedStore(async () => 0);
    const retention = new StoreRetention({
      store: watched.store,
      policy: { messagesDays: 90, ledgerDays: 30 },
      logger: recordingLogger([]),
      intervalMs: 1,
    });
    retention.start();
    assert.deepEqual(watched.calls, ["messages"], "the first sweep starts at once");
    await watched.until(10); // the first sweep's five kinds, then the second sweep's
    await retention.stop();
    const made = watched.calls.length;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(watched.calls.length, made, "nothing after stop");
    assert.deepEqual(watched.calls.slice(0, 10), [
      "messages",
      "deliveries",
      "dead-letters",
      "unconfirmed",
      "expired-state",
      "messages",
      "deliveries",
      "dead-letters",
      "unconfirmed",
      "expired-state",
    ]);
  });

  it("stop waits for the batch under way and cuts the sweep short", async () => {
    let release: (n: number) => void = () => undefined;
    const watched = watchedStore(() => new Promise<number>((resolve) => (release = resolve)));
    const retention = new StoreRetention({
      store: watched.store,
      policy: { messagesDays: 90, ledgerDays: 30 },
      logger: recordingLogger([]),
      batchSize: 10,
    });
    retention.start();
    let stopped = false;
    const stopping = retention.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, "stop waits for the batch in flight");
    release(10); // a full batch: without the stop there would be another
    await stopping;
    assert.deepEqual(watched.calls, ["messages"]);
  });

  it("logs a failed sweep as a warning and tries again at the next one", async () => {
    let fail = true;
    const lines: LogLine[] = [];
    const watched = watchedStore(async () => {
      if (fail) {
        fail = false;
        throw new Error("database is locked");
      }
      return 0;
    });
    const retention = new StoreRetention({
      store: watched.store,
      policy: { messagesDays: 90, ledgerDays: 30 },
      logger: recordingLogger(lines),
      intervalMs: 1,
    });
    retention.start();
    await watched.until(5); // the failed call, then the next sweep's four
    await retention.stop();
    const warning = lines.find((l) => l.level === "warn");
    assert.equal(warning?.msg, "store retention could not prune; trying again at the next sweep");
    assert.equal(warning?.fields.error, "database is locked");
  });
});
