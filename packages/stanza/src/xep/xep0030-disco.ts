/**
 * XEP-0030 Service Discovery (v2.5): disco#info (identities, features, and
 * XEP-0128 extension forms) and disco#items.
 *
 * Parsing is lenient by default: the spec requires at least one identity in an
 * info result, but real servers and gateways omit it often enough that a bridge
 * must cope; pass `{ strict: true }` to enforce it.
 */
import { buildIq } from "../iq.ts";
import { NS } from "../ns.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childrenOf, type Element, element, localNameOf } from "../xml.ts";
import { buildDataForm, type DataForm, parseDataForm } from "./xep0004-data-forms.ts";

export interface DiscoIdentity {
  readonly category: string;
  readonly type: string;
  readonly name?: string;
  readonly lang?: string;
}

export interface DiscoInfo {
  readonly node?: string;
  readonly identities: readonly DiscoIdentity[];
  readonly features: readonly string[];
  /** XEP-0128 extended information (result forms). */
  readonly forms: readonly DataForm[];
}

export interface DiscoItem {
  readonly jid: string;
  readonly node?: string;
  readonly name?: string;
}

export interface DiscoItems {
  readonly node?: string;
  readonly items: readonly DiscoItem[];
}

function isQuery(el: Element, ns: string): boolean {
  return localNameOf(el) === "query" && el.getNS() === ns;
}

export function parseDiscoInfo(el: Element, options: { strict?: boolean } = {}): Result<DiscoInfo> {
  if (!isQuery(el, NS.discoInfo))
    return err(parseError("unexpected-element", `expected <query xmlns='${NS.discoInfo}'/>`));
  const identities: DiscoIdentity[] = [];
  for (const i of childrenOf(el, "identity", NS.discoInfo)) {
    const category = attrOf(i, "category");
    const type = attrOf(i, "type");
    if (!category || !type) {
      return err(parseError("missing-attribute", "an identity needs category and type", "query/identity"));
    }
    const name = attrOf(i, "name");
    const lang = attrOf(i, "xml:lang");
    identities.push({ category, type, ...(name !== undefined && { name }), ...(lang !== undefined && { lang }) });
  }
  const features: string[] = [];
  for (const f of childrenOf(el, "feature", NS.discoInfo)) {
    const v = attrOf(f, "var");
    if (!v) return err(parseError("missing-attribute", "a feature needs a var", "query/feature@var"));
    features.push(v);
  }
  const forms: DataForm[] = [];
  for (const x of childrenOf(el, "x", NS.dataForms)) {
    const r = parseDataForm(x);
    if (!r.ok) return err({ ...r.error, path: `query/${r.error.path ?? "x"}` });
    forms.push(r.value);
  }
  if (options.strict && identities.length === 0) {
    return err(parseError("missing-element", "a disco#info result must hold at least one identity", "query/identity"));
  }
  const node = attrOf(el, "node");
  return ok({ ...(node !== undefined && { node }), identities, features, forms });
}

export function buildDiscoInfo(info: Partial<DiscoInfo>): Element {
  const q = element("query", { xmlns: NS.discoInfo, node: info.node });
  for (const i of info.identities ?? []) {
    q.cnode(element("identity", { category: i.category, type: i.type, name: i.name, "xml:lang": i.lang }));
  }
  for (const f of info.features ?? []) q.cnode(element("feature", { var: f }));
  for (const x of info.forms ?? []) q.cnode(buildDataForm(x));
  return q;
}

export function parseDiscoItems(el: Element): Result<DiscoItems> {
  if (!isQuery(el, NS.discoItems))
    return err(parseError("unexpected-element", `expected <query xmlns='${NS.discoItems}'/>`));
  const items: DiscoItem[] = [];
  for (const i of childrenOf(el, "item", NS.discoItems)) {
    const jid = attrOf(i, "jid");
    if (!jid) return err(parseError("missing-attribute", "an item needs a jid", "query/item@jid"));
    const node = attrOf(i, "node");
    const name = attrOf(i, "name");
    items.push({ jid, ...(node !== undefined && { node }), ...(name !== undefined && { name }) });
  }
  const node = attrOf(el, "node");
  return ok({ ...(node !== undefined && { node }), items });
}

export function buildDiscoItems(items: Partial<DiscoItems>): Element {
  const q = element("query", { xmlns: NS.discoItems, node: items.node });
  for (const i of items.items ?? []) q.cnode(element("item", { jid: i.jid, node: i.node, name: i.name }));
  return q;
}

export function buildDiscoInfoRequest(o: { id: string; to: string; from?: string; node?: string }): Element {
  return buildIq({ type: "get", id: o.id, to: o.to, from: o.from, payload: buildDiscoInfo({ node: o.node }) });
}

export function buildDiscoItemsRequest(o: { id: string; to: string; from?: string; node?: string }): Element {
  return buildIq({ type: "get", id: o.id, to: o.to, from: o.from, payload: buildDiscoItems({ node: o.node }) });
}
