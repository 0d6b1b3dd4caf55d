/** XEP-0203 Delayed Delivery (v2.0): `<delay xmlns="urn:xmpp:delay" from stamp>reason</delay>`. */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError } from "../result.ts";
import { attrOf, element, textOf } from "../xml.ts";
import { formatDateTime, parseDateTime } from "./xep0082-datetime.ts";

export interface Delay {
  readonly stamp: Date;
  /** Who delayed the stanza (a server, a room). */
  readonly from?: string;
  readonly reason?: string;
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0203: when the message was originally sent. */
    readonly delay?: Delay;
  }
}
declare module "../presence.ts" {
  interface PresencePayloads {
    /** XEP-0203: when the presence was originally sent. */
    readonly delay?: Delay;
  }
}

export const delayCodec: PayloadCodec<Delay> = {
  names: ["delay"],
  ns: NS.delay,
  parse(el) {
    const raw = attrOf(el, "stamp");
    if (!raw) return err(parseError("missing-attribute", "delay needs a stamp", "delay@stamp"));
    const stamp = parseDateTime(raw, "delay@stamp");
    if (!stamp.ok) return stamp;
    const from = attrOf(el, "from");
    const reason = textOf(el);
    return ok({ stamp: stamp.value, ...(from !== undefined && { from }), ...(reason !== undefined && { reason }) });
  },
  build: (v) => element("delay", { xmlns: NS.delay, from: v.from, stamp: formatDateTime(v.stamp) }, v.reason),
};
