/**
 * Mentions XMPP users write by nick: `Grace: ...` or `Grace, ...` at the start
 * of a message (how XMPP clients address an occupant) and `@Grace` anywhere
 * become mention inlines of the occupant behind the nick, so the network
 * shows its own mention (Discord `<@id>`, a Matrix pill). Only the nicks given
 * are candidates (the room's occupants; only puppets become mentions); a nick is matched whole, the longest
 * candidate first, and case-insensitively only when that leaves one
 * candidate: two occupants whose nicks match the text are not guessed
 * between. Code, links and existing mentions are left alone.
 */
import type { Block, Inline, MentionTarget, RichText } from "../format/index.ts";

/**
 * An occupant a nick may name, and the mention it becomes; an occupant
 * without a target (an XMPP user) is never made a mention, but its nick
 * still makes a matching puppet's ambiguous.
 */
export interface NickCandidate {
  readonly nick: string;
  readonly mention?: { readonly target: MentionTarget; readonly name: string };
}

/** A copy of `doc` with nick mentions of `candidates` made mention inlines; `doc` itself when there are none. */
export function mentionNicks(doc: RichText, candidates: readonly NickCandidate[]): RichText {
  if (candidates.length === 0) return doc;
  let changed = false;
  const blocks = doc.blocks.map((block, index) => {
    const mapped = mapBlock(block, candidates, index === 0);
    if (mapped !== block) changed = true;
    return mapped;
  });
  return changed ? { blocks } : doc;
}

function mapBlock(block: Block, candidates: readonly NickCandidate[], first: boolean): Block {
  if (block.type !== "paragraph") return block;
  const children = mapInlines(block.children, candidates, first);
  return children === block.children ? block : { type: "paragraph", children };
}

function mapInlines(nodes: Inline[], candidates: readonly NickCandidate[], first: boolean): Inline[] {
  let changed = false;
  const out: Inline[] = [];
  nodes.forEach((node, index) => {
    if (node.type !== "text") {
      out.push(node);
      return;
    }
    const split = splitText(node.text, candidates, first && index === 0);
    if (split === undefined) {
      out.push(node);
      return;
    }
    changed = true;
    out.push(...split);
  });
  return changed ? out : nodes;
}

/** The text as text and mention inlines; undefined when nothing in it names a candidate. */
function splitText(text: string, candidates: readonly NickCandidate[], atStart: boolean): Inline[] | undefined {
  const out: Inline[] = [];
  let from = 0;
  let i = 0;
  const flush = (to: number) => {
    if (to > from) out.push({ type: "text", text: text.slice(from, to) });
  };
  if (atStart) {
    const lead = text.length - text.trimStart().length;
    const found = matchAt(text, lead, candidates, (next) => next === ":" || next === ",");
    if (found) {
      flush(lead);
      out.push({ type: "mention", name: found.mention.name, target: found.mention.target });
      from = lead + found.length;
      i = from;
    }
  }
  for (; i < text.length; i++) {
    if (text[i] !== "@" || (i > 0 && isWordChar(text[i - 1] ?? ""))) continue;
    const found = matchAt(text, i + 1, candidates, (next) => next === "" || !isWordChar(next));
    if (!found) continue;
    flush(i);
    out.push({ type: "mention", name: found.mention.name, target: found.mention.target });
    from = i + 1 + found.length;
    i = from - 1;
  }
  if (out.length === 0) return undefined;
  flush(text.length);
  return out;
}

/**
 * The candidate whose nick is written at `at` and followed by a character
 * `ends` accepts: the longest nick first; an exact-case match wins over
 * case-insensitive ones; several equal matches are ambiguous (undefined).
 */
function matchAt(
  text: string,
  at: number,
  candidates: readonly NickCandidate[],
  ends: (next: string) => boolean,
): { mention: NonNullable<NickCandidate["mention"]>; length: number } | undefined {
  let bestLength = 0;
  let matches: NickCandidate[] = [];
  for (const c of candidates) {
    const n = c.nick.length;
    if (n === 0 || n < bestLength) continue;
    const written = text.slice(at, at + n);
    if (written.toLowerCase() !== c.nick.toLowerCase() || !ends(text.charAt(at + n))) continue;
    if (n > bestLength) {
      bestLength = n;
      matches = [];
    }
    matches.push(c);
  }
  if (matches.length === 0) return undefined;
  const written = text.slice(at, at + bestLength);
  const exact = matches.filter((c) => c.nick === written);
  const among = exact.length > 0 ? exact : matches;
  const who = new Set(among.map((c) => (c.mention ? JSON.stringify(c.mention.target) : `occupant ${c.nick}`)));
  const only = among[0]?.mention;
  return who.size === 1 && only !== undefined ? { mention: only, length: bestLength } : undefined;
}

/** Letters, digits and the joiners of names: what may not touch a mention. */
function isWordChar(c: string): boolean {
  return /[\p{L}\p{N}_]/u.test(c);
}
