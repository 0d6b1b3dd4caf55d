/**
 * Long Discord messages cut into parts Discord accepts (2,000 characters;
 * counting UTF-16 code units, never fewer than Discord's count of code
 * points, keeps every part safe).
 *
 * Each cut is at the last paragraph break that keeps the part at least half
 * full, else the last line break, else the last space, else anywhere (but
 * never inside a surrogate pair, a ``` or right after a backslash). A code
 * block cut in two is closed at the end of the first part and opened again,
 * with its language, at the start of the next; a `>>> ` quote goes on in
 * the next part, and so does a `> ` line cut in the middle. White space at
 * the cuts goes; every other character is kept, in order.
 *
 * Code blocks are paired the way Discord pairs them: each ``` opens or
 * closes, in turn.
 */
import { CODE_LANG } from "./code-text.ts";

export const DISCORD_MESSAGE_LIMIT = 2000;

export interface MessagePart {
  /** The part as it is sent: `prefix`, a piece of the message, `suffix`. */
  readonly text: string;
  /** What reopens a code block or quote the previous part was cut in ("" for none). */
  readonly prefix: string;
  /** What closes a code block this part was cut in ("" for none). */
  readonly suffix: string;
}

export function splitDiscordMessage(text: string, limit: number = DISCORD_MESSAGE_LIMIT): string[] {
  return splitMessageParts(text, limit).map((p) => p.text);
}

const CLOSE = "\n```";

/**
 * The parts with what was added to each. Throws a RangeError for a limit
 * below 2 (a surrogate pair must fit) or not a number.
 */
export function splitMessageParts(input: string, limit: number = DISCORD_MESSAGE_LIMIT): MessagePart[] {
  const max = Math.floor(Number(limit));
  if (!Number.isFinite(max) || max < 2) {
    throw new RangeError(`a Discord message part must hold at least 2 characters, not ${String(limit)}`);
  }
  const text = typeof input === "string" ? input.replace(/\r\n?/g, "\n") : "";
  return new Splitter(text, max).split();
}

class Splitter {
  private readonly text: string;
  private readonly limit: number;
  /** Starts of every ``` in the text, in order: even indexes open, odd ones close. */
  private readonly fences: number[] = [];
  /** Language of each opening fence, by index in `fences`. */
  private readonly langs = new Map<number, string>();
  /** Where a `>>> ` quote starts (it quotes the rest), or -1. */
  private readonly quoteRest: number;
  /** Whether the parts may reopen code blocks and quotes (their markers are small enough for the limit). */
  private readonly carry: boolean;
  /** Start of every line. */
  private readonly lineStarts: number[] = [0];

  constructor(text: string, limit: number) {
    this.text = text;
    this.limit = limit;
    let k = text.indexOf("```");
    let longestLang = 0;
    while (k >= 0) {
      if (this.fences.length % 2 === 0) {
        const nl = text.indexOf("\n", k + 3);
        const lang = nl > k + 3 ? text.slice(k + 3, nl) : "";
        if (CODE_LANG.test(lang)) {
          this.langs.set(this.fences.length, lang);
          longestLang = Math.max(longestLang, lang.length);
        }
      }
      this.fences.push(k);
      k = text.indexOf("```", k + 3);
    }
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", nl + 1)) this.lineStarts.push(nl + 1);
    this.quoteRest = this.findQuoteRest();
    const widest = ">>> ".length + 3 + longestLang + 1 + CLOSE.length + "> ".length;
    this.carry = widest * 2 <= limit;
  }

  private findQuoteRest(): number {
    const re = /(?:^|\n) *>>> /g;
    for (let m = re.exec(this.text); m !== null; m = re.exec(this.text)) {
      const at = m.index + (m[0].startsWith("\n") ? 1 : 0);
      if (this.openFence(at) === undefined) return at;
    }
    return -1;
  }

