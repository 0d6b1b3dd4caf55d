/**
 * HTML character references, both ways. Matrix clients only ever send the
 * common named references and numeric ones, so the table is short; an
 * unknown or malformed reference stays as the text it was written as, since
 * guessing would change what the sender typed.
 */

/** Named references clients actually send (Element, mautrix, matrix-react-sdk sanitizer output). */
const NAMED: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  ensp: "\u2002",
  emsp: "\u2003",
  thinsp: "\u2009",
  zwnj: "\u200c",
  zwj: "\u200d",
  shy: "\u00ad",
  copy: "\u00a9",
  reg: "\u00ae",
  trade: "\u2122",
  hellip: "\u2026",
  mdash: "\u2014",
  ndash: "\u2013",
  lsquo: "\u2018",
  rsquo: "\u2019",
  sbquo: "\u201a",
  ldquo: "\u201c",
  rdquo: "\u201d",
  bdquo: "\u201e",
  laquo: "\u00ab",
  raquo: "\u00bb",
  lsaquo: "\u2039",
  rsaquo: "\u203a",
  bull: "\u2022",
  middot: "\u00b7",
  deg: "\u00b0",
  plusmn: "\u00b1",
  times: "\u00d7",
  divide: "\u00f7",
  minus: "\u2212",
  micro: "\u00b5",
  para: "\u00b6",
  sect: "\u00a7",
  euro: "\u20ac",
  pound: "\u00a3",
  yen: "\u00a5",
  cent: "\u00a2",
  curren: "\u00a4",
  iexcl: "\u00a1",
  iquest: "\u00bf",
  larr: "\u2190",
  uarr: "\u2191",
  rarr: "\u2192",
  darr: "\u2193",
  harr: "\u2194",
  lArr: "\u21d0",
  rArr: "\u21d2",
  hArr: "\u21d4",
  le: "\u2264",
  ge: "\u2265",
  ne: "\u2260",
  asymp: "\u2248",
  infin: "\u221e",
  hearts: "\u2665",
  spades: "\u2660",
  clubs: "\u2663",
  diams: "\u2666",
  star: "\u2606",
  check: "\u2713",
  frac12: "\u00bd",
  frac14: "\u00bc",
  frac34: "\u00be",
  sup1: "\u00b9",
  sup2: "\u00b2",
  sup3: "\u00b3",
  grave: "`",
  lowbar: "_",
  ast: "*",
  num: "#",
  excl: "!",
  colon: ":",
  semi: ";",
  comma: ",",
  period: ".",
  sol: "/",
  bsol: "\\",
  verbar: "|",
  vert: "|",
  tilde: "~",
  lsqb: "[",
  rsqb: "]",
  lbrack: "[",
  rbrack: "]",
  lpar: "(",
  rpar: ")",
  lcub: "{",
  rcub: "}",
  equals: "=",
  quest: "?",
  commat: "@",
  dollar: "$",
  percnt: "%",
  plus: "+",
  Tab: "\t",
  NewLine: "\n",
};

/** The longest name in NAMED, so a run of letters after `&` is never scanned further than this. */
const MAX_NAME = 8;

/**
 * Code points a numeric reference may not produce (NUL, surrogates, beyond
 * Unicode) read as U+FFFD, as browsers do.
 */
function codePointText(n: number): string {
  if (!Number.isFinite(n) || n === 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return "\ufffd";
  return String.fromCodePoint(n);
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * The reference starting at `i` (which holds `&`): its text and where it
 * ends, or undefined when there is none (the `&` is then literal). Numeric
 * references need no `;` (browsers accept them without); named ones do.
 * Digits are consumed however many there are, so the scan stays linear.
 */
function referenceAt(s: string, i: number): { text: string; end: number } | undefined {
  let j = i + 1;
  if (s.charCodeAt(j) === 0x23 /* # */) {
    j++;
    const hex = s.charCodeAt(j) === 0x78 || s.charCodeAt(j) === 0x58; // x, X
    if (hex) j++;
    const from = j;
    let value = 0;
    while (j < s.length && (hex ? isHex(s.charCodeAt(j)) : s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39)) {
      // Saturate instead of overflowing: anything past Unicode reads as U+FFFD anyway.
      if (value <= 0x10ffff) value = value * (hex ? 16 : 10) + Number.parseInt(s[j] as string, 16);
      j++;
    }
    if (j === from) return undefined;
    if (s.charCodeAt(j) === 0x3b /* ; */) j++;
    return { text: codePointText(value), end: j };
  }
  const from = j;
  while (j < s.length && j - from <= MAX_NAME && isAlnum(s.charCodeAt(j))) j++;
  if (j === from || s.charCodeAt(j) !== 0x3b) return undefined;
  const text = NAMED[s.slice(from, j)];
  return text === undefined ? undefined : { text, end: j + 1 };
}

/** Text with its character references replaced by what they stand for. */
export function decodeEntities(s: string): string {
  let i = s.indexOf("&");
  if (i < 0) return s;
  let out = "";
  let from = 0;
  while (i >= 0) {
    const ref = referenceAt(s, i);
    if (ref === undefined) {
      i = s.indexOf("&", i + 1);
      continue;
    }
    out += s.slice(from, i) + ref.text;
    from = ref.end;
    i = s.indexOf("&", from);
  }
  return out + s.slice(from);
}

/** Text content: `&`, `<` and `>` escaped, so no reader can take any of it for markup. */
export function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/** A double-quoted attribute value. */
export function escapeAttribute(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));
}
