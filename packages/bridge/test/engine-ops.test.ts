/**
 * What an operator relies on, end to end on real Prosody and ejabberd with a
 * real XMPP client: delivery that retries and dead-letters, the health and
 * metrics endpoints (on their own listener, apart from the public media one),
 * store retention, admin commands changing links at runtime, avatars both
 * ways, re-hosted and refused attachments, and the `parley` command itself.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  avatarHash,
  buildCommandRequest,
  buildIq,
  buildMessage,
  buildPresence,
  buildVcard,
  buildVcardRequest,
  type Command,
  type DataForm,
  type Iq,
  type Message,
  parseCommand,
  parseVcard,
  stanzaIdBy,
} from "@parley/stanza";
import {
  freePort,
  isMessage,
  isPresence,
  stanzaId,
  TestClient,
  XMPP_SERVER_KINDS,
  type XmppComponentConfig,
} from "@parley/testkit";
import { type RefEvent, runCli } from "../src/index.ts";
import { DAY_MS } from "../src/internals.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Tries per delivery, stated here because the failure counts below are worked out from it. */
const MAX_ATTEMPTS = 6;
/** media.maxBytes for these tests: small, so that "too large" needs no large file. */
const MEDIA_LIMIT = 4096;

/** Files served to the bridge from 127.0.0.1, as a network's CDN would; records every path asked for. */
class FileHost {
  readonly requested: string[] = [];
  private readonly files = new Map<string, { bytes: Uint8Array; type: string }>();
  private server: Server | undefined;
  private base = "";

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const path = req.url ?? "";
      this.requested.push(path);
      const f = this.files.get(path);
      if (!f) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "Content-Type": f.type, "Content-Length": String(f.bytes.byteLength) });
      res.end(f.bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Serves `bytes` at `path` and returns its URL. */
  put(path: string, bytes: Uint8Array, type: string): string {
    this.files.set(path, { bytes, type });
    return `${this.base}${path}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

/** Polls `check` until it yields something other than undefined; fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves when the bridge's post of `text` lands on the network (the network echoes it as an event). */
function landed(h: Harness, text: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      h.net.off("event", on);
      reject(new Error(`"${text}" never landed on the network within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (e: RefEvent) => {
      if (e.type !== "message" || e.message.bridgeSender === undefined || e.message.text !== text) return;
      clearTimeout(timer);
      h.net.off("event", on);
      resolve();
    };
    h.net.on("event", on);
  });
}

const postsOf = (h: Harness, text: string) => h.net.calls.filter((c) => c.method === "post" && c.args.text === text);
const messagesOf = (h: Harness, text: string) => [...h.net.messages.values()].filter((m) => m.text === text);

