/**
 * Routes the iq requests a component receives to handlers by payload
 * (namespace and name), answers every request exactly once as RFC 6120
 * requires (`service-unavailable` when nobody handles it,
 * `internal-server-error` when a handler fails, without leaking its message),
 * and matches answers to the requests the engine itself sent.
 */

import {
  buildIq,
  buildIqError,
  buildIqResult,
  type Element,
  type Iq,
  localNameOf,
  nsOf,
  parseIq,
  type StanzaErrorInput,
  sameJid,
} from "@parley/stanza";
import { logFailure } from "../delivery/delivery-errors.ts";
import { type Logger, silentLogger } from "../ops/logger-types.ts";

/** What a handler returns: a result payload (or nothing, for an empty result), or a stanza error. */
export type IqAnswer = { readonly payload?: Element } | { readonly error: StanzaErrorInput };

export type IqHandler = (iq: Iq & { readonly payload: Element }) => Promise<IqAnswer> | IqAnswer;

export interface IqRouterOptions {
  /** Writes a stanza to the server (the component session's send). */
  readonly send: (el: Element) => Promise<void>;
  /** Called when a handler throws; the requester only sees internal-server-error. */
  readonly onHandlerError?: (error: unknown, iq: Iq) => void;
  readonly requestTimeoutMs?: number;
  /** Hears answers that could not be sent (default: silent). */
  readonly logger?: Logger;
}

export class IqTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IqTimeoutError";
  }
}

export class IqRouter {
  /** One per namespace served, installed at start. */
  private readonly handlers = new Map<string, IqHandler>();
  /** Requests awaiting their answer, each removed on the answer or its timeout. */
  private readonly pending = new Map<string, { to: string; resolve: (iq: Iq) => void; timer: NodeJS.Timeout }>();
  private readonly options: IqRouterOptions;
  private counter = 0;

  constructor(options: IqRouterOptions) {
    this.options = options;
  }

  /** Handles requests of `type` whose payload is `<name xmlns=ns>`. */
  handle(type: "get" | "set", ns: string, name: string, handler: IqHandler): void {
    this.handlers.set(`${type} ${ns} ${name}`, handler);
  }

  /**
   * Takes an incoming element; returns true when it was an iq (answered or
   * matched to a pending request), false for anything else.
   */
  dispatch(el: Element): boolean {
    if (el.name !== "iq") return false;
    const r = parseIq(el);
    if (!r.ok) {
      // A request we cannot read still gets an answer, if it has an id and is not itself an answer.
      const { id, type } = el.attrs;
      if (id && (type === "get" || type === "set")) {
        void this.reply(
          buildIqError(
            { id, from: el.attrs.from, to: el.attrs.to },
            { condition: "bad-request", text: r.error.message },
          ),
        );
      }
      return true;
    }
    const iq = r.value;
    if (iq.type === "result" || iq.type === "error") {
      const p = this.pending.get(iq.id);
      // Only the entity we asked may answer: an answer from anyone else with a guessed id is ignored.
      if (p && iq.from !== undefined && sameJid(iq.from, p.to)) {
        this.pending.delete(iq.id);
        clearTimeout(p.timer);
        p.resolve(iq);
      }
      return true;
    }
    void this.answer(iq as Iq & { payload: Element });
    return true;
  }

  private async answer(iq: Iq & { payload: Element }): Promise<void> {
    const handler = this.handlers.get(`${iq.type} ${nsOf(iq.payload) ?? ""} ${localNameOf(iq.payload)}`);
    if (!handler) {
      await this.reply(buildIqError(iq, { condition: "service-unavailable" }));
      return;
    }
    let answer: IqAnswer;
    try {
      answer = await handler(iq);
    } catch (e) {
      this.options.onHandlerError?.(e, iq);
      answer = { error: { condition: "internal-server-error" } };
    }
    await this.reply("error" in answer ? buildIqError(iq, answer.error) : buildIqResult(iq, answer.payload));
  }

  private async reply(el: Element): Promise<void> {
    // The requester times out; the log says why.
    await this.options.send(el).catch(
      logFailure(this.options.logger ?? silentLogger, "an iq answer could not be sent", "debug", {
        to: el.attrs.to,
        id: el.attrs.id,
      }),
    );
  }

  /** Sends a request and resolves with the answer (result or error); rejects with IqTimeoutError. */
  async request(
    o: { type: "get" | "set"; to: string; from: string; payload: Element },
    timeoutMs?: number,
  ): Promise<Iq> {
    const id = `parley-iq-${++this.counter}`;
    const timeout = timeoutMs ?? this.options.requestTimeoutMs ?? 15_000;
    const answered = new Promise<Iq>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new IqTimeoutError(`no answer from ${o.to} to iq ${id} within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, { to: o.to, resolve, timer });
    });
    await this.options.send(buildIq({ ...o, id }));
    return answered;
  }

  /** Fails every pending request (on stop). */
  close(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ type: "error", id, error: { type: "cancel", condition: "remote-server-timeout" } });
    }
    this.pending.clear();
  }
}
