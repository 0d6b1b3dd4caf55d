/** Secrets `parley init` generates: random, hex (safe in YAML, Lua and URLs), and shown only by their start. */
import { randomBytes } from "node:crypto";

/** 24 random bytes (192 bits) as 48 hex characters. */
export function newSecret(): string {
  return randomBytes(24).toString("hex");
}

/** How a secret is named on screen: its first characters, enough to tell two apart. */
export function secretHint(secret: string): string {
  return `${secret.slice(0, 6)}…`;
}
