/**
 * XEP-0297 Stanza Forwarding (v1.0): `<forwarded><delay/>?<message/></forwarded>`,
 * used by MAM results and carbons. Nesting is bounded to resist hostile input.
 */
import { buildMessage, type Message, type MessageInput, parseMessage } from "../message.ts";
import { NS } from "../ns.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { childOf, type Element, element, localNameOf } from "../xml.ts";
import { type Delay, delayCodec } from "./xep0203-delay.ts";

export interface Forwarded {
  readonly delay?: Delay;
  readonly message: Message;
}

/** How many `<forwarded/>` may nest inside one another. */
export const MAX_FORWARD_DEPTH = 4;

function depthOf(el: Element): number {
  let depth = 0;
  for (let p: Element | null = el; p; p = p.parent) if (localNameOf(p) === "forwarded") depth++;
  return depth;
}

export function parseForwarded(el: Element): Result<Forwarded> {
  if (localNameOf(el) !== "forwarded" || el.getNS() !== NS.forward) {
    return err(parseError("unexpected-element", `expected <forwarded xmlns='${NS.forward}'/>`));
  }
  if (depthOf(el) > MAX_FORWARD_DEPTH) {
    return err(parseError("invalid-element", `forwarded stanzas nest deeper than ${MAX_FORWARD_DEPTH}`, "forwarded"));
  }
  const m = childOf(el, "message");
  if (!m) return err(parseError("missing-element", "forwarded holds no message", "forwarded/message"));
  const message = parseMessage(m);
  if (!message.ok) return err({ ...message.error, path: `forwarded/${message.error.path ?? "message"}` });
  const d = childOf(el, "delay", NS.delay);
  if (d) {
    const delay = delayCodec.parse(d);
    if (!delay.ok) return err({ ...delay.error, path: "forwarded/delay" });
    return ok({ delay: delay.value, message: message.value });
  }
  return ok({ message: message.value });
}

export function buildForwarded(f: { delay?: Delay; message: MessageInput }): Element {
  const m = buildMessage(f.message);
  m.attrs.xmlns = NS.client;
  return element("forwarded", { xmlns: NS.forward }, f.delay ? delayCodec.build(f.delay) : undefined, m);
}
