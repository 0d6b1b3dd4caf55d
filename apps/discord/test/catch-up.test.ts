import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Logger, type RemoteMessage, silentLogger } from "@parley/bridge";
import { RemoteCatchUp } from "@parley/bridge/internals";
import type { REST } from "discord.js";
import { DISCORD_HISTORY, DiscordHistory, type DiscordHistoryOptions } from "../src/catch-up.ts";
import { ApiFailures } from "../src/permissions.ts";
import { compareSnowflakes, snowflakeAt } from "../src/snowflake.ts";
import { MemoryState } from "./memory-state.ts";

/**
 * A REST stub serving one channel's messages the way Discord does: for
 * `after`, the oldest N after it; for `before`, the newest N before it; newest
 * first either way. The `edited` ones carry an edit time.
 */
function restWith(channel: string, ids: string[], edited: ReadonlySet<string> = new Set()) {
  const requests: string[] = [];
  const rest = {
    async get(route: string, o: { query: URLSearchParams }) {
      requests.push(`${route}?${o.query}`);
      if (route !== `/channels/${channel}/messages`) throw new Error(`unexpected route ${route}`);
      const before = o.query.get("before");
      const after = o.query.get("after") ?? "0";
      const limit = Number(o.query.get("limit"));
      const sorted = [...ids].sort(compareSnowflakes);
      const page =
        before !== null
          ? sorted.filter((id) => compareSnowflakes(id, before) < 0).slice(-limit)
          : sorted.filter((id) => compareSnowflakes(id, after) > 0).slice(0, limit);
      return page.reverse().map((id) => ({
        id,
        channel_id: channel,
        content: `m${id}`,
        author: { id: "1", username: "u" },
        edited_timestamp: edited.has(id) ? "2025-01-01T00:00:00.000Z" : null,
      }));
    },
  };
  return { rest: rest as unknown as REST, requests };
}

/** Channels the directory stub knows: linked channels "100" and "200" in guild "1". */
const directory = {
  fetchChannel: async (id: string) => (id === "100" || id === "200" ? { id, type: 0, guildId: "1" } : undefined),
  learnChannel: () => undefined,
};

/** A Discord message listed by the stubs, as the catch-up hands it over. */
interface Fed {
  readonly id: string;
  readonly channel_id: string;
  readonly guild_id?: unknown;
}

interface CatchUpOptions {
  readonly rest: REST;
  readonly state: MemoryState;
  readonly logger: Logger;
  readonly directory: DiscordHistoryOptions["directory"];
  readonly limit: number;
  readonly maxAgeMs?: number;
  readonly now?: () => number;
  readonly settled?: () => Promise<void>;
  readonly notice?: (text: string) => Promise<void>;
  /** Each message handed over (its channel: the thread's own id for a thread message, as Discord lists it). */
  readonly feed: (m: Fed) => void;
  readonly feedEdit: (m: { id: string }) => void;
  readonly feedDelete: (d: { id: string }) => void;
  /** The listed messages come as the bridge's own (kept out of the list of messages relayed lately). */
  readonly asBridge?: boolean;
}

/**
 * The engine's catch-up reading Discord's history through `DiscordHistory`,
 * as the connector assembles it, with what it hands over recorded, and the
 * calls these tests make of it: `run`, and the notes of live messages
 * (`advance`: a message handled; `relayed`; `deleted`).
 */
class CatchUp {
  private readonly c: RemoteCatchUp;

