/**
 * The component's own session, as the bridge opens it (ComponentSession and
 * IqRouter), with what the checks ask of the server: disco#info, a software
 * version, and a brief stay in a room as the relay (join, read the self
 * presence, leave; or destroy a room the join created).
 */
import {
  buildDiscoInfo,
  buildMucDestroy,
  buildMucJoin,
  buildMucLeave,
  type DiscoInfo,
  type Element,
  element,
  isSelfPresence,
  type Presence,
  parseDiscoInfo,
  parsePresence,
  type StanzaError,
} from "@parley/stanza";
import { ComponentSession } from "../component/component-session.ts";
import { IqRouter, IqTimeoutError } from "../component/iq-router.ts";
import { describeFailure } from "../delivery/delivery-errors.ts";

/** An answer, or the error the entity (or the server on its behalf) gave. */
export type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StanzaError };

export interface SoftwareVersion {
  readonly name: string;
  readonly version?: string;
}

const REQUEST_TIMEOUT_MS = 5000;
const JOIN_TIMEOUT_MS = 10_000;

export class DoctorSession {
  /** The relay's full JID, as the bridge joins rooms from. */
  readonly relayJid: string;
  private readonly domain: string;
  private readonly session: ComponentSession;
  private readonly router: IqRouter;
  /** Waiters for a room's answer to our presence, by lower-case room JID. */
  private readonly presenceWaiters = new Map<string, (p: Presence) => void>();

  private constructor(session: ComponentSession, domain: string) {
    this.session = session;
    this.domain = domain;
    this.relayJid = `${domain}/relay`;
    this.router = new IqRouter({ send: (el) => session.send(el), requestTimeoutMs: REQUEST_TIMEOUT_MS });
    session.on("stanza", (el) => {
      if (!this.router.dispatch(el)) this.presence(el);
    });
  }

  /** Connects as the component; rejects when it is not online within `timeoutMs`. */
  static async open(
    xmpp: { host: string; port: number; domain: string; secret: string },
    timeoutMs = 10_000,
  ): Promise<DoctorSession> {
    const domain = xmpp.domain.toLowerCase();
    const session = new ComponentSession({
      host: xmpp.host,
      port: xmpp.port,
      domain,
      secret: xmpp.secret,
      connectTimeoutMs: timeoutMs,
    });
    const doctor = new DoctorSession(session, domain);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        session.start(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the component was not online within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      await session.stop(0);
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return doctor;
  }

  async discoInfo(to: string): Promise<Answer<DiscoInfo>> {
    const answer = await this.request(to, buildDiscoInfo({}));
    if (!answer.ok) return answer;
    const parsed = answer.value ? parseDiscoInfo(answer.value) : undefined;
    if (!parsed?.ok) return { ok: false, error: { type: "cancel", condition: "undefined-condition" } };
    return { ok: true, value: parsed.value };
  }

  /** XEP-0092: which server software answers at `to`. */
  async softwareVersion(to: string): Promise<SoftwareVersion | undefined> {
    const answer = await this.request(to, element("query", { xmlns: "jabber:iq:version" }));
    const name = answer.ok ? answer.value?.getChildText("name") : undefined;
    if (!answer.ok || !name) return undefined;
    const version = answer.value?.getChildText("version") ?? undefined;
    return { name, ...(version ? { version } : {}) };
  }

  /** Joins `room` as `nick` from the relay's JID; resolves with the room's answer (self presence or error). */
  join(room: string, nick: string): Promise<Presence> {
    return this.awaitPresence(room, JOIN_TIMEOUT_MS, () =>
      this.session.send(buildMucJoin({ room, nick, from: this.relayJid, history: { maxstanzas: 0 } })),
    );
  }

  /** Leaves `room`, waiting (briefly) for the room to confirm. */
  async leave(room: string, nick: string): Promise<void> {
    await this.awaitPresence(room, 3000, () =>
      this.session.send(buildMucLeave({ room, nick, from: this.relayJid })),
    ).catch(() => undefined); // the leave is sent; a room slow to confirm it changes nothing for the checks
  }

  /** Destroys a room the relay owns (one its join created). */
  async destroy(room: string): Promise<Answer<Element | undefined>> {
    const iq = buildMucDestroy({ room, id: "unused", from: this.relayJid, reason: "parley doctor: creation checked" });
    const payload = iq.getChild("query");
    if (!payload) throw new Error("buildMucDestroy gave no query");
    return this.request(room, payload, "set", this.relayJid);
  }

  async close(): Promise<void> {
    this.router.close();
    await this.session.stop(1000);
  }

  private async request(
    to: string,
    payload: Element,
    type: "get" | "set" = "get",
    from = this.domain,
  ): Promise<Answer<Element | undefined>> {
    try {
      const iq = await this.router.request({ type, to, from, payload });
      if (iq.type === "result") return { ok: true, value: iq.payload };
      return { ok: false, error: iq.error ?? { type: "cancel", condition: "undefined-condition" } };
    } catch (e) {
      const text = e instanceof IqTimeoutError ? "no answer in time" : `not sent: ${describeFailure(e)}`;
      return { ok: false, error: { type: "wait", condition: "remote-server-timeout", text } };
    }
  }

  private awaitPresence(room: string, timeoutMs: number, send: () => Promise<void>): Promise<Presence> {
    const key = room.toLowerCase();
    return new Promise<Presence>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.presenceWaiters.delete(key);
        reject(new Error(`${room} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.presenceWaiters.set(key, (p) => {
        clearTimeout(timer);
        this.presenceWaiters.delete(key);
        resolve(p);
      });
      send().catch((e: unknown) => {
        clearTimeout(timer);
        this.presenceWaiters.delete(key);
        reject(e);
      });
    });
  }

  /** A room's presence to the relay: the answer a waiter expects is our own (status 110) or an error. */
  private presence(el: Element): void {
    if (el.name !== "presence" || (el.attrs.to ?? "").toLowerCase() !== this.relayJid) return;
    const parsed = parsePresence(el);
    if (!parsed.ok) return;
    const p = parsed.value;
    const from = p.from ?? "";
    const room = (from.includes("/") ? from.slice(0, from.indexOf("/")) : from).toLowerCase();
    const waiter = this.presenceWaiters.get(room);
    if (waiter && (p.error !== undefined || isSelfPresence(p))) waiter(p);
  }
}
