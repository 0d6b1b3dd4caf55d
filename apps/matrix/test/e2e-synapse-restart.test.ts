/**
 * Synapse restarted under a running bridge, on SQLite and on PostgreSQL:
 * every Matrix message sent after the restart reaches the XMPP room, once and
 * in order. Synapse on SQLite numbers its application-service transactions
 * from 1 again after a restart while it had nothing to send; a bridge that
 * took a known transaction id for a transaction already handled acknowledged
 * the new ones unread and lost them.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { Message } from "@parley/stanza";
import { isMessage } from "@parley/testkit";
import { eventually, type Harness, startHarness } from "./matrix-harness.ts";

const MESSAGES = 50;
const run = promisify(execFile);

/** How many application-service transactions Synapse's SQLite database still holds (sent, not yet acknowledged). */
async function pendingTransactions(dataDir: string): Promise<number> {
  const { stdout } = await run("python3", [
    "-c",
    "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM application_services_txns').fetchone()[0])",
    join(dataDir, "homeserver.db"),
  ]);
  return Number(stdout.trim());
}

function restartScenario(database: "SQLite" | "PostgreSQL"): void {
  describe(`Synapse on ${database} restarted while the bridge runs`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ synapseOnPostgres: database === "PostgreSQL" });
    });
    after(async () => {
      await h?.close();
    });

    const fromBob = (extra: (m: Message) => boolean) =>
      isMessage((m) => m.type === "groupchat" && m.from === `${h.room}/Bob` && extra(m));

    test(`${MESSAGES} Matrix messages after the restart all reach XMPP, once each and in order`, async () => {
      // Before: a few transactions handled, then Synapse idle.
      for (const body of ["before 1", "before 2", "before 3"]) {
        await h.bob.sendText(h.roomId, body);
        await h.alice.waitFor(
          fromBob((m) => m.body === body),
          { timeoutMs: 15_000 },
        );
      }
      if (database === "SQLite") {
        // Idle: Synapse has forgotten every transaction it sent, as it does once each is acknowledged. Its
        // next transaction id is then the largest one it still holds plus one: 1 again after the restart.
        await eventually("Synapse done with its transactions", async () =>
          (await pendingTransactions(h.synapse.dataDir)) === 0 ? true : undefined,
        );
      }
      await h.synapse.restart();

      const bodies = Array.from({ length: MESSAGES }, (_, i) => `after the restart ${i + 1}`);
      for (const body of bodies) await h.bob.sendText(h.roomId, body);
      const arrived: string[] = [];
      for (let i = 0; i < MESSAGES; i++) {
        const got = await h.alice.waitFor(
          fromBob((m) => bodies.includes(m.body ?? "")),
          { timeoutMs: 30_000, description: `message ${i + 1} of ${MESSAGES} after the restart` },
        );
        arrived.push((got.stanza as Message).body ?? "");
      }
      assert.deepEqual(arrived, bodies, "every message, in the order sent");

      // Nothing twice: a later message arrives with no copy of the earlier ones before it.
      await h.bob.sendText(h.roomId, "the last one");
      await h.alice.waitFor(
        fromBob((m) => m.body === "the last one"),
        { timeoutMs: 15_000 },
      );
      await assert.rejects(
        h.alice.waitFor(
          fromBob((m) => bodies.includes(m.body ?? "")),
          { timeoutMs: 1 },
        ),
        "no message relayed twice",
      );
      if (database === "SQLite") {
        // What made this lose messages: the ids came again, with other events.
        assert.ok(
          h.logs.some((line) => line.includes("numbers anew")),
          "Synapse on SQLite numbered its transactions from 1 again",
        );
      }
    });
  });
}

restartScenario("SQLite");
restartScenario("PostgreSQL");
