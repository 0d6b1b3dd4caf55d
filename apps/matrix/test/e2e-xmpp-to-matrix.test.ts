/**
 * XMPP -> Matrix against real Prosody and real Synapse: what an XMPP user
 * does in the MUC room reaches the Matrix room from their ghost. This file's
 * registration has `rate_limited: true`, so that a per-user rate limit set
 * through Synapse's admin API applies to a ghost.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { buildMessage, buildPresence, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, isPresence, TestClient } from "@parley/testkit";
import { eventually, type Harness, startHarness } from "./matrix-harness.ts";
import type { MatrixEventJson, SyncItem } from "./matrix-user.ts";

let h: Harness;
let files: Server;
let filesUrl = "";
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2a8d2a70000000049454e44ae426082",
  "hex",
);
let sent = 0;

before(async () => {
  h = await startHarness({ rateLimited: true });
  files = createServer((req, res) => {
    if (req.url?.startsWith("/cat.png")) res.writeHead(200, { "content-type": "image/png" }).end(PNG);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => files.listen(0, "127.0.0.1", r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});
after(async () => {
  await h?.close();
  await new Promise((r) => files?.close(r));
});

const isGhost = (userId: string | undefined) => userId?.startsWith("@_xmpp_") === true;

/** A timeline event in the linked room from a ghost, passing `extra`. */
function fromGhost(extra: (e: MatrixEventJson) => boolean): (i: SyncItem) => boolean {
  return (i) => i.kind === "timeline" && i.roomId === h.roomId && isGhost(i.event.sender) && extra(i.event);
}

/** alice says something in the room; resolves with her stanza as the room reflected it and the Matrix event. */
async function aliceSays(
  body: string,
  extra: Partial<Parameters<typeof buildMessage>[0]> = {},
  matches: (e: MatrixEventJson) => boolean = (e) => e.content.body === body,
): Promise<{ reflected: Message; event: MatrixEventJson }> {
  sent++;
  const id = `alice-${sent}`;
  await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id, body, ...extra }));
  const reflected = (
    await h.alice.waitFor(
      isMessage((m) => m.from === `${h.room}/alice` && m.id === id),
      {
        timeoutMs: 10_000,
      },
    )
  ).stanza as Message;
  const item = await h.bob.waitFor(fromGhost(matches), 15_000, `"${body}" from a ghost`);
  return { reflected, event: item.event };
}