  constructor(o: CatchUpOptions) {
    const failures = new ApiFailures({ logger: silentLogger, notifyAdmins: async () => {}, channelLabel: (id) => id });
    const guilds = new Map<string, unknown>();
    const history = new DiscordHistory({
      rest: o.rest,
      failures,
      logger: o.logger,
      directory: o.directory,
      ...(o.now !== undefined && { now: o.now }),
      toRemote: async (m) => {
        guilds.set(m.id as string, m.guild_id);
        return {
          channel: m.channel_id as string,
          id: m.id as string,
          author: { id: "1", displayName: "u", ...(o.asBridge === true && { isBridge: true }) },
          text: { blocks: [] },
        };
      },
    });
    this.c = new RemoteCatchUp({
      displayName: "Discord",
      history: (r) => history.page(r),
      threads: (channels) => history.threads(channels),
      ids: DISCORD_HISTORY,
      state: o.state,
      logger: o.logger,
      hand: {
        message: async (m) => o.feed({ id: m.id, channel_id: m.channel, guild_id: guilds.get(m.id) }),
        edit: async (e) => o.feedEdit({ id: e.id }),
        delete: async (d) => o.feedDelete({ id: d.id }),
        reaction: async () => undefined,
      },
      ...(o.settled !== undefined && { settled: o.settled }),
      ...(o.notice !== undefined && { notice: o.notice }),
      limit: o.limit,
      maxAgeMs: o.maxAgeMs ?? 24 * 3_600_000,
      ...(o.now !== undefined && { now: o.now }),
    });
  }

  run(channels: readonly string[]): Promise<void> {
    return this.c.catchUp(channels);
  }

  advance(channel: string, id: string): void {
    this.c.advance(channel, id);
  }

  relayed(channel: string, id: string): void {
    const m: RemoteMessage = { channel, id, author: { id: "1", displayName: "u" }, text: { blocks: [] } };
    this.c.messageHanded(m);
  }

  deleted(channel: string, id: string): void {
    this.c.deleted(channel, id);
  }

  flush(): Promise<void> {
    return this.c.flush();
  }

  cursorOf(channel: string): Promise<string | undefined> {
    return this.c.cursorOf(channel);
  }

  stop(): Promise<void> {
    return this.c.flush();
  }
}

function catchUp(
  state: MemoryState,
  rest: REST,
  limit: number,
  fed: string[],
  now?: () => number,
  logger: Logger = silentLogger,
  edits: string[] = [],
  deletions: string[] = [],
  asBridge = false,
) {
  return new CatchUp({
    rest,
    state,
    logger,
    directory,
    limit,
    // The ids here are small numbers, snowflakes of 2015: the age bound has its own test.
    maxAgeMs: Number.POSITIVE_INFINITY,
    ...(now !== undefined && { now }),
    feed: (m) => void fed.push(m.id),
    feedEdit: (m) => void edits.push(m.id),
    feedDelete: (d) => void deletions.push(d.id),
    asBridge,
  });
}

const ids = Array.from({ length: 250 }, (_, i) => String(1000 + i));

