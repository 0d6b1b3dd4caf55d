/**
 * The engine's catch-up of a network's history (remote -> XMPP), against an
 * in-memory network that pages the way connectors do: cursors written only
 * once the engine has on record what was handed over, paging oldest first,
 * the age and count bounds told to the admins, nothing handed twice, and
 * the edits, deletions and reactions of the recent window.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { catchUpBoundsOf, RemoteCatchUp, type RemoteCatchUpOptions } from "../src/engine/remote-catch-up.ts";
import type {
  HistoryMessage,
  HistoryOptions,
  HistoryPage,
  HistoryRequest,
  HistoryThread,
  RemoteDelete,
  RemoteEdit,
  RemoteMessage,
  RemoteReaction,
  RemoteUser,
} from "../src/index.ts";
import { MemoryState } from "./memory-state.ts";
import { type LogLine, recordingLogger } from "./recording-logger.ts";

/** Ids are whole seconds since the epoch, as strings: id 100 was said at 100 s. */
const ids: HistoryOptions = {
  compare: (a, b) => Number(a) - Number(b),
  isId: (id) => /^\d+$/.test(id),
  timeOf: (id) => Number(id) * 1000,
  idAt: (ms) => String(Math.max(0, Math.ceil(ms / 1000) - 1)),
};

const anna: RemoteUser = { id: "U1", displayName: "Anna" };
const bob: RemoteUser = { id: "U2", displayName: "Bob" };
const PAGE = 3;

interface Said {
  id: string;
  thread?: string;
  edited?: number;
  gone?: boolean;
  reactions?: Array<{ emoji: string; users: RemoteUser[] }>;
  /** Not a message people said (a join): listed, not relayed. */
  system?: boolean;
}

/** A network of channels (and threads, by their own id) that pages `PAGE` messages at a time. */
class Network {
  readonly channels = new Map<string, Said[]>();
  readonly requests: string[] = [];
  readonly failing = new Set<string>();
  /** Also list the message at `after` itself (a network whose paging includes its boundary). */
  inclusive = false;
  /** Leave reactions out of listings (a network that does not say who reacted). */
  noReactions = false;
  threads = new Map<string, HistoryThread[]>();

  say(channel: string, ...said: Array<string | Said>): void {
    const list = this.channels.get(channel) ?? [];
    for (const s of said) list.push(typeof s === "string" ? { id: s } : s);
    list.sort((a, b) => Number(a.id) - Number(b.id));
    this.channels.set(channel, list);
  }

  find(channel: string, id: string): Said | undefined {
    return this.channels.get(channel)?.find((s) => s.id === id);
  }

  item(channel: string, s: Said): HistoryMessage {
    const message: RemoteMessage = {
      channel,
      id: s.id,
      author: anna,
      text: { blocks: [{ type: "paragraph", children: [{ type: "text", text: `m${s.id}` }] }] },
      timestamp: Number(s.id) * 1000,
      ...(s.thread !== undefined && { thread: s.thread }),
    };
    return {
      id: s.id,
      ...(s.system !== true && { message }),
      ...(s.edited !== undefined && { edited: s.edited }),
      ...(s.gone === true && { gone: true }),
      ...(!this.noReactions && {
        reactions: (s.reactions ?? []).map((r) => ({ emoji: r.emoji, users: r.users, complete: true })),
      }),
    };
  }

  async history(r: HistoryRequest): Promise<HistoryPage> {
    this.requests.push(
      `${r.channel} ${r.after !== undefined ? `after=${r.after}` : r.upTo !== undefined ? `upTo=${r.upTo}` : "now"}` +
        `${r.page !== undefined ? ` page=${r.page}` : ""} limit=${r.limit}`,
    );
    if (this.failing.has(r.channel)) throw new Error(`channel ${r.channel} is not available`);
    const all = this.channels.get(r.channel) ?? [];
    if (r.upTo !== undefined) {
      const upTo = r.upTo;
      const window = all.filter((s) => Number(s.id) <= Number(upTo)).slice(-r.limit);
      return { messages: window.map((s) => this.item(r.channel, s)) };
    }
    if (r.after === undefined) return { messages: [], ...(all.length > 0 && { cursor: all.at(-1)?.id }) };
    const from = Number(r.page ?? r.after);
    const page = all
      .filter((s) => (this.inclusive ? Number(s.id) >= from : Number(s.id) > from))
      .slice(0, Math.min(PAGE, r.limit));
    const last = page.at(-1);
    return {
      messages: page.map((s) => this.item(r.channel, s)),
      ...(page.length === Math.min(PAGE, r.limit) && last !== undefined && { next: last.id }),
    };
  }
}

