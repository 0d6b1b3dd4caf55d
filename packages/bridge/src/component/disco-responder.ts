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
  type StanzaErrorInput,
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

/** A node's answer: the value, or a stanza error (e.g. `forbidden` for a requester who may not see it). */
export type DiscoNodeAnswer<T> = T | { readonly error: StanzaErrorInput };

/**
 * What answers disco for one node of the component. `requester` is the full
 * JID that asked (undefined when the server did not say), so a node can show
 * different things to different people. A node without `info` (or `items`)
 * answers that query with item-not-found.
 */
export interface DiscoNode {
  readonly info?: (requester: string | undefined) => DiscoNodeAnswer<DiscoInfo> | Promise<DiscoNodeAnswer<DiscoInfo>>;
  readonly items?: (
    requester: string | undefined,
  ) => DiscoNodeAnswer<readonly DiscoItem[]> | Promise<DiscoNodeAnswer<readonly DiscoItem[]>>;
}

/** Features every puppet has, whatever its network (the rest are the network's: `puppetFeatures`). */
export const BASE_PUPPET_FEATURES = [NS.discoInfo, NS.ping, NS.sid, NS.vcardTemp] as const;

export class DiscoResponder {
  readonly componentInfo: DiscoInfo;
  readonly puppetInfo: DiscoInfo;
  /** The caps element puppets put in their presence. */
  readonly puppetCaps: Caps;
  private readonly options: DiscoResponderOptions;
  private readonly nodes = new Map<string, DiscoNode>();

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

  /**
   * Lets `handler` answer disco#info and disco#items sent to the component
   * for `node` (replacing any earlier handler of that node). Nodes nobody
   * registered keep the component's own answers.
   */
  setNode(node: string, handler: DiscoNode): void {
    this.nodes.set(node, handler);
  }

  removeNode(node: string): void {
    this.nodes.delete(node);
  }

  /** Registers disco#info, disco#items and ping handlers on `router`. */
  install(router: IqRouter): void {
    router.handle("get", NS.discoInfo, "query", async (iq): Promise<IqAnswer> => {
      const target = this.target(iq.to);
      if (target === undefined) return { error: { condition: "item-not-found" } };
      const node = iq.payload.attrs.node;
      const custom = this.registered(target, node);
      if (custom !== undefined) {
        if (custom.handler.info === undefined) return { error: { condition: "item-not-found" } };
        const answer = await custom.handler.info(iq.from);
        return "error" in answer ? answer : { payload: buildDiscoInfo({ ...answer, node: custom.node }) };
      }
      const info = target === "component" ? this.componentInfo : this.puppetInfo;
      return { payload: buildDiscoInfo({ ...info, ...(node !== undefined && { node }) }) };
    });
    router.handle("get", NS.discoItems, "query", async (iq): Promise<IqAnswer> => {
      const target = this.target(iq.to);
      if (target === undefined) return { error: { condition: "item-not-found" } };
      const custom = this.registered(target, iq.payload.attrs.node);
      if (custom !== undefined) {
        if (custom.handler.items === undefined) return { error: { condition: "item-not-found" } };
        const answer = await custom.handler.items(iq.from);
        return "error" in answer ? answer : { payload: buildDiscoItems({ node: custom.node, items: answer }) };
      }
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

  /** The handler registered for `node`, when the query is for a node of the component. */
  private registered(
    target: "component" | "puppet",
    node: string | undefined,
  ): { readonly node: string; readonly handler: DiscoNode } | undefined {
    if (target !== "component" || node === undefined) return undefined;
    const handler = this.nodes.get(node);
    return handler === undefined ? undefined : { node, handler };
  }

  /**
   * Whom a query is for: the component, a puppet (a remote user may well be
   * called "component", hence the tag), or undefined when the address is neither.
   */
  private target(to: string | undefined): "component" | "puppet" | undefined {
    if (to === undefined) return undefined;
    const j = parseJid(to);
    if (!j.ok || j.value.domain !== this.options.domain.toLowerCase()) return undefined;
    if (j.value.local === undefined) return "component";
    const exists = this.options.puppetExists?.(j.value.local) ?? true;
    return exists ? "puppet" : undefined;
  }
}