describe("catch-up", () => {
  it("starts a channel without a cursor from now, relaying nothing", async () => {
    const state = new MemoryState();
    const { rest, requests } = restWith("100", ids);
    const fed: string[] = [];
    const t = Date.UTC(2025, 0, 1);
    await catchUp(state, rest, 500, fed, () => t).run(["100"]);
    assert.deepEqual(fed, []);
    assert.deepEqual(requests, []);
    assert.equal(state.values.get("cursor:100"), snowflakeAt(t));
  });

  it("pages through everything after the cursor, oldest first, and moves the cursor", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "1009");
    const { rest, requests } = restWith("100", ids);
    const fed: string[] = [];
    await catchUp(state, rest, 500, fed).run(["100"]);
    assert.deepEqual(fed, ids.slice(10));
    assert.equal(requests.filter((r) => r.includes("after=")).length, 3, "240 messages in pages of 100");
    assert.equal(state.values.get("cursor:100"), "1249");
  });

  it("is bounded by age, not count: everything since the cursor comes through, past the old caps", async () => {
    const now = Date.now();
    const base = now - 2 * 3_600_000; // said two hours ago, within the default day
    const recent = Array.from({ length: 2_500 }, (_, i) => snowflakeAt(base + i * 10));
    const state = new MemoryState();
    await state.set("cursor:100", snowflakeAt(base - 1000));
    const { rest } = restWith("100", recent);
    const fed: string[] = [];
    const settledBeforeWrites: boolean[] = [];
    let settledCalls = 0;
    const c = new CatchUp({
      rest,
      state,
      logger: silentLogger,
      directory,
      limit: 1_000_000,
      now: () => now,
      settled: async () => {
        settledCalls++;
      },
      feed: (m) => void fed.push(m.id),
      feedEdit: () => undefined,
      feedDelete: () => undefined,
    });
    const set = state.set.bind(state);
    state.set = async (key, value, o) => {
      if (key === "cursor:100") settledBeforeWrites.push(settledCalls > 0);
      return set(key, value, o);
    };
    await c.run(["100"]);
    assert.equal(fed.length, 2_500, "the old cap was 500 (and 200 before that)");
    assert.deepEqual(fed, recent, "all of them, oldest first");
    assert.equal(state.values.get("cursor:100"), recent.at(-1));
    assert.ok(
      settledBeforeWrites.length > 0 && settledBeforeWrites.every(Boolean),
      "the cursor moves only once the engine has what it was handed on record",
    );
  });

  it("does not reach past its age, and tells the admins which range it left out", async () => {
    const now = Date.now();
    const old = [snowflakeAt(now - 30 * 3_600_000), snowflakeAt(now - 26 * 3_600_000)];
    const recent = [snowflakeAt(now - 3_600_000), snowflakeAt(now - 60_000)];
    const state = new MemoryState();
    await state.set("cursor:100", snowflakeAt(now - 40 * 3_600_000));
    const { rest } = restWith("100", [...old, ...recent]);
    const fed: string[] = [];
    const notices: string[] = [];
    const c = new CatchUp({
      rest,
      state,
      logger: silentLogger,
      directory,
      limit: 1_000_000,
      maxAgeMs: 24 * 3_600_000,
      now: () => now,
      notice: async (text) => void notices.push(text),
      feed: (m) => void fed.push(m.id),
      feedEdit: () => undefined,
      feedDelete: () => undefined,
    });
    await c.run(["100"]);
    assert.deepEqual(fed, recent);
    assert.equal(notices.length, 1);
    const from = new Date(now - 40 * 3_600_000).toISOString().slice(0, 16);
    const to = new Date(now - 24 * 3_600_000).toISOString().slice(0, 16);
    assert.ok(notices[0]?.includes(from) && notices[0]?.includes(to), notices[0]);
    assert.match(notices[0] ?? "", /channel 100/);
  });

  it("stops at the limit", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "999");
    const { rest, requests } = restWith("100", ids);
    const fed: string[] = [];
    await catchUp(state, rest, 150, fed).run(["100"]);
    assert.deepEqual(fed, ids.slice(0, 150));
    assert.ok(
      requests.filter((r) => r.includes("after="))[1]?.includes("limit=50"),
      "the last page asks only for what is left",
    );
    assert.equal(state.values.get("cursor:100"), "1149");
  });

  it("hands over the edits of the last messages up to the cursor, oldest first, then what came after", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "1200");
    // 1100 is out of the window of 50; 1200 is the cursor itself; 1210 came after and arrives as it is now.
    const { rest, requests } = restWith("100", ids, new Set(["1100", "1160", "1200", "1155", "1210"]));
    const fed: string[] = [];
    const edits: string[] = [];
    await catchUp(state, rest, 500, fed, undefined, undefined, edits).run(["100"]);
    assert.deepEqual(edits, ["1155", "1160", "1200"]);
    assert.equal(fed[0], "1201");
    assert.ok(requests[0]?.includes("before=1201") && requests[0].includes("limit=50"), requests[0]);
  });

  it("hands over the deletions of relayed messages it can see are gone, and remembers what it relayed", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "1200");
    // Relayed before: 1100 (older than the window of 50 up to the cursor: unknown either way), 1160 and 1170, and
    // 1210 (after the cursor, not relayed really: a damaged list must not delete what came after).
    await state.set("recent:100", JSON.stringify(["1100", "1160", "1170", "1210"]));
    const listed = ids.filter((id) => id !== "1100" && id !== "1160");
    const { rest } = restWith("100", listed);
    const fed: string[] = [];
    const deletions: string[] = [];
    // The messages said after the cursor come as the bridge's own here, so that the list holds only what the
    // test notes as relayed (the engine's remote-catch-up tests cover what a catch-up itself notes).
    const c = catchUp(state, rest, 500, fed, undefined, undefined, [], deletions, true);
    await c.run(["100"]);
    assert.deepEqual(deletions, ["1160"]);
    c.relayed("100", "1201");
    c.deleted("100", "1170");
    await c.flush();
    assert.deepEqual(JSON.parse(state.values.get("recent:100") ?? "[]"), ["1100", "1201", "1210"]);
    // A second run has nothing more to delete.
    const again: string[] = [];
    await catchUp(state, rest, 500, [], undefined, undefined, [], again).run(["100"]);
    assert.deepEqual(again, []);
  });

  it("keeps going with the other channels when one fails", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "1200");
    await state.set("cursor:404", "1");
    const { rest } = restWith("100", ids);
    const fed: string[] = [];
    await catchUp(state, rest, 500, fed).run(["404", "100"]);
    assert.equal(fed.length, 49);
  });

  it("writes cursors behind, only forward, and on flush", async () => {
    const state = new MemoryState();
    const c = catchUp(state, restWith("100", []).rest, 10, []);
    c.advance("100", "50");
    c.advance("100", "40");
    c.advance("100", "not-an-id");
    assert.equal(state.values.get("cursor:100"), undefined, "not written at once");
    await c.flush();
    assert.equal(state.values.get("cursor:100"), "50");
    assert.equal(await c.cursorOf("100"), "50");
    await c.stop();
  });
});

