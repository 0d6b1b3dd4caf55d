/**
 * Matrix events into engine calls, without servers: a recording host, and
 * homeserver clients pointed at a closed port (profile lookups fail, and the
 * user's localpart is shown).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ConnectorHost, type ConnectorState, silentLogger } from "@parley/bridge";
import { EventsIn, readEvent, stripReplyFallback } from "../src/events-in.ts";
import { Ghosts } from "../src/ghosts.ts";
import { HomeserverClients } from "../src/homeserver-clients.ts";
import { MatrixUsers } from "../src/matrix-users.ts";
import { Portals } from "../src/portals.ts";

const names = { serverName: "hs", userPrefix: "_xmpp_", aliasPrefix: "_xmpp_", botLocalpart: "bot" };
const LINKED = "!linked:hs";

function setup() {
  const calls: Array<[string, unknown]> = [];
  const data = new Map<string, string>();
  const state: ConnectorState = { get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) };
  const rec =
    (name: string) =>
    async (...args: unknown[]) =>
      void calls.push([name, args.length === 1 ? args[0] : args]);
  const host = {
    network: "matrix",
    logger: silentLogger,
    state,
    message: rec("message"),
    edit: rec("edit"),
    delete: rec("delete"),
    reaction: rec("reaction"),
    typing: rec("typing"),
    presence: rec("presence"),
    profile: rec("profile"),
    membership: rec("membership"),
    read: rec("read"),
    linkedChannels: () => [LINKED],
    roomsOf: (c: string) => (c === LINKED ? ["lobby@muc.x"] : []),
    link: async () => undefined,
    unlink: async () => false,
    connected: () => undefined,
    notifyAdmins: async () => undefined,
  } as unknown as ConnectorHost;
  const clients = new HomeserverClients({ homeserverUrl: "http://127.0.0.1:1", asToken: "t" }, "@bot:hs", silentLogger);
  const portals = new Portals({ names, clients, logger: silentLogger });
  portals.attach(host);
  const users = new MatrixUsers({ names, bot: clients.bot, avatarUrl: () => undefined, logger: silentLogger });
  const ghosts = new Ghosts({
    names,
    clients,
    state,
    logger: silentLogger,
    media: { maxBytes: 1, allowPrivateAddresses: false },
  });
  const inbound = new EventsIn(host, {
    names,
    users,
    ghosts,
    portals,
    logger: silentLogger,
    homeserverUrl: "http://127.0.0.1:1",
    asToken: "t",
    mediaUrl: () => undefined,
    senderOf: async () => "@bob:hs",
  });
  return { calls, inbound, data };
}

const msg = (o: Record<string, unknown>) => ({
  type: "m.room.message",
  room_id: LINKED,
  sender: "@bob:hs",
  event_id: "$e1",
  origin_server_ts: 1,
  content: { msgtype: "m.text", body: "hi" },
  ...o,
});

describe("reading Matrix events", () => {
  test("an event without type, room, sender, ID or content is a problem, not a crash", () => {
    assert.ok("problem" in readEvent(null));
    assert.ok("problem" in readEvent({ type: "m.room.message", room_id: "!r", sender: "@a:b" }));
    assert.ok("problem" in readEvent({ ...msg({}), content: "text" }));
    assert.ok("event" in readEvent(msg({})));
  });

  test("the reply fallback is stripped and read for the quote", () => {
    assert.deepEqual(stripReplyFallback("> <@bob:hs> the question\n> more\n\nthe answer"), {
      body: "the answer",
      quote: { userId: "@bob:hs", text: "the question\nmore" },
    });
    assert.deepEqual(stripReplyFallback("> just a quote"), { body: "> just a quote" });
    assert.deepEqual(stripReplyFallback("> quote\ntext right after"), { body: "> quote\ntext right after" });
    assert.deepEqual(stripReplyFallback("no fallback"), { body: "no fallback" });
  });
});

describe("Matrix events into engine calls", () => {
  test("an m.replace counts only from the original sender", async () => {
    const { calls, inbound } = setup();
    const edit = (sender: string, id: string) =>
      msg({
        sender,
        event_id: id,
        content: {
          body: "* changed",
          "m.new_content": { msgtype: "m.text", body: "changed" },
          "m.relates_to": { rel_type: "m.replace", event_id: "$orig" },
        },
      });
    await inbound.event(edit("@eve:hs", "$eve-edit"));
    assert.equal(calls.length, 0, "Eve's edit of Bob's message is dropped");
    await inbound.event(edit("@bob:hs", "$bob-edit"));
    assert.deepEqual(
      calls.map(([name]) => name),
      ["edit"],
    );
  });

  test("a message in a linked room; nothing from a room that is neither linked nor a DM", async () => {
    const { calls, inbound } = setup();
    await inbound.event(msg({}));
    await inbound.event(msg({ room_id: "!other:hs", event_id: "$e2" }));
    assert.equal(calls.length, 1);
    const [name, m] = calls[0] as [string, { id: string; author: { id: string; displayName: string }; text: unknown }];
    assert.equal(name, "message");
    assert.equal(m.id, "$e1");
    assert.deepEqual(m.author, { id: "@bob:hs", displayName: "bob" });
  });

  test("a message that starts with a quote but is no reply keeps its quote", async () => {
    const { calls, inbound } = setup();
    await inbound.event(msg({ content: { msgtype: "m.text", body: "> quoted\n\nmine" } }));
    const [, m] = calls[0] as [string, { text: { blocks: Array<{ type: string }> }; replyTo?: string }];
    assert.deepEqual(
      m.text.blocks.map((b) => b.type),
      ["quote", "paragraph"],
    );
    assert.equal(m.replyTo, undefined);
  });

  test("the application service's own users are echoes (isBridge)", async () => {
    const { calls, inbound } = setup();
    await inbound.event(msg({ sender: "@_xmpp_alice=40x:hs" }));
    await inbound.event(msg({ sender: "@bot:hs", event_id: "$e3" }));
    const authors = calls.map(([, m]) => (m as { author: { isBridge?: boolean } }).author.isBridge);
    assert.deepEqual(authors, [true, true]);
  });

  test("bad payloads are logged and skipped: the handler never throws on them", async () => {
    const { calls, inbound } = setup();
    const bad: unknown[] = [
      "junk",
      msg({ content: { msgtype: "m.text" } }),
      msg({ content: { body: "x", "m.relates_to": { rel_type: "m.replace" } } }),
      { ...msg({}), type: "m.reaction", content: { "m.relates_to": { rel_type: "m.annotation" } } },
      { ...msg({}), type: "m.room.redaction", content: {} },
      { ...msg({}), type: "m.room.member", content: { membership: 5 }, state_key: "@carol:hs" },
      { ...msg({}), type: "m.room.member", content: { membership: "join" } },
    ];
    for (const e of bad) await inbound.event(e);
    for (const e of [null, { type: "m.typing" }, { type: "m.typing", content: { user_ids: "x" }, room_id: LINKED }]) {
      await inbound.ephemeral(e);
    }
    assert.deepEqual(calls, []);
  });

  test("a reaction and the redaction of that reaction event: add, then remove", async () => {
    const { calls, inbound } = setup();
    const rel = { rel_type: "m.annotation", event_id: "$target", key: "👍" };
    await inbound.event({ ...msg({ event_id: "$r1" }), type: "m.reaction", content: { "m.relates_to": rel } });
    await inbound.event({ ...msg({ event_id: "$red1" }), type: "m.room.redaction", redacts: "$r1", content: {} });
    assert.deepEqual(
      calls.map(([n, r]) => [n, (r as { action: string }).action, (r as { emoji: string }).emoji]),
      [
        ["reaction", "add", "👍"],
        ["reaction", "remove", "👍"],
      ],
    );
  });

  test("memberships: join, leave, kick (by another user) and ban with the reason; a display name change is a profile", async () => {
    const { calls, inbound } = setup();
    const member = (id: string, membership: string, o: Record<string, unknown> = {}) => ({
      ...msg({ event_id: id, sender: "@carol:hs" }),
      type: "m.room.member",
      state_key: "@carol:hs",
      content: { membership, displayname: "Carol" },
      ...o,
    });
    await inbound.event(member("$m1", "join"));
    await inbound.event(
      member("$m2", "join", {
        content: { membership: "join", displayname: "Caroline" },
        unsigned: { prev_content: { membership: "join", displayname: "Carol" } },
      }),
    );
    await inbound.event(member("$m3", "leave", { unsigned: { prev_content: { membership: "join" } } }));
    await inbound.event(
      member("$m4", "leave", {
        sender: "@bob:hs",
        content: { membership: "leave", reason: "rude" },
        unsigned: { prev_content: { membership: "join" } },
      }),
    );
    await inbound.event(member("$m5", "ban", { sender: "@bob:hs", content: { membership: "ban" } }));
    await inbound.event(member("$m6", "leave", { unsigned: { prev_content: { membership: "invite" } } }));
    const summary = calls.map(([n, args]) => {
      if (n === "profile") return `profile ${(args as { displayName: string }).displayName}`;
      const [, user, kind, details] = args as [
        string,
        { id: string },
        string,
        { by?: { id: string }; reason?: string },
      ];
      return `${kind} ${user.id}${details?.by ? ` by ${details.by.id}` : ""}${details?.reason ? `: ${details.reason}` : ""}`;
    });
    assert.deepEqual(summary, [
      "join @carol:hs",
      "profile Caroline",
      "leave @carol:hs",
      "kick @carol:hs by @bob:hs: rude",
      "ban @carol:hs by @bob:hs",
    ]);
  });

  test("typing lists become composing and paused per user; receipts and presence are read", async () => {
    const { calls, inbound } = setup();
    const typing = (ids: string[]) => ({ type: "m.typing", room_id: LINKED, content: { user_ids: ids } });
    await inbound.ephemeral(typing(["@bob:hs", "@_xmpp_a=40x:hs"]));
    await inbound.ephemeral(typing([]));
    await inbound.ephemeral({
      type: "m.receipt",
      room_id: LINKED,
      content: { $e1: { "m.read": { "@bob:hs": { ts: 1 }, "@_xmpp_a=40x:hs": { ts: 1 } } } },
    });
    await inbound.ephemeral({
      type: "m.presence",
      sender: "@bob:hs",
      content: { presence: "unavailable", status_msg: "lunch" },
    });
    assert.deepEqual(
      calls.map(([n, a]) => {
        const x = a as Record<string, unknown>;
        if (n === "typing") return `typing ${x.state}`;
        if (n === "read") return `read ${x.id}`;
        const [user, p] = a as [{ id: string }, { status: string; message?: string }];
        return `presence ${user.id} ${p.status} ${p.message}`;
      }),
      ["typing composing", "typing paused", "read $e1", "presence @bob:hs idle lunch"],
    );
  });
});