describe("XMPP -> Matrix", () => {
  test("a message arrives from the XMPP user's ghost, which carries their nick", async () => {
    const { event } = await aliceSays("hello from XMPP");
    assert.equal(event.content.msgtype, "m.text");
    const profile = await h.bob.request<{ displayname?: string }>(
      "GET",
      `/_matrix/client/v3/profile/${encodeURIComponent(event.sender ?? "")}`,
    );
    assert.equal(profile.displayname, "alice");
  });

  test("XEP-0393 styling becomes formatted_body HTML", async () => {
    const { event } = await aliceSays("*bold* and _italic_", {}, (e) => String(e.content.body).includes("italic"));
    assert.equal(event.content.format, "org.matrix.custom.html");
    assert.match(String(event.content.formatted_body), /<strong>bold<\/strong> and <em>italic<\/em>/);
  });

  test("Bob: at the start and @Bob become pills of the Matrix user, listed in m.mentions", async () => {
    // Bob's puppet sits in the room once the bridge has brought the linked room's members in.
    await eventually("Bob's puppet in the room", () => h.bridge.occupancy.localsIn(h.room).length > 0 || undefined);
    const { event } = await aliceSays("Bob: look, @Bob", {}, (e) => String(e.content.body).includes("look"));
    assert.deepEqual(event.content["m.mentions"], { user_ids: [h.bob.userId] });
    const pills = String(event.content.formatted_body).match(/<a href="https:\/\/matrix\.to\/#\/[^"]+">/g) ?? [];
    assert.equal(pills.length, 2, `two pills in ${String(event.content.formatted_body)}`);
    assert.ok(pills.every((pill) => decodeURIComponent(pill).includes(h.bob.userId)));
  });

  test("an XEP-0308 correction is an m.replace with m.new_content", async () => {
    const { reflected, event } = await aliceSays("helo");
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: "fix-1",
        body: "hello",
        replace: { id: reflected.originId ?? reflected.id ?? "" },
      }),
    );
    const edit = await h.bob.waitFor(
      fromGhost((e) => e.content["m.relates_to"]?.rel_type === "m.replace"),
      15_000,
    );
    assert.equal(edit.event.content["m.relates_to"]?.event_id, event.event_id);
    assert.equal((edit.event.content["m.new_content"] as { body?: string }).body, "hello");
  });

  test("a nick change keeps one ghost, whose earlier messages stay its to correct", async () => {
    const { reflected, event: before } = await aliceSays("said before the rename");
    const rename = async (nick: string) => {
      const seen = h.alice.waitFor(
        isPresence((p) => p.from === `${h.room}/${nick}`),
        { timeoutMs: 10_000 },
      );
      await h.alice.send(buildPresence({ to: `${h.room}/${nick}` }));
      await seen;
    };
    await rename("alicia");
    try {
      await h.alice.send(
        buildMessage({ type: "groupchat", to: h.room, id: "renamed-1", body: "said after the rename" }),
      );
      const after = await h.bob.waitFor(
        fromGhost((e) => e.content.body === "said after the rename"),
        15_000,
      );
      assert.equal(after.event.sender, before.sender, "one ghost before and after the nick change");
      await h.alice.send(
        buildMessage({
          type: "groupchat",
          to: h.room,
          id: "renamed-fix",
          body: "said before the rename, corrected",
          replace: { id: reflected.originId ?? reflected.id ?? "" },
        }),
      );
      const edit = await h.bob.waitFor(
        fromGhost(
          (e) =>
            e.content["m.relates_to"]?.rel_type === "m.replace" &&
            e.content["m.relates_to"]?.event_id === before.event_id,
        ),
        15_000,
      );
      assert.equal(edit.event.sender, before.sender, "the correction comes from the author's ghost");
    } finally {
      await rename("alice");
    }
  });

  test("an XEP-0424 retraction redacts the event", async () => {
    const { reflected, event } = await aliceSays("oops");
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: "retract-1",
        retract: { id: stanzaIdBy(reflected, h.room) ?? reflected.id ?? "" },
      }),
    );
    const redaction = await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.event.type === "m.room.redaction" && isGhost(i.event.sender),
      15_000,
    );
    assert.equal(redaction.event.redacts ?? redaction.event.content.redacts, event.event_id);
  });

  test("a message too long for one event goes as several, and a correction and a retraction reach every one", async () => {
    // Four bold paragraphs of 2,200 CJK characters: 6,600 bytes each in `body` and as many again in
    // `formatted_body`, over 50 KB in all. One event could hold it, but its edit (the text twice more) could not.
    const para = (k: number, word: string) => `*${String(k)}${word.repeat(1100)}*`;
    const body = [1, 2, 3, 4].map((k) => para(k, "漢字")).join("\n\n");
    const { reflected, event } = await aliceSays(body, {}, (e) => String(e.content.body).includes("1漢字"));
    const events: MatrixEventJson[] = [event];
    for (const k of [2, 3, 4]) {
      const holds = (e: MatrixEventJson) => String(e.content.body).includes(`${String(k)}漢字`);
      if (events.some(holds)) continue;
      events.push((await h.bob.waitFor(fromGhost(holds), 15_000, `the part holding paragraph ${k}`)).event);
    }
    assert.ok(events.length >= 2, `${events.length} events`);
    for (const e of events) {
      const size =
        Buffer.byteLength(JSON.stringify(e.content.body)) + Buffer.byteLength(JSON.stringify(e.content.formatted_body));
      assert.ok(size <= 24_000, `an event of ${size} bytes of text`);
      assert.match(String(e.content.formatted_body), /<strong>/);
    }
    // The correction, as long: every paragraph says 字漢 instead of 漢字.
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: "fix-long",
        body: [1, 2, 3, 4].map((k) => para(k, "字漢")).join("\n\n"),
        replace: { id: reflected.originId ?? reflected.id ?? "" },
      }),
    );
    const edited = new Map<string, string>();
    while (edited.size < events.length) {
      const edit = await h.bob.waitFor(
        fromGhost((e) => e.content["m.relates_to"]?.rel_type === "m.replace"),
        15_000,
        `the edit of part ${edited.size + 1} of ${events.length}`,
      );
      edited.set(
        String(edit.event.content["m.relates_to"]?.event_id),
        String((edit.event.content["m.new_content"] as { body?: string }).body),
      );
    }
    assert.deepEqual([...edited.keys()].sort(), events.map((e) => e.event_id).sort());
    assert.ok([...edited.values()].every((b) => /\d字漢/.test(b) && !/\d漢字/.test(b)));
    assert.deepEqual([...edited.values()].join("\n\n").match(/\d字/g), ["1字", "2字", "3字", "4字"]);
    // The retraction redacts every part.
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: "retract-long",
        retract: { id: stanzaIdBy(reflected, h.room) ?? reflected.id ?? "" },
      }),
    );
    const redacted = new Set<string>();
    while (redacted.size < events.length) {
      const r = await h.bob.waitFor(
        (i) => i.kind === "timeline" && i.event.type === "m.room.redaction" && isGhost(i.event.sender),
        15_000,
        `the redaction of part ${redacted.size + 1} of ${events.length}`,
      );
      redacted.add(String(r.event.redacts ?? r.event.content.redacts));
    }
    assert.deepEqual([...redacted].sort(), events.map((e) => e.event_id).sort());
  });

  test("an XEP-0461 reply to a Matrix message is an m.in_reply_to", async () => {
    const question = await h.bob.sendText(h.roomId, "a question from Matrix");
    const got = (
      await h.alice.waitFor(
        isMessage((m) => m.from === `${h.room}/Bob` && m.body === "a question from Matrix"),
        {
          timeoutMs: 10_000,
        },
      )
    ).stanza as Message;
    const target = stanzaIdBy(got, h.room) ?? "";
    const { event } = await aliceSays("an answer from XMPP", { reply: { id: target, to: `${h.room}/Bob` } });
    assert.deepEqual(event.content["m.relates_to"], { "m.in_reply_to": { event_id: question } });
  });

  test("XEP-0444 reactions are m.annotation events; taking one back redacts it", async () => {
    const liked = await h.bob.sendText(h.roomId, "like this");
    const got = (
      await h.alice.waitFor(
        isMessage((m) => m.from === `${h.room}/Bob` && m.body === "like this"),
        {
          timeoutMs: 10_000,
        },
      )
    ).stanza as Message;
    const target = stanzaIdBy(got, h.room) ?? "";
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: "react-1", reactions: { id: target, emojis: ["🎉"] } }),
    );
    const reaction = await h.bob.waitFor(
      fromGhost((e) => e.type === "m.reaction"),
      15_000,
    );
    assert.deepEqual(reaction.event.content["m.relates_to"], { rel_type: "m.annotation", event_id: liked, key: "🎉" });
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: "react-2", reactions: { id: target, emojis: [] } }),
    );
    const redaction = await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.event.type === "m.room.redaction" && isGhost(i.event.sender),
      15_000,
    );
    assert.equal(redaction.event.redacts ?? redaction.event.content.redacts, reaction.event.event_id);
  });

  test("a file (XEP-0066 link) is uploaded to the media repository as the ghost and sent as m.image", async () => {
    const url = `${filesUrl}/cat.png`;
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: "file-1", body: url, oob: [{ url }] }));
    const image = await h.bob.waitFor(
      fromGhost((e) => e.content.msgtype === "m.image"),
      15_000,
    );
    assert.equal(image.event.content.body, "cat.png");
    const mxc = String(image.event.content.url);
    assert.match(mxc, /^mxc:\/\/localhost\//);
    const downloaded = await h.bob.download(mxc);
    assert.deepEqual(downloaded.bytes, PNG);
  });

  test("XEP-0201 threads become m.thread relations, the first message of a thread being its root, and Matrix answers in it come back under the XMPP thread id", async () => {
    const thread = `xmpp-thread-${Date.now()}`;
    const root = await aliceSays("starting a thread", { thread: { id: thread } });
    assert.equal(root.event.content["m.relates_to"], undefined);
    const next = await aliceSays("inside the thread", { thread: { id: thread } });
    assert.equal(next.event.content["m.relates_to"]?.rel_type, "m.thread");
    assert.equal(next.event.content["m.relates_to"]?.event_id, root.event.event_id);
    const answer = h.alice.waitFor(
      isMessage((m) => m.type === "groupchat" && m.body === "a Matrix answer in the thread"),
      { timeoutMs: 15_000 },
    );
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: "a Matrix answer in the thread",
      "m.relates_to": {
        rel_type: "m.thread",
        event_id: root.event.event_id,
        is_falling_back: true,
        "m.in_reply_to": { event_id: next.event.event_id },
      },
    });
    assert.equal(((await answer).stanza as Message).thread?.id, thread, "under the XMPP thread id");
  });

  test("an XEP-0085 composing state is the ghost typing", async () => {
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: "typing-1", chatState: "composing" }));
    await h.bob.waitFor(
      (i) =>
        i.kind === "ephemeral" &&
        i.event.type === "m.typing" &&
        ((i.event.content.user_ids as string[] | undefined) ?? []).some(isGhost),
      15_000,
      "the ghost typing",
    );
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: "typing-2", chatState: "paused" }));
  });

  test("an XEP-0333 displayed marker is a read receipt from the ghost", async () => {
    const read = await h.bob.sendText(h.roomId, "please read");
    const got = (
      await h.alice.waitFor(
        isMessage((m) => m.from === `${h.room}/Bob` && m.body === "please read"),
        {
          timeoutMs: 10_000,
        },
      )
    ).stanza as Message;
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: "marker-1",
        marker: { type: "displayed", id: stanzaIdBy(got, h.room) ?? "" },
      }),
    );
    await h.bob.waitFor(
      (i) => {
        if (i.kind !== "ephemeral" || i.event.type !== "m.receipt") return false;
        const readers = (i.event.content[read] as { "m.read"?: Record<string, unknown> } | undefined)?.["m.read"];
        return Object.keys(readers ?? {}).some(isGhost);
      },
      15_000,
      "the ghost's read receipt",
    );
  });

  test("an XMPP occupant joining, going away and leaving: the ghost joins, shows presence, leaves", async () => {
    const account = h.xmpp.accounts[1];
    if (!account) throw new Error("no second XMPP account");
    const dave = await TestClient.connect(h.xmpp, account, "occupant");
    try {
      await dave.joinRoom(h.room, "dave");
      const joined = await h.bob.waitFor(
        (i) =>
          i.kind === "timeline" &&
          i.event.type === "m.room.member" &&
          isGhost(i.event.state_key) &&
          i.event.content.membership === "join" &&
          i.event.content.displayname === "dave",
        15_000,
        "dave's ghost joining",
      );
      const ghost = joined.event.state_key ?? "";
      await dave.send(buildPresence({ to: `${h.room}/dave`, show: "away", status: "brb" }));
      await eventually("dave's ghost away", async () => {
        const p = await h.bob.request<{ presence?: string; status_msg?: string }>(
          "GET",
          `/_matrix/client/v3/presence/${encodeURIComponent(ghost)}/status`,
        );
        return p.presence === "unavailable" && p.status_msg === "brb" ? true : undefined;
      });
      await dave.leaveRoom(h.room, "dave");
      await h.bob.waitFor(
        (i) =>
          i.kind === "timeline" &&
          i.event.type === "m.room.member" &&
          i.event.state_key === ghost &&
          i.event.content.membership === "leave",
        15_000,
        "dave's ghost leaving",
      );
    } finally {
      await dave.stop();
    }
  });

  test("the XMPP user's avatar is uploaded as the ghost's avatar, again only when it changes", async () => {
    const sender = { jid: "eve@parley.test", nick: "Eve", avatarUrl: `${filesUrl}/cat.png` };
    await h.connector.occupant({ channel: h.roomId, sender, kind: "join", presence: { status: "online" } });
    const ghost = h.ghostOf("eve@parley.test");
    const profile = () =>
      h.bob.request<{ displayname?: string; avatar_url?: string }>(
        "GET",
        `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}`,
      );
    const first = await profile();
    assert.equal(first.displayname, "Eve");
    assert.match(first.avatar_url ?? "", /^mxc:\/\//);
    assert.deepEqual((await h.bob.download(first.avatar_url ?? "")).bytes, PNG);
    await h.connector.occupant({ channel: h.roomId, sender, kind: "update", presence: { status: "idle" } });
    assert.equal((await profile()).avatar_url, first.avatar_url, "the same avatar is not uploaded again");
    await h.connector.occupant({
      channel: h.roomId,
      sender: { ...sender, avatarUrl: `${filesUrl}/cat.png?v=2` },
      kind: "update",
      presence: { status: "online" },
    });
    assert.notEqual((await profile()).avatar_url, first.avatar_url, "a new avatar is uploaded");
    await h.connector.occupant({ channel: h.roomId, sender, kind: "leave" });
  });

  test("names are per room, as MUC nicks are: another nick elsewhere does not rename the ghost here", async () => {
    const jid = "zed@parley.test";
    const ghost = h.ghostOf(jid);
    const memberName = async (roomId: string) =>
      (
        await h.bob.request<{ displayname?: string }>(
          "GET",
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(ghost)}`,
        )
      ).displayname;
    const other = await h.bob.createRoom({ preset: "public_chat", name: "elsewhere" });
    assert.equal(await h.connector.channelExists(other), true, "the bot joins the second room");

    await h.connector.occupant({ channel: h.roomId, sender: { jid, nick: "Zed" }, kind: "join" });
    await h.connector.occupant({ channel: other, sender: { jid, nick: "Zeddy" }, kind: "join" });
    assert.equal(await memberName(h.roomId), "Zed");
    assert.equal(await memberName(other), "Zeddy");
    // A new nick in the first room shows there only; the global profile keeps the first nick.
    await h.connector.occupant({ channel: h.roomId, sender: { jid, nick: "Zed II" }, kind: "update" });
    assert.equal(await memberName(h.roomId), "Zed II");
    assert.equal(await memberName(other), "Zeddy");
    const profile = await h.bob.request<{ displayname?: string }>(
      "GET",
      `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}`,
    );
    assert.equal(profile.displayname, "Zed");
    await h.connector.occupant({ channel: h.roomId, sender: { jid, nick: "Zed II" }, kind: "leave" });
    await h.connector.occupant({ channel: other, sender: { jid, nick: "Zeddy" }, kind: "leave" });
  });

  test("a room the bot can join can be linked by an admin; a private room it was not invited to cannot", async () => {
    assert.equal(await h.connector.channelExists(h.roomId), true);
    const closed = await h.bob.createRoom({ preset: "private_chat" });
    assert.equal(await h.connector.channelExists(closed), false);
    assert.equal(await h.connector.channelExists("not a room id"), false);
  });

  test("a refusal for lack of power level tells the admins which level to grant, and nothing loops", async () => {
    const pl = await h.bob.request<Record<string, unknown>>(
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(h.roomId)}/state/m.room.power_levels/`,
    );
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(h.roomId)}/state/m.room.power_levels/`;
    await h.bob.request("PUT", path, { ...pl, events_default: 40 });
    try {
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: "forbidden-1", body: "can I speak?" }));
      const notice = await h.alice.waitFor(
        isMessage((m) => m.type === "chat" && m.from === h.domain && /power level 40/.test(m.body ?? "")),
        { timeoutMs: 15_000 },
      );
      assert.match((notice.stanza as Message).body ?? "", /Matrix refused to let @_xmpp_\S+ send messages in room !/);
      assert.ok(h.logs.some((l) => l.includes("Matrix refused to let")));
    } finally {
      await h.bob.request("PUT", path, pl);
    }
    await aliceSays("allowed again");
  });

  test("M_LIMIT_EXCEEDED is waited out as Synapse asks, by the delivery queue: every message arrives, in order, and the bridge goes on", async () => {
    const { event } = await aliceSays("before the limit");
    const ghost = event.sender ?? "";
    const admin = await h.synapse.registerUser("admin", { admin: true });
    const res = await fetch(
      `${h.synapse.url}/_synapse/admin/v1/users/${encodeURIComponent(ghost)}/override_ratelimit`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${admin.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ messages_per_second: 1, burst_count: 1 }),
      },
    );
    assert.equal(res.status, 200, await res.text());
    const bodies = ["limited 1", "limited 2", "limited 3", "limited 4"];
    for (const [i, body] of bodies.entries()) {
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: `limited-${i}`, body }));
    }
    for (const body of bodies) {
      await h.bob.waitFor(
        fromGhost((e) => e.content.body === body),
        30_000,
        `"${body}"`,
      );
    }
    const order = h.bob
      .seen(fromGhost((e) => bodies.includes(String(e.content.body))))
      .map((i) => String(i.event.content.body));
    assert.deepEqual(order, bodies);
    assert.ok(
      h.logs.some((l) => l.includes("M_LIMIT_EXCEEDED") && l.includes('"level":"warn"')),
      "a clear log line says the bridge was rate limited",
    );
    await aliceSays("after the limit");
  });

  test("what a ghost sends comes back from Synapse as an echo and is not relayed to the room again", async () => {
    await aliceSays("echo check");
    // Anything the echo could cause would reach the room before a later message from Bob.
    await h.bob.sendText(h.roomId, "after the echo");
    await h.alice.waitFor(
      isMessage((m) => m.from === `${h.room}/Bob` && m.body === "after the echo"),
      {
        timeoutMs: 10_000,
      },
    );
    await assert.rejects(
      h.alice.waitFor(
        isMessage((m) => m.body === "echo check" && m.from !== `${h.room}/alice`),
        { timeoutMs: 1 },
      ),
    );
  });
});
