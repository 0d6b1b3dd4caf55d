/** What the test client and the test component share: an @xmpp entity, an inbox, send and iq helpers. */

import {
  buildMucInstantRoom,
  buildMucJoin,
  buildMucLeave,
  type Element,
  type Iq,
  isRoomCreated,
  isSelfPresence,
  type Presence,
  parseIq,
} from "@parley/stanza";
import type { XmppEntity } from "@xmpp/client";
import { isPresence, type Received, StanzaInbox, type StanzaPredicate } from "./stanza-inbox.ts";

let nextId = 0;
/** A fresh stanza id, unique within the test process. */
export function stanzaId(prefix = "t"): string {
  nextId++;
  return `${prefix}-${process.pid}-${nextId}`;
}

export abstract class XmppSession {
  readonly inbox = new StanzaInbox();
  protected readonly entity: XmppEntity;
  /** Our JID once online. */
  jid = "";

  protected constructor(entity: XmppEntity) {
    this.entity = entity;
    entity.on("stanza", (el) => this.inbox.push(el));
    // Errors after start are reported by failing waits; keep them from crashing the test process.
    entity.on("error", () => undefined);
  }

  protected async startEntity(): Promise<void> {
    const addr = await this.entity.start();
    this.jid = String(addr ?? this.entity.jid ?? "");
  }

  send(el: Element): Promise<void> {
    return this.entity.send(el);
  }

  waitFor(predicate: StanzaPredicate, options?: { timeoutMs?: number; description?: string }): Promise<Received> {
    return this.inbox.waitFor(predicate, options);
  }

  /** Sends an iq get/set and resolves with the parsed response (result or error), never throwing on an error reply. */
  async iq(el: Element, timeoutMs = 5000): Promise<Iq> {
    let id = el.attrs.id;
    if (!id) {
      id = stanzaId("iq");
      el.attrs.id = id;
    }
    const to = el.attrs.to;
    const wait = this.inbox.waitFor(
      (r) =>
        r.element.name === "iq" &&
        r.element.attrs.id === id &&
        (r.element.attrs.type === "result" || r.element.attrs.type === "error") &&
        (to === undefined || r.element.attrs.from === to),
      { timeoutMs, description: `the answer to iq ${id}` },
    );
    await this.send(el);
    const r = await wait;
    const parsed = parseIq(r.element);
    if (!parsed.ok) throw new Error(`the answer to iq ${id} is not a valid iq: ${parsed.error.message}`);
    return parsed.value;
  }

  /**
   * Joins `room` as `nick` (from `from`, for a component's puppets) and resolves
   * once the room sends the self-presence (status 110), with the occupant
   * presences received before it. A room this join created is accepted with its
   * default configuration (an instant room), as a bridge would.
   */
  async joinRoom(
    room: string,
    nick: string,
    options: { from?: string; timeoutMs?: number } = {},
  ): Promise<{ self: Presence; occupants: Presence[] }> {
    const occupants: Presence[] = [];
    const prefix = `${room.toLowerCase()}/`;
    const to = options.from?.toLowerCase();
    const self = this.waitFor(
      isPresence((p) => {
        if (!(p.from ?? "").toLowerCase().startsWith(prefix)) return false;
        if (to !== undefined && (p.to ?? "").toLowerCase() !== to) return false;
        if (isSelfPresence(p) || p.error) return true;
        occupants.push(p);
        return false;
      }),
      { timeoutMs: options.timeoutMs ?? 10_000, description: `the self-presence from ${room}` },
    );
    await this.send(buildMucJoin({ room, nick, from: options.from, history: { maxstanzas: 0 } }));
    const p = (await self).stanza as Presence;
    if (p.error) {
      throw new Error(
        `joining ${room} as ${nick} failed: ${p.error.condition}${p.error.text ? ` (${p.error.text})` : ""}`,
      );
    }
    if (isRoomCreated(p)) {
      const answer = await this.iq(buildMucInstantRoom({ room, id: stanzaId("create"), from: options.from }));
      if (answer.type !== "result") throw new Error(`could not configure new room ${room}: ${answer.error?.condition}`);
    }
    return { self: p, occupants };
  }

  async leaveRoom(room: string, nick: string, from?: string): Promise<void> {
    await this.send(buildMucLeave({ room, nick, from }));
  }

  async stop(): Promise<void> {
    this.entity.reconnect?.stop();
    try {
      await this.entity.stop();
    } catch {
      // already closed
    }
  }
}
