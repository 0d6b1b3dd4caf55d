/**
 * One suite, two backends: the store behaves the same on SQLite (a temporary
 * file) and on a real PostgreSQL started by the testkit.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "@parley/testkit";
import fc from "fast-check";
import {
  type BridgeStore,
  checkMigrationList,
  type DeadLetter,
  MAX_ID_BYTES,
  type MessageRecord,
  MIGRATIONS,
  openStore,
  parseStoreUrl,
  redactStoreUrl,
  StoreClosedError,
  StoreConfigError,
  StoreSchemaError,
  StoreUnavailableError,
  StoreValueError,
} from "../src/store/index.ts";
import { postgresBackend, sqliteBackend } from "./store-backends.ts";

const message = (over: Partial<MessageRecord> = {}): MessageRecord => ({
  network: "discord",
  channel: "c1",
  remoteId: "r1",
  room: "lobby@muc.parley.test",
  sender: "u1",
  direction: "to-xmpp",
  createdAt: 1_700_000_000_000,
  ...over,
});

const deadLetter = (over: Partial<DeadLetter> = {}): DeadLetter => ({
  key: "k1",
  lane: "to-remote:discord",
  payload: '{"body":"hi"}',
  error: "HTTP 500",
  attempts: 5,
  at: 1_000,
  ...over,
});

/** The characters most likely to break an encoding, a collation or a driver. */
const AWKWARD = [
  "emoji 👍🏽 and 👨‍👩‍👧‍👦 (a ZWJ family)",
  "CJK 漢字 and Hangul 한국어",
  "RTL שלום مرحبا",
  "combining e\u0301 vs é",
  "astral 𝕏 𐍈 \u{10FFFF}",
  "quotes ' \" ` and backslash \\ and %_ wildcards",
  "control \u0001\u001f\u007f and newline\n\ttab",
  "?$1 placeholders ? in text",
  "",
];

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`store on ${backend.name}`, { timeout: 300_000 }, () => {
    const open: BridgeStore[] = [];
    const openAt = async (url: string) => {
      const s = await openStore(url);
      open.push(s);
      return s;
    };
    const freshStore = async () => openAt(await backend.fresh());

    before(() => backend.setup());
    after(async () => {
      for (const s of open) await s.close();
      await backend.teardown();
    });

    describe("migrations", () => {
      it("opening migrates; migrating again is a no-op that keeps the data", async () => {
        const url = await backend.fresh();
        const store = await openAt(url);
        assert.equal(store.kind, backend.name);
        await store.setState("s", "k", "v");
        await store.migrate();
        await store.migrate();
        assert.equal(await store.getState("s", "k"), "v");
        const rows = await backend.raw(url, "SELECT version, name FROM parley_migrations ORDER BY version");
        assert.deepEqual(
          rows.map((r) => Number(r.version)),
          MIGRATIONS.map((m) => m.version),
        );
      });

      it("several stores opening one new database at once migrate it exactly once", async () => {
        const url = await backend.fresh();
        const stores = await Promise.all([1, 2, 3, 4].map(() => openAt(url)));
        const rows = await backend.raw(url, "SELECT COUNT(*) AS n FROM parley_migrations");
        assert.equal(Number(rows[0]?.n), MIGRATIONS.length);
        await stores[0]?.setState("s", "k", "from the first");
        assert.equal(await stores[3]?.getState("s", "k"), "from the first");
      });

      it("refuses a database a newer bridge has migrated", async () => {
        const url = await backend.fresh();
        const store = await openStore(url);
        await store.close();
        await backend.raw(url, "INSERT INTO parley_migrations (version, name, applied_at) VALUES (99, 'future', 0)");
        await assert.rejects(openStore(url), (e: Error) => {
          assert.ok(e instanceof StoreSchemaError);
          assert.match(e.message, /schema version 99/);
          return true;
        });
      });
    });

    describe("message map", () => {
      it("finds a remote message in every room it went to, oldest first", async () => {
        const store = await freshStore();
        await store.recordMessage(message({ room: "b@muc", createdAt: 20 }));
        await store.recordMessage(message({ room: "a@muc", createdAt: 10 }));
        await store.recordMessage(message({ remoteId: "other", room: "a@muc" }));
        await store.recordMessage(message({ network: "slack", room: "c@muc" }));
        const found = await store.byRemoteId("discord", "r1");
        assert.deepEqual(
          found.map((m) => [m.room, m.createdAt]),
          [
            ["a@muc", 10],
            ["b@muc", 20],
          ],
        );
        assert.deepEqual(await store.byRemoteId("discord", "nope"), []);
      });

      it("returns records as written, without absent ids", async () => {
        const store = await freshStore();
        const m = message({ direction: "to-remote", sender: "juliet@parley.test" });
        await store.recordMessage(m);
        assert.deepEqual(await store.byRemoteId("discord", "r1"), [m]);
        const withIds = message({ remoteId: "r2", stanzaId: "s2", originId: "o2" });
        await store.recordMessage(withIds);
        assert.deepEqual(await store.byRemoteId("discord", "r2"), [withIds]);
      });

      it("upsert fills missing ids and never erases or replaces them", async () => {
        const store = await freshStore();
        await store.recordMessage(message());
        await store.recordMessage(message({ originId: "o1", sender: "someone else", createdAt: 5 }));
        let [m] = await store.byRemoteId("discord", "r1");
        assert.equal(m?.originId, "o1");
        assert.equal(m?.stanzaId, undefined);
        assert.equal(m?.sender, "u1", "the first record's other fields stay");
        assert.equal(m?.createdAt, 1_700_000_000_000);

        await store.recordMessage(message({ stanzaId: "s1", originId: "o-other" }));
        await store.recordMessage(message({ stanzaId: "", originId: "" }));
        await store.recordMessage(message());
        [m] = await store.byRemoteId("discord", "r1");
        assert.equal(m?.originId, "o1");
        assert.equal(m?.stanzaId, "s1");
        assert.equal((await store.byRemoteId("discord", "r1")).length, 1);
      });

      it("setStanzaId fills the stanza-id by origin-id, in that room of that network only", async () => {
        const store = await freshStore();
        await store.recordMessage(message({ remoteId: "r1", originId: "o1" }));
        await store.recordMessage(message({ remoteId: "r2", originId: "o1", room: "other@muc" }));
        await store.recordMessage(message({ remoteId: "r3", originId: "o1", network: "slack" }));
        await store.setStanzaId("discord", "lobby@muc.parley.test", "o1", "s1");
        assert.equal((await store.byRemoteId("discord", "r1"))[0]?.stanzaId, "s1");
        assert.equal((await store.byRemoteId("discord", "r2"))[0]?.stanzaId, undefined);
        assert.equal((await store.byRemoteId("slack", "r3"))[0]?.stanzaId, undefined);
        await store.setStanzaId("discord", "lobby@muc.parley.test", "no-such-origin", "s9");
        assert.equal(await store.byXmppId("discord", "lobby@muc.parley.test", "s9"), undefined);
      });

      it("a lookup sees every message-map write asked for before it, awaited or not", async () => {
        const store = await freshStore();
        const room = "lobby@muc.parley.test";
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 50; i++) {
          writes.push(store.recordMessage(message({ remoteId: `r${i}`, originId: `o${i}` })));
          // The reflection's stanza-id arrives while the insert may still be in flight.
          writes.push(store.setStanzaId("discord", room, `o${i}`, `s${i}`));
        }
        const [byStanza, byRemote] = await Promise.all([
          store.byXmppId("discord", room, "s49"),
          store.byRemoteId("discord", "r49"),
        ]);
        assert.equal(byStanza?.remoteId, "r49");
        assert.equal(byRemote[0]?.stanzaId, "s49");
        await Promise.all(writes);
        for (let i = 0; i < 50; i += 7)
          assert.equal((await store.byXmppId("discord", room, `s${i}`))?.remoteId, `r${i}`);
      });

      it("close lets a stanza-id update already asked for finish", async () => {
        const url = await backend.fresh();
        const first = await openStore(url);
        const insert = first.recordMessage(message({ originId: "o1" }));
        const update = first.setStanzaId("discord", "lobby@muc.parley.test", "o1", "s1");
        await first.close();
        await Promise.all([insert, update]);
        const second = await openAt(url);
        assert.equal((await second.byRemoteId("discord", "r1"))[0]?.stanzaId, "s1");
      });

      it("byXmppId matches the stanza-id or the origin-id within the room, preferring the stanza-id", async () => {
        const store = await freshStore();
        await store.recordMessage(message({ remoteId: "r1", originId: "x", createdAt: 1 }));
        await store.recordMessage(message({ remoteId: "r2", stanzaId: "x", originId: "o2", createdAt: 2 }));
        await store.recordMessage(message({ remoteId: "r3", stanzaId: "s3", originId: "o3" }));
        const room = "lobby@muc.parley.test";
        assert.equal((await store.byXmppId("discord", room, "x"))?.remoteId, "r2");
        assert.equal((await store.byXmppId("discord", room, "o3"))?.remoteId, "r3");
        assert.equal((await store.byXmppId("discord", room, "s3"))?.remoteId, "r3");
        assert.equal(await store.byXmppId("discord", "elsewhere@muc", "s3"), undefined);
        assert.equal(await store.byXmppId("slack", room, "s3"), undefined);
        assert.equal(await store.byXmppId("discord", room, ""), undefined);
      });

      it("maps threads both ways: the earliest message of each wins, within its room and channel", async () => {
        const store = await freshStore();
        const room = "lobby@muc.parley.test";
        // An XMPP thread whose first message became the root r1 (in two parts), then a message in it.
        await store.recordMessage(message({ remoteId: "r1", xmppThread: "x1", direction: "to-remote", createdAt: 1 }));
        await store.recordMessage(message({ remoteId: "r1b", xmppThread: "x1", part: 1, createdAt: 1 }));
        await store.recordMessage(message({ remoteId: "r2", thread: "r1", xmppThread: "x1", createdAt: 2 }));
        // A thread of the network's, relayed under its own id; later an XMPP thread replied into it.
        await store.recordMessage(message({ remoteId: "r4", thread: "t9", xmppThread: "t9", createdAt: 3 }));
        await store.recordMessage(message({ remoteId: "r5", thread: "t9", xmppThread: "x2", createdAt: 4 }));
        // Outside any thread.
        await store.recordMessage(message({ remoteId: "r6", createdAt: 5 }));
        assert.equal(await store.remoteThreadOf("discord", room, "c1", "x1"), "r1");
        assert.equal(await store.remoteThreadOf("discord", room, "c1", "t9"), "t9");
        assert.equal(await store.remoteThreadOf("discord", room, "c1", "x2"), "t9");
        assert.equal(await store.remoteThreadOf("discord", room, "c1", "nope"), undefined);
        assert.equal(await store.remoteThreadOf("discord", room, "other", "x1"), undefined);
        assert.equal(await store.remoteThreadOf("discord", "elsewhere@muc", "c1", "x1"), undefined);
        assert.equal(await store.remoteThreadOf("slack", room, "c1", "x1"), undefined);
        assert.equal(await store.xmppThreadOf("discord", room, "c1", "r1"), "x1", "by its root");
        assert.equal(await store.xmppThreadOf("discord", room, "c1", "t9"), "t9", "the earliest wins");
        assert.equal(await store.xmppThreadOf("discord", room, "c1", "r6"), undefined);
        assert.equal(await store.xmppThreadOf("discord", room, "other", "r1"), undefined);
        const [inThread] = await store.byRemoteId("discord", "r2");
        assert.equal(inThread?.thread, "r1");
        assert.equal(inThread?.xmppThread, "x1");
      });
    });

    describe("room links", () => {
      it("adds, updates the source of, lists and removes links", async () => {
        const store = await freshStore();
        await store.putLink({ network: "discord", channel: "c1", room: "a@muc", source: "config", createdAt: 1 });
        await store.putLink({ network: "discord", channel: "c1", room: "b@muc", source: "admin", createdAt: 2 });
        await store.putLink({ network: "slack", channel: "C9", room: "a@muc", source: "admin", createdAt: 3 });
        await store.putLink({ network: "discord", channel: "c1", room: "a@muc", source: "admin", createdAt: 99 });
        assert.deepEqual(await store.listLinks("discord"), [
          { network: "discord", channel: "c1", room: "a@muc", source: "admin", createdAt: 1 },
          { network: "discord", channel: "c1", room: "b@muc", source: "admin", createdAt: 2 },
        ]);
        assert.equal((await store.listLinks()).length, 3);
        assert.deepEqual(await store.listLinks("matrix"), []);
        assert.equal(await store.removeLink("discord", "c1", "a@muc"), true);
        assert.equal(await store.removeLink("discord", "c1", "a@muc"), false);
        assert.deepEqual(
          (await store.listLinks()).map((l) => `${l.network} ${l.room}`),
          ["discord b@muc", "slack a@muc"],
        );
      });
    });

    describe("puppets", () => {
      it("stores, replaces and clears puppet fields", async () => {
        const store = await freshStore();
        assert.equal(await store.getPuppet("discord", "u1"), undefined);
        const full = {
          network: "discord",
          remoteId: "u1",
          displayName: "Anna",
          avatarUrl: "https://cdn.example/a.png",
          avatarHash: "abc123",
          updatedAt: 10,
        };
        await store.putPuppet(full);
        assert.deepEqual(await store.getPuppet("discord", "u1"), full);
        await store.putPuppet({ network: "discord", remoteId: "u1", displayName: "Anna B.", updatedAt: 11 });
        assert.deepEqual(await store.getPuppet("discord", "u1"), {
          network: "discord",
          remoteId: "u1",
          displayName: "Anna B.",
          updatedAt: 11,
        });
        assert.equal(await store.getPuppet("slack", "u1"), undefined);
      });
    });

    describe("reactions", () => {
      it("keeps the full set per sender and target, deduplicated in order; an empty set deletes", async () => {
        const store = await freshStore();
        assert.deepEqual(await store.getReactions("discord", "m1", "alice"), []);
        await store.setReactions("discord", "m1", "alice", ["👍", "🎉", "👍"]);
        await store.setReactions("discord", "m1", "bob", ["❤️"]);
        assert.deepEqual(await store.getReactions("discord", "m1", "alice"), ["👍", "🎉"]);
        await store.setReactions("discord", "m1", "alice", ["🎉"]);
        assert.deepEqual(await store.getReactions("discord", "m1", "alice"), ["🎉"]);
        await store.setReactions("discord", "m1", "alice", []);
        assert.deepEqual(await store.getReactions("discord", "m1", "alice"), []);
        assert.deepEqual(await store.getReactions("discord", "m1", "bob"), ["❤️"]);
        assert.deepEqual(await store.getReactions("slack", "m1", "bob"), []);
        await store.setReactions("discord", "m1", "nobody", []); // deleting nothing is fine
        assert.deepEqual(await store.getReactions("discord", "m1", "nobody"), []);
      });
    });

    describe("delivery ledger and dead letters", () => {
      it("undefined until delivered; then delivered for good, a missing result may be added but never changed", async () => {
        const store = await freshStore();
        assert.equal(await store.deliveredResult("k1"), undefined);
        await store.markDelivered("k1");
        assert.equal(await store.deliveredResult("k1"), null);
        await store.markDelivered("k1", "remote-42");
        assert.equal(await store.deliveredResult("k1"), "remote-42");
        await store.markDelivered("k1", "remote-43");
        await store.markDelivered("k1");
        assert.equal(await store.deliveredResult("k1"), "remote-42");
        await store.markDelivered("k2", "x");
        assert.equal(await store.deliveredResult("k2"), "x");
        assert.equal(await store.deliveredResult("k3"), undefined);
      });

      it("lists dead letters newest first, replaces a key's entry, and honours the limit", async () => {
        const store = await freshStore();
        await store.addDeadLetter(deadLetter({ key: "a", at: 1 }));
        await store.addDeadLetter(deadLetter({ key: "b", at: 3 }));
        await store.addDeadLetter(deadLetter({ key: "c", at: 2 }));
        assert.deepEqual(
          (await store.listDeadLetters()).map((d) => d.key),
          ["b", "c", "a"],
        );
        assert.deepEqual(
          (await store.listDeadLetters(2)).map((d) => d.key),
          ["b", "c"],
        );
        assert.deepEqual(await store.listDeadLetters(0), []);
        const again = deadLetter({ key: "a", at: 4, attempts: 9, error: "gone" });
        await store.addDeadLetter(again);
        const all = await store.listDeadLetters();
        assert.equal(all.length, 3);
        assert.deepEqual(all[0], again);
        await assert.rejects(store.listDeadLetters(1.5), StoreValueError);
      });
    });

    describe("state", () => {
      it("gets and overwrites values per scope and key", async () => {
        const store = await freshStore();
        assert.equal(await store.getState("catchup", "c1"), undefined);
        await store.setState("catchup", "c1", "100");
        await store.setState("catchup", "c1", "101");
        await store.setState("other", "c1", "x");
        assert.equal(await store.getState("catchup", "c1"), "101");
        assert.equal(await store.getState("other", "c1"), "x");
        await store.setState("catchup", "empty", "");
        assert.equal(await store.getState("catchup", "empty"), "");
      });
    });

    it("commits writes issued together, each visible once its promise settles, and flushes them on close", async () => {
      const url = await backend.fresh();
      const first = await openStore(url);
      const writes = Array.from({ length: 300 }, (_, i) => first.setState("burst", `k${i}`, `v${i}`));
      await Promise.all(writes.slice(0, 150));
      for (let i = 0; i < 150; i += 37) assert.equal(await first.getState("burst", `k${i}`), `v${i}`);
      // The rest are not awaited before close: close must not lose them.
      const rest = Promise.all(writes.slice(150));
      await first.close();
      await rest;
      const second = await openAt(url);
      for (let i = 0; i < 300; i += 13) assert.equal(await second.getState("burst", `k${i}`), `v${i}`);
      assert.equal(await second.getState("burst", "k299"), "v299");
    });

    it("keeps everything across close and reopen", async () => {
      const url = await backend.fresh();
      const first = await openStore(url);
      const m = message({ stanzaId: "s1", originId: "o1" });
      const link = { network: "discord", channel: "c1", room: "a@muc", source: "admin", createdAt: 7 } as const;
      const puppet = { network: "discord", remoteId: "u1", displayName: "Anna", avatarHash: "h", updatedAt: 8 };
      await first.recordMessage(m);
      await first.putLink(link);
      await first.putPuppet(puppet);
      await first.setReactions("discord", "m1", "alice", ["👍"]);
      await first.markDelivered("k1", "r");
      await first.addDeadLetter(deadLetter());
      await first.setState("s", "k", "v");
      await first.close();

      const second = await openAt(url);
      assert.deepEqual(await second.byRemoteId("discord", "r1"), [m]);
      assert.deepEqual(await second.listLinks(), [link]);
      assert.deepEqual(await second.getPuppet("discord", "u1"), puppet);
      assert.deepEqual(await second.getReactions("discord", "m1", "alice"), ["👍"]);
      assert.equal(await second.deliveredResult("k1"), "r");
      assert.deepEqual(await second.listDeadLetters(), [deadLetter()]);
      assert.equal(await second.getState("s", "k"), "v");
    });

    describe("values", () => {
      it("round-trips awkward Unicode in every kind of field", async () => {
        const store = await freshStore();
        for (const [i, text] of AWKWARD.entries()) {
          const id = `${text}#${i}`;
          const m = message({ remoteId: id, room: id, channel: id, sender: text, originId: id, stanzaId: id });
          await store.recordMessage(m);
          assert.deepEqual(await store.byRemoteId("discord", id), [m]);
          assert.deepEqual(await store.byXmppId("discord", id, id), m);
          await store.setState(id, id, text);
          assert.equal(await store.getState(id, id), text);
          await store.setReactions("discord", id, id, [text, "👍"]);
          assert.deepEqual(await store.getReactions("discord", id, id), [...new Set([text, "👍"])]);
          await store.putPuppet({ network: "discord", remoteId: id, displayName: text, avatarUrl: text, updatedAt: 1 });
          assert.equal((await store.getPuppet("discord", id))?.displayName, text);
        }
      });

      it("round-trips arbitrary well-formed Unicode strings (property)", async () => {
        const store = await freshStore();
        await fc.assert(
          fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), async (s) => {
            fc.pre(!s.includes("\0"));
            await store.setState("prop", s.slice(0, 100), s);
            assert.equal(await store.getState("prop", s.slice(0, 100)), s);
          }),
          { numRuns: 60 },
        );
      });

      it("round-trips 64 KiB values and identifiers up to the limit", async () => {
        const store = await freshStore();
        const big = "ab🎉".repeat(16 * 1024); // 64 Ki code units, 128 KiB of UTF-8
        assert.ok(big.length >= 64 * 1024);
        await store.setState("big", "value", big);
        assert.equal(await store.getState("big", "value"), big);
        await store.addDeadLetter(deadLetter({ payload: big, error: big }));
        assert.equal((await store.listDeadLetters())[0]?.payload, big);
        await store.putPuppet({ network: "d", remoteId: "u", displayName: big, avatarUrl: big, updatedAt: 1 });
        assert.equal((await store.getPuppet("d", "u"))?.avatarUrl, big);

        const longest = "é".repeat(MAX_ID_BYTES / 2); // 2 bytes each in UTF-8
        const m = message({ network: longest, remoteId: longest, room: longest, stanzaId: longest, originId: longest });
        await store.recordMessage(m);
        assert.deepEqual(await store.byXmppId(longest, longest, longest), m);
        await store.setReactions(longest, longest, longest, ["👍"]);
        assert.deepEqual(await store.getReactions(longest, longest, longest), ["👍"]);
      });

      it("refuses what a backend could not give back, with a StoreValueError naming the field", async () => {
        const store = await freshStore();
        const refused = async (p: Promise<unknown>, field: string, why: RegExp) =>
          assert.rejects(p, (e: Error) => {
            assert.ok(e instanceof StoreValueError, String(e));
            assert.equal(e.field, field);
            assert.match(e.message, why);
            return true;
          });
        await refused(store.setState("s", "k", "a\0b"), "value", /NUL/);
        await refused(store.recordMessage(message({ sender: "x\u0000" })), "sender", /NUL/);
        await refused(store.setState("s", "k", "half \ud83d surrogate"), "value", /surrogate/);
        await refused(store.setReactions("d", "t", "s", ["ok", "bad\0"]), "emojis[1]", /NUL/);
        const tooLong = "x".repeat(MAX_ID_BYTES + 1);
        await refused(store.recordMessage(message({ originId: tooLong })), "originId", /identifiers are at most/);
        await refused(store.markDelivered(tooLong), "key", /identifiers are at most/);
        await refused(store.recordMessage(message({ createdAt: 1.5 })), "createdAt", /safe integer/);
        await refused(
          store.recordMessage({ ...message(), direction: "sideways" as MessageRecord["direction"] }),
          "direction",
          /"to-xmpp", "to-remote"/,
        );
        await refused(
          store.putLink({ network: "d", channel: "c", room: "r", source: "robot" as "admin", createdAt: 1 }),
          "source",
          /must be one of/,
        );
        // Nothing was half-written.
        assert.equal(await store.getState("s", "k"), undefined);
        assert.deepEqual(await store.byRemoteId("discord", "r1"), []);
      });

      it("answers lookups by keys that could never be stored with not-found", async () => {
        const store = await freshStore();
        const hostile = `${"x".repeat(10_000)}\0`;
        assert.equal(await store.byXmppId("discord", "lobby@muc", hostile), undefined);
        assert.deepEqual(await store.byRemoteId("discord", hostile), []);
        assert.equal(await store.deliveredResult(hostile), undefined);
        assert.equal(await store.getState("s", hostile), undefined);
        assert.equal(await store.getPuppet("discord", hostile), undefined);
        assert.deepEqual(await store.getReactions("discord", hostile, "a"), []);
        assert.equal(await store.removeLink("discord", "c", hostile), false);
      });
    });

    it("rejects every call after close() with a StoreClosedError, and closes twice quietly", async () => {
      const store = await openStore(await backend.fresh());
      await store.close();
      await store.close();
      const calls: Array<() => Promise<unknown>> = [
        () => store.migrate(),
        () => store.recordMessage(message()),
        () => store.setStanzaId("d", "r", "o", "s"),
        () => store.byRemoteId("d", "r"),
        () => store.byXmppId("d", "r", "i"),
        () => store.putLink({ network: "d", channel: "c", room: "r", source: "admin", createdAt: 1 }),
        () => store.removeLink("d", "c", "r"),
        () => store.listLinks(),
        () => store.putPuppet({ network: "d", remoteId: "u", displayName: "n", updatedAt: 1 }),
        () => store.getPuppet("d", "u"),
        () => store.getReactions("d", "t", "s"),
        () => store.setReactions("d", "t", "s", ["x"]),
        () => store.deliveredResult("k"),
        () => store.markDelivered("k"),
        () => store.addDeadLetter(deadLetter()),
        () => store.listDeadLetters(),
        () => store.getState("s", "k"),
        () => store.setState("s", "k", "v"),
        () => store.prune("messages", 1, 1),
      ];
      for (const call of calls) {
        await assert.rejects(call(), (e: Error) => e instanceof StoreClosedError && /closed/.test(e.message));
      }
    });
  });
}

