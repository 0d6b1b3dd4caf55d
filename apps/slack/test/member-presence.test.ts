/** Members' presence: asked at start for each member of a channel, then polled; changes reported, the bot skipped. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ConnectorHost, silentLogger } from "@parley/bridge";
import type { webApi } from "@slack/bolt";
import { SlackDirectory } from "../src/directory.ts";
import { MemberPresence } from "../src/member-presence.ts";
import { SlackFailures } from "../src/slack-failures.ts";

describe("MemberPresence", () => {
  it("seats members as online or idle, then reports a change found by polling", async () => {
    const presence = new Map([
      ["U1", "active"],
      ["U2", "away"],
    ]);
    const asked: string[] = [];
    const client = {
      conversations: { members: async () => ({ ok: true, members: ["U1", "U2", "UBOT"] }) },
      users: {
        info: async ({ user }: { user: string }) => ({ ok: true, user: { id: user, name: user } }),
        getPresence: async ({ user }: { user: string }) => {
          asked.push(user);
          return { ok: true, presence: presence.get(user) ?? "away" };
        },
      },
    } as unknown as webApi.WebClient;
    const seen: string[] = [];
    let changed: () => void = () => undefined;
    const change = new Promise<void>((resolve) => {
      changed = resolve;
    });
    const host = {
      memberPresence: async (channel: string, user: { id: string }, p: { status: string }) => {
        seen.push(`${channel} ${user.id} ${p.status}`);
      },
      presence: async (user: { id: string }, p: { status: string }) => {
        seen.push(`${user.id} ${p.status}`);
        changed();
      },
    } as unknown as ConnectorHost;
    const directory = new SlackDirectory(client, silentLogger);
    directory.bot = { userId: "UBOT" };
    const members = new MemberPresence({
      client,
      host,
      logger: silentLogger,
      directory,
      failures: new SlackFailures({ logger: silentLogger, notifyAdmins: async () => undefined }),
      intervalMs: 5,
      gapMs: 0,
    });
    await members.start(["C1"]);
    assert.deepEqual(seen, ["C1 U1 online", "C1 U2 idle"]);
    presence.set("U2", "active");
    await change;
    members.stop();
    assert.deepEqual(seen.slice(2), ["U2 online"]);
    assert.ok(!asked.includes("UBOT"), "the bot's own presence is not asked");
  });

  it("polls a member who joins after start, and stops when they have left every linked channel", async () => {
    const presence = new Map([["U1", "active"]]);
    const asked: string[] = [];
    const client = {
      conversations: {
        members: async ({ channel }: { channel: string }) => ({ ok: true, members: channel === "C1" ? ["U1"] : [] }),
      },
      users: {
        info: async ({ user }: { user: string }) => ({ ok: true, user: { id: user, name: user } }),
        getPresence: async ({ user }: { user: string }) => {
          asked.push(user);
          return { ok: true, presence: presence.get(user) ?? "away" };
        },
      },
    } as unknown as webApi.WebClient;
    const seen: string[] = [];
    const waiters: Array<{ line: string; resolve: () => void }> = [];
    const record = (line: string) => {
      seen.push(line);
      for (const w of waiters.filter((x) => x.line === line)) w.resolve();
    };
    const reported = (line: string) =>
      seen.includes(line) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ line, resolve }));
    const host = {
      memberPresence: async (channel: string, user: { id: string }, p: { status: string }) => {
        record(`${channel} ${user.id} ${p.status}`);
      },
      presence: async (user: { id: string }, p: { status: string }) => {
        record(`${user.id} ${p.status}`);
      },
    } as unknown as ConnectorHost;
    const directory = new SlackDirectory(client, silentLogger);
    directory.bot = { userId: "UBOT" };
    const members = new MemberPresence({
      client,
      host,
      logger: silentLogger,
      directory,
      failures: new SlackFailures({ logger: silentLogger, notifyAdmins: async () => undefined }),
      intervalMs: 5,
      gapMs: 0,
    });
    try {
      await members.start(["C1", "C2"]);
      assert.equal(members.polls("U9"), false);
      // U9 joins both linked channels after start: asked at once, and polled from then on.
      presence.set("U9", "active");
      members.joined("C1", "U9");
      members.joined("C2", "U9");
      await members.joinersSeated();
      assert.ok(seen.includes("C1 U9 online") && seen.includes("C2 U9 online"), seen.join(", "));
      assert.equal(members.polls("U9"), true);
      presence.set("U9", "away");
      await reported("U9 idle");
      // Leaving one of the two: still polled.
      members.left("C1", "U9");
      assert.equal(members.polls("U9"), true);
      presence.set("U9", "active");
      await reported("U9 online");
      // Leaving the other: no longer asked about, while U1 still is.
      members.left("C2", "U9");
      assert.equal(members.polls("U9"), false);
      assert.equal(members.size, 1);
      const before = asked.filter((u) => u === "U9").length;
      const u1Asked = asked.filter((u) => u === "U1").length;
      presence.set("U1", "away");
      await reported("U1 idle");
      await new Promise<void>((resolve) => {
        const more = () => (asked.filter((u) => u === "U1").length > u1Asked + 2 ? resolve() : setImmediate(more));
        more();
      });
      assert.equal(asked.filter((u) => u === "U9").length, before, "U9 is not asked about after leaving");
      assert.ok(!seen.slice(seen.indexOf("U9 online") + 1).some((l) => l.includes("U9")), seen.join(", "));
      // Joining and leaving at once (the leave handled while the join's ask waits): not seated, not polled.
      members.joined("C1", "U7");
      members.left("C1", "U7");
      await members.joinersSeated();
      assert.equal(members.polls("U7"), false);
      assert.ok(!seen.some((l) => l.includes("U7")), seen.join(", "));
    } finally {
      members.stop();
    }
  });

  it("does not seat or poll a deactivated account, and asks again once it is reactivated", async () => {
    const deleted = new Set(["U2"]);
    const asked: string[] = [];
    const client = {
      conversations: { members: async () => ({ ok: true, members: ["U1", "U2"] }) },
      users: {
        info: async ({ user }: { user: string }) => ({
          ok: true,
          user: { id: user, name: user, deleted: deleted.has(user) },
        }),
        getPresence: async ({ user }: { user: string }) => {
          asked.push(user);
          return { ok: true, presence: "away" };
        },
      },
    } as unknown as webApi.WebClient;
    const seen: string[] = [];
    const host = {
      memberPresence: async (channel: string, user: { id: string }, p: { status: string }) => {
        seen.push(`${channel} ${user.id} ${p.status}`);
      },
      presence: async () => undefined,
    } as unknown as ConnectorHost;
    const directory = new SlackDirectory(client, silentLogger);
    directory.bot = { userId: "UBOT" };
    const members = new MemberPresence({
      client,
      host,
      logger: silentLogger,
      directory,
      failures: new SlackFailures({ logger: silentLogger, notifyAdmins: async () => undefined }),
      intervalMs: 60_000,
      gapMs: 0,
    });
    try {
      await members.start(["C1"]);
      assert.deepEqual(seen, ["C1 U1 idle"]);
      assert.equal(members.polls("U2"), false, "a deactivated account is not polled");
      assert.ok(!asked.includes("U2"), "nor asked");
      // U1 is deactivated: polled no more. U2 is reactivated: asked and seated.
      directory.remember({ id: "U1", name: "U1", deleted: true });
      members.deactivated("U1");
      assert.equal(members.polls("U1"), false);
      deleted.delete("U2");
      directory.remember({ id: "U2", name: "U2", deleted: false });
      members.reactivated("U2");
      await members.joinersSeated();
      assert.deepEqual(seen, ["C1 U1 idle", "C1 U2 idle"]);
      assert.equal(members.polls("U2"), true);
    } finally {
      members.stop();
    }
  });
});
