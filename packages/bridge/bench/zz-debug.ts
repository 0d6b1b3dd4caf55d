import { startXmppServer, TestClient, isMessage } from "@parley/testkit";
import { createLogger } from "../src/ops/logger.ts";
import { EngineSide } from "./engine-side.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
const server = await startXmppServer("prosody", { components: [{ domain: "bridge.parley.test", secret: "s1" }] });
try {
  const alice = await TestClient.connect(server, server.accounts[0]!);
  const room = `engine-1-${process.pid}@${server.mucDomain}`;
  const engine = await EngineSide.start(
    { host: server.host, port: server.componentPort, domain: "bridge.parley.test", secret: "s1", dir: mkdtempSync(join(tmpdir(), "dbg-")), links: [{ channel: "burst-1", room }] },
    { logger: createLogger({ level: "debug", write: (l) => console.error(l) }), settleTimeoutMs: 5000 },
  );
  await alice.joinRoom(room, "alice");
  console.error("alice joined");
  await engine.prepare(room);
  engine.post(room, "burst x 0 hello");
  const m = await alice.waitFor(isMessage((m) => m.body !== undefined), { timeoutMs: 5000 }).catch((e) => e);
  console.error("got", String(m?.element ?? m));
  await engine.stop();
} finally {
  await server.stop();
}
