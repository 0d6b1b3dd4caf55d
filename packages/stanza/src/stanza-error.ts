/**
 * RFC 6120 §8.3 stanza errors: `<error type=...><condition xmlns=stanzas/><text/></error>`.
 */
import { NS } from "./ns.ts";
import { err, ok, parseError, type Result } from "./result.ts";
import { attrOf, type Element, element, localNameOf, nsOf, textOf } from "./xml.ts";

export const STANZA_ERROR_TYPES = ["auth", "cancel", "continue", "modify", "wait"] as const;
export type StanzaErrorType = (typeof STANZA_ERROR_TYPES)[number];

export const STANZA_ERROR_CONDITIONS = [
  "bad-request",
  "conflict",
  "feature-not-implemented",
  "forbidden",
  "gone",
  "internal-server-error",
  "item-not-found",
  "jid-malformed",
  "not-acceptable",
  "not-allowed",
  "not-authorized",
  "policy-violation",
  "recipient-unavailable",
  "redirect",
  "registration-required",
  "remote-server-not-found",
  "remote-server-timeout",
  "resource-constraint",
  "service-unavailable",
  "subscription-required",
  "undefined-condition",
  "unexpected-request",
] as const;
export type StanzaErrorCondition = (typeof STANZA_ERROR_CONDITIONS)[number];

/** The type RFC 6120 §8.3.3 suggests for each condition, used when the builder is not told one. */
const DEFAULT_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  "bad-request": "modify",
  conflict: "cancel",
  "feature-not-implemented": "cancel",
  forbidden: "auth",
  gone: "cancel",
  "internal-server-error": "cancel",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  redirect: "modify",
  "registration-required": "auth",
  "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "subscription-required": "auth",
  "undefined-condition": "cancel",
  "unexpected-request": "modify",
};

export interface StanzaError {
  readonly type: StanzaErrorType;
  readonly condition: StanzaErrorCondition;
  /** Human-readable description, when the sender gave one. */
  readonly text?: string;
  /** The entity that generated the error (`by` attribute). */
  readonly by?: string;
  /** For `gone` and `redirect`: the new address. */
  readonly redirect?: string;
  /** An application-specific condition element, kept as is. */
  readonly application?: Element;
}

const TYPES = new Set<string>(STANZA_ERROR_TYPES);
const CONDITIONS = new Set<string>(STANZA_ERROR_CONDITIONS);

export function parseStanzaError(el: Element): Result<StanzaError> {
  const type = attrOf(el, "type");
  if (type === undefined || !TYPES.has(type)) {
    return err(
      parseError("invalid-attribute", `error type must be one of ${STANZA_ERROR_TYPES.join(", ")}`, "error@type"),
    );
  }
  let condition: StanzaErrorCondition | undefined;
  let text: string | undefined;
  let redirect: string | undefined;
  let application: Element | undefined;
  for (const c of el.children) {
    if (typeof c === "string") continue;
    const ns = nsOf(c);
    const name = localNameOf(c);
    if (ns === NS.stanzas) {
      if (name === "text") text = textOf(c) ?? "";
      else if (CONDITIONS.has(name) && condition === undefined) {
        condition = name as StanzaErrorCondition;
        if (name === "gone" || name === "redirect") redirect = textOf(c);
      }
    } else if (application === undefined && ns !== NS.client && ns !== NS.component) {
      application = c;
    }
  }
  // RFC 6120 requires a defined condition; a peer that omits one still told us
  // something went wrong, so we keep the error as undefined-condition.
  const value: StanzaError = {
    type: type as StanzaErrorType,
    condition: condition ?? "undefined-condition",
    ...(text !== undefined && { text }),
    ...(attrOf(el, "by") !== undefined && { by: attrOf(el, "by") }),
    ...(redirect !== undefined && { redirect }),
    ...(application !== undefined && { application }),
  };
  return ok(value);
}

export interface StanzaErrorInput {
  readonly condition: StanzaErrorCondition;
  readonly type?: StanzaErrorType;
  readonly text?: string;
  readonly by?: string;
  readonly redirect?: string;
  readonly application?: Element;
}

export function buildStanzaError(e: StanzaErrorInput): Element {
  return element(
    "error",
    { type: e.type ?? DEFAULT_TYPE[e.condition], by: e.by },
    element(e.condition, { xmlns: NS.stanzas }, e.redirect),
    e.text !== undefined ? element("text", { xmlns: NS.stanzas }, e.text) : undefined,
    e.application,
  );
}
