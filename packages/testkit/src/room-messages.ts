/**
 * Groupchat messages in a MUC room, as a user in the room sees them: a
 * predicate by room and nick, a network post seen in the room, the next
 * `count` whose body starts with a prefix, and "nothing more of those came"
 * (no duplicates).
 */
import assert from "node:assert/strict";
import { type Message, stanzaIdBy } from "@parley/stanza";
import { isMessage, type Received } from "./stanza-inbox.ts";
import type { XmppSession } from "./xmpp-session.ts";

type Watcher = Pick<XmppSession, "waitFor">;

/** A groupchat message in `room` from `nick` (any occupant when undefined) matching `extra`. */
export const inRoom =
  (room: string, nick: string | undefined, extra: (m: Message) => boolean = () => true) =>
  (r: Received): boolean =>
    isMessage(
      (m) =>
        m.type === "groupchat" &&
        (nick === undefined ? (m.from ?? "").startsWith(`${room}/`) : m.from === `${room}/${nick}`) &&
        extra(m),
    )(r);

/** The messages from `nick` in `room` whose body starts with `prefix`, in arrival order, once `count` arrived. */
export async function collectRoomMessages(
  client: Watcher,
  o: { room: string; nick: string; prefix: string; count: number; timeoutMs: number },
): Promise<Message[]> {
  const got: Message[] = [];
  while (got.length < o.count) {
    const r = await client.waitFor(
      inRoom(o.room, o.nick, (m) => m.body?.startsWith(o.prefix) === true),
      { timeoutMs: o.timeoutMs, description: `message ${got.length + 1} of ${o.count} starting with "${o.prefix}"` },
    );
    got.push(r.stanza as Message);
  }
  return got;
}

/**
 * Fails if one more message in `room` whose body starts with `prefix` comes
 * within 300 ms. Send a sentinel through first and wait for it: what was
 * relayed twice would have come before it.
 */
export async function assertNoMoreInRoom(client: Watcher, room: string, prefix: string): Promise<void> {
  await assert.rejects(
    client.waitFor(
      inRoom(room, undefined, (m) => m.body?.startsWith(prefix) === true),
      { timeoutMs: 300 },
    ),
    `a message starting with "${prefix}" arrived twice`,
  );
}

/**
 * Runs `post` (a network member posting) and waits for the message from
 * `nick` in `room` whose body includes `shown`; resolves with what `post`
 * returned, the message and the room's stanza-id for it.
 */
export async function postAndSeeInRoom<T>(
  client: Watcher,
  o: { room: string; nick: string; shown: string; timeoutMs: number },
  post: () => T,
): Promise<{ posted: T; seen: Message; stanzaId: string }> {
  const seen = client.waitFor(
    inRoom(o.room, o.nick, (m) => m.body?.includes(o.shown) === true),
    { timeoutMs: o.timeoutMs, description: `"${o.shown.slice(0, 40)}" from ${o.nick} in ${o.room}` },
  );
  const posted = post();
  const m = (await seen).stanza as Message;
  const stanzaId = stanzaIdBy(m, o.room);
  assert.ok(stanzaId, "the room gave the message a stanza-id");
  return { posted, seen: m, stanzaId };
}