interface StubThread {
  readonly id: string;
  readonly parent_id: string;
  readonly type?: number;
  readonly last_message_id?: string | null;
}

/**
 * A REST stub for a guild "1" with messages in channels and threads (by id),
 * its active thread list, and channels or routes that fail.
 */
function guildRest(o: {
  messages: Record<string, string[]>;
  threads: StubThread[];
  /** Threads the bot joined (Discord's `members` of the answer). */
  joined?: string[];
  failing?: string[];
  threadsFail?: boolean;
}) {
  const requests: string[] = [];
  const rest = {
    async get(route: string, options?: { query: URLSearchParams }) {
      requests.push(options ? `${route}?${options.query}` : route);
      if (route === "/guilds/1/threads/active") {
        if (o.threadsFail) throw new Error("the thread list is not available");
        return {
          threads: o.threads.map((t) => ({ type: 11, name: `t${t.id}`, guild_id: "1", ...t })),
          members: (o.joined ?? []).map((id) => ({ id, user_id: "9", join_timestamp: "", flags: 0 })),
        };
      }
      const channel = /^\/channels\/(\d+)\/messages$/.exec(route)?.[1];
      if (channel === undefined || !options) throw new Error(`unexpected route ${route}`);
      if (o.failing?.includes(channel)) throw new Error(`channel ${channel} is not available`);
      const after = options.query.get("after") ?? "0";
      const limit = Number(options.query.get("limit"));
      return (o.messages[channel] ?? [])
        .filter((id) => compareSnowflakes(id, after) > 0)
        .sort(compareSnowflakes)
        .slice(0, limit)
        .reverse()
        .map((id) => ({ id, channel_id: channel, content: `m${id}`, author: { id: "1", username: "u" } }));
    },
  };
  return { rest: rest as unknown as REST, requests };
}

