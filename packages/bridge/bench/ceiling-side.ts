/**
 * The ceiling: a bare XEP-0114 component with one puppet already in the
 * room, sending stanzas built by @parley/stanza straight to the server. No
 * store, no delivery queue, no relay occupant: what the transport and the
 * server can carry, against which the engine is measured.
 */
import { buildMessage } from "@parley/stanza";
import { ComponentSession } from "../src/component/component-session.ts";
import { MucOccupancy } from "../src/puppets/muc-occupancy.ts";
import type { BurstSide } from "./burst-run.ts";

const PUPPET = { local: "u1", nick: "Anna", avatarHash: "" } as const;
const RESOURCE = "bridge";

export class CeilingSide implements BurstSide {
  readonly name = "ceiling";
  private readonly session: ComponentSession;
  private readonly occupancy: MucOccupancy;
  private readonly from: string;
  private readonly onError: (e: unknown) => void;
  private counter = 0;
  /** Puppets seated beside the speaker, each getting a copy of every message (dropped unread, like the speaker's). */
  private readonly seated: ReadonlyArray<{ local: string; nick: string; avatarHash: string }>;

  private constructor(session: ComponentSession, domain: string, onError: (e: unknown) => void, seated: number) {
    this.session = session;
    this.seated = Array.from({ length: seated }, (_, i) => ({
      local: `s${i + 1}`,
      nick: `Seated ${i + 1}`,
      avatarHash: "",
    }));
    this.onError = onError;
    this.from = `${PUPPET.local}@${domain}/${RESOURCE}`;
    this.occupancy = new MucOccupancy({ domain, send: (el) => session.send(el), resource: RESOURCE });
    // Only presences matter here (the join); the puppet's copies of room messages are dropped unread.
    session.on("stanza", (el) => {
      if (el.name === "presence") this.occupancy.dispatch(el);
    });
  }

  /** Connects as component `domain`; `onError` hears of any send that fails (the burst then times out). */
  static async start(o: {
    host: string;
    port: number;
    domain: string;
    secret: string;
    onError: (e: unknown) => void;
    /** More puppets to seat in each room (see BenchSettings.seated). */
    seated?: number;
  }): Promise<CeilingSide> {
    const session = new ComponentSession({ host: o.host, port: o.port, domain: o.domain, secret: o.secret });
    await session.start();
    return new CeilingSide(session, o.domain, o.onError, o.seated ?? 0);
  }

  async prepare(room: string): Promise<void> {
    await this.occupancy.join(PUPPET, room);
    for (const p of this.seated) await this.occupancy.join(p, room);
  }

  post(room: string, body: string): void {
    // The same wire content as the engine's messages: id, origin-id (XEP-0359) and body.
    const id = `ceiling-${++this.counter}`;
    const el = buildMessage({ type: "groupchat", id, originId: id, from: this.from, to: room, body });
    this.session.send(el).catch(this.onError);
  }

  async settle(room: string): Promise<void> {
    await this.occupancy.leave(PUPPET.local, room);
    for (const p of this.seated) await this.occupancy.leave(p.local, room);
  }

  async stop(): Promise<void> {
    await this.session.stop();
  }
}
