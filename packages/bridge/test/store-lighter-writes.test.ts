/**
 * Migration 6 (partial indexes on the message map's optional columns; the
 * ledger's trigger that drops a delivery's unconfirmed record once it is
 * marked; on SQLite, the delivery ledger and unconfirmed deliveries as
 * WITHOUT ROWID tables) upgrades a database in place: rows written by
 * schema 5 are all still found, by every lookup that uses the rebuilt
 * indexes and tables, and the store goes on writing beside them. On SQLite
 * and a real PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type BridgeStore, MIGRATIONS, openStore } from "../src/store/index.ts";
import { migrationStatements } from "../src/store/migrations.ts";
import { postgresBackend, sqliteBackend } from "./store-backends.ts";

const ROOM = "lobby@muc.parley.test";
const AT = 1_700_000_000_000;

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`migration 6 on ${backend.name}`, { timeout: 300_000 }, () => {
    const open: BridgeStore[] = [];
    before(() => backend.setup());
    after(async () => {
      for (const s of open) await s.close();
      await backend.teardown();
    });

    /** A database at schema 5, as the bridge before this migration left it, with rows of every kind it touches. */
    async function schema5(): Promise<string> {
      const url = await backend.fresh();
      const sql = (statement: string) => backend.raw(url, statement);
      await sql(
        "CREATE TABLE parley_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
      );
      for (const m of MIGRATIONS.slice(0, 5)) {
        for (const statement of migrationStatements(m, backend.name)) await sql(statement);
        await sql(
          `INSERT INTO parley_migrations (version, name, applied_at) VALUES (${m.version}, 'v${m.version}', 0)`,
        );
      }
      const columns = "network, remote_id, room, channel, stanza_id, origin_id, sender, direction, created_at, part";
      await sql(`INSERT INTO parley_messages (${columns}, thread, xmpp_thread) VALUES
        ('discord', 'root', '${ROOM}', 'c1', 'sid-root', 'oid-root', 'u1', 'to-xmpp', ${AT}, 0, NULL, 'xt-1'),
        ('discord', 'reply', '${ROOM}', 'c1', 'sid-reply', 'oid-reply', 'u1', 'to-xmpp', ${AT + 1}, 0, 'root', 'xt-1'),
        ('discord', 'unreflected', '${ROOM}', 'c1', NULL, 'oid-unreflected', 'u1', 'to-xmpp', ${AT + 2}, 0, NULL, NULL),
        ('discord', 'from-xmpp', '${ROOM}', 'c1', 'sid-x', NULL, '${ROOM}/nick', 'to-remote', ${AT + 3}, 0, NULL, NULL)`);
      await sql(`INSERT INTO parley_deliveries (delivery_key, result, delivered_at) VALUES
        ('to-xmpp discord root ${ROOM}', 'oid-root', ${AT}), ('to-remote discord x', NULL, ${AT + 1})`);
      await sql(`INSERT INTO parley_unconfirmed (delivery_key, network, target, sender, sent_id, data, queued_at, seq)
        VALUES ('to-xmpp discord unreflected ${ROOM}', 'discord', '${ROOM}', 'u1', 'oid-unreflected',
                '<message id="oid-unreflected"/>', ${AT + 2}, 7)`);
      return url;
    }

    it("keeps every row of schema 5 readable, through each lookup, and writes on beside them", async () => {
      const url = await schema5();
      const store = await openStore(url);
      open.push(store);
      const versions = await backend.raw(url, "SELECT version FROM parley_migrations ORDER BY version");
      assert.deepEqual(
        versions.map((r) => Number(r.version)),
        MIGRATIONS.map((m) => m.version),
      );

      // The message map, by every id and thread.
      assert.equal((await store.byRemoteId("discord", "unreflected"))[0]?.originId, "oid-unreflected");
      assert.equal((await store.byXmppId("discord", ROOM, "sid-reply"))?.remoteId, "reply");
      assert.equal((await store.byXmppId("discord", ROOM, "oid-reply", "c1"))?.remoteId, "reply");
      assert.equal((await store.byXmppId("discord", ROOM, "sid-x"))?.remoteId, "from-xmpp");
      assert.equal((await store.byXmppId("discord", ROOM, "oid-unreflected"))?.remoteId, "unreflected");
      assert.deepEqual(
        (await store.partsByXmppId("discord", ROOM, "sid-root", "c1")).map((r) => r.remoteId),
        ["root"],
      );
      assert.equal(await store.remoteThreadOf("discord", ROOM, "c1", "xt-1"), "root");
      assert.equal(await store.xmppThreadOf("discord", ROOM, "c1", "root"), "xt-1");

      // The ledger and the unconfirmed delivery.
      assert.equal(await store.deliveredResult(`to-xmpp discord root ${ROOM}`), "oid-root");
      assert.equal(await store.deliveredResult("to-remote discord x"), null);
      assert.deepEqual(await store.unconfirmed("discord"), [
        {
          key: `to-xmpp discord unreflected ${ROOM}`,
          network: "discord",
          target: ROOM,
          sender: "u1",
          id: "oid-unreflected",
          data: '<message id="oid-unreflected"/>',
          at: AT + 2,
          seq: 7,
        },
      ]);

      // The old unreflected message gets its stanza-id, and its delivery is confirmed.
      await store.setStanzaId("discord", ROOM, "oid-unreflected", "sid-unreflected");
      assert.equal((await store.byXmppId("discord", ROOM, "sid-unreflected"))?.remoteId, "unreflected");
      await store.confirmDelivery(`to-xmpp discord unreflected ${ROOM}`, "oid-unreflected");
      assert.deepEqual(await store.unconfirmed("discord"), []);
      assert.equal(await store.deliveredResult(`to-xmpp discord unreflected ${ROOM}`), "oid-unreflected");

      // Any mark of a delivery ends its unconfirmed record, in the same statement.
      await store.recordUnconfirmed({
        key: "to-xmpp discord again",
        network: "discord",
        target: ROOM,
        sender: "u1",
        id: "oid-again",
        data: "<message/>",
        at: AT + 5,
        seq: 8,
      });
      assert.equal((await store.unconfirmed("discord")).length, 1);
      await store.markDelivered("to-xmpp discord again", "oid-again");
      assert.deepEqual(await store.unconfirmed("discord"), []);

      // And new rows beside the old: a message in the old thread, found by it.
      await store.recordMessage({
        network: "discord",
        channel: "c1",
        remoteId: "later",
        room: ROOM,
        originId: "oid-later",
        sender: "u1",
        direction: "to-xmpp",
        createdAt: AT + 10,
        thread: "root",
        xmppThread: "xt-1",
      });
      assert.equal((await store.byXmppId("discord", ROOM, "oid-later"))?.thread, "root");
      assert.equal(await store.xmppThreadOf("discord", ROOM, "c1", "root"), "xt-1");
      assert.equal(await store.prune("deliveries", AT + 1, 10), 1, "the ledger is still pruned by age");
      assert.equal(await store.deliveredResult(`to-xmpp discord root ${ROOM}`), undefined);
    });

    it("indexes the message map's optional columns only where they are set", async () => {
      const url = await backend.fresh();
      open.push(await openStore(url));
      const definitions =
        backend.name === "sqlite"
          ? await backend.raw(url, "SELECT name, sql AS def FROM sqlite_master WHERE tbl_name = 'parley_messages'")
          : await backend.raw(
              url,
              "SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = 'parley_messages'",
            );
      const partial = (name: string, column: string) => {
        const def = String(definitions.find((r) => r.name === name)?.def);
        assert.match(def, new RegExp(`WHERE \\(*${column} IS NOT NULL`, "i"), `${name}: ${def}`);
      };
      partial("parley_messages_by_stanza_id", "stanza_id");
      partial("parley_messages_by_origin_id", "origin_id");
      partial("parley_messages_by_thread", "thread");
      partial("parley_messages_by_xmpp_thread", "xmpp_thread");
      if (backend.name === "sqlite") {
        const tables = await backend.raw(
          url,
          "SELECT name, sql FROM sqlite_master WHERE name IN ('parley_deliveries', 'parley_unconfirmed') ORDER BY name",
        );
        assert.deepEqual(
          tables.map((t) => [t.name, /WITHOUT ROWID\s*$/.test(String(t.sql))]),
          [
            ["parley_deliveries", true],
            ["parley_unconfirmed", true],
          ],
        );
      }
    });
  });
}
