/**
 * XEP-0428 Fallback Indication (v0.2): `<fallback for=ns><body start end/></fallback>`
 * marks the parts of a body (or subject) that only exist for clients without the
 * feature named by `for`. Offsets count Unicode code points (XEP-0426), not UTF-16 units.
 */
import { NS } from "../ns.ts";
import type { PayloadCodec } from "../payload.ts";
import { err, ok, parseError } from "../result.ts";
import { attrOf, element, elementsOf, localNameOf, uintAttr } from "../xml.ts";

/** A code-point range; both ends absent means the whole element. */
export interface FallbackRange {
  readonly start?: number;
  readonly end?: number;
}

export interface Fallback {
  /** The namespace of the feature this is a fallback for. */
  readonly for?: string;
  readonly body: readonly FallbackRange[];
  readonly subject: readonly FallbackRange[];
}

declare module "../message.ts" {
  interface MessagePayloads {
    /** XEP-0428 fallback indications. */
    readonly fallbacks?: readonly Fallback[];
  }
}

export const fallbackCodec: PayloadCodec<Fallback> = {
  names: ["fallback"],
  ns: NS.fallback,
  parse(el) {
    const body: FallbackRange[] = [];
    const subject: FallbackRange[] = [];
    for (const c of elementsOf(el)) {
      const name = localNameOf(c);
      if (name !== "body" && name !== "subject") continue;
      const start = uintAttr(c, "start", `fallback/${name}`);
      if (!start.ok) return start;
      const end = uintAttr(c, "end", `fallback/${name}`);
      if (!end.ok) return end;
      if ((start.value === undefined) !== (end.value === undefined)) {
        return err(
          parseError("missing-attribute", "a fallback range needs both start and end, or neither", `fallback/${name}`),
        );
      }
      if (start.value !== undefined && end.value !== undefined && start.value > end.value) {
        return err(
          parseError(
            "invalid-attribute",
            `fallback range start ${start.value} is after end ${end.value}`,
            `fallback/${name}`,
          ),
        );
      }
      const range = start.value === undefined ? {} : { start: start.value, end: end.value };
      (name === "body" ? body : subject).push(range);
    }
    const forNs = attrOf(el, "for");
    return ok(forNs === undefined ? { body, subject } : { for: forNs, body, subject });
  },
  build(v) {
    const el = element("fallback", { xmlns: NS.fallback, for: v.for });
    for (const r of v.subject) el.cnode(element("subject", { start: r.start, end: r.end }));
    for (const r of v.body) el.cnode(element("body", { start: r.start, end: r.end }));
    return el;
  },
};

/**
 * The body with the fallback parts for feature `forNs` removed. A fallback
 * without children covers the whole body. Ranges past the end are clipped.
 */
export function stripFallback(body: string, fallbacks: readonly Fallback[] | undefined, forNs: string): string {
  const ranges: Array<[number, number]> = [];
  const cps = Array.from(body);
  for (const f of fallbacks ?? []) {
    if (f.for !== forNs) continue;
    if (f.body.length === 0 && f.subject.length === 0) return "";
    for (const r of f.body) {
      if (r.start === undefined || r.end === undefined) return "";
      ranges.push([Math.min(r.start, cps.length), Math.min(r.end, cps.length)]);
    }
  }
  if (ranges.length === 0) return body;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  for (const [s, e] of ranges) {
    if (s > at) out += cps.slice(at, s).join("");
    at = Math.max(at, e);
  }
  return out + cps.slice(at).join("");
}

/** Number of Unicode code points in `s` (the unit of XEP-0426 offsets). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
