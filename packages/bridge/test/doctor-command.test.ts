/**
 * `parley doctor` without an XMPP server: its arguments and exit codes, the
 * configuration errors it shares with `parley --check`, the connector's own
 * checks (loaded as `diagnose` from the connector package), secrets kept out
 * of the output, a running bridge left alone, and the words of the checks
 * that need a server in a state the tests cannot put a real one in.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "@parley/testkit";
import type { ConnectorModule } from "../src/doctor/connector-module.ts";
import { type DoctorContext, failed, passed, warned } from "../src/doctor/doctor-check.ts";
import { formatCheck } from "../src/doctor/doctor-report.ts";
import { handshakeCheck } from "../src/doctor/handshake-check.ts";
import { roomCacheChecks } from "../src/doctor/room-cache-check.ts";
import { ReferenceConnector } from "../src/reference/reference-connector.ts";
import { ReferenceNetwork } from "../src/reference/reference-network.ts";
import { openStore } from "../src/store/index.ts";
import { DoctorFolder, runDoctorOn, statusOf } from "./doctor-run.ts";

const SECRET = "component-secret-that-must-not-show";

/** A config whose XMPP server is not there (a free port): the handshake fails at once. */
async function config(dir: string, o: { ops?: number; links?: string; section?: string } = {}): Promise<string> {
  return `xmpp:
  host: 127.0.0.1
  port: ${await freePort()}
  domain: bridge.parley.test
  secret: ${SECRET}
  mucDomain: muc.parley.test
store:
  url: sqlite:${join(dir, "parley.db")}
ops:
  port: ${o.ops ?? 0}
links:
${o.links ?? "  - { network: reference, channel: general, room: lobby }"}
connectors:
  reference: ${o.section ?? "{}"}
`;
}

describe("parley doctor: arguments and configuration errors", () => {
  const folder = new DoctorFolder();
  after(() => folder.remove());

  it("prints its usage with --help and exits 0", async () => {
    const r = await runDoctorOn(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: parley doctor --config <file>/);
  });

  it("exits 2 without --config, and with an unknown option", async () => {
    assert.equal((await runDoctorOn([])).code, 2);
    const r = await runDoctorOn(["--config", "x.yaml", "--frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /frobnicate/);
  });

  it("exits 2 on a configuration error, naming the field as parley --check does", async () => {
    const r = await folder.run((await config(folder.dir)).replace(`  secret: ${SECRET}\n`, ""));
    assert.equal(r.code, 2);
    assert.match(r.err, /xmpp\.secret/);
    assert.equal(r.out, "", "no check runs");
  });

  it("exits 2 when the connector package is not installed", async () => {
    const r = await folder.run((await config(folder.dir)).replace("  reference: {}", "  nosuchnetwork: {}"));
    assert.equal(r.code, 2);
    assert.match(r.err, /no connector package @parley\/nosuchnetwork is installed/);
  });
});

describe("parley doctor: what it runs and prints", () => {
  const folder = new DoctorFolder();
  let health: Server;
  let healthPort: number;
  before(async () => {
    health = createServer((req, res) => {
      res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "ok" }));
    });
    await new Promise<void>((resolve) => health.listen(0, "127.0.0.1", resolve));
    healthPort = (health.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => health.close(() => resolve()));
    folder.remove();
  });

  it("leaves a running bridge's component alone: the XMPP checks fail as not run", async () => {
    const r = await folder.run(await config(folder.dir, { ops: healthPort }));
    assert.equal(r.code, 1);
    assert.match(
      r.line("XMPP checks"),
      /^FAIL .*not run: a bridge with this configuration answers at .*\/healthz.*Fix: stop the bridge/,
    );
    assert.ok(!r.has("component handshake"), "no handshake is tried");
  });

  it("runs the connector's diagnose with its section and the linked channels, config and store, and prints its checks", async () => {
    const dir = join(folder.dir, "diagnose");
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    const store = await openStore(`sqlite:${join(dir, "parley.db")}`);
    await store.putLink({
      network: "reference",
      channel: "stored",
      room: "s@muc.parley.test",
      source: "admin",
      createdAt: 1,
    });
    await store.close();
    let seen: { options: unknown; context: DoctorContext } | undefined;
    const module: ConnectorModule = {
      createConnector: () => new ReferenceConnector(new ReferenceNetwork()),
      diagnose: async (options, context) => {
        seen = { options, context };
        return [
          passed("network token", "accepted"),
          warned("network intents", "one is missing", "turn it on"),
          failed("network channel", `the server echoed ${SECRET} back`, "grant the permission"),
        ];
      },
    };
    const r = await folder.run(await config(dir, { section: "{ flavour: plain }" }), {
      loadModule: async () => module,
    });
    assert.deepEqual(seen?.options, { flavour: "plain" });
    assert.deepEqual([...(seen?.context.channels ?? [])].sort(), ["general", "stored"]);
    assert.equal(statusOf(r.line("network token")), "ok");
    assert.match(r.line("network intents"), /^warn {2}network intents: one is missing\. Fix: turn it on$/);
    assert.match(r.line("network channel"), /^FAIL .*echoed \[redacted\] back/);
    assert.ok(!r.out.includes(SECRET), "secrets are scrubbed from every line");
    assert.equal(r.code, 1);
    assert.match(r.out, /\d+ checks? ok, \d+ failures?, 1 warning: the bridge is not ready/);
  });

  it("reports a diagnose that throws as a failure of the connector's checks", async () => {
    const module: ConnectorModule = {
      createConnector: () => new ReferenceConnector(new ReferenceNetwork()),
      diagnose: async () => {
        throw new Error("boom");
      },
    };
    const r = await folder.run(await config(folder.dir), { loadModule: async () => module });
    assert.match(r.line("Reference checks"), /^FAIL .*could not run: boom/);
  });

  it("warns when no room is linked", async () => {
    const dir = join(folder.dir, "nolinks");
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    const r = await folder.run(await config(dir, { links: "  []" }));
    assert.match(r.line("links"), /^warn .*no room is linked for reference/);
    assert.match(r.line("store"), /does not exist yet; the bridge creates it/);
  });
});