describe("store URLs", () => {
  let scratch = "";
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), "parley-store-url-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("accepts the documented forms", () => {
    assert.deepEqual(parseStoreUrl("sqlite:data/bridge.db"), { kind: "sqlite", path: "data/bridge.db" });
    assert.deepEqual(parseStoreUrl("sqlite:///var/lib/parley.db"), { kind: "sqlite", path: "/var/lib/parley.db" });
    assert.deepEqual(parseStoreUrl("sqlite::memory:"), { kind: "sqlite", path: ":memory:" });
    assert.deepEqual(parseStoreUrl("/srv/parley/bridge.db"), { kind: "sqlite", path: "/srv/parley/bridge.db" });
    assert.deepEqual(parseStoreUrl(" bridge.sqlite3 "), { kind: "sqlite", path: "bridge.sqlite3" });
    assert.equal(parseStoreUrl("postgres://u:p@db:5432/parley").kind, "postgres");
    assert.equal(parseStoreUrl("postgresql://db/parley?sslmode=require").kind, "postgres");
  });

  it("refuses a bad URL with the problem and the accepted forms, never the password", async () => {
    const bad: Array<[string, RegExp]> = [
      ["", /empty/],
      ["mysql://root:hunter2@db/parley", /unsupported scheme "mysql:"/],
      ["postgres://bob:hunter2@db:notaport/parley", /not a valid URL/],
      ["postgres:bob:hunter2@db/parley", /needs "postgres:\/\/"/],
      ["postgresql://bob:hunt/er2@db:x/parley", /not a valid URL/],
      ["notes.txt", /neither/],
      ["sqlite:", /names no file/],
    ];
    for (const [url, why] of bad) {
      await assert.rejects(openStore(url), (e: Error) => {
        assert.ok(e instanceof StoreConfigError, `${url}: ${String(e)}`);
        assert.match(e.message, why);
        assert.match(e.message, /accepted forms: "sqlite:/);
        assert.match(e.message, /postgres:\/\//);
        assert.doesNotMatch(e.message, /hunter2|hunt\/er2/);
        return true;
      });
    }
  });

  it("hides passwords in URLs, even unescaped ones", () => {
    assert.equal(redactStoreUrl("postgres://bob:s3cr%40t@db/parley"), "postgres://bob:***@db/parley");
    assert.equal(redactStoreUrl("postgres://bob:p@ss/w@rd@db/parley"), "postgres://bob:***@db/parley");
    assert.equal(
      redactStoreUrl("postgres://db/parley?user=bob&password=x&ssl=1"),
      "postgres://db/parley?user=bob&password=***&ssl=1",
    );
    assert.equal(redactStoreUrl("postgres://bob@db/parley"), "postgres://bob@db/parley");
    assert.equal(redactStoreUrl("postgres:bob:hunter2@db/parley"), "postgres:bob:***@db/parley");
    assert.equal(redactStoreUrl("sqlite:/srv/a@b.db"), "sqlite:/srv/a@b.db");
  });

  it("an unreachable PostgreSQL fails with a StoreUnavailableError that names it without the password", async () => {
    const port = await freePort(); // nothing listens there
    await assert.rejects(openStore(`postgres://bob:hunter2@127.0.0.1:${port}/parley`), (e: Error) => {
      assert.ok(e instanceof StoreUnavailableError, String(e));
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  });

  it("SQLite: creates the directory, uses WAL, and works in memory", async () => {
    const file = join(scratch, "nested", "dir", "bridge.db");
    const store = await openStore(file);
    await store.setState("s", "k", "v");
    assert.equal(existsSync(file), true);
    assert.equal(existsSync(`${file}-wal`), true, "WAL mode keeps a -wal file beside the database");
    await store.close();
    const memory = await openStore("sqlite::memory:");
    await memory.setState("s", "k", "v");
    assert.equal(await memory.getState("s", "k"), "v");
    await memory.close();
  });

  it("SQLite: a file that is not a database fails with a StoreConfigError naming it", async () => {
    const file = join(scratch, "garbage.db");
    writeFileSync(file, "this is not a SQLite database, just some text ".repeat(50));
    await assert.rejects(openStore(file), (e: Error) => {
      assert.ok(e instanceof StoreConfigError, String(e));
      assert.match(e.message, /garbage\.db/);
      assert.match(e.message, /not a database/);
      return true;
    });
  });

  it("the migration list runs 1, 2, 3... and the check catches a gap", () => {
    checkMigrationList(MIGRATIONS);
    assert.throws(() => checkMigrationList([{ version: 2, name: "gap", sql: [] }]), StoreSchemaError);
  });
});