  /** Fences starting before `at`. */
  private fencesBefore(at: number): number {
    let lo = 0;
    let hi = this.fences.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.fences[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index (in `fences`) of the code block open at `at`, or undefined outside code. */
  private openFence(at: number): number | undefined {
    const n = this.fencesBefore(at);
    if (n === 0) return undefined;
    const last = this.fences[n - 1] as number;
    if (last + 3 > at) return n - 1; // inside the ``` itself: treat as in code, cuts avoid it
    return n % 2 === 1 ? n - 1 : undefined;
  }

  split(): MessagePart[] {
    const text = this.text;
    const parts: MessagePart[] = [];
    let pos = 0;
    let prefix = "";
    for (;;) {
      pos = this.skipSpace(pos);
      if (pos >= text.length) break;
      const room = this.limit - prefix.length;
      if (text.length - pos <= room) {
        pushPart(parts, prefix, text.slice(pos).trimEnd(), "");
        break;
      }
      const reserve = this.carry && this.fences.length > 0 ? CLOSE.length : 0;
      const cut = this.cutPoint(pos, room - reserve);
      const open = this.carry ? this.openFence(cut) : undefined;
      pushPart(parts, prefix, text.slice(pos, cut).trimEnd(), open === undefined ? "" : CLOSE);
      prefix = this.reopening(cut, open);
      pos = cut;
    }
    return parts;
  }

  /**
   * Where a part starting at `pos` really starts: after the empty lines
   * there, keeping the indentation of the first line with text (it can
   * mean a nested list item or indented code); after the spaces of a cut
   * in the middle of a line.
   */
  private skipSpace(pos: number): number {
    const text = this.text;
    let k = pos;
    while (k < text.length && /\s/.test(text[k] as string)) k++;
    if (k >= text.length) return k;
    const nl = text.lastIndexOf("\n", k - 1);
    return nl >= pos ? nl + 1 : k;
  }

  /** What the part starting at `cut` begins with to go on as the text would have. */
  private reopening(cut: number, open: number | undefined): string {
    if (!this.carry) return "";
    let p = this.quoteRest >= 0 && this.quoteRest < cut ? ">>> " : "";
    if (open !== undefined) p += `\`\`\`${this.langs.get(open) ?? ""}\n`;
    else if (p === "" && this.text[cut] !== "\n") {
      // Cut in the middle of a `> ` line: the rest of the line is still quoted.
      const line = this.lineStartOf(cut);
      if (line < cut && /^ *> /.test(this.text.slice(line, Math.min(cut, line + 64)))) p = "> ";
    }
    return p;
  }

  /** Start of the line holding `at`. */
  private lineStartOf(at: number): number {
    let lo = 0;
    let hi = this.lineStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.lineStarts[mid] as number) <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? (this.lineStarts[lo - 1] as number) : 0;
  }

  /** Where the part starting at `pos` with `room` characters ends. */
  private cutPoint(pos: number, room: number): number {
    const end = Math.min(this.text.length, pos + Math.max(1, room));
    const half = pos + Math.max(1, Math.floor(room / 2));
    // Only the window is searched, so each part costs its own length.
    const win = this.text.slice(pos, end + 1);
    const at = (k: number) => (k < 0 ? -1 : pos + k);
    const para = at(win.lastIndexOf("\n\n", end - pos - 1));
    const line = at(win.lastIndexOf("\n", end - pos));
    const word = at(Math.max(win.lastIndexOf(" ", end - pos), win.lastIndexOf("\t", end - pos)));
    const candidates = [para, line, word].map((c) => this.avoidEmptyCode(pos, c));
    for (const c of candidates) if (c >= half) return c;
    const best = Math.max(...candidates);
    return best > pos ? best : this.hardCut(pos, end);
  }

  /**
   * A cut right after a code block's opening line would leave an empty
   * block in the part: cut before the opening fence instead. Returns -1 for
   * no usable cut.
   */
  private avoidEmptyCode(pos: number, cut: number): number {
    if (cut <= pos) return -1;
    const open = this.openFence(cut);
    if (open === undefined || !this.carry) return cut;
    const f = this.fences[open] as number;
    if (f < pos) return cut;
    const inside = this.text.slice(f + 3, cut);
    if (/\S/.test(inside.slice(inside.indexOf("\n") + 1)) && inside.includes("\n")) return cut;
    return f > pos ? f : -1;
  }

  private hardCut(pos: number, end: number): number {
    const text = this.text;
    let cut = Math.min(end, text.length);
    const back = (c: number) => (c - 1 > pos ? c - 1 : c);
    const low = text.charCodeAt(cut) >= 0xdc00 && text.charCodeAt(cut) <= 0xdfff;
    const high = text.charCodeAt(cut - 1) >= 0xd800 && text.charCodeAt(cut - 1) <= 0xdbff;
    if (low && high) cut = back(cut);
    if (text[cut - 1] === "\\") cut = back(cut);
    const n = this.fencesBefore(cut);
    const f = n > 0 ? (this.fences[n - 1] as number) : -1;
    if (f >= 0 && f + 3 > cut && f > pos) cut = f;
    return cut;
  }
}

function pushPart(parts: MessagePart[], prefix: string, body: string, suffix: string): void {
  if (/\S/.test(body)) parts.push({ text: prefix + body + suffix, prefix, suffix });
}
