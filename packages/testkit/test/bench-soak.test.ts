/**
 * The soak's parts: a process measured through its inspector and its ops
 * endpoint (a small stand-in for the bridge that holds memory on demand),
 * the heap snapshot summary, the settings and the figures.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { xml } from "@parley/stanza";
import {
  BenchSettingsError,
  BridgeProcess,
  bytesPerMember,
  freePort,
  growthMiB,
  heapGrowth,
  inspectorUrlIn,
  retainersOf,
  SOAK_DEFAULTS,
  SoakArrivals,
  soakSettings,
  summarizeHeapSnapshot,
} from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "parley-soak-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Answers /readyz and /metrics; GET /hold keeps 20,000 objects of a class named Held until the process ends. */
const STAND_IN = `
import { createServer } from "node:http";
class Held { constructor(i) { this.i = i; this.text = "held " + i; } }
const kept = [];
const port = Number(process.argv[2]);
createServer((req, res) => {
  if (req.url === "/hold") for (let i = 0; i < 20000; i++) kept.push(new Held(i));
  if (req.url === "/metrics") return res.end("# HELP parley_puppets x\\nparley_puppets{network=\\"test\\"} " + kept.length + "\\n");
  res.end("ok");
}).listen(port, "127.0.0.1");
`;

describe("BridgeProcess", () => {
  it("reads the memory of a process after a GC, its metrics, and heap snapshots that show what it holds", async () => {
    const script = join(dir, "stand-in.mjs");
    writeFileSync(script, STAND_IN);
    const port = await freePort();
    const opsUrl = `http://127.0.0.1:${port}`;
    const bridge = await BridgeProcess.start({ script, args: [String(port)], logFile: join(dir, "out.log"), opsUrl });
    try {
      const before = await bridge.memoryAfterGc();
      assert.ok(before.rss > before.heapUsed && before.heapUsed > 0, "rss and heap are read");
      await bridge.heapSnapshot(join(dir, "before.heapsnapshot"));
      await (await fetch(`${opsUrl}/hold`)).text();
      assert.equal((await bridge.metrics()).get('parley_puppets{network="test"}'), 20000);
      const held = await bridge.memoryAfterGc();
      assert.ok(held.heapUsed > before.heapUsed, "what the process holds shows in its heap");
      await bridge.heapSnapshot(join(dir, "after.heapsnapshot"));
    } finally {
      await bridge.stop();
    }
    const grew = heapGrowth(
      summarizeHeapSnapshot(join(dir, "before.heapsnapshot")),
      summarizeHeapSnapshot(join(dir, "after.heapsnapshot")),
      10,
    );
    const heldRow = grew.find((r) => r.name === "Held");
    assert.equal(heldRow?.count, 20000);
    assert.ok(
      grew.slice(0, 10).some((r) => r.name === "Held"),
      "Held is among what grew most",
    );
    const holders = retainersOf(join(dir, "after.heapsnapshot"), "Held", 3);
    assert.equal(holders[0]?.holder, "Array.[element]");
    assert.equal(holders[0]?.count, 20000);
  });

  it("fails with the log's path when the script exits before it is ready", async () => {
    const script = join(dir, "exits.mjs");
    writeFileSync(script, "process.exit(3);\n");
    await assert.rejects(
      BridgeProcess.start({
        script,
        args: [],
        logFile: join(dir, "exits.log"),
        opsUrl: `http://127.0.0.1:${await freePort()}`,
      }),
      /exited with 3 .*exits\.log/,
    );
  });
});

describe("soak settings and figures", () => {
  it("takes the issue's sizes by default and whole numbers as flags", () => {
    const s = soakSettings([]);
    assert.equal(s.members, SOAK_DEFAULTS.members);
    assert.equal(s.toXmpp, 100_000);
    assert.equal(s.toNetwork, 20_000);
    assert.equal(s.crowd, 10_000);
    assert.equal(soakSettings(["--to-xmpp", "20_000", "--crowd", "0"]).toXmpp, 20_000);
    assert.throws(() => soakSettings(["--rooms", "many"]), BenchSettingsError);
    assert.throws(() => soakSettings(["--members", "2000", "--crowd", "1500"]), /must be above --members/);
  });

  it("computes growth and the cost per member", () => {
    assert.deepEqual(growthMiB({ rssMiB: 100, heapMiB: 30 }, { rssMiB: 104.5, heapMiB: 29.75 }), {
      rss: 4.5,
      heap: -0.25,
    });
    const reading = (rss: number) => ({ rss, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 });
    assert.equal(bytesPerMember(reading(100_000_000), reading(118_000_000), 9000), 2000);
  });

  it("counts the bench messages from others and keeps nothing in the inbox", () => {
    const pushed: unknown[] = [];
    const client = { inbox: { push: (el: unknown) => pushed.push(el) } };
    const arrivals = new SoakArrivals(client, "alice");
    const message = (from: string, body: string) => xml("message", { type: "groupchat", from }, xml("body", {}, body));
    client.inbox.push(message("room@muc/Poster", "bench d 1 text"));
    client.inbox.push(message("room@muc/alice", "bench x 1 soak"));
    client.inbox.push(message("room@muc/Poster", "hello"));
    client.inbox.push(xml("presence", { from: "room@muc/Poster" }));
    assert.equal(arrivals.count, 1);
    assert.equal(pushed.length, 0);
  });

  it("finds the inspector's address in Node's output", () => {
    const line = "Debugger listening on ws://127.0.0.1:40123/6f1c1d9e-2f1a-4c1b-9d0e-1a2b3c4d5e6f\nFor help, see";
    assert.equal(inspectorUrlIn(line), "ws://127.0.0.1:40123/6f1c1d9e-2f1a-4c1b-9d0e-1a2b3c4d5e6f");
    assert.equal(inspectorUrlIn("nothing here"), undefined);
  });
});