/** Records what a CatchUp hands over: ids in feed order, and the channel and guild each came with. */
/** Records what a CatchUp hands over: ids in feed order, and the channel and guild each came with. */
function recordingCatchUp(state: MemoryState, rest: REST, limit: number, logger: Logger = silentLogger) {
  const fed: Array<{ id: string; channel: string; guild: unknown }> = [];
  const learnt: string[] = [];
  const c = new CatchUp({
    rest,
    state,
    logger,
    directory: { ...directory, learnChannel: (t) => void learnt.push(`${t.id}<${t.parentId}`) },
    limit,
    maxAgeMs: Number.POSITIVE_INFINITY, // snowflakes of 2015, as above
    feed: (m) => void fed.push({ id: m.id, channel: m.channel_id, guild: m.guild_id }),
    feedEdit: () => undefined,
    feedDelete: () => undefined,
  });
  return { c, fed, learnt };
}

function warningsLogger() {
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (m, f) => void warnings.push(`${m} ${JSON.stringify(f)}`),
    child: () => logger,
  };
  return { logger, warnings };
}

describe("catch-up in threads", () => {
  it("resumes a thread after its cursor, starts a new thread at its start and an old one at the parent's cursor", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "2000");
    await state.set("cursor:1500", "2005");
    const { rest } = guildRest({
      messages: {
        "100": ["1990", "2000", "2010"],
        // seen live up to 2005
        "1500": ["1501", "2005", "2020", "2021"],
        // older than the parent's cursor, no cursor of its own: from the parent's cursor
        "1800": ["1801", "1999", "2000", "2030"],
        // started while the bridge was away: a forum-like first message with the thread's own id
        "2040": ["2040", "2041", "2042"],
        // a thread of a channel that is not linked
        "1600": ["2050"],
      },
      threads: [
        { id: "2040", parent_id: "100", last_message_id: "2042" },
        { id: "1500", parent_id: "100", last_message_id: "2021" },
        { id: "1800", parent_id: "100" },
        { id: "1600", parent_id: "300", last_message_id: "2050" },
      ],
    });
    const { c, fed, learnt } = recordingCatchUp(state, rest, 500);
    await c.run(["100"]);
    assert.deepEqual(
      fed.map((m) => `${m.channel}:${m.id}`),
      ["100:2010", "1500:2020", "1500:2021", "1800:2030", "2040:2040", "2040:2041", "2040:2042"],
      "the channel, then its threads oldest first, each in order",
    );
    assert.ok(
      fed.filter((m) => m.channel !== "100").every((m) => m.guild === "1"),
      "thread messages carry their guild",
    );
    assert.equal(state.values.get("cursor:1500"), "2021");
    assert.equal(state.values.get("cursor:1800"), "2030");
    assert.equal(state.values.get("cursor:2040"), "2042");
    assert.equal(state.values.get("cursor:1600"), undefined, "threads of unlinked channels are left alone");
    assert.ok(learnt.includes("2040<100"), "listed threads are learnt, so their messages find their room");
  });

  it("asks nothing of a thread whose newest message was handled already, and lists the guild's threads once", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "2000");
    await state.set("cursor:200", "2000");
    await state.set("cursor:1500", "2021");
    const { rest, requests } = guildRest({
      messages: { "1500": ["2020", "2021"] },
      threads: [
        { id: "1500", parent_id: "100", last_message_id: "2021" },
        { id: "1700", parent_id: "200", last_message_id: "1999" },
      ],
    });
    const { c, fed } = recordingCatchUp(state, rest, 500);
    await c.run(["100", "200"]);
    assert.deepEqual(fed, []);
    assert.deepEqual(requests.filter((r) => r.includes("/threads/active")).length, 1);
    assert.ok(!requests.some((r) => r.startsWith("/channels/1500/") || r.startsWith("/channels/1700/")));
  });

  it("a restart relays nothing again: the cursors written by the first run hold", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "2000");
    const world = {
      messages: { "100": ["2001"], "2040": ["2041", "2042"], "1800": ["2003"] },
      threads: [
        { id: "2040", parent_id: "100" },
        { id: "1800", parent_id: "100" },
      ],
    };
    const first = recordingCatchUp(state, guildRest(world).rest, 500);
    await first.c.run(["100"]);
    assert.deepEqual(
      first.fed.map((m) => m.id),
      ["2001", "2003", "2041", "2042"],
    );
    const second = recordingCatchUp(state, guildRest(world).rest, 500);
    await second.c.run(["100"]);
    assert.deepEqual(second.fed, []);
  });

  it("applies the limit to each thread on its own", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "2000");
    const many = (from: number) => Array.from({ length: 8 }, (_, i) => String(from + i));
    const { rest } = guildRest({
      messages: { "100": many(2001), "3000": many(3001), "4000": many(4001) },
      threads: [
        { id: "3000", parent_id: "100" },
        { id: "4000", parent_id: "100" },
      ],
    });
    const { c, fed } = recordingCatchUp(state, rest, 5);
    await c.run(["100"]);
    for (const channel of ["100", "3000", "4000"]) {
      assert.equal(fed.filter((m) => m.channel === channel).length, 5, `5 from ${channel}`);
    }
    assert.equal(state.values.get("cursor:3000"), "3005", "the rest waits for the next catch-up");
  });

  it("keeps going when a thread, the channel or the thread list fails, saying so", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "2000");
    const { logger, warnings } = warningsLogger();
    const { rest } = guildRest({
      messages: { "2040": ["2041"], "2050": ["2051"] },
      threads: [
        { id: "2040", parent_id: "100" },
        { id: "2045", parent_id: "100" },
        { id: "2050", parent_id: "100" },
      ],
      failing: ["100", "2045"],
    });
    const { c, fed } = recordingCatchUp(state, rest, 500, logger);
    await c.run(["100"]);
    assert.deepEqual(
      fed.map((m) => m.id),
      ["2041", "2051"],
      "the channel and one thread failing keeps no other thread back",
    );
    assert.equal(warnings.filter((w) => w.startsWith("could not catch up on a channel")).length, 1);
    assert.equal(warnings.filter((w) => w.startsWith("could not catch up on a thread")).length, 1);
    assert.match(warnings.join("\n"), /"thread":"2045"/);

    const listFails = guildRest({ messages: { "100": ["2001"] }, threads: [], threadsFail: true });
    const second = warningsLogger();
    const again = new MemoryState();
    await again.set("cursor:100", "2000");
    const other = recordingCatchUp(again, listFails.rest, 500, second.logger);
    await other.c.run(["100"]);
    assert.deepEqual(
      other.fed.map((m) => m.id),
      ["2001"],
      "the channel is caught up without its threads",
    );
    assert.match(second.warnings.join("\n"), /could not list a guild's active threads/);
  });

  it("catches up on private threads the bot is in, and leaves the others alone", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "2000");
    const { rest, requests } = guildRest({
      messages: { "2040": ["2041"], "2050": ["2051"] },
      threads: [
        { id: "2040", parent_id: "100", type: 12 },
        { id: "2050", parent_id: "100", type: 12 },
      ],
      joined: ["2050"],
    });
    const { c, fed } = recordingCatchUp(state, rest, 500);
    await c.run(["100"]);
    assert.deepEqual(
      fed.map((m) => m.id),
      ["2051"],
    );
    assert.ok(!requests.some((r) => r.startsWith("/channels/2040/")), "no request Discord would refuse");
  });

  it("with catch-up off (limit 0) asks Discord nothing", async () => {
    const state = new MemoryState();
    await state.set("cursor:100", "2000");
    const { rest, requests } = guildRest({
      messages: { "100": ["2001"] },
      threads: [{ id: "2040", parent_id: "100" }],
    });
    const { c, fed } = recordingCatchUp(state, rest, 0);
    await c.run(["100"]);
    assert.deepEqual(fed, []);
    assert.deepEqual(requests, []);
  });
});
