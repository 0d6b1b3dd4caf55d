/** Do Not Disturb in members' presence: dnd.teamInfo read, dnd over active, a timer at the end, no scope no dnd. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ConnectorHost, type Logger, silentLogger } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import { SlackDirectory } from "../src/directory.ts";
import { dndStateOf, inDnd, nextFlip } from "../src/member-dnd.ts";
import { MemberPresence } from "../src/member-presence.ts";
import { SlackFailures } from "../src/slack-failures.ts";

type Entry = Record<string, unknown>;

function setup(
  teamInfo: (users: string[]) => Promise<Record<string, Entry>>,
  logger: Logger = silentLogger,
  intervalMs = 20,
) {
  const seen: string[] = [];
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  const record = (line: string) => {
    seen.push(line);
    for (const w of [...waiters]) if (w.line === line) w.resolve();
  };
  const client = {
    conversations: { members: async () => ({ ok: true, members: ["U1", "U2"] }) },
    users: {
      info: async ({ user }: { user: string }) => ({ ok: true, user: { id: user, name: user } }),
      getPresence: async ({ user }: { user: string }) => ({ ok: true, presence: user === "U1" ? "active" : "away" }),
    },
    dnd: { teamInfo: async ({ users }: { users: string }) => ({ ok: true, users: await teamInfo(users.split(",")) }) },
  } as unknown as webApi.WebClient;
  const host = {
    memberPresence: async (channel: string, user: { id: string }, p: { status: string }) =>
      record(`${channel} ${user.id} ${p.status}`),
    presence: async (user: { id: string }, p: { status: string }) => record(`${user.id} ${p.status}`),
  } as unknown as ConnectorHost;
  const directory = new SlackDirectory(client, silentLogger);
  directory.bot = { userId: "UBOT" };
  const members = new MemberPresence({
    client,
    host,
    logger,
    directory,
    failures: new SlackFailures({ logger: silentLogger, notifyAdmins: async () => undefined }),
    intervalMs,
    gapMs: 0,
  });
  const next = (line: string) =>
    new Promise<void>((resolve) => {
      if (seen.includes(line)) resolve();
      else waiters.push({ line, resolve });
    });
  return { members, seen, next };
}

describe("member DND", () => {
  it("reads a snooze and a DND window from dnd.teamInfo's answer", () => {
    const now = 1_800_000_000_000;
    const s = now / 1000;
    const snooze = dndStateOf({
      dnd_enabled: false,
      next_dnd_start_ts: 1,
      next_dnd_end_ts: 1,
      snooze_enabled: true,
      snooze_endtime: s + 60,
    });
    assert.equal(inDnd(snooze, now), true);
    assert.equal(inDnd(snooze, now + 60_000), false);
    assert.equal(nextFlip(snooze, now), now + 60_000);
    const later = dndStateOf({ dnd_enabled: true, next_dnd_start_ts: s + 10, next_dnd_end_ts: s + 20 });
    assert.equal(inDnd(later, now), false);
    assert.equal(inDnd(later, now + 10_000), true);
    assert.equal(nextFlip(later, now), now + 10_000);
    assert.equal(nextFlip(later, now + 10_000), now + 20_000);
    const off = dndStateOf({ dnd_enabled: false, next_dnd_start_ts: 1, next_dnd_end_ts: 1, snooze_enabled: false });
    assert.equal(inDnd(off, now), false);
    assert.equal(nextFlip(off, now), undefined);
  });

  it("seats an active member in DND as dnd, an away one as idle, and flips back at the snooze's end", async () => {
    const end = Math.ceil(Date.now() / 1000) + 1;
    const asked: string[] = [];
    const { members, seen, next } = setup(
      async (users) => {
        asked.push(users.join(","));
        // Both snooze until `end`; no poll round comes (a minute apart): only the timer can flip U1 back.
        const snoozing = Date.now() < end * 1000;
        return Object.fromEntries(
          users.map((u) => [
            u,
            {
              dnd_enabled: false,
              next_dnd_start_ts: 1,
              next_dnd_end_ts: 1,
              snooze_enabled: snoozing,
              ...(snoozing && { snooze_endtime: end }),
            },
          ]),
        );
      },
      silentLogger,
      60_000,
    );
    await members.start(["C1"]);
    assert.deepEqual(seen.slice(0, 2), ["C1 U1 dnd", "C1 U2 idle"]);
    assert.deepEqual(asked, ["U1,U2"], "one dnd.teamInfo call for the channel's members");
    await next("U1 online");
    assert.deepEqual(asked, ["U1,U2"], "flipped back by the timer, not by a new read");
    members.stop();
    assert.equal(members.dndTimerCount, 0, "stop clears the timers");
    assert.ok(!seen.includes("U2 online") && !seen.includes("U2 dnd"), "away stays away");
  });

  it("reads the Do Not Disturb of joiners queued together in one call, and skips one who left while queued", async () => {
    const asked: string[] = [];
    const { members, seen } = setup(
      async (users) => {
        asked.push(users.join(","));
        return Object.fromEntries(users.map((u) => [u, { dnd_enabled: false, snooze_enabled: false }]));
      },
      silentLogger,
      60_000,
    );
    await members.start(["C1"]);
    assert.deepEqual(asked, ["U1,U2"]);
    for (const id of ["U3", "U4", "U5", "U6"]) members.joined("C1", id);
    members.left("C1", "U5");
    await members.joinersSeated();
    members.stop();
    assert.deepEqual(asked, ["U1,U2", "U3,U4,U6"], "one dnd.teamInfo call for the joiners, not one each");
    assert.deepEqual(seen.slice(2), ["C1 U3 idle", "C1 U4 idle", "C1 U6 idle"]);
    assert.equal(members.polls("U5"), false);
  });

  it("clears a member's timer when they leave", async () => {
    const end = Math.floor(Date.now() / 1000) + 3600;
    const { members, seen } = setup(async (users) =>
      Object.fromEntries(
        users.map((u) => [u, { dnd_enabled: true, next_dnd_start_ts: end - 7200, next_dnd_end_ts: end }]),
      ),
    );
    await members.start(["C1"]);
    assert.deepEqual(seen.slice(0, 2), ["C1 U1 dnd", "C1 U2 idle"]);
    assert.equal(members.dndTimerCount, 2);
    members.left("C1", "U1");
    assert.equal(members.dndTimerCount, 1);
    members.stop();
    assert.equal(members.dndTimerCount, 0);
  });

  it("without dnd:read: one debug line, no dnd, presence as before", async () => {
    const debug: string[] = [];
    const logger = { ...silentLogger, debug: (msg: string) => debug.push(msg) } as Logger;
    let calls = 0;
    const { members, seen, next } = setup(async () => {
      calls++;
      throw Object.assign(new Error("An API error occurred: missing_scope"), {
        data: { ok: false, error: "missing_scope" },
      });
    }, logger);
    await members.start(["C1"]);
    assert.deepEqual(seen.slice(0, 2), ["C1 U1 online", "C1 U2 idle"]);
    // A joiner and a few poll rounds later, Slack was asked once.
    members.joined("C1", "U3");
    await next("C1 U3 idle");
    await new Promise((r) => setTimeout(r, 100));
    members.stop();
    assert.equal(calls, 1);
    assert.deepEqual(
      debug.filter((l) => l.includes("Do Not Disturb")),
      ["members' Do Not Disturb is not shown: the Slack app lacks dnd:read"],
    );
  });
});