/** What reached the host, in order. */
function recordingHost(calls: string[]) {
  return {
    message: async (m: RemoteMessage) => void calls.push(`message ${m.thread ?? m.channel}:${m.id}`),
    edit: async (e: RemoteEdit) => void calls.push(`edit ${e.id}@${e.timestamp}`),
    delete: async (d: RemoteDelete) => void calls.push(`delete ${d.id}`),
    reaction: async (x: RemoteReaction) => void calls.push(`reaction ${x.action} ${x.emoji} ${x.user.id} ${x.id}`),
  };
}

function setUp(o: Partial<RemoteCatchUpOptions> & { net?: Network; state?: MemoryState; now?: () => number } = {}) {
  const net = o.net ?? new Network();
  const state = o.state ?? new MemoryState();
  const calls: string[] = [];
  const notices: string[] = [];
  const lines: LogLine[] = [];
  const c = new RemoteCatchUp({
    displayName: "Acme",
    history: (r) => net.history(r),
    threads: async (channels) => new Map(channels.map((ch) => [ch, net.threads.get(ch) ?? []])),
    ids,
    state,
    logger: recordingLogger(lines),
    hand: recordingHost(calls),
    notice: async (text) => void notices.push(text),
    lookupUser: async (id) => [anna, bob].find((u) => u.id === id),
    limit: 1000,
    maxAgeMs: Number.POSITIVE_INFINITY,
    flushEveryMs: 10_000,
    now: () => 10_000_000,
    ...o,
  });
  return { c, net, state, calls, notices, lines };
}

