/**
 * `npm run test:hostile`: every hostile case against the real parley CLI, on
 * Prosody and ejabberd, batched per server and network (Discord, Slack,
 * Matrix; one start each).
 * Each case: no crash (the bridge process still runs), no link drop
 * (parley_xmpp_link_drops_total unchanged), nothing relayed as someone else,
 * and the next normal message relayed (else it is stalled). Writes
 * results.json `{ cases, crashes, linkDrops, spoofed, stalled }` (and the
 * cases that failed a check) and exits 1 unless all but `cases` are 0.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Element, parseMessage } from "@parley/stanza";
import { XMPP_SERVER_KINDS } from "@parley/testkit";
import { type Anchors, discordCases, type HostileCase, matrixCases, xmppCases } from "./cases.ts";
import { slackCases } from "./slack-cases.ts";
import { type Network, startWorld, type World } from "./world.ts";

const PROBE_TIMEOUT_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Failure {
  readonly server: string;
  readonly case: string;
  readonly check: "crash" | "linkDrop" | "spoofed" | "stalled";
  readonly detail?: string;
}

const totals = { cases: 0, crashes: 0, linkDrops: 0, spoofed: 0, stalled: 0 };
const failures: Failure[] = [];
let probeCounter = 0;

/** Polls `check` until it holds or the time is up. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return false;
}

/** Everything the XMPP victim receives, kept in order (the inbox's buffer is consumed by waits). */
function recordInbox(w: World): Element[] {
  const seen: Element[] = [];
  const push = w.alice.inbox.push.bind(w.alice.inbox);
  w.alice.inbox.push = (el: Element) => {
    seen.push(el);
    push(el);
  };
  return seen;
}

function messagesIn(seen: readonly Element[], from = 0) {
  return seen
    .slice(from)
    .filter((el) => el.name === "message")
    .map((el) => parseMessage(el))
    .flatMap((r) => (r.ok ? [r.value] : []));
}

async function setAnchors(w: World, seen: Element[]): Promise<Anchors> {
  const anchors: Anchors = {};
  // Alice's message, on XMPP and on the network.
  const id = `anchor-${Date.now()}`;
  const back = w.alice.waitFor((r) => r.element.name === "message" && r.element.attrs.id === id, { timeoutMs: 10_000 });
  await w.alice.send(
    (await import("@parley/stanza")).buildMessage({ type: "groupchat", to: w.room, id, body: "anchor from alice" }),
  );
  const copy = parseMessage((await back).element);
  const stanzaId = copy.ok ? (copy.value.stanzaIds?.find((s) => s.by.toLowerCase() === w.room)?.id ?? id) : id;
  const occupantId = copy.ok ? copy.value.occupantId : undefined;
  anchors.alice = { id, stanzaId, ...(occupantId !== undefined && { occupantId }) };
  if (w.discord) {
    const d = w.discord;
    await until(() => d.fake.messages(d.channelId).some((m) => m.content === "anchor from alice"), 20_000);
    const remoteId = d.fake.messages(d.channelId).find((m) => m.content === "anchor from alice")?.id;
    if (remoteId !== undefined) anchors.alice = { ...anchors.alice, remoteId };
    const posted = d.fake.post(d.channelId, d.ada, "anchor from ada");
    await until(() => messagesIn(seen).some((m) => m.body === "anchor from ada"), 20_000);
    const got = messagesIn(seen).find((m) => m.body === "anchor from ada");
    anchors.remote = { remoteId: posted.id, ids: idsOf(got) };
  }
  if (w.slack) {
    const s = w.slack;
    const bridged = () => s.fake.messages(s.channelId).find((m) => m.text === "anchor from alice");
    await until(() => bridged() !== undefined, 20_000);
    const remoteId = bridged()?.ts;
    if (remoteId !== undefined) anchors.alice = { ...anchors.alice, remoteId };
    const posted = s.fake.post(s.channelId, s.ada, "anchor from ada");
    await until(() => messagesIn(seen).some((m) => m.body === "anchor from ada"), 20_000);
    anchors.remote = { remoteId: posted.ts, ids: idsOf(messagesIn(seen).find((m) => m.body === "anchor from ada")) };
  }
  if (w.matrix) {
    const eventId = await w.matrix.bob.send(w.matrix.roomId, "m.room.message", {
      msgtype: "m.text",
      body: "anchor from bob",
    });
    await until(() => messagesIn(seen).some((m) => m.body === "anchor from bob"), 30_000);
    anchors.remote = { remoteId: eventId, ids: idsOf(messagesIn(seen).find((m) => m.body === "anchor from bob")) };
  }
  return anchors;
}

