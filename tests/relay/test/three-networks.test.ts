/**
 * Issue 12's proof of the three networks in one room: one XMPP room linked
 * at once to a Discord channel (fake Discord), a Slack channel (fake Slack)
 * and a Matrix room (real Synapse), through three `parley` processes on one
 * Prosody. From each network a user posts, edits, replies, reacts and
 * deletes; each of those reaches the other two networks and XMPP once, in
 * that order, acting on that side's copy of the message, and nothing comes
 * back to the network it came from.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  discordReader,
  type Entry,
  type Kind,
  matrixReader,
  type Reader,
  type Side,
  slackReader,
  xmppReader,
} from "./relay-log.ts";
import { NETWORKS, type Network, type RelayWorld, startRelayWorld } from "./world.ts";

const STEPS: readonly Kind[] = ["post", "edit", "reply", "react", "delete"];
const WAIT_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The entries of one origin's traffic: its marker in the text, or acting on an entry that is. */
function traffic(entries: readonly Entry[], marker: string): Entry[] {
  const ids = new Set<string>();
  const out: Entry[] = [];
  for (const e of entries) {
    const mine = e.text?.includes(marker) === true || (e.target !== undefined && ids.has(e.target));
    if (!mine) continue;
    out.push(e);
    for (const id of e.ids) ids.add(id);
  }
  return out;
}

const show = (entries: readonly Entry[]) => entries.map((e) => `  ${e.kind} ${e.raw}`).join("\n") || "  (nothing)";

/** What a user on `origin` does, one step at a time, on the message it posted first. */
interface Actor {
  post(text: string): Promise<void>;
  edit(text: string): Promise<void>;
  reply(text: string): Promise<void>;
  react(): Promise<void>;
  remove(): Promise<void>;
}

function actorOn(w: RelayWorld, network: Network): Actor {
  let id = "";
  switch (network) {
    case "discord":
      return {
        post: async (t) => {
          id = w.discord.post(w.discordChannel, w.ada, t).id;
        },
        edit: async (t) => void w.discord.edit(w.discordChannel, id, t),
        reply: async (t) => void w.discord.post(w.discordChannel, w.ada, t, { replyTo: id }),
        react: async () => w.discord.react(w.discordChannel, id, w.ada, "👍", "add"),
        remove: async () => w.discord.remove(w.discordChannel, id),
      };
    case "slack":
      return {
        post: async (t) => {
          id = w.slack.post(w.slackChannel, w.anna, t).ts;
        },
        edit: async (t) => void w.slack.edit(w.slackChannel, id, t),
        reply: async (t) => void w.slack.post(w.slackChannel, w.anna, t, { threadTs: id }),
        react: async () => w.slack.react(w.slackChannel, id, w.anna, "+1", "add"),
        remove: async () => w.slack.remove(w.slackChannel, id),
      };
    case "matrix":
      return {
        post: async (t) => {
          id = await w.bob.say(w.matrixRoom, t);
        },
        edit: async (t) => void (await w.bob.edit(w.matrixRoom, id, t)),
        reply: async (t) => void (await w.bob.reply(w.matrixRoom, id, t)),
        react: async () => void (await w.bob.react(w.matrixRoom, id, "👍")),
        remove: () => w.bob.redact(w.matrixRoom, id),
      };
  }
}

describe("one XMPP room linked to Discord, Slack and Matrix at once", () => {
  let w: RelayWorld;
  let readers: Record<Side, Reader>;

  before(async () => {
    w = await startRelayWorld();
    readers = { xmpp: xmppReader(w), discord: discordReader(w), slack: slackReader(w), matrix: matrixReader(w) };
  });
  after(async () => {
    await w?.close();
  });

  /** Waits until every side in `sides` has `count` entries of `marker`'s traffic. */
  async function reached(sides: readonly Side[], marker: string, count: number, step: Kind): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const missing: string[] = [];
      for (const side of sides) {
        const got = traffic(await readers[side](), marker);
        if (got.length < count) missing.push(`${side} has ${got.length} of ${count}:\n${show(got)}`);
      }
      if (missing.length === 0) return;
      if (Date.now() > deadline) {
        const onDiscord = w.discord
          .messages(w.discordChannel)
          .map((m) => `  ${m.id} ${m.webhook_id ?? m.author.id}: ${m.content}`)
          .join("\n");
        assert.fail(
          `the ${step} of ${marker} did not reach every side:\n${missing.join("\n")}\nthe Discord channel has:\n${onDiscord}`,
        );
      }
      await sleep(100);
    }
  }

  for (const origin of NETWORKS) {
    it(`relays a message, an edit, a reply, a reaction and a deletion from ${origin} to the other two and XMPP`, async () => {
      const marker = `from${origin}`; // no punctuation: each network escapes its own markup
      const others: Side[] = ["xmpp", ...NETWORKS.filter((n) => n !== origin)];
      const actor = actorOn(w, origin);
      const does: Record<Kind, () => Promise<void>> = {
        post: () => actor.post(`${marker} hello`),
        edit: () => actor.edit(`${marker} hello, edited`),
        reply: () => actor.reply(`${marker} a reply`),
        react: () => actor.react(),
        delete: () => actor.remove(),
      };
      for (const [i, step] of STEPS.entries()) {
        await does[step]();
        await reached(others, marker, i + 1, step);
      }
      // Anything late (a copy, an echo) would be there by now.
      await sleep(2000);
      for (const side of others) {
        const got = traffic(await readers[side](), marker);
        assert.deepEqual(
          got.map((e) => e.kind),
          STEPS,
          `${side} should have each of ${origin}'s actions once, in order; it has:\n${show(got)}`,
        );
        const [post, edit, reply, react, deletion] = got as [Entry, Entry, Entry, Entry, Entry];
        assert.match(post.text ?? "", /hello/, `${side}: the post`);
        assert.match(edit.text ?? "", /hello, edited/, `${side}: the edit's text`);
        assert.match(reply.text ?? "", /a reply/, `${side}: the reply's text`);
        for (const e of [edit, react, deletion]) {
          assert.ok(
            e.target !== undefined && post.ids.includes(e.target),
            `${side}: the ${e.kind} acts on the post:\n${show(got)}`,
          );
        }
        if (reply.target !== undefined) {
          assert.ok(post.ids.includes(reply.target), `${side}: the reply answers the post:\n${show(got)}`);
        }
      }
      const echoed = traffic(await readers[origin](), marker);
      assert.deepEqual(echoed, [], `nothing of ${origin}'s own comes back to ${origin}`);
    });
  }

  it("makes no request the real Discord or Slack would refuse", () => {
    assert.deepEqual(w.discord.violations, [], "requests Discord's API would refuse");
    // "response ..." lines are the fake Slack checking its own answers, not the bridge's requests.
    const slackRequests = w.slack.violations.filter((v) => !v.startsWith("response "));
    assert.deepEqual(slackRequests, [], "requests Slack's Web API would refuse");
  });

  it("leaves no warning or error in any bridge's log", () => {
    for (const network of NETWORKS) {
      const lines = readFileSync(join(w.dir, `${network}.log`), "utf8")
        .split("\n")
        .filter((l) => /"level":"(warn|error)"/.test(l));
      assert.deepEqual(lines, [], `the ${network} bridge logged warnings or errors`);
    }
  });
});
