/**
 * What the bridge does with a stanza over xmpp.limits (StreamParser's
 * `dropped`): it is never handled, the link stays up, and the sender hears
 * why where an answer is due. An iq request and a message sent to one of our
 * addresses (chat, normal, headline) get a policy-violation error; a groupchat
 * message is not answered (an error sent back to a room reads as a delivery
 * failure of our occupant, which some servers kick for), nor are presences,
 * iq answers or errors (an error for an error could loop).
 */
import { buildIqError, buildStanzaError, type Element, element, NS } from "@parley/stanza";

const TEXT = "the bridge does not handle a stanza this large or this deeply nested";

/** The error answering a dropped stanza, or undefined when none is due. */
export function answerForDropped(skeleton: Element): Element | undefined {
  const { from, to, id, type } = skeleton.attrs;
  if (!from || !to) return undefined;
  const error = { condition: "policy-violation" as const, text: TEXT };
  if (skeleton.name === "iq") {
    if ((type !== "get" && type !== "set") || id === undefined) return undefined;
    return buildIqError({ id, from, to }, error);
  }
  if (skeleton.name === "message") {
    if (type === "error" || type === "groupchat") return undefined;
    // A result of our own archive query comes from a room, not from someone who sent it to us.
    if (skeleton.getChild("result", NS.mam)) return undefined;
    return element("message", { type: "error", id, from: to, to: from }, buildStanzaError(error));
  }
  return undefined;
}

/** What a log line says about a dropped stanza: who sent what, and the ids that name it. */
export function describeDropped(skeleton: Element): Record<string, string | undefined> {
  return {
    stanza: skeleton.name,
    type: skeleton.attrs.type,
    from: skeleton.attrs.from,
    id: skeleton.attrs.id,
    stanzaId: skeleton.getChild("stanza-id", NS.sid)?.attrs.id,
    archiveId: skeleton.getChild("result", NS.mam)?.attrs.id,
  };
}
