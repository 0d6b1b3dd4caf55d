/**
 * restart() on both servers: clients connected before are cut off, and the
 * same ports, accounts and component secrets work again as soon as it resolves.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { buildMessage } from "@parley/stanza";
import {
  isMessage,
  stanzaId,
  startXmppServer,
  TestClient,
  TestComponent,
  XMPP_SERVER_KINDS,
  type XmppServer,
} from "../src/index.ts";

function liveProcesses(needle: string): string[] {
  return execFileSync("ps", ["-eo", "stat=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(needle) && !l.trimStart().startsWith("Z"));
}

/** A raw TCP connection and a promise that settles when the server closes it. */
function rawConnection(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.on("error", () => undefined);
      socket.resume(); // a paused socket never sees the server's FIN
      const closed = new Promise<void>((r) => socket.once("close", () => r()));
      resolve({ socket, closed });
    });
  });
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`restart on ${kind}`, () => {
    let server: XmppServer;
    const sessions: Array<{ stop(): Promise<void> }> = [];
    let failed = false;

    before(async () => {
      server = await startXmppServer(kind);
    });

    after(async () => {
      for (const s of sessions) await s.stop();
      await server?.stop({ keep: failed || undefined });
    });

    const track = (fn: () => Promise<void>) => async () => {
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    };

    it(
      "cuts off connected clients, then serves the same accounts, ports and components again",
      { timeout: 180_000 },
      track(async () => {
        const [alice, bob] = server.accounts;
        assert.ok(alice && bob);
        const ports = { c2s: server.c2sPort, component: server.componentPort };
        const before = await TestClient.connect(server, alice, "before");
        const raw = await rawConnection(server.c2sPort);
        const componentBefore = await TestComponent.connect(server);

        await server.restart();

        await raw.closed; // resolves only if the old server closed the connection
        // @xmpp reconnects on its own; a bridge would too. Stop these so that
        // the component connection made below is the only one for its domain.
        await before.stop();
        await componentBefore.stop();
        assert.deepEqual({ c2s: server.c2sPort, component: server.componentPort }, ports);
        assert.ok(existsSync(server.dir));
        // No retry here: restart() resolving means the server is ready.
        const aliceAfter = await TestClient.connect(server, alice, "after");
        sessions.push(aliceAfter);
        const bobAfter = await TestClient.connect(server, bob, "after");
        sessions.push(bobAfter);
        const component = await TestComponent.connect(server);
        sessions.push(component);

        const id = stanzaId("restart");
        await aliceAfter.send(buildMessage({ type: "chat", id, to: bobAfter.jid, body: "still here" }));
        const got = await bobAfter.waitFor(
          isMessage((m) => m.id === id),
          { timeoutMs: 10_000 },
        );
        assert.equal(got.stanza?.kind === "message" ? got.stanza.body : undefined, "still here");

        const toPuppet = stanzaId("component");
        await aliceAfter.send(
          buildMessage({ type: "chat", id: toPuppet, to: `puppet@${component.domain}`, body: "hi" }),
        );
        await component.waitFor(
          isMessage((m) => m.id === toPuppet),
          { timeoutMs: 10_000 },
        );
      }),
    );

    it(
      "can restart twice in a row, and stop() afterwards leaves nothing behind",
      { timeout: 180_000 },
      track(async () => {
        const account = await server.createAccount("carol", "carol-password");
        await Promise.all([server.restart(), server.restart()]);
        const carol = await TestClient.connect(server, account, "after-two");
        sessions.push(carol);
        for (const s of sessions.splice(0)) await s.stop();
        await server.stop();
        assert.deepEqual(liveProcesses(server.dir), []);
        assert.equal(existsSync(server.dir), false);
        await assert.rejects(server.restart(), /was stopped; it cannot be restarted/);
      }),
    );
  });
}
