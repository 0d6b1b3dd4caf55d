/**
 * Synapse restarted just after accepting an event while the bridge had been
 * quiet past its idle-close time: the event Synapse never pushed still
 * reaches the XMPP room, before the messages sent after the restart, and
 * every message arrives once.
 *
 * Quiet that long, the bridge has closed Synapse's connections itself, so
 * nothing tells it that Synapse went away. Synapse loses such an event on its
 * own: it marks an event as passed to the service once the event is queued in
 * memory, before a transaction carries it, and what is in that queue when it
 * stops is never sent. The queue holds an event for milliseconds, too short a
 * window to hit from a test, so the test makes the loss certain: the
 * registration's address is a relay to the bridge that swallows Synapse's
 * first push after the quiet (answers 200, forwards nothing), and Synapse is
 * restarted right after. (A push merely cut off by the restart is no loss:
 * Synapse marks the service down and sends that transaction again once back,
 * as a first version of this test showed.) What the bridge sees is what it
 * sees when Synapse stops with the event in its queue: nothing at all, then,
 * after the restart, a transaction with the later events.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Agent, createServer, request, type Server } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { Bridge, createLogger } from "@parley/bridge";
import { secretsOf } from "@parley/bridge/internals";
import type { Message } from "@parley/stanza";
import { freePort, isMessage } from "@parley/testkit";
import { MatrixConnector } from "../src/index.ts";
import { eventually, type Harness, startHarness } from "./matrix-harness.ts";

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

/** The bridge's idle-close time here (75 s in production). */
const IDLE_CLOSE_MS = 2_000;

/** Forwards the homeserver's requests to the bridge over kept-alive connections; can swallow one transaction. */
interface Relay {
  /** Connections to the bridge open now. */
  openToBridge(): number;
  /** The next transaction is answered 200 and not forwarded. Resolves with its body once it came. */
  swallowNextTransaction(): Promise<string>;
  close(): Promise<void>;
}

async function startRelay(listenPort: number, bridgePort: number): Promise<Relay> {
  // No idle timeout of its own: connections to the bridge end only when the bridge closes them.
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const toBridge = new Set<Socket>();
  let swallow: ((body: string) => void) | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (swallow && req.url?.includes("/transactions/")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
        swallow(body.toString("utf8"));
        swallow = undefined;
        return;
      }
      const out = request(
        { host: "127.0.0.1", port: bridgePort, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("socket", (s: Socket) => {
        if (toBridge.has(s)) return;
        toBridge.add(s);
        s.once("close", () => toBridge.delete(s));
      });
      out.on("error", () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(listenPort, "127.0.0.1", resolve));
  return {
    openToBridge: () => toBridge.size,
    swallowNextTransaction: () =>
      new Promise<string>((resolve) => {
        swallow = resolve;
      }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

describe("Synapse restarted just after accepting an event, the bridge quiet past its idle-close time", () => {
  let h: Harness;
  let relay: Relay | undefined;
  before(async () => {
    h = await startHarness();
    // The registration's address becomes the relay's; the bridge listens behind it, closing idle connections soon.
    await h.stopBridge();
    const bridgePort = await freePort();
    relay = await startRelay(Number(new URL(h.asUrl).port), bridgePort);
    h.connector = new MatrixConnector({
      options: { ...h.options, listen: { host: "127.0.0.1", port: bridgePort } },
      media: { maxBytes: h.config.media.maxBytes, allowPrivateAddresses: true },
      idleCloseMs: IDLE_CLOSE_MS,
    });
    const logger = createLogger({
      level: "debug",
      secrets: secretsOf(h.config),
      write: (line) => {
        h.logs.push(line);
        if (process.env.PARLEY_TEST_LOG) process.stderr.write(`${line}\n`);
      },
    });
    h.bridge = await Bridge.start({ config: h.config, connector: h.connector, store: h.store, logger });
  });
  after(async () => {
    await h?.bridge.stop().catch(() => undefined);
    await relay?.close();
    await h?.close();
  });

  const fromBob = (extra: (m: Message) => boolean) =>
    isMessage((m) => m.type === "groupchat" && m.from === `${h.room}/Bob` && extra(m));

  test("the event Synapse never pushed reaches XMPP before the later ones, every message once", async () => {
    await h.bob.sendText(h.roomId, "before the quiet");
    await h.alice.waitFor(
      fromBob((m) => m.body === "before the quiet"),
      { timeoutMs: 30_000 },
    );
    // Quiet: the bridge closes the idle connection (the relay keeps it until then, as Synapse would).
    await eventually("the bridge closing its idle connection", () => (relay?.openToBridge() === 0 ? true : undefined));

    const swallowed = relay?.swallowNextTransaction();
    const lostId = await h.bob.sendText(h.roomId, "accepted just before the restart");
    assert.ok((await swallowed)?.includes(lostId), "the transaction swallowed carried the event");
    // Synapse done with it (as with an event lost from its queue: nothing left to send again after the restart).
    await eventually("Synapse done with its transactions", async () =>
      (await pendingTransactions(h.synapse.dataDir)) === 0 ? true : undefined,
    );
    await h.synapse.restart();

    const later = ["after the restart 1", "after the restart 2", "after the restart 3"];
    for (const body of later) await h.bob.sendText(h.roomId, body);
    const expected = ["accepted just before the restart", ...later];
    const arrived: string[] = [];
    for (let i = 0; i < expected.length; i++) {
      const got = await h.alice.waitFor(
        fromBob((m) => expected.includes(m.body ?? "")),
        { timeoutMs: 30_000, description: `message ${i + 1} of ${expected.length} after the quiet` },
      );
      arrived.push((got.stanza as Message).body ?? "");
    }
    assert.deepEqual(arrived, expected, "the lost event first, then the later ones, in order");

    // Nothing twice: a later message arrives with no copy of the earlier ones before it.
    await h.bob.sendText(h.roomId, "the last one");
    await h.alice.waitFor(
      fromBob((m) => m.body === "the last one"),
      { timeoutMs: 15_000 },
    );
    await assert.rejects(
      h.alice.waitFor(
        fromBob((m) => expected.includes(m.body ?? "") || m.body === "before the quiet"),
        { timeoutMs: 1 },
      ),
      "no message relayed twice",
    );
    assert.ok(
      h.logs.some((line) => line.includes("quiet for") && line.includes("restarted unseen")),
      "the bridge read the rooms back because the homeserver came back after a long quiet",
    );
  });
});
