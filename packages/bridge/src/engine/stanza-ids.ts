/** The ids of the stanzas the engine sends for its puppets. */
import { hash } from "node:crypto";

/**
 * A message id derived from the delivery key, so a retry (even after a
 * restart) reuses it, and tagged with `owner` (the bridge's component
 * domain), so that the bridge knows its own stanzas again where nothing else
 * tells (`isOwnStanzaId`), such as in a room's archive.
 */
export function stanzaIdFor(key: string, owner: string): string {
  // The one-shot hash: the same digest as createHash(...).update(...).digest(), without a Hash object per stanza.
  const base = hash("sha256", key, "base64url").slice(0, 22);
  return `parley-${base}-${ownerTag(base, owner)}`;
}

/** Whether `id` was made by `stanzaIdFor` with this `owner`. */
export function isOwnStanzaId(id: string, owner: string): boolean {
  const m = /^parley-([\w-]{22})-([\w-]{6})$/.exec(id);
  return m !== null && m[2] === ownerTag(m[1] ?? "", owner);
}

const TAG_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Six characters (30 bits) of a 32-bit FNV-1a hash of the owner and the id:
 * enough to tell one bridge's ids from another's (not a signature against
 * forgery: nothing is gained by forging one), at a fraction of the cost of a
 * second SHA-256 for every stanza sent.
 */
function ownerTag(base: string, owner: string): string {
  const h = fnv1a(ownerHash(owner), base);
  let tag = "";
  for (let i = 0; i < 6; i++) {
    tag += TAG_ALPHABET[(h >>> (i * 5)) & 31];
  }
  return tag;
}

/** The FNV-1a state after `${owner.toLowerCase()} ` (what every tag of an owner starts from), of the last owner asked. */
let lastOwner: { readonly owner: string; readonly hash: number } | undefined;

function ownerHash(owner: string): number {
  if (lastOwner?.owner === owner) return lastOwner.hash;
  const hash = fnv1a(0x811c9dc5, `${owner.toLowerCase()} `);
  lastOwner = { owner, hash };
  return hash;
}

/** FNV-1a (32 bits) from state `h` on through the characters of `s`. */
function fnv1a(h: number, s: string): number {
  let out = h;
  for (let i = 0; i < s.length; i++) {
    out ^= s.charCodeAt(i);
    out = Math.imul(out, 0x01000193) >>> 0;
  }
  return out;
}
