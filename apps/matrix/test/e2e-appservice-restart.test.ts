/**
 * The application-service API as Synapse and others reach it, on the running
 * bridge: the hs_token on every request, bad bodies, and a bridge restart in
 * the middle of a conversation (what Synapse held while the bridge was down
 * arrives once, a transaction sent again is not relayed twice, and edits and
 * replies to messages from before the restart still find them).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildMessage, type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage } from "@parley/testkit";
import { type Harness, messageEvent, putTransaction, startHarness } from "./matrix-harness.ts";

let h: Harness;
const T = { timeoutMs: 15_000 };

before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const fromBob = (extra: (m: Message) => boolean) =>
  isMessage((m) => m.type === "groupchat" && m.from === `${h.room}/Bob` && extra(m));

/** Proves nothing matching `body` is waiting in alice's inbox, after a later message from Bob has arrived. */
async function nothingMore(body: string): Promise<void> {
  const marker = `marker ${Date.now()} ${Math.random()}`;
  await h.bob.sendText(h.roomId, marker);
  await h.alice.waitFor(
    fromBob((m) => m.body === marker),
    T,
  );
  await assert.rejects(
    h.alice.waitFor(
      isMessage((m) => m.body === body),
      { timeoutMs: 1 },
    ),
    `no second "${body}"`,
  );
}

async function call(method: string, path: string, token: string | undefined, query = ""): Promise<Response> {
  return fetch(`${h.asUrl}${path}${query}`, {
    method,
    headers: { "content-type": "application/json", ...(token !== undefined && { authorization: `Bearer ${token}` }) },
    ...(method === "PUT" || method === "POST" ? { body: "{}" } : {}),
  });
}

