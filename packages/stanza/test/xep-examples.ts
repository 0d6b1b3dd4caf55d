/** Reads the <example/> blocks of the XEPs in ../shared/specs/xmpp, the golden vectors of these tests. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SPECS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../../shared/specs/xmpp");

export interface XepExample {
  readonly xep: string;
  readonly caption: string;
  readonly xml: string;
}

export function xepExamples(xep: string): XepExample[] {
  const text = readFileSync(join(SPECS_DIR, `xep-${xep}.xml`), "utf8");
  const out: XepExample[] = [];
  const re = /<example(?:\s+caption=(["'])([\s\S]*?)\1)?[^>]*>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/example>/g;
  for (const m of text.matchAll(re)) {
    out.push({ xep, caption: decode(m[2] ?? ""), xml: (m[3] ?? "").trim() });
  }
  return out;
}

/** The example whose caption contains `needle`; throws when there is none, so a renamed example fails loudly. */
export function example(xep: string, needle: string, index = 0): string {
  const found = xepExamples(xep).filter((e) => e.caption.includes(needle));
  const e = found[index];
  if (!e) throw new Error(`XEP-${xep} has no example captioned like "${needle}"`);
  return e.xml;
}

function decode(s: string): string {
  return s
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
