/**
 * A room's order when one speaker's avatar is slow to fetch: an XMPP user
 * (played on a second test component, `SLOW_AVATAR_DOMAIN`) joins showing
 * an avatar and speaks while the bridge waits for her vCard, another
 * occupant speaks after her, and only then does her vCard come. A bridge
 * that keeps one ordered pipeline per room relays the two in that order.
 */
import { randomBytes } from "node:crypto";
import { buildMessage, buildPresence, buildVcard, type Element, type Message, NS } from "@parley/stanza";
import { pollUntil } from "./poll-until.ts";
import type { XmppServerOptions } from "./server.ts";
import { isMessage } from "./stanza-inbox.ts";
import type { TestClient } from "./xmpp-client.ts";
import type { TestComponent } from "./xmpp-component.ts";
import { stanzaId } from "./xmpp-session.ts";

export const SLOW_AVATAR_DOMAIN = "slow.parley.test";

/** A 1x1 PNG: the slow user's avatar. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2a8d2a70000000049454e44ae426082",
  "hex",
);

/** The test server's components: the bridge's first, then SLOW_AVATAR_DOMAIN (connect to it as component 1). */
export function slowAvatarServerOptions(): XmppServerOptions {
  return {
    components: [
      { domain: "bridge.parley.test", secret: randomBytes(16).toString("hex") },
      { domain: SLOW_AVATAR_DOMAIN, secret: randomBytes(16).toString("hex") },
    ],
  };
}

/** The iq handlers of a test component's client (@xmpp/component's iq callee): a handler may answer later. */
function iqAnswers(c: TestComponent): { get(ns: string, name: string, handler: () => Promise<Element>): void } {
  return (c as unknown as { entity: { iqCallee: ReturnType<typeof iqAnswers> } }).entity.iqCallee;
}

/**
 * carol (on `slow`, the SLOW_AVATAR_DOMAIN component) joins `room`, shows an
 * avatar and, once `avatarHashSeen(hash)` says the bridge knows it, speaks;
 * `alice` speaks once the bridge asked for carol's vCard; carol's vCard is
 * answered a moment later. Resolves with what carol and alice said, in that
 * order.
 */
export async function speakWhileAvatarIsFetched(o: {
  readonly slow: TestComponent;
  readonly alice: TestClient;
  readonly room: string;
  readonly avatarHashSeen: (hash: string) => boolean;
}): Promise<{ readonly first: string; readonly second: string }> {
  const carolJid = `carol@${SLOW_AVATAR_DOMAIN}/desk`;
  let asked = false;
  const answer = Promise.withResolvers<Element>();
  iqAnswers(o.slow).get(NS.vcardTemp, "vCard", () => {
    asked = true;
    return answer.promise;
  });
  await o.slow.joinRoom(o.room, "carol", { from: carolJid });
  const hash = randomBytes(20).toString("hex");
  await o.slow.send(buildPresence({ from: carolJid, to: `${o.room}/carol`, vcardUpdate: { photo: hash } }));
  const poll = { timeoutMs: 10_000, intervalMs: 20 };
  await pollUntil("the bridge to see carol's avatar hash", () => o.avatarHashSeen(hash), poll);

  const first = `carol speaks first ${stanzaId("w")}`;
  const second = `alice speaks second ${stanzaId("w")}`;
  const carolSaid = o.alice.waitFor(isMessage((m: Message) => m.body === first));
  await o.slow.send(buildMessage({ type: "groupchat", from: carolJid, to: o.room, id: stanzaId("c"), body: first }));
  await carolSaid;
  await pollUntil("the bridge's vCard request for carol", () => asked, poll);
  const aliceSaid = o.alice.waitFor(isMessage((m: Message) => m.body === second));
  await o.alice.send(buildMessage({ type: "groupchat", to: o.room, id: stanzaId("a"), body: second }));
  await aliceSaid;
  // Time for the bridge to read both before carol's vCard comes (without it, the test proves less, never fails).
  await new Promise((resolve) => setTimeout(resolve, 300));
  answer.resolve(buildVcard({ photo: { type: "image/png", data: PNG } }));
  return { first, second };
}
