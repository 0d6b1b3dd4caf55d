/**
 * RFC 6120 §8.2.3 `<iq/>`: a request (get/set) carries exactly one payload
 * element; a result carries zero or one; an error carries the error and may
 * echo the request payload. Per-XEP parsers read `payload`.
 */
import { err, ok, parseError, type Result } from "./result.ts";
import { buildStanzaError, parseStanzaError, type StanzaError, type StanzaErrorInput } from "./stanza-error.ts";
import { attrOf, type Element, element, isCoreChild, localNameOf } from "./xml.ts";

export const IQ_TYPES = ["get", "set", "result", "error"] as const;
export type IqType = (typeof IQ_TYPES)[number];

export interface Iq {
  readonly type: IqType;
  readonly id: string;
  readonly from?: string;
  readonly to?: string;
  readonly lang?: string;
  /** The payload element (the query, command, pubsub, vCard...), if any. */
  readonly payload?: Element;
  readonly error?: StanzaError;
}

const TYPES = new Set<string>(IQ_TYPES);

export function parseIq(el: Element): Result<Iq> {
  if (localNameOf(el) !== "iq") return err(parseError("unexpected-element", `expected <iq/>, got <${el.name}/>`));
  const type = attrOf(el, "type");
  if (type === undefined || !TYPES.has(type)) {
    return err(parseError("invalid-attribute", `iq type must be one of ${IQ_TYPES.join(", ")}`, "iq@type"));
  }
  const id = attrOf(el, "id");
  if (id === undefined || id === "") return err(parseError("missing-attribute", "iq has no id", "iq@id"));
  let payload: Element | undefined;
  let error: StanzaError | undefined;
  let payloads = 0;
  for (const child of el.children) {
    if (typeof child === "string") continue;
    if (child.name === "error" && isCoreChild(child)) {
      const r = parseStanzaError(child);
      if (!r.ok) return err({ ...r.error, path: `iq/${r.error.path ?? "error"}` });
      error = r.value;
      continue;
    }
    payloads++;
    payload ??= child;
  }
  if ((type === "get" || type === "set") && payloads !== 1) {
    return err(
      parseError(
        "invalid-element",
        `an iq of type ${type} must carry exactly one payload, this one has ${payloads}`,
        "iq",
      ),
    );
  }
  if (type === "result" && payloads > 1) {
    return err(
      parseError("invalid-element", `an iq result carries at most one payload, this one has ${payloads}`, "iq"),
    );
  }
  if (type === "error" && error === undefined) {
    return err(parseError("missing-element", "an iq of type error has no <error/>", "iq/error"));
  }
  const a = el.attrs;
  const out: Iq = {
    type: type as IqType,
    id,
    ...(a.from !== undefined && { from: a.from }),
    ...(a.to !== undefined && { to: a.to }),
    ...(a["xml:lang"] !== undefined && { lang: a["xml:lang"] }),
    ...(payload !== undefined && { payload }),
    ...(error !== undefined && { error }),
  };
  return ok(out);
}

export interface IqInput {
  readonly type: IqType;
  readonly id: string;
  readonly from?: string;
  readonly to?: string;
  /** xml:lang of the stanza. */
  readonly lang?: string;
  readonly payload?: Element;
  readonly error?: StanzaErrorInput;
}

export function buildIq(iq: IqInput): Element {
  if ((iq.type === "get" || iq.type === "set") && iq.payload === undefined) {
    throw new TypeError(`an iq of type ${iq.type} needs a payload`);
  }
  if (iq.type === "error" && iq.error === undefined) throw new TypeError("an iq of type error needs an error");
  return element(
    "iq",
    { type: iq.type, id: iq.id, from: iq.from, to: iq.to, "xml:lang": iq.lang },
    iq.payload,
    iq.error ? buildStanzaError(iq.error) : undefined,
  );
}

/** The result for a request: addresses swapped, same id. */
export function buildIqResult(request: Pick<Iq, "id" | "from" | "to">, payload?: Element): Element {
  return buildIq({ type: "result", id: request.id, from: request.to, to: request.from, payload });
}

/** The error for a request: addresses swapped, same id. */
export function buildIqError(request: Pick<Iq, "id" | "from" | "to">, error: StanzaErrorInput): Element {
  return buildIq({ type: "error", id: request.id, from: request.to, to: request.from, error });
}