function idsOf(m: ReturnType<typeof messagesIn>[number] | undefined): string[] {
  if (!m) return [];
  return [m.id, m.originId, ...(m.stanzaIds ?? []).map((s) => s.id)].filter((x): x is string => x !== undefined);
}

/** Sends a normal message the case's way and waits for it on the other side; false: stalled. */
async function probe(w: World, via: HostileCase["via"], seen: Element[]): Promise<boolean> {
  const text = `probe ${++probeCounter}`;
  const { buildMessage } = await import("@parley/stanza");
  if (via === "xmpp") {
    if (w.discord) {
      const d = w.discord;
      await w.alice.send(buildMessage({ type: "groupchat", to: w.room, id: `probe-${probeCounter}`, body: text }));
      return until(() => d.fake.messages(d.channelId).some((m) => m.content === text), PROBE_TIMEOUT_MS);
    }
    throw new Error("XMPP cases run against the Discord world");
  }
  const from = seen.length;
  if (via === "discord" && w.discord) w.discord.fake.post(w.discord.channelId, w.discord.ada, text);
  if (via === "slack" && w.slack) w.slack.fake.post(w.slack.channelId, w.slack.ada, text);
  if (via === "matrix" && w.matrix)
    await w.matrix.bob.send(w.matrix.roomId, "m.room.message", { msgtype: "m.text", body: text });
  return until(() => messagesIn(seen, from).some((m) => m.body === text), PROBE_TIMEOUT_MS);
}

/** Anything relayed as someone else since `from` (the victims' names on an attacker's words, or their messages changed). */
function spoofsSince(
  w: World,
  a: Anchors,
  seen: Element[],
  from: number,
  discordFrom: number,
  slackFrom: number,
): string | undefined {
  for (const m of messagesIn(seen, from)) {
    const nick = (m.from ?? "").split("/")[1] ?? "";
    const body = m.body ?? "";
    if (/^(Ada|Bob|alice)$/i.test(nick) && body.includes("PWNED")) return `"${nick}" said an attacker's words`;
    const target = m.replace?.id ?? m.retract?.id;
    if (target !== undefined && (a.remote?.ids ?? []).includes(target)) return `${nick} changed the victim's message`;
  }
  if (w.discord) {
    const d = w.discord;
    const all = d.fake.messages(d.channelId);
    const anchor = all.find((m) => m.id === a.alice?.remoteId);
    if (a.alice?.remoteId !== undefined && anchor?.content !== "anchor from alice") {
      return "alice's message on Discord was changed or deleted";
    }
    for (const m of all.slice(discordFrom)) {
      const name = (m.author as { username?: string }).username ?? "";
      if (m.webhook_id !== undefined && /^(ada|mallory)$/i.test(name.replace(/[\u200B-\u200D\uFEFF]/g, ""))) {
        return `a webhook post under a Discord member's name: "${name}"`;
      }
    }
  }
  if (w.slack) {
    const s = w.slack;
    const alices = [a.alice?.id, a.alice?.stanzaId].filter((x) => x !== undefined);
    for (const m of messagesIn(seen, from)) {
      const target = m.replace?.id ?? m.retract?.id;
      if (target !== undefined && alices.includes(target)) return `${m.from} changed alice's message`;
    }
    if (
      a.alice?.remoteId !== undefined &&
      s.fake.message(s.channelId, a.alice.remoteId)?.text !== "anchor from alice"
    ) {
      return "alice's message on Slack was changed or deleted";
    }
    if (s.fake.message(s.channelId, a.remote?.remoteId ?? "")?.text !== "anchor from ada") {
      return "Ada's message on Slack was changed or deleted";
    }
    for (const p of s.fake.botActions(s.channelId).slice(slackFrom)) {
      const name = (p.username ?? "").replace(/[\u200B-\u200D\uFEFF]/g, "");
      if (p.kind === "post" && /^(ada|mallory)$/i.test(name))
        return `a bridge post under a Slack member's name: "${name}"`;
      if (p.kind !== "post" && p.kind !== "react" && p.ts === a.alice?.remoteId)
        return `the bridge ${p.kind}d alice's message`;
    }
  }
  return undefined;
}

