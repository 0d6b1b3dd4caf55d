/**
 * RFC 6121 `<presence/>`: type, show, status, priority in the core namespace,
 * then every payload a registered field reads (MUC, avatars, caps, nick...).
 */
import { type Extensible, readErrorChild, readExtensible, writePayloads } from "./extensible.ts";
import { presenceFields } from "./fields/index.ts";
import { type FieldTable, fieldTable } from "./payload.ts";
import { err, ok, type ParseError, parseError, type Result } from "./result.ts";
import { buildStanzaError, type StanzaError } from "./stanza-error.ts";
import { attrOf, type Element, element, localNameOf, textOf } from "./xml.ts";

/** `available` stands for the absent type attribute. */
export const PRESENCE_TYPES = [
  "available",
  "unavailable",
  "subscribe",
  "subscribed",
  "unsubscribe",
  "unsubscribed",
  "probe",
  "error",
] as const;
export type PresenceType = (typeof PRESENCE_TYPES)[number];

export const PRESENCE_SHOWS = ["away", "chat", "dnd", "xa"] as const;
export type PresenceShow = (typeof PRESENCE_SHOWS)[number];

// biome-ignore lint/suspicious/noEmptyInterface: extended by declaration merging in xep/*.ts
export interface PresencePayloads {}

export interface PresenceCore {
  readonly type: PresenceType;
  readonly id?: string;
  readonly from?: string;
  readonly to?: string;
  readonly lang?: string;
  readonly show?: PresenceShow;
  readonly status?: string;
  /** -128..127; absent means 0. */
  readonly priority?: number;
  readonly error?: StanzaError;
}

export type Presence = PresenceCore & PresencePayloads & Extensible;

export type PresenceInput = Omit<PresenceCore, "type"> & {
  readonly type?: PresenceType;
  readonly extra?: readonly Element[];
} & PresencePayloads;

const TYPES = new Set<string>(PRESENCE_TYPES);
const SHOWS = new Set<string>(PRESENCE_SHOWS);
// Built on first use: XEP modules import this module's builders, so the field
// registry is not yet initialized while this module itself is being evaluated.
let table: FieldTable<Presence> | undefined;
function fields(): FieldTable<Presence> {
  table ??= fieldTable(presenceFields());
  return table;
}

export function parsePresence(el: Element): Result<Presence> {
  return readPresence(el, {});
}

/** Reads into `out` (which may carry fields of its own, such as a `kind` tag); internal to the package. */
export function readPresence(el: Element, out: Record<string, unknown>): Result<Presence> {
  if (localNameOf(el) !== "presence") {
    return err(parseError("unexpected-element", `expected <presence/>, got <${el.name}/>`));
  }
  const rawType = attrOf(el, "type");
  if (rawType !== undefined && (rawType === "available" || !TYPES.has(rawType))) {
    return err(
      parseError("invalid-attribute", `presence type "${rawType}" is not one RFC 6121 allows`, "presence@type"),
    );
  }
  out.type = rawType ?? "available";
  readExtensible(el, out, fields(), readCoreChild, "presence");
  return ok(out as unknown as Presence);
}

function readCoreChild(child: Element, out: Record<string, unknown>, invalid: ParseError[]): boolean {
  switch (child.name) {
    case "show": {
      const v = textOf(child)?.trim();
      if (v === undefined || !SHOWS.has(v)) {
        invalid.push(
          parseError("invalid-text", `show "${v ?? ""}" is not one of ${PRESENCE_SHOWS.join(", ")}`, "presence/show"),
        );
        return false;
      }
      if (out.show === undefined) out.show = v;
      return true;
    }
    case "status": {
      const lang = child.attrs["xml:lang"];
      if (lang !== undefined && lang !== out.lang) return false;
      if (out.status === undefined) out.status = textOf(child) ?? "";
      return true;
    }
    case "priority": {
      const t = textOf(child)?.trim() ?? "";
      const n = /^[+-]?\d{1,3}$/.test(t) ? Number(t) : Number.NaN;
      if (!(n >= -128 && n <= 127)) {
        invalid.push(
          parseError("invalid-text", `priority "${t}" is not an integer from -128 to 127`, "presence/priority"),
        );
        return false;
      }
      out.priority = n;
      return true;
    }
    case "error":
      return readErrorChild(child, out, invalid, "presence");
    default:
      return false;
  }
}

export function buildPresence(p: PresenceInput = {}): Element {
  const type = p.type === undefined || p.type === "available" ? undefined : p.type;
  const el = element("presence", { type, id: p.id, from: p.from, to: p.to, "xml:lang": p.lang });
  if (p.show !== undefined) el.cnode(element("show", {}, p.show));
  if (p.status !== undefined) el.cnode(element("status", {}, p.status));
  if (p.priority !== undefined) {
    if (!Number.isInteger(p.priority) || p.priority < -128 || p.priority > 127) {
      throw new TypeError(`presence priority must be an integer from -128 to 127, got ${p.priority}`);
    }
    el.cnode(element("priority", {}, String(p.priority)));
  }
  writePayloads(el, presenceFields(), p);
  if (p.extra) for (const x of p.extra) el.cnode(x);
  if (p.error) el.cnode(buildStanzaError(p.error));
  return el;
}
