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
});
