/**
 * Incoming stanzas, parsed with @parley/stanza and buffered, so a test can
 * await "the next stanza matching this predicate" without racing the network:
 * a stanza that arrived before `waitFor` was called still counts.
 */
import { type Element, parseStanza, type Stanza } from "@parley/stanza";

export interface Received {
  readonly element: Element;
  /** The typed stanza, or undefined when @parley/stanza refused it (see `error`). */
  readonly stanza?: Stanza;
  readonly error?: string;
}

export type StanzaPredicate = (r: Received) => boolean;

interface Waiter {
  readonly predicate: StanzaPredicate;
  readonly resolve: (r: Received) => void;
}

export class StanzaInbox {
  private readonly buffer: Received[] = [];
  private readonly waiters = new Set<Waiter>();
  /** Everything received, for post-mortems (bounded). */
  private readonly history: Received[] = [];

  push(element: Element): void {
    const r = parseStanza(element);
    const received: Received = r.ok ? { element, stanza: r.value } : { element, error: r.error.message };
    this.history.push(received);
    if (this.history.length > 200) this.history.shift();
    for (const w of this.waiters) {
      if (safe(w.predicate, received)) {
        this.waiters.delete(w);
        w.resolve(received);
        return;
      }
    }
    this.buffer.push(received);
    if (this.buffer.length > 10_000) this.buffer.shift();
  }

  /** The first buffered or future stanza matching `predicate`, consumed; rejects after `timeoutMs`. */
  waitFor(predicate: StanzaPredicate, options: { timeoutMs?: number; description?: string } = {}): Promise<Received> {
    const i = this.buffer.findIndex((r) => safe(predicate, r));
    if (i >= 0) return Promise.resolve(this.buffer.splice(i, 1)[0] as Received);
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const seen = this.history
          .slice(-5)
          .map((r) => `  ${r.element.toString().slice(0, 300)}`)
          .join("\n");
        reject(
          new Error(
            `no stanza matched ${options.description ?? "the predicate"} within ${timeoutMs} ms; last seen:\n${seen || "  (nothing)"}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Drops everything buffered so far. */
  clear(): void {
    this.buffer.length = 0;
  }
}

function safe(p: StanzaPredicate, r: Received): boolean {
  try {
    return p(r);
  } catch {
    return false;
  }
}

// --- Predicates tests combine ----------------------------------------------------

export const isMessage =
  (extra: (m: Extract<Stanza, { kind: "message" }>) => boolean = () => true): StanzaPredicate =>
  (r) =>
    r.stanza?.kind === "message" && extra(r.stanza);

export const isPresence =
  (extra: (p: Extract<Stanza, { kind: "presence" }>) => boolean = () => true): StanzaPredicate =>
  (r) =>
    r.stanza?.kind === "presence" && extra(r.stanza);

export const isIq =
  (extra: (i: Extract<Stanza, { kind: "iq" }>) => boolean = () => true): StanzaPredicate =>
  (r) =>
    r.stanza?.kind === "iq" && extra(r.stanza);
