/**
 * The open runs of multi-stage ad-hoc commands (XEP-0050 §3.4), each bound to
 * the full JID that started it. A run lives until it completes, is canceled,
 * or sits idle past its time to live; expired runs are swept on every use, so
 * no timer outlives the bridge. Clients often close a command dialog without
 * sending `cancel`, so when a requester has too many runs open the oldest one
 * makes room for the new one rather than locking the admin out.
 */
import { randomBytes } from "node:crypto";
import { bareJid, formatJid, parseJid } from "@parley/stanza";

export interface CommandSession<S> {
  /** The `sessionid`: random, so it cannot be guessed by anyone else. */
  readonly id: string;
  readonly node: string;
  /** The full JID that started the run, normalized. */
  readonly requester: string;
  /** What the command remembers between stages. */
  state: S;
  expiresAt: number;
}

/** Why a `sessionid` was not accepted: ended or never ours, or someone else's / another command's. */
export type SessionRefusal = "expired" | "mismatch";

export interface CommandSessionsOptions {
  /** Idle time after which a run expires; default 10 minutes. */
  readonly ttlMs?: number;
  /** Open runs per requester bare JID; default 5. */
  readonly maxPerRequester?: number;
  /** The clock, injectable for tests. */
  readonly now?: () => number;
}

export const DEFAULT_SESSION_TTL_MS = 10 * 60_000;
export const DEFAULT_MAX_SESSIONS_PER_REQUESTER = 5;

export class CommandSessions<S> {
  private readonly sessions = new Map<string, CommandSession<S> & { readonly owner: string }>();
  private readonly ttlMs: number;
  private readonly maxPerRequester: number;
  private readonly now: () => number;

  constructor(options: CommandSessionsOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.maxPerRequester = Math.max(1, options.maxPerRequester ?? DEFAULT_MAX_SESSIONS_PER_REQUESTER);
    this.now = options.now ?? Date.now;
  }

  /** How many runs are open (expired ones not yet swept included). */
  get size(): number {
    return this.sessions.size;
  }

  /** Opens a run of `node` for `requester`, closing that requester's oldest run when it has too many. */
  open(node: string, requester: string, state: S): CommandSession<S> {
    this.sweep();
    const full = normalized(requester);
    const owner = bareJid(full) ?? full;
    const mine = [...this.sessions.values()].filter((s) => s.owner === owner);
    for (const s of mine.slice(0, Math.max(0, mine.length - this.maxPerRequester + 1))) this.sessions.delete(s.id);
    const session = {
      id: randomBytes(12).toString("base64url"),
      node,
      requester: full,
      owner,
      state,
      expiresAt: this.now() + this.ttlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The open run `id` of `node` for `requester`, its idle clock restarted; or why not. */
  find(
    id: string,
    node: string,
    requester: string,
  ): { readonly session: CommandSession<S> } | { readonly refused: SessionRefusal } {
    this.sweep();
    const s = this.sessions.get(id);
    if (s === undefined) return { refused: "expired" };
    if (s.node !== node || s.requester !== normalized(requester)) return { refused: "mismatch" };
    s.expiresAt = this.now() + this.ttlMs;
    return { session: s };
  }

  /** Ends a run (completed or canceled); its id is never accepted again. */
  close(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}

/** A JID in its normalized form, so `Alice@X/r` and `alice@x/r` own the same runs. */
function normalized(jid: string): string {
  const j = parseJid(jid);
  return j.ok ? formatJid(j.value) : jid;
}
