/** The ids of the stanzas the engine sends for its puppets. */
import { createHash } from "node:crypto";

/**
 * A message id derived from the delivery key, so a retry (even after a
 * restart) reuses it, and signed with `owner` (the bridge's component
 * domain), so that the bridge knows its own stanzas again where nothing else
 * tells (`isOwnStanzaId`), such as in a room's archive.
 */
export function stanzaIdFor(key: string, owner: string): string {
  const base = createHash("sha256").update(key).digest("base64url").slice(0, 22);
  return `parley-${base}-${ownerTag(base, owner)}`;
}

/** Whether `id` was made by `stanzaIdFor` with this `owner`. */
export function isOwnStanzaId(id: string, owner: string): boolean {
  const m = /^parley-([\w-]{22})-([\w-]{6})$/.exec(id);
  return m !== null && m[2] === ownerTag(m[1] ?? "", owner);
}

function ownerTag(base: string, owner: string): string {
  return createHash("sha256").update(`${owner.toLowerCase()} ${base}`).digest("base64url").slice(0, 6);
}