describe("remote catch-up", () => {
  it("starts a channel without a cursor where it stands now, relaying nothing, and writes that at once", async () => {
    const { c, net, state, calls } = setUp();
    net.say("C1", "100", "101");
    await c.catchUp(["C1"]);
    assert.deepEqual(calls, []);
    assert.equal(state.values.get("cursor:C1"), "101");
    net.say("C2");
    await c.catchUp(["C2"]);
    assert.equal(state.values.get("cursor:C2"), String(10_000 - 1), "an empty channel starts from now");
  });

  it("pages through everything after the cursor, oldest first, moving the cursor past what is not relayed", async () => {
    const { c, net, state, calls } = setUp();
    await state.set("cursor:C1", "100");
    net.say("C1", "99", "100", "101", "102", { id: "103", system: true }, "104", "105", "106", "107");
    await c.catchUp(["C1"]);
    assert.deepEqual(
      calls,
      ["101", "102", "104", "105", "106", "107"].map((id) => `message C1:${id}`),
    );
    assert.deepEqual(
      net.requests.filter((r) => r.includes("after=")),
      ["C1 after=100 limit=1000", "C1 after=100 page=103 limit=997", "C1 after=100 page=106 limit=994"],
      "pages of 3 after the cursor, each asking for what the bound leaves",
    );
    assert.equal(state.values.get("cursor:C1"), "107");
  });

  it("moves a cursor only once the engine has on record what it was handed", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let settledAsked = 0;
    const { c, net, state, calls } = setUp({
      settled: async () => {
        settledAsked++;
        await held;
      },
    });
    await state.set("cursor:C1", "100");
    net.say("C1", "101", "102");
    const run = c.catchUp(["C1"]);
    while (calls.length < 2 || settledAsked === 0) await new Promise((r) => setImmediate(r));
    assert.equal(state.values.get("cursor:C1"), "100", "handed over, not yet on record: the cursor stays");
    release();
    await run;
    assert.equal(state.values.get("cursor:C1"), "102");
  });

  it("writes the cursors of live messages behind, only forward, and not at once", async () => {
    const { c, state } = setUp();
    const live = (id: string, extra: Partial<RemoteMessage> = {}): RemoteMessage => ({
      channel: "C1",
      id,
      author: anna,
      text: { blocks: [] },
      ...extra,
    });
    c.messageHanded(live("50"));
    c.messageHanded(live("40"));
    c.messageHanded(live("not-an-id"));
    c.messageHanded(live("60", { channel: "D1", direct: true }));
    assert.equal(state.values.get("cursor:C1"), undefined, "not written at once");
    await c.flush();
    assert.equal(state.values.get("cursor:C1"), "50");
    assert.equal(state.values.get("cursor:D1"), undefined, "direct chats have no cursor");
    assert.deepEqual(JSON.parse(state.values.get("recent:C1") ?? "[]"), ["40", "50"], "kept for the window");
  });

  it("hands nothing twice: the boundary a network lists again, a second catch-up, a live message meanwhile", async () => {
    const { c, net, state, calls } = setUp();
    net.inclusive = true;
    await state.set("cursor:C1", "100");
    net.say("C1", "100", "101", "102");
    await c.catchUp(["C1"]);
    assert.deepEqual(calls, ["message C1:101", "message C1:102"]);
    await c.catchUp(["C1"]);
    assert.deepEqual(calls.length, 2, "nothing new: nothing handed again");
    // Said live after the catch-up: the next one starts after it.
    net.say("C1", "103", "104");
    c.messageHanded({ channel: "C1", id: "103", author: anna, text: { blocks: [] } });
    await c.catchUp(["C1"]);
    assert.deepEqual(calls.slice(2), ["message C1:104"]);
    // A new instance (a restart) reads from what was written.
    const again = setUp({ net, state });
    await again.c.catchUp(["C1"]);
    assert.deepEqual(again.calls, []);
  });

  it("does not reach past its age, and tells the admins which range it left out", async () => {
    const now = 1_000_000_000;
    const hour = 3600;
    const nowId = now / 1000;
    const { c, net, state, calls, notices } = setUp({ now: () => now, maxAgeMs: 24 * hour * 1000 });
    await state.set("cursor:C1", String(nowId - 40 * hour));
    net.say("C1", String(nowId - 30 * hour), String(nowId - 26 * hour), String(nowId - hour), String(nowId - 60));
    await c.catchUp(["C1"]);
    assert.deepEqual(calls, [`message C1:${nowId - hour}`, `message C1:${nowId - 60}`]);
    assert.equal(notices.length, 1);
    const from = new Date(now - 40 * hour * 1000).toISOString();
    const to = new Date(now - 24 * hour * 1000).toISOString();
    assert.ok(notices[0]?.includes(from) && notices[0].includes(to), notices[0]);
    assert.match(notices[0] ?? "", /^Acme messages in channel C1 .*xmpp\.catchUp\.maxAgeHours/);
  });

  it("stops at its safety bound and says so, naming the connector's setting", async () => {
    const { c, net, state, calls, notices } = setUp({
      limit: 4,
      ids: { ...ids, settings: { limit: "connectors.acme.catchUpLimit" } },
    });
    await state.set("cursor:C1", "100");
    net.say("C1", "101", "102", "103", "104", "105", "106");
    await c.catchUp(["C1"]);
    assert.equal(calls.length, 4);
    assert.equal(state.values.get("cursor:C1"), "104", "the rest waits for the next catch-up");
    assert.equal(notices.length, 1);
    assert.match(notices[0] ?? "", /after message 104 .*bound of 4 messages \(connectors\.acme\.catchUpLimit\)/);
  });

  it("with catch-up off (limit 0) asks the network nothing past where a new channel stands", async () => {
    const { c, net, state, calls } = setUp({ limit: 0 });
    await state.set("cursor:C1", "100");
    net.say("C1", "101");
    await c.catchUp(["C1"]);
    assert.deepEqual(calls, []);
    assert.deepEqual(net.requests, []);
  });

  it("hands over the edits, deletions and reactions of the window once, and nothing at the next catch-up", async () => {
    const { c, net, state, calls } = setUp();
    net.say("C1", "10", "11", "12", "13", "14");
    for (const id of ["10", "11", "12", "13", "14"])
      c.messageHanded({ channel: "C1", id, author: anna, text: { blocks: [] } });
    c.reacted("C1", "13", "👀", bob, "add");
    await c.flush();
    assert.equal(state.values.get("cursor:C1"), "14");
    // While the bridge is away: 11 edited, 12 deleted, 14 left as a tombstone, bob's 👀 taken back and 🎉 given,
    // and 15 said (with a reaction).
    const edited = 20_000;
    Object.assign(net.find("C1", "11") ?? {}, { edited });
    net.channels.set(
      "C1",
      (net.channels.get("C1") ?? []).filter((s) => s.id !== "12"),
    );
    Object.assign(net.find("C1", "14") ?? {}, { gone: true });
    Object.assign(net.find("C1", "13") ?? {}, { reactions: [{ emoji: "🎉", users: [anna] }] });
    net.say("C1", {
      id: "15",
      reactions: [{ emoji: "👍", users: [bob, { id: "BOT", displayName: "us", isBridge: true }] }],
    });
    const restarted = setUp({ net, state });
    await restarted.c.catchUp(["C1"]);
    assert.deepEqual(restarted.calls, [
      `edit 11@${edited}`,
      "delete 12",
      "delete 14",
      "reaction remove 👀 U2 13",
      "reaction add 🎉 U1 13",
      "message C1:15",
      "reaction add 👍 U2 15",
    ]);
    assert.ok(
      net.requests.some((r) => r === "C1 upTo=14 limit=50"),
      "the window is the last 50 up to the cursor",
    );
    const third = setUp({ net, state });
    await third.c.catchUp(["C1"]);
    assert.deepEqual(third.calls, [], "each change once");
    assert.deepEqual(calls, []);
  });

  it("hands an edit listed in the window that it has no record of, never an edit older than the one relayed", async () => {
    const { c, net, state, calls } = setUp();
    await state.set("cursor:C1", "12");
    net.say("C1", { id: "11", edited: 5000 }, "12");
    await c.catchUp(["C1"]);
    assert.deepEqual(calls, ["edit 11@5000"], "the engine drops an edit it relayed already, by its time and text");
    c.messageHanded({ channel: "C1", id: "12", author: anna, text: { blocks: [] } });
    c.edited({ channel: "C1", id: "12", author: anna, text: { blocks: [] }, timestamp: 9000 });
    assert.equal(
      await c.editIsCurrent({ channel: "C1", id: "12", author: anna, text: { blocks: [] }, timestamp: 8000 }),
      false,
    );
    assert.equal(
      await c.editIsCurrent({ channel: "C1", id: "12", author: anna, text: { blocks: [] }, timestamp: 9000 }),
      true,
    );
    assert.equal(
      await c.editIsCurrent({ channel: "C1", id: "99", author: anna, text: { blocks: [] }, timestamp: 1 }),
      true,
    );
  });

  it("takes no reaction away when the network's listing does not say who reacted", async () => {
    const net = new Network();
    net.noReactions = true;
    const { c, state } = setUp({ net });
    net.say("C1", "10");
    c.messageHanded({ channel: "C1", id: "10", author: anna, text: { blocks: [] } });
    c.reacted("C1", "10", "👀", bob, "add");
    await c.flush();
    const restarted = setUp({ net, state });
    await restarted.c.catchUp(["C1"]);
    assert.deepEqual(restarted.calls, []);
  });

  it("catches up threads as channels of their own: from their cursor, their start, or the channel's cursor", async () => {
    const { c, net, state, calls } = setUp({ ids: { ...ids, threadsAsChannels: true }, limit: 2 });
    await state.set("cursor:C1", "2000");
    await state.set("cursor:T1500", "2005");
    net.say("C1", "1990", "2000", "2010");
    net.say("T1500", { id: "2005", thread: "T1500" }, { id: "2020", thread: "T1500" });
    net.say("T1800", { id: "1999", thread: "T1800" }, { id: "2030", thread: "T1800" });
    net.say("T2040", ...["2040", "2041", "2042"].map((id) => ({ id, thread: "T2040" })));
    net.say("TQUIET", { id: "2001", thread: "TQUIET" });
    net.threads.set("C1", [
      { id: "T1500", after: "1499", latest: "2020" },
      { id: "T1800", after: "1799" },
      { id: "T2040", after: "2039" },
      { id: "TQUIET", after: "1000", latest: "1500" },
    ]);
    await c.catchUp(["C1"]);
    assert.deepEqual(calls, [
      "message C1:2010",
      "message T1500:2020",
      "message T1800:2030",
      "message T2040:2040",
      "message T2040:2041",
    ]);
    assert.equal(state.values.get("cursor:T2040"), "2041", "the bound applies to each thread on its own");
    assert.ok(!net.requests.some((r) => r.startsWith("TQUIET")), "a thread with nothing new costs no request");
    // A live message in a thread moves the thread's cursor, not the channel's.
    c.messageHanded({ channel: "C1", thread: "T2040", id: "2050", author: anna, text: { blocks: [] } });
    await c.flush();
    assert.equal(state.values.get("cursor:T2040"), "2050");
    assert.equal(state.values.get("cursor:C1"), "2010");
  });

  it("goes on with the other channels and threads when one fails, saying so", async () => {
    const { c, net, state, calls, lines } = setUp({ ids: { ...ids, threadsAsChannels: true } });
    await state.set("cursor:C404", "1");
    await state.set("cursor:C1", "100");
    net.say("C1", "101");
    net.say("TBAD", { id: "102", thread: "TBAD" });
    net.say("TOK", { id: "103", thread: "TOK" });
    net.failing.add("C404").add("TBAD");
    net.threads.set("C404", [{ id: "TOK", after: "0" }]);
    net.threads.set("C1", [{ id: "TBAD", after: "0" }]);
    await c.catchUp(["C404", "C1"]);
    assert.deepEqual(calls, ["message TOK:103", "message C1:101"]);
    const warned = lines.filter((l) => l.level === "warn").map((l) => l.msg);
    assert.deepEqual(warned, ["could not catch up on a channel", "could not catch up on a thread"]);
  });

  it("reads its bounds from the connector's settings, else from xmpp.catchUp", () => {
    const xmpp = { maxMessages: 1_000_000, maxAgeHours: 24 };
    assert.deepEqual(catchUpBoundsOf(undefined, xmpp), { limit: 1_000_000, maxAgeMs: 24 * 3_600_000 });
    assert.deepEqual(catchUpBoundsOf({ catchUpLimit: 5, catchUpMaxAgeHours: 72 }, xmpp), {
      limit: 5,
      maxAgeMs: 72 * 3_600_000,
    });
  });
});
