/**
 * Parse + serialize throughput on a realistic mix of bridge stanzas, for
 * @parley/stanza, StanzaJS (npm `stanza`, its JXT registry with all its
 * protocol definitions) and bare @xmpp/xml (parse to an untyped tree and
 * write it back, the floor any typed library pays). One op = parse one stanza
 * from its string and serialize it back to a string. All three run the same
 * inputs in interleaved rounds in this one process; the figures are medians.
 *
 *   npm run bench        (in packages/stanza)
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import xmppParse from "@xmpp/xml/lib/parse.js";
import { buildIq, buildMessage, buildPresence, parseStanzaXml, type Stanza } from "../src/index.ts";
import { CORPUS } from "./corpus.ts";

interface StanzaJsRegistry {
  define(defs: unknown): void;
  import(xml: unknown): Record<string, unknown> | undefined;
  export(path: string, data: Record<string, unknown>): { toString(): string } | undefined;
}
const require = createRequire(import.meta.url);
const JXT = require("stanza/jxt") as { Registry: new () => StanzaJsRegistry; parse(s: string): { name: string } };
const registry = new JXT.Registry();
registry.define((require("stanza/protocol") as { default: unknown }).default);

const inputs = Object.values(CORPUS);

function parley(s: string): string {
  const r = parseStanzaXml(s);
  if (!r.ok) throw new Error(r.error.message);
  return serialize(r.value);
}

function serialize(st: Stanza): string {
  if (st.kind === "message") return buildMessage(st).toString();
  if (st.kind === "presence") return buildPresence(st).toString();
  return buildIq({ type: st.type, id: st.id, from: st.from, to: st.to, payload: st.payload }).toString();
}

function stanzaJs(s: string): string {
  const xml = JXT.parse(s);
  const json = registry.import(xml);
  if (!json) throw new Error("StanzaJS did not import the stanza");
  const out = registry.export(xml.name, json);
  if (!out) throw new Error("StanzaJS did not export the stanza");
  return out.toString();
}

function bareXml(s: string): string {
  const el = xmppParse(s);
  if (!el) throw new Error("no element");
  return el.toString();
}

const contenders = { parley, stanzaJs, xml: bareXml } as const;
type Name = keyof typeof contenders;

/** What each contender understood of the corpus, printed so the comparison is honest. */
function sanity(): void {
  const ours = parseStanzaXml(CORPUS.groupchatReply as string);
  if (!ours.ok || ours.value.kind !== "message" || !ours.value.reply || !ours.value.fallbacks) {
    throw new Error("@parley/stanza did not type the reply");
  }
  const theirs = registry.import(JXT.parse(CORPUS.groupchatReply as string)) ?? {};
  const reactions = registry.import(JXT.parse(CORPUS.reaction as string)) ?? {};
  const seen = [
    "reply" in theirs && "reply",
    "reactions" in reactions && "reactions",
    "stanzaIds" in theirs && "stanzaIds",
  ].filter(Boolean);
  console.log(`StanzaJS types of reply/reactions/stanzaIds: ${seen.join(", ") || "none"} (Parley types all three)`);
}

function round(fn: (s: string) => string, ops: number): number {
  const start = process.hrtime.bigint();
  let n = 0;
  let sink = 0;
  while (n < ops) {
    for (const s of inputs) {
      sink += fn(s).length;
      n++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink === 0) throw new Error("nothing serialized");
  return n / seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

sanity();
const OPS = Number(process.env.BENCH_OPS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const names = Object.keys(contenders) as Name[];
for (const n of names) round(contenders[n], OPS / 4); // warm-up
const samples: Record<Name, number[]> = { parley: [], stanzaJs: [], xml: [] };
for (let r = 0; r < ROUNDS; r++) {
  // Rotate the order each round so no contender always runs first (or last) on a noisy machine.
  for (let i = 0; i < names.length; i++) {
    const n = names[(i + r) % names.length] as Name;
    samples[n].push(round(contenders[n], OPS));
  }
}
const opsPerSec = Object.fromEntries(names.map((n) => [n, median(samples[n])])) as Record<Name, number>;
const ratios = { vsStanzaJS: opsPerSec.parley / opsPerSec.stanzaJs, vsXml: opsPerSec.parley / opsPerSec.xml };

console.log(`\n${inputs.length} stanza kinds, ${ROUNDS} rounds of ${OPS} ops, median ops/s\n`);
console.log("| contender | ops/s | Parley's ratio to it |");
console.log("|---|---:|---:|");
console.log(`| @parley/stanza | ${opsPerSec.parley.toFixed(0)} | 1.00 |`);
console.log(`| StanzaJS 12 | ${opsPerSec.stanzaJs.toFixed(0)} | ${ratios.vsStanzaJS.toFixed(2)} (target >= 2) |`);
console.log(`| bare @xmpp/xml | ${opsPerSec.xml.toFixed(0)} | ${ratios.vsXml.toFixed(2)} (target >= 0.67) |`);

const results = {
  figures: {
    parleyOpsPerSec: Math.round(opsPerSec.parley),
    stanzaJsOpsPerSec: Math.round(opsPerSec.stanzaJs),
    xmlOpsPerSec: Math.round(opsPerSec.xml),
    stanzaKinds: inputs.length,
    rounds: ROUNDS,
    opsPerRound: OPS,
    node: process.version,
  },
  ratios: { vsStanzaJS: Number(ratios.vsStanzaJS.toFixed(3)), vsXml: Number(ratios.vsXml.toFixed(3)) },
};
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), "results.json"), `${JSON.stringify(results, null, 2)}\n`);