async function runBatch(kind: (typeof XMPP_SERVER_KINDS)[number], network: Network, cases: HostileCase[], dir: string) {
  const started = Date.now();
  const w = await startWorld(kind, network, dir);
  try {
    const seen = recordInbox(w);
    const anchors = await setAnchors(w, seen);
    for (const c of cases) {
      totals.cases++;
      const fail = (check: Failure["check"], detail?: string) => {
        totals[check === "crash" ? "crashes" : check === "linkDrop" ? "linkDrops" : check]++;
        failures.push({ server: kind, case: c.name, check, ...(detail !== undefined && { detail }) });
        process.stdout.write(`  ✖ ${kind} ${c.name}: ${check}${detail ? ` (${detail})` : ""}\n`);
      };
      const dropsBefore = await w.linkDrops();
      const from = seen.length;
      const discordFrom = w.discord ? w.discord.fake.messages(w.discord.channelId).length : 0;
      const slackFrom = w.slack ? w.slack.fake.botActions(w.slack.channelId).length : 0;
      try {
        await c.act(w, anchors);
      } catch (e) {
        // The attacker's side may be refused (a server that cuts off a client for what it sent): that is theirs.
        await w.reconnectEve().catch(() => undefined);
        void e;
      }
      const relayed = await probe(w, c.via, seen);
      if (!w.bridge.running) {
        fail("crash", w.bridge.exits.at(-1));
        await w.bridge.start();
        continue;
      }
      if (!relayed) fail("stalled");
      const dropsAfter = await w.linkDrops();
      if (dropsBefore !== undefined && dropsAfter !== undefined && dropsAfter > dropsBefore) fail("linkDrop");
      const spoof = spoofsSince(w, anchors, seen, from, discordFrom, slackFrom);
      if (spoof !== undefined) fail("spoofed", spoof);
    }
    if (w.slack) {
      const asked = w.slack.trap.requests;
      const withToken = asked.filter((r) => r.authorization?.includes(w.slack?.fake.botToken ?? "\u0000")).length;
      process.stdout.write(
        `${kind} slack: the file trap was asked ${asked.length} times, ${withToken} with the bot token\n`,
      );
    }
    process.stdout.write(
      `${kind} ${network}: ${cases.length} cases in ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
  } finally {
    await w.close();
  }
}

/**
 * HOSTILE_BATCHES=prosody/slack,ejabberd/matrix runs only those batches (while
 * working on one); such a partial run leaves results.json alone.
 */
const only = process.env.HOSTILE_BATCHES?.split(",").map((b) => b.trim());

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "parley-hostile-"));
  const started = Date.now();
  try {
    for (const kind of XMPP_SERVER_KINDS) {
      const batches: Array<[Network, () => HostileCase[]]> = [
        ["discord", () => [...xmppCases(), ...discordCases()]],
        ["slack", slackCases],
        ["matrix", matrixCases],
      ];
      for (const [network, cases] of batches) {
        if (only && !only.includes(`${kind}/${network}`)) continue;
        const batchDir = join(dir, kind, network);
        mkdirSync(batchDir, { recursive: true });
        await runBatch(kind, network, cases(), batchDir);
      }
    }
  } finally {
    if (failures.length === 0) rmSync(dir, { recursive: true, force: true });
    else process.stdout.write(`logs kept in ${dir}\n`);
  }
  const results = { ...totals, seconds: Math.round((Date.now() - started) / 1000), failures };
  if (only) process.stdout.write(`${JSON.stringify(failures, null, 2)}\n`);
  else writeFileSync(new URL("../results.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(totals)}\n`);
  const clean = totals.crashes === 0 && totals.linkDrops === 0 && totals.spoofed === 0 && totals.stalled === 0;
  process.exit(clean && (only !== undefined || totals.cases >= 400) ? 0 : 1);
}

// The attacker's own client may be cut off by a server mid-read (its library then throws where nothing catches
// it): that is the test's side, not the bridge's; the next case connects the attacker again.
process.on("uncaughtException", (e) => {
  process.stderr.write(`hostile: the suite's own XMPP client failed (not the bridge): ${e.message}\n`);
});

await main();
