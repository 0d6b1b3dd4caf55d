/**
 * Drafts protocol cases from a XEP: every `<example/>` whose text is one
 * well-formed message, presence or iq becomes `test/protocol-cases/xep-NNNN/`
 * `<example number>-<caption>.xml` and a `.json` holding what the parsers make
 * of it today. Not run by the tests, which read only the committed pairs.
 *
 *   node scripts/extract-xep-cases.ts path/to/xep-0444.xml          every stanza example
 *   node scripts/extract-xep-cases.ts path/to/xep-0444.xml 6 7      examples 6 and 7 only
 *
 * The XEP sources are the XSF's repository (github.com/xsf/xeps). A drafted
 * `.json` is a claim about the protocol: read it against the XML and the XEP
 * before committing, and fix the parser rather than the expectation where they
 * disagree. A refused stanza or payload gets `"refused": "TODO ..."`, which the
 * tests reject until it says why the example must be refused. Existing files
 * are left alone unless `--overwrite` is given. Then add the XEP's version to
 * `test/protocol-cases/README.md` and run `npx biome format --write` on the folder.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseXml } from "../src/index.ts";
import { type CaseExpectation, PROTOCOL_CASES_DIR, readCase } from "../test/protocol-cases.ts";

export interface XepExample {
  /** 1-based, counting every `<example/>` of the XEP, as the XEP numbers them. */
  readonly number: number;
  readonly caption: string;
  readonly xml: string;
}

/** The XEP's number and current version, from its header. */
export function xepHeader(text: string): { number: string; version: string } {
  const number = /<number>\s*(\d{4})\s*<\/number>/.exec(text)?.[1];
  // Revisions are listed newest first.
  const version = /<revision>\s*<version>\s*([^<\s]+)\s*<\/version>/.exec(text)?.[1];
  if (number === undefined || version === undefined) {
    throw new Error("no <number/> or <revision><version/> in the header: is this a XEP's XML source?");
  }
  return { number, version };
}

/** Every `<example/>` with a CDATA body, in document order. */
export function xepExamples(text: string): XepExample[] {
  const pattern = /<example(?:\s+caption=(["'])([\s\S]*?)\1)?[^>]*>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/example>/g;
  return [...text.matchAll(pattern)].map((match, index) => ({
    number: index + 1,
    caption: decodeEntities(match[2] ?? ""),
    xml: (match[3] ?? "").trim(),
  }));
}

/** The file name of a case: the example's number, then its caption in lower-case words. */
export function caseName(example: XepExample): string {
  const words = example.caption
    .toLowerCase()
    .replace(/['’]/g, "")
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
  let slug = "";
  for (const word of words) {
    if (slug.length + word.length + 1 > 64) break;
    slug = slug === "" ? word : `${slug}-${word}`;
  }
  return `${String(example.number).padStart(3, "0")}-${slug || "untitled"}`;
}

/** Whether the example is one stanza: the XEPs also show fragments, several stanzas, and `...` placeholders. */
export function isStanza(xml: string): boolean {
  const document = parseXml(xml);
  return document.ok && ["message", "presence", "iq"].includes(document.value.name);
}

function decodeEntities(text: string): string {
  return text
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function draft(xepNumber: string, version: string, example: XepExample): CaseExpectation {
  const read = readCase(example.xml);
  const stanza = read.stanza as { ok: boolean; value?: { invalid?: unknown[] } };
  const payload = read.payload as { ok: boolean } | undefined;
  const refused = !stanza.ok || (stanza.value?.invalid?.length ?? 0) > 0 || payload?.ok === false;
  return {
    source: `XEP-${xepNumber} v${version}, example ${example.number}`,
    caption: example.caption,
    ...(refused && { refused: "TODO say why the XEP's example must be refused, or fix the parser" }),
    ...read,
  };
}

function main(args: string[]): void {
  const overwrite = args.includes("--overwrite");
  const [path, ...rest] = args.filter((arg) => arg !== "--overwrite");
  if (path === undefined) {
    console.error("usage: node scripts/extract-xep-cases.ts <xep-NNNN.xml> [example number ...] [--overwrite]");
    process.exit(2);
  }
  const wanted = new Set(rest.map(Number));
  const text = readFileSync(path, "utf8");
  const { number, version } = xepHeader(text);
  const dir = join(PROTOCOL_CASES_DIR, `xep-${number}`);
  mkdirSync(dir, { recursive: true });
  for (const example of xepExamples(text)) {
    if (wanted.size > 0 && !wanted.has(example.number)) continue;
    if (!isStanza(example.xml)) {
      console.log(`  example ${example.number} is not one stanza, skipped: ${example.caption}`);
      continue;
    }
    const name = caseName(example);
    const xmlPath = join(dir, `${name}.xml`);
    const jsonPath = join(dir, `${name}.json`);
    if (!overwrite && (existsSync(xmlPath) || existsSync(jsonPath))) {
      console.log(`  ${name} exists, left alone`);
      continue;
    }
    const expectation = draft(number, version, example);
    writeFileSync(xmlPath, `${example.xml}\n`);
    writeFileSync(jsonPath, `${JSON.stringify(expectation, null, 2)}\n`);
    console.log(`${expectation.refused ? "R" : "+"} ${name}`);
  }
  console.log(`XEP-${number} v${version} (${basename(path)}): review every drafted .json against its .xml.`);
}

if (import.meta.main) main(process.argv.slice(2));