async function getText(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

async function getBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The value of one sample in a Prometheus text exposition, e.g. `name{a="b"}`. */
function sample(metrics: string, series: string): number | undefined {
  for (const line of metrics.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

function commandOf(iq: Iq): Command {
  assert.equal(iq.type, "result", `expected a command result, got ${iq.error?.condition}: ${iq.error?.text}`);
  assert.ok(iq.payload);
  const c = parseCommand(iq.payload);
  assert.ok(c.ok, c.ok ? "" : c.error.message);
  return c.value;
}

function submission(values: Record<string, string>): DataForm {
  return { type: "submit", fields: Object.entries(values).map(([name, v]) => ({ var: name, values: [v] })) };
}

/** A stream that keeps what is written to it, for runCli's output. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer | string, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    text: () => chunks.join(""),
  };
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the process did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

for (const kind of XMPP_SERVER_KINDS) {
  describe(`engine operations on ${kind}`, () => {
    let h: Harness;
    const files = new FileHost();
    const cliComponent: XmppComponentConfig = { domain: "cli.parley.test", secret: randomBytes(16).toString("hex") };
    const dora = randomBytes(300);
    const from = (nick: string, room?: string) => (m: Message) => m.from === `${room ?? h.room}/${nick}`;
    const metrics = async () => {
      const r = await getText(`${h.bridge.opsUrl}/metrics`);
      assert.equal(r.status, 200);
      return r.body;
    };

    before(async () => {
      await files.start();
      const doraUrl = files.put("/avatars/dora.png", dora, "image/png");
      h = await startHarness(kind, {
        server: {
          components: [{ domain: "bridge.parley.test", secret: randomBytes(16).toString("hex") }, cliComponent],
        },
        mediaMaxBytes: MEDIA_LIMIT,
        users: [{ id: "u5", name: "Dora", avatarUrl: doraUrl }],
        // Retries in milliseconds: the counts are what these tests prove, not the waiting.
        delivery: { maxAttempts: MAX_ATTEMPTS, baseDelayMs: 1, maxDelayMs: 5 },
      });
    });
    after(async () => {
      await h?.close();
      await files.stop();
    });

    // --- Delivery ----------------------------------------------------------------------

    it("retries a post the network refused with 503 and posts it exactly once", async () => {
      h.net.failNext(2, 503, undefined, "post");
      const text = "third time lucky";
      const done = landed(h, text);
      const reflected = h.alice.waitFor(isMessage((m) => from("alice")(m) && m.body === text));
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("d"), body: text }));
      await done;
      await reflected;
      assert.equal(postsOf(h, text).length, 3, "two refused tries, then the one that worked");
      assert.equal(messagesOf(h, text).length, 1, "on the network once");
      // The network's echo of the post is not relayed back into the room.
      const sentinel = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "after the retries"));
      h.net.post("u2", "general", "after the retries");
      await sentinel;
      await assert.rejects(
        h.alice.waitFor(
          isMessage((m) => m.body === text && !from("alice")(m)),
          { timeoutMs: 50 },
        ),
        "the echo never reaches the room",
      );
    });

    it("a correction, reaction and reply sent while the post is still retried apply to it once posted", async () => {
      h.net.failNext(1, 429, 300, "post"); // the post waits 300 ms for its second try
      const id = stanzaId("q");
      const text = "teh typo";
      const done = landed(h, text);
      const reflected = h.alice.waitFor(isMessage((m) => m.id === id && from("alice")(m)));
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body: text }));
      const sid = stanzaIdBy((await reflected).stanza as Message, h.room);
      assert.ok(sid);
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("q"), body: "the typo", replace: { id } }),
      );
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("q"), reactions: { id: sid, emojis: ["👀"] } }),
      );
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id: stanzaId("q"), body: "see above", reply: { id: sid } }),
      );
      await done;
      const posted = messagesOf(h, "the typo")[0] ?? messagesOf(h, text)[0];
      assert.ok(posted, "posted once");
      const edit = await apiCall(h, (c) => c.method === "edit" && c.args.text === "the typo");
      assert.equal(edit.args.id, posted.id);
      const reaction = await apiCall(h, (c) => c.method === "react" && c.args.emoji === "👀");
      assert.equal(reaction.args.id, posted.id);
      const reply = await apiCall(h, (c) => c.method === "post" && c.args.text === "see above");
      assert.equal(reply.args.replyTo, posted.id);
      assert.equal(postsOf(h, text).length, 2, "one refused try, then the one that worked");
    });

    it("dead-letters a post after every try failed, counts it on /metrics, and keeps relaying", async () => {
      const before = (await h.store.listDeadLetters()).length;
      h.net.failNext(10, 500, undefined, "post");
      const text = "doomed message";
      const id = stanzaId("d");
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, originId: id, body: text }));
      const dead = await eventually("a dead letter", async () => {
        const all = await h.store.listDeadLetters();
        return all.length > before ? all : undefined;
      });
      assert.equal(dead.length, before + 1);
      const letter = dead.find((d) => d.lane === "remote:general");
      assert.ok(letter, `a dead letter for the channel; got ${JSON.stringify(dead)}`);
      assert.equal(letter.attempts, MAX_ATTEMPTS);
      assert.match(letter.error, /500/);
      assert.equal(postsOf(h, text).length, MAX_ATTEMPTS);
      assert.equal(messagesOf(h, text).length, 0);
      assert.equal(sample(await metrics(), 'parley_dead_letters_total{network="reference"}'), 1);

      // The failures left over (10 - 6) are taken by the next post, which then goes through, once.
      const next = "life goes on";
      const done = landed(h, next);
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("d"), body: next }));
      await done;
      assert.equal(postsOf(h, next).length, 10 - MAX_ATTEMPTS + 1);
      assert.equal(messagesOf(h, next).length, 1);
    });

    it("does not retry a post refused with 403", async () => {
      const before = (await h.store.listDeadLetters()).length;
      h.net.failNext(1, 403, undefined, "post");
      const text = "not allowed here";
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("d"), body: text }));
      await eventually("a dead letter", async () =>
        (await h.store.listDeadLetters()).length > before ? true : undefined,
      );
      const letter = (await h.store.listDeadLetters()).find((d) => /403/.test(d.error));
      assert.ok(letter);
      assert.equal(letter.attempts, 1);
      assert.equal(postsOf(h, text).length, 1, "one API call, no retry");
      assert.equal(sample(await metrics(), 'parley_dead_letters_total{network="reference"}'), 2);
      const next = "after the refusal";
      const done = landed(h, next);
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("d"), body: next }));
      await done;
      assert.equal(postsOf(h, next).length, 1);
    });

    // --- Ops endpoints -----------------------------------------------------------------

    it("answers /healthz, /readyz with its checks, and /metrics with relay counts and the XMPP link", async () => {
      assert.notEqual(h.bridge.opsUrl, h.bridge.httpUrl, "the ops endpoint has a listener of its own");
      const health = await getText(`${h.bridge.opsUrl}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { status: "ok" });
      const ready = await getText(`${h.bridge.opsUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(JSON.parse(ready.body), { ready: true, checks: { xmpp: true, connector: true } });

      const seen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "count me"));
      h.net.post("u2", "general", "count me");
      await seen;
      const series = 'parley_relayed_messages_total{network="reference",direction="to-xmpp"}';
      const relayed = await eventually("a to-xmpp relay count", async () => {
        const n = sample(await metrics(), series);
        return n !== undefined && n > 0 ? n : undefined;
      });
      assert.ok(relayed >= 1);
      const text = await metrics();
      assert.ok((sample(text, 'parley_relayed_messages_total{network="reference",direction="to-remote"}') ?? 0) > 0);
      assert.equal(sample(text, "parley_xmpp_connected"), 1);
    });

    it("keeps /healthz, /readyz and /metrics off the public media endpoint, and media off the ops one", async () => {
      for (const path of ["/healthz", "/readyz", "/metrics"]) {
        assert.equal((await getText(`${h.bridge.httpUrl}${path}`)).status, 404, `public ${path}`);
      }
      assert.equal((await getText(`${h.bridge.opsUrl}/media/anything.png`)).status, 404);
    });

    // --- Store retention ----------------------------------------------------------------

    it("prunes messages older than store.retention.messagesDays at start; recent ones still take corrections", async () => {
      const oldSeen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "from last season"));
      const old = h.net.post("u2", "general", "from last season", { createdAt: Date.now() - 91 * DAY_MS });
      await oldSeen;
      const recentSeen = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "from this week"));
      const recent = h.net.post("u2", "general", "from this week");
      const recentMsg = (await recentSeen).stanza as Message;
      assert.equal((await h.store.byRemoteId("reference", old.id)).length, 1, "recorded before the restart");

      await h.restartBridge(); // retention sweeps at start, with the default of 90 days
      await eventually("pruned rows counted on /metrics", async () => {
        const pruned = sample(await metrics(), 'parley_store_pruned_rows_total{records="messages"}');
        return pruned !== undefined && pruned >= 1 ? pruned : undefined;
      });
      assert.deepEqual(await h.store.byRemoteId("reference", old.id), [], "the old message is gone");
      assert.equal((await h.store.byRemoteId("reference", recent.id)).length, 1, "the recent message stays");
      const edited = h.alice.waitFor(
        isMessage((m) => from("Bob")(m) && m.replace !== undefined && m.body === "from this week, edited"),
      );
      h.net.edit(recent.id, "from this week, edited");
      assert.equal(((await edited).stanza as Message).replace?.id, recentMsg.id);
    });

    // --- Admin commands at runtime -------------------------------------------------------

    it("links and unlinks a channel through ad-hoc commands, for the admin only; the channel's members come along", async () => {
      h.net.addChannel("random");
      h.net.join("u2", "random"); // a member before the link: Bob shows up in the room once it is linked
      const room = `random-${process.pid}-${Date.now()}@${h.server.mucDomain}`;
      await h.alice.joinRoom(room, "alice");
      const run = (who: TestClient, o: Omit<Parameters<typeof buildCommandRequest>[0], "id" | "to">) =>
        who.iq(buildCommandRequest({ id: stanzaId("cmd"), to: h.domain, ...o }));
      const target = { network: "reference", channel: "random", room };

      const bobAccount = h.server.accounts[1];
      assert.ok(bobAccount);
      const bob = await TestClient.connect(h.server, bobAccount);
      try {
        for (const node of ["link", "unlink", "status"]) {
          assert.equal((await run(bob, { node })).error?.condition, "forbidden", node);
        }
      } finally {
        await bob.stop();
      }
      assert.equal(h.bridge.links.has("random", room), false);

      const relayJoined = h.alice.waitFor(
        isPresence((p) => (p.from ?? "").toLowerCase().startsWith(`${room.toLowerCase()}/`) && p.type === "available"),
      );
      const bobJoined = h.alice.waitFor(
        isPresence((p) => (p.from ?? "").toLowerCase() === `${room.toLowerCase()}/bob` && p.type === "available"),
      );
      const linkForm = commandOf(await run(h.alice, { node: "link" }));
      assert.equal(linkForm.status, "executing");
      assert.ok(linkForm.sessionid);
      const linked = commandOf(
        await run(h.alice, { node: "link", sessionid: linkForm.sessionid, form: submission(target) }),
      );
      assert.equal(linked.status, "completed", JSON.stringify(linked.notes));
      await relayJoined;
      await bobJoined;
      assert.ok((await h.store.listLinks("reference")).some((l) => l.channel === "random" && l.source === "admin"));

      const arrived = h.alice.waitFor(isMessage((m) => from("Anna", room)(m) && m.body === "over in random"));
      h.net.post("u1", "random", "over in random");
      await arrived;

      const unlinkForm = commandOf(await run(h.alice, { node: "unlink" }));
      assert.ok(unlinkForm.sessionid);
      const unlinked = commandOf(
        await run(h.alice, { node: "unlink", sessionid: unlinkForm.sessionid, form: submission(target) }),
      );
      assert.equal(unlinked.status, "completed", JSON.stringify(unlinked.notes));
      assert.equal(h.bridge.links.has("random", room), false);
      assert.ok(!(await h.store.listLinks("reference")).some((l) => l.channel === "random"));

      // Network events are handled in order: once the sentinel is in, the post before it was dealt with.
      h.net.post("u1", "random", "into the void");
      const sentinel = h.alice.waitFor(isMessage((m) => from("Bob")(m) && m.body === "sentinel after unlink"));
      h.net.post("u2", "general", "sentinel after unlink");
      await sentinel;
      await assert.rejects(
        h.alice.waitFor(
          isMessage((m) => m.body === "into the void"),
          { timeoutMs: 50 },
        ),
        "nothing reaches the unlinked room",
      );
    });

    // --- Avatars ---------------------------------------------------------------------------

    it("gives a remote user's puppet their avatar: XEP-0153 hash in room presence, photo in vCard", async () => {
      const hash = avatarHash(dora);
      const joined = h.alice.waitFor(
        isPresence((p) => p.from === `${h.room}/Dora` && p.type === "available" && p.vcardUpdate?.photo === hash),
      );
      const said = h.alice.waitFor(isMessage((m) => from("Dora")(m) && m.body === "hi, I am Dora"));
      h.net.post("u5", "general", "hi, I am Dora");
      await joined;
      await said;
      assert.ok(files.requested.includes("/avatars/dora.png"));

      const answer = await h.alice.iq(buildVcardRequest({ id: stanzaId("vc"), to: `u5@${h.domain}` }));
      assert.equal(answer.type, "result", answer.error?.condition);
      assert.ok(answer.payload);
      const vcard = parseVcard(answer.payload);
      assert.ok(vcard.ok);
      assert.equal(vcard.value.fullName, "Dora");
      assert.equal(vcard.value.photo?.type, "image/png");
      assert.deepEqual(Buffer.from(vcard.value.photo?.data ?? []), Buffer.from(dora));
    });

    it("shows an XMPP occupant's vCard avatar on the network through the media endpoint", async () => {
      const face = randomBytes(200);
      const hash = avatarHash(face);
      const stored = await h.alice.iq(
        buildIq({
          type: "set",
          id: stanzaId("vc"),
          payload: buildVcard({ fullName: "Alice", photo: { type: "image/png", data: face } }),
        }),
      );
      assert.equal(stored.type, "result", `publishing the vCard: ${stored.error?.condition}`);
      await h.alice.send(buildPresence({ to: `${h.room}/alice`, vcardUpdate: { photo: hash } }));
      await eventually("the relay seeing alice's avatar hash", () =>
        h.bridge.relay.occupant(h.room, "alice")?.avatarHash === hash ? true : undefined,
      );
      const text = "look at my face";
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("a"), body: text }));
      const call = await apiCall(h, (c) => c.method === "post" && c.args.text === text);
      const url = call.args.avatarUrl;
      assert.equal(typeof url, "string", `the post carries an avatar URL: ${JSON.stringify(call.args)}`);
      assert.ok(String(url).startsWith(`${h.bridge.httpUrl}/media/`), String(url));
      assert.deepEqual(Buffer.from(await getBytes(String(url))), face);
    });

    // --- Attachments -------------------------------------------------------------------------

    it("re-hosts a short-lived attachment on the bridge's media endpoint", async () => {
      const bytes = randomBytes(1000);
      const original = files.put("/cdn/expiring/cat.png?sig=abc", bytes, "image/png");
      const seen = h.alice.waitFor(isMessage((m) => from("Anna")(m) && m.oob !== undefined));
      h.net.post("u1", "general", "", {
        attachments: [{ url: original, filename: "cat.png", ephemeral: true, contentType: "image/png" }],
      });
      const m = (await seen).stanza as Message;
      const url = m.oob?.[0]?.url ?? "";
      assert.ok(url.startsWith(`${h.bridge.httpUrl}/media/`), url);
      assert.notEqual(url, original);
      assert.equal(m.body, url);
      assert.ok(!(m.body ?? "").includes("/cdn/"), "the original URL is not shown");
      assert.deepEqual(Buffer.from(await getBytes(url)), bytes);
    });

    it("names a file over media.maxBytes and the limit instead of bridging it", async () => {
      const url = files.put("/cdn/film.mp4", randomBytes(16), "video/mp4");
      const seen = h.alice.waitFor(isMessage((m) => from("Anna")(m) && (m.body ?? "").includes("film.mp4")));
      h.net.post("u1", "general", "", {
        attachments: [{ url, filename: "film.mp4", size: 10_000 }],
      });
      const m = (await seen).stanza as Message;
      assert.match(m.body ?? "", /film\.mp4/);
      assert.match(m.body ?? "", /4 KB limit/);
      assert.equal(m.oob, undefined, "no link to the file");
      assert.ok(!files.requested.includes("/cdn/film.mp4"), "a file declared too large is not even fetched");
    });

    it("names a short-lived file that turns out larger than the limit while downloading", async () => {
      const url = files.put("/cdn/expiring/huge.bin", randomBytes(MEDIA_LIMIT + 1000), "application/octet-stream");
      const seen = h.alice.waitFor(isMessage((m) => from("Anna")(m) && (m.body ?? "").includes("huge.bin")));
      h.net.post("u1", "general", "", { attachments: [{ url, filename: "huge.bin", ephemeral: true }] });
      const m = (await seen).stanza as Message;
      assert.match(m.body ?? "", /4 KB limit/);
      assert.equal(m.oob, undefined);
    });

    // --- The parley command ----------------------------------------------------------------

    describe("the parley command", () => {
      let dir: string;
      let child: ChildProcess | undefined;
      const configText = (port: number, opsPort: number, extra = "") => `
xmpp:
  host: ${h.server.host}
  port: ${h.server.componentPort}
  domain: ${cliComponent.domain}
  secret: "${cliComponent.secret}"
store:
  url: sqlite:${join(dir, "cli.db")}
http:
  host: 127.0.0.1
  port: ${port}
ops:
  host: 127.0.0.1
  port: ${opsPort}
log:
  level: debug
media:
  dir: ${join(dir, "media")}
connectors:
  reference: {}
${extra}`;

      before(() => {
        dir = mkdtempSync(join(tmpdir(), "parley-cli-"));
      });
      after(async () => {
        if (child && child.exitCode === null && child.signalCode === null) {
          child.kill("SIGKILL");
          await exitOf(child, 5000).catch(() => undefined);
        }
        rmSync(dir, { recursive: true, force: true });
      });

      it("checks a good config with exit code 0 and a bad one with 2, naming the field", async () => {
        const good = join(dir, "good.yaml");
        writeFileSync(good, configText(8787, 8788));
        const ok = capture();
        assert.equal(await runCli(["--config", good, "--check"], ok.stream), 0);
        assert.match(ok.text(), /configuration OK/);

        const bad = join(dir, "bad.yaml");
        writeFileSync(bad, configText(8787, 8788).replace("port: 8787", "port: 99999"));
        const out = capture();
        assert.equal(await runCli(["--config", bad, "--check"], out.stream), 2);
        assert.match(out.text(), /`http\.port`/);
        assert.ok(!out.text().includes(cliComponent.secret), "the message quotes no secret");

        const clash = join(dir, "clash.yaml");
        writeFileSync(clash, configText(8787, 8787));
        const clashed = capture();
        assert.equal(await runCli(["--config", clash, "--check"], clashed.stream), 2);
        assert.match(
          clashed.text(),
          /`ops\.port`: is the port the public http endpoint listens on.*or 0 to pick a free one/,
        );
      });

      it("runs as a process: ready on /readyz, exits 0 on SIGTERM, and never prints the secret", async () => {
        const port = await freePort();
        const opsPort = await freePort();
        const file = join(dir, "run.yaml");
        writeFileSync(file, configText(port, opsPort));
        const output: string[] = [];
        const proc = spawn(process.execPath, ["src/cli/parley.ts", "--config", file], {
          cwd: PACKAGE_DIR,
          stdio: ["ignore", "pipe", "pipe"],
        });
        child = proc;
        proc.stdout?.on("data", (c: Buffer) => output.push(c.toString()));
        proc.stderr?.on("data", (c: Buffer) => output.push(c.toString()));
        const ready = await eventually(
          "the spawned bridge being ready",
          async () => {
            if (proc.exitCode !== null) assert.fail(`the bridge exited with ${proc.exitCode}:\n${output.join("")}`);
            const r = await getText(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined);
            return r?.status === 200 ? r : undefined;
          },
          30_000,
        );
        assert.deepEqual(JSON.parse(ready.body), { ready: true, checks: { xmpp: true, connector: true } });
        proc.kill("SIGTERM");
        const exit = await exitOf(proc, 15_000);
        assert.deepEqual(exit, { code: 0, signal: null }, output.join(""));
        const all = output.join("");
        assert.match(all, /bridge started/, "the log is on stdout");
        assert.match(all, /shutting down/);
        assert.ok(!all.includes(cliComponent.secret), "the component secret never appears in the output");
      });
    });
  });
}
