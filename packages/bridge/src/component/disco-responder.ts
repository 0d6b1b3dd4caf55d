/**
 * Service discovery (XEP-0030) for the component and for every puppet, with
 * the XEP-0115 verification string of each answer computed once, so puppet
 * presence can advertise caps that match what disco says. Also answers
 * XEP-0199 pings addressed to the component or a puppet.
 */
import {
  buildDiscoInfo,
  buildDiscoItems,
  type Caps,
  capsVerification,
  type DiscoInfo,
  type DiscoItem,
  NS,
  parseJid,
} from "@parley/stanza";
import type { IqAnswer, IqRouter } from "./iq-router.ts";

export interface DiscoResponderOptions {
  /** The component's domain. */
  readonly domain: string;
  /** What the component is, e.g. { category: "gateway", type: "discord", name: "Discord" }. */
  readonly gateway: { readonly type: string; readonly name: string };
  /** Features puppets support beyond the basics (reactions, replies, corrections...). */
  readonly puppetFeatures?: readonly string[];
  /** Items the component lists (e.g. bridged rooms); called for each disco#items request. */
  readonly items?: () => readonly DiscoItem[];
  /** Whether a puppet localpart exists; unknown puppets get item-not-found. */
  readonly puppetExists?: (local: string) => boolean;
  /** The node URI advertised in caps. */
  readonly capsNode?: string;
}

/** Features every puppet has: what the engine itself carries for any network. */
export const BASE_PUPPET_FEATURES = [
  NS.discoInfo,
  NS.ping,
  NS.chatStates,
  NS.receipts,
  NS.correction,
  NS.retract,
  NS.reactions,
  NS.reply,
  NS.oob,
  NS.sid,
  NS.vcardTemp,
] as const;

export class DiscoResponder {
  readonly componentInfo: DiscoInfo;
  readonly puppetInfo: DiscoInfo;
  /** The caps element puppets put in their presence. */
  readonly puppetCaps: Caps;
  private readonly options: DiscoResponderOptions;

  constructor(options: DiscoResponderOptions) {
    this.options = options;
    this.componentInfo = {
      identities: [{ category: "gateway", type: options.gateway.type, name: options.gateway.name }],
      features: [NS.discoInfo, NS.discoItems, NS.ping, NS.commands, NS.vcardTemp],
      forms: [],
    };
    this.puppetInfo = {
      identities: [{ category: "client", type: "pc", name: `${options.gateway.name} user` }],
      features: [...new Set([...BASE_PUPPET_FEATURES, ...(options.puppetFeatures ?? [])])],
      forms: [],
    };
    const ver = capsVerification(this.puppetInfo);
    if (!ver.ok) throw new TypeError(`puppet disco#info is not hashable: ${ver.error.message}`);
    this.puppetCaps = { hash: "sha-1", node: options.capsNode ?? "https://parley.chat", ver: ver.value };
  }

  /** Registers disco#info, disco#items and ping handlers on `router`. */
  install(router: IqRouter): void {
    router.handle("get", NS.discoInfo, "query", (iq) => {
      const target = this.target(iq.to);
      if (target === undefined) return { error: { condition: "item-not-found" } };
      const info = target === "component" ? this.componentInfo : this.puppetInfo;
      const node = iq.payload.attrs.node;
      return { payload: buildDiscoInfo({ ...info, ...(node !== undefined && { node }) }) };
    });
    router.handle("get", NS.discoItems, "query", (iq) => {
      const target = this.target(iq.to);
      if (target === undefined) return { error: { condition: "item-not-found" } };
      const items = target === "component" ? (this.options.items?.() ?? []) : [];
      return { payload: buildDiscoItems({ items }) };
    });
    router.handle(
      "get",
      NS.ping,
      "ping",
      (iq): IqAnswer => (this.target(iq.to) === undefined ? { error: { condition: "item-not-found" } } : {}),
    );
  }

  /** "component", a puppet's localpart, or undefined when the address is neither. */
  private target(to: string | undefined): string | undefined {
    if (to === undefined) return undefined;
    const j = parseJid(to);
    if (!j.ok || j.value.domain !== this.options.domain.toLowerCase()) return undefined;
    if (j.value.local === undefined) return "component";
    const exists = this.options.puppetExists?.(j.value.local) ?? true;
    return exists ? j.value.local : undefined;
  }
}