describe("parley doctor: the words of checks a test server cannot be put in the state for", () => {
  const xmpp = {
    host: "127.0.0.1",
    port: 5347,
    domain: "discord.example.org",
    secret: "s",
    catchUp: { maxMessages: 200, maxAgeHours: 24 },
    limits: { maxDepth: 256, maxStanzaLength: 1_000_000, maxPostsPerMessage: 5, messagesPerMinute: 0, burst: 10 },
  };

  it("tells a virtual host's domain (ejabberd's conflict) from a component connected already (Prosody's kick_new)", () => {
    const vhost = handshakeCheck(
      {
        kind: "stream-error",
        condition: "conflict",
        text: "Unable to register route on existing local domain",
        afterHandshake: true,
      },
      xmpp,
    );
    assert.match(
      formatCheck(vhost),
      /one of the server's own domains \(a virtual host\).*bridge\.discord\.example\.org/,
    );
    const taken = handshakeCheck(
      { kind: "stream-error", condition: "conflict", text: "Component already connected", afterHandshake: true },
      xmpp,
    );
    assert.match(formatCheck(taken), /another connection holds the component.*Fix: stop the bridge/);
  });

  it("names a port that answers nothing, or something other than XMPP", () => {
    assert.match(formatCheck(handshakeCheck({ kind: "silent" }, xmpp)), /answered nothing within 5 s/);
    assert.match(formatCheck(handshakeCheck({ kind: "not-xmpp" }, xmpp)), /answers, but not as an XMPP server/);
    assert.match(
      formatCheck(handshakeCheck({ kind: "unreachable", code: "ENOTFOUND" }, xmpp)),
      /host name 127\.0\.0\.1 does not resolve/,
    );
  });

  it("warns past 100 rooms on one Prosody MUC service, naming muc_room_cache_size", () => {
    const rooms = (n: number, service = "conference.example.org") =>
      Array.from({ length: n }, (_, i) => `room${i}@${service}`);
    assert.deepEqual(roomCacheChecks(rooms(100), "prosody"), []);
    const [check, ...more] = roomCacheChecks([...rooms(101), ...rooms(3, "other.example.org")], "prosody");
    assert.equal(more.length, 0, "only the service past 100");
    assert.ok(check);
    assert.equal(check.status, "warn");
    assert.match(
      formatCheck(check),
      /101 rooms are linked there.*muc_room_cache_size = 200 .*Component "conference\.example\.org" "muc"/,
    );
    assert.deepEqual(roomCacheChecks(rooms(150), "ejabberd"), []);
    assert.match(formatCheck(roomCacheChecks(rooms(150), "other")[0] ?? passed("x", "x")), /if the server is Prosody/);
  });
});