describe("the application-service API", () => {
  test("no hs_token is 401 M_UNAUTHORIZED, a wrong one 403 M_FORBIDDEN, on every endpoint, and nothing is processed", async () => {
    const txnId = `refused-${Date.now()}`;
    const body = { events: [messageEvent(h, { eventId: `$refused-${Date.now()}`, body: "refused at first" })] };
    const none = await putTransaction(h, txnId, body, null);
    assert.equal(none.status, 401);
    assert.equal(none.body.errcode, "M_UNAUTHORIZED");
    const wrong = await putTransaction(h, txnId, body, "not-the-hs-token");
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.errcode, "M_FORBIDDEN");
    const asToken = await putTransaction(h, txnId, body, h.options.asToken);
    assert.equal(asToken.status, 403, "the as_token is not the hs_token");
    const paths: Array<[string, string]> = [
      ["GET", `/_matrix/app/v1/users/${encodeURIComponent("@_xmpp_someone:localhost")}`],
      ["GET", `/_matrix/app/v1/rooms/${encodeURIComponent("#_xmpp_r=muc.example:localhost")}`],
      ["POST", "/_matrix/app/v1/ping"],
      ["PUT", `/transactions/${txnId}`],
      ["GET", `/users/${encodeURIComponent("@_xmpp_someone:localhost")}`],
      ["GET", `/rooms/${encodeURIComponent("#_xmpp_r=muc.example:localhost")}`],
    ];
    for (const [method, path] of paths) {
      assert.equal((await call(method, path, undefined)).status, 401, `${method} ${path} without a token`);
      assert.equal((await call(method, path, "wrong")).status, 403, `${method} ${path} with a wrong token`);
      assert.equal(
        (await call(method, path, undefined, "?access_token=wrong")).status,
        403,
        `${method} ${path} with a wrong access_token`,
      );
    }
    await nothingMore("refused at first");
    // Nothing was recorded either: the same transaction with the right token is handled now.
    const accepted = await putTransaction(h, txnId, body);
    assert.equal(accepted.status, 200);
    await h.alice.waitFor(
      fromBob((m) => m.body === "refused at first"),
      T,
    );
  });

  test("the legacy access_token query parameter and unprefixed paths are accepted", async () => {
    const txnId = `legacy-${Date.now()}`;
    const res = await fetch(`${h.asUrl}/transactions/${txnId}?access_token=${h.options.hsToken}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events: [messageEvent(h, { eventId: `$legacy-${Date.now()}`, body: "legacy path" })] }),
    });
    assert.equal(res.status, 200);
    await h.alice.waitFor(
      fromBob((m) => m.body === "legacy path"),
      T,
    );
    const ping = await call("POST", "/_matrix/app/v1/ping", h.options.hsToken);
    assert.equal(ping.status, 200);
  });

  test("malformed JSON is 400, a transaction without events 400, a body over the limit 413", async () => {
    const bad = await putTransaction(h, `bad-json-${Date.now()}`, "{ not json");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, "M_NOT_JSON");
    const noEvents = await putTransaction(h, `no-events-${Date.now()}`, { ephemeral: [] });
    assert.equal(noEvents.status, 400);
    const huge = await putTransaction(h, `huge-${Date.now()}`, { events: [], pad: "x".repeat(17 * 1024 * 1024) });
    assert.equal(huge.status, 413);
  });

  test("user queries: a ghost's ID is registered on the spot (200), anything else is 404", async () => {
    const ghost = h.ghostOf("queried@parley.test");
    const ok = await call("GET", `/_matrix/app/v1/users/${encodeURIComponent(ghost)}`, h.options.hsToken);
    assert.equal(ok.status, 200);
    const profile = await h.bob.request<{ displayname?: string }>(
      "GET",
      `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}`,
    );
    assert.equal(profile.displayname, "queried@parley.test");
    const notOurs = await call(
      "GET",
      `/_matrix/app/v1/users/${encodeURIComponent("@bob:localhost")}`,
      h.options.hsToken,
    );
    assert.equal(notOurs.status, 404);
  });
});

describe("a bridge restart in the middle", () => {
  test("held transactions arrive once, a transaction sent again is not relayed twice, and old messages still resolve", async () => {
    // Before: one message from Matrix, one from XMPP, and a transaction the test sends like Synapse would.
    const beforeId = await h.bob.sendText(h.roomId, "before the restart");
    const before = (
      await h.alice.waitFor(
        fromBob((m) => m.body === "before the restart"),
        T,
      )
    ).stanza as Message;
    await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: "xmpp-before", body: "xmpp before" }));
    const xmppBefore = await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.event.content.body === "xmpp before",
      15_000,
      "alice's message",
    );
    const replayed = {
      events: [messageEvent(h, { eventId: `$replayed-${Date.now()}`, body: "sent twice, relayed once" })],
    };
    assert.equal((await putTransaction(h, "replayed-txn", replayed)).status, 200);
    await h.alice.waitFor(
      fromBob((m) => m.body === "sent twice, relayed once"),
      T,
    );

    await h.stopBridge();
    // Synapse cannot deliver this one now: it keeps the transaction and sends it again later.
    await h.bob.sendText(h.roomId, "while the bridge was down");
    // Nobody reads the room for the bridge now: the room's archive keeps this one for it.
    await h.alice.send(
      buildMessage({ type: "groupchat", to: h.room, id: "xmpp-while-down", body: "xmpp while the bridge was down" }),
    );
    await h.alice.waitFor(
      isMessage((m) => m.id === "xmpp-while-down" && m.from === `${h.room}/alice`),
      T,
    );
    await new Promise((r) => setTimeout(r, 300));
    const restartedAt = Date.now();
    await h.startBridge();
    const caughtUp = await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.event.content.body === "xmpp while the bridge was down",
      30_000,
      "what alice said while the bridge was down",
    );
    assert.equal(caughtUp.event.sender, xmppBefore.event.sender, "from alice's ghost");
    assert.ok(
      (caughtUp.event.origin_server_ts ?? Number.POSITIVE_INFINITY) < restartedAt,
      "dated when alice said it, not when the bridge came back",
    );

    await h.alice.waitFor(
      fromBob((m) => m.body === "while the bridge was down"),
      { timeoutMs: 30_000 },
    );
    assert.equal((await putTransaction(h, "replayed-txn", replayed)).status, 200);

    // An edit and a reply from Matrix to the message from before the restart.
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: "* before the restart (edited)",
      "m.new_content": { msgtype: "m.text", body: "before the restart (edited)" },
      "m.relates_to": { rel_type: "m.replace", event_id: beforeId },
    });
    const edit = (
      await h.alice.waitFor(
        fromBob((m) => m.replace !== undefined),
        T,
      )
    ).stanza as Message;
    assert.equal(edit.replace?.id, before.originId ?? before.id);
    await h.bob.send(h.roomId, {
      msgtype: "m.text",
      body: "a reply after the restart",
      "m.relates_to": { "m.in_reply_to": { event_id: beforeId } },
    });
    const reply = (
      await h.alice.waitFor(
        fromBob((m) => m.reply !== undefined),
        T,
      )
    ).stanza as Message;
    assert.equal(reply.reply?.id, stanzaIdBy(before, h.room));

    // And from XMPP: a reply to the Matrix message from before the restart.
    await h.alice.send(
      buildMessage({
        type: "groupchat",
        to: h.room,
        id: "xmpp-after",
        body: "xmpp reply after",
        reply: { id: stanzaIdBy(before, h.room) ?? "", to: `${h.room}/Bob` },
      }),
    );
    const xmppReply = await h.bob.waitFor(
      (i) => i.kind === "timeline" && i.event.content.body === "xmpp reply after",
      15_000,
      "alice's reply",
    );
    assert.deepEqual(xmppReply.event.content["m.relates_to"], { "m.in_reply_to": { event_id: beforeId } });
    assert.equal(xmppReply.event.sender, xmppBefore.event.sender, "the same ghost after the restart");

    await nothingMore("while the bridge was down");
    assert.equal(
      h.bob.seen((i) => i.kind === "timeline" && i.event.content.body === "xmpp while the bridge was down").length,
      1,
      "caught up once",
    );
    await nothingMore("sent twice, relayed once");
  });
});
