/**
 * An XMPP user in the linked MUC room, on its own @xmpp/client connection:
 * it sends numbered messages into the room, records every groupchat message
 * others send there as it arrives (live), and afterwards reads the room's
 * whole archive (XEP-0313, paged with RSM). It reconnects and joins again by
 * itself when the server goes away (a restart of Prosody).
 */
import {
  attrOf,
  buildMamQueryIq,
  buildMessage,
  buildMucInstantRoom,
  buildMucJoin,
  childOf,
  type Element,
  NS,
  textOf,
} from "@parley/stanza";
import { client } from "@xmpp/client";

export interface RoomMessage {
  /** The occupant's nick (the resource of the room JID it came from). */
  readonly nick: string;
  readonly body: string;
  /** When it arrived here (live) or when the archive says it was said. */
  readonly at: number;
}

export interface RoomWatcherOptions {
  readonly server: { host: string; c2sPort: number; domain: string };
  readonly account: { local: string; password: string };
  readonly room: string;
  readonly nick: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RoomWatcher {
  /** Every groupchat message from another occupant, in arrival order. */
  readonly live: RoomMessage[] = [];
  /** Occupant presences seen, by nick (available or not), for waiting on the bridge's relay. */
  readonly occupants = new Map<string, boolean>();
  private readonly entity: ReturnType<typeof client>;
  private joined = false;
  private joins = 0;
  private nextId = 0;
  private readonly mamResults = new Map<string, RoomMessage[]>();

  private readonly o: RoomWatcherOptions;

  private constructor(o: RoomWatcherOptions) {
    this.o = o;
    this.entity = client({
      service: `xmpp://${o.server.host}:${o.server.c2sPort}`,
      domain: o.server.domain,
      username: o.account.local,
      password: o.account.password,
      resource: `faults-${process.pid}`,
    });
    this.entity.on("stanza", (el) => this.onStanza(el));
    // Connection errors (the server was killed) are followed by the reconnect module's own attempts.
    this.entity.on("error", () => undefined);
    this.entity.on("offline", () => {
      this.joined = false;
    });
    this.entity.on("online", () => {
      this.joinRoom().catch((e: unknown) => {
        process.stderr.write(`faults: ${o.account.local} could not join ${o.room} again: ${String(e)}\n`);
      });
    });
  }

  static async connect(o: RoomWatcherOptions): Promise<RoomWatcher> {
    const w = new RoomWatcher(o);
    await w.entity.start();
    await w.untilJoined(15_000);
    return w;
  }

  /** How many times the room was joined (2 and more: after reconnections). */
  get joinCount(): number {
    return this.joins;
  }

  /** Resolves once the watcher is (again) in the room. */
  async untilJoined(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.joined) {
      if (Date.now() > deadline) throw new Error(`${this.o.nick} is not in ${this.o.room} after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Resolves once an occupant other than this one is present (the bridge's relay or a puppet). */
  async untilOtherOccupant(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const [nick, present] of this.occupants) if (present && nick !== this.o.nick) return nick;
      if (Date.now() > deadline) throw new Error(`nobody but ${this.o.nick} joined ${this.o.room} in ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Sends one groupchat message into the room; resolves once it is written to the socket. */
  async say(body: string): Promise<void> {
    this.nextId++;
    await this.entity.send(
      buildMessage({ type: "groupchat", to: this.o.room, id: `faults-${process.pid}-${this.nextId}`, body }),
    );
  }

  /** The whole archive of the room, oldest first, paged until the archive says it is complete. */
  async archive(pageSize = 250): Promise<RoomMessage[]> {
    const all: RoomMessage[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const queryid = `q${++this.nextId}`;
      this.mamResults.set(queryid, []);
      const answer: Element = await this.entity.iqCaller.request(
        buildMamQueryIq({
          id: `mam-${this.nextId}`,
          to: this.o.room,
          queryid,
          rsm: { max: pageSize, ...(after !== undefined && { after }) },
        }),
        30_000,
      );
      const got = this.mamResults.get(queryid) ?? [];
      this.mamResults.delete(queryid);
      all.push(...got);
      const fin = childOf(answer, "fin", NS.mam);
      if (!fin) throw new Error(`the archive of ${this.o.room} answered without <fin/>: ${answer.toString()}`);
      const last = textOf(childOf(childOf(fin, "set", NS.rsm) ?? fin, "last"));
      if (attrOf(fin, "complete") === "true" || last === undefined || got.length === 0) return all;
      after = last;
    }
    throw new Error(`the archive of ${this.o.room} did not end after 10,000 pages`);
  }

  async stop(): Promise<void> {
    this.entity.reconnect?.stop();
    try {
      await this.entity.stop();
    } catch {
      // already closed
    }
  }

  private async joinRoom(): Promise<void> {
    const { room, nick } = this.o;
    await this.entity.send(buildMucJoin({ room, nick, history: { maxstanzas: 0 } }));
    // The self-presence (110), and 201 when this join created the room, are handled in onStanza.
  }

  private onStanza(el: Element): void {
    const from = attrOf(el, "from") ?? "";
    const [bare, ...rest] = from.split("/");
    const nick = rest.join("/");
    const inRoom = bare?.toLowerCase() === this.o.room.toLowerCase();
    if (el.name === "presence" && inRoom) {
      const x = childOf(el, "x", "http://jabber.org/protocol/muc#user");
      const codes = new Set((x?.getChildren("status") ?? []).map((s) => attrOf(s, "code")));
      this.occupants.set(nick, attrOf(el, "type") !== "unavailable");
      if (codes.has("110") && attrOf(el, "type") !== "unavailable") {
        if (codes.has("201")) {
          this.entity.send(buildMucInstantRoom({ room: this.o.room, id: `create-${++this.nextId}` })).catch(() => {});
        }
        this.joined = true;
        this.joins++;
      }
      return;
    }
    if (el.name !== "message") return;
    const result = childOf(el, "result", NS.mam);
    if (result) {
      const inner = childOf(childOf(result, "forwarded", "urn:xmpp:forward:0") ?? result, "message");
      const list = this.mamResults.get(attrOf(result, "queryid") ?? "");
      if (!inner || !list) return;
      const body = textOf(childOf(inner, "body"));
      const innerNick = (attrOf(inner, "from") ?? "").split("/").slice(1).join("/");
      if (body === undefined || innerNick === this.o.nick) return;
      const stamp = attrOf(
        childOf(childOf(result, "forwarded", "urn:xmpp:forward:0") ?? result, "delay") ?? el,
        "stamp",
      );
      list.push({ nick: innerNick, body, at: stamp ? Date.parse(stamp) : 0 });
      return;
    }
    if (!inRoom || attrOf(el, "type") !== "groupchat" || nick === "" || nick === this.o.nick) return;
    // No history is replayed on joining (maxstanzas 0): a delayed message here is the bridge's (catch-up).
    const body = textOf(childOf(el, "body"));
    if (body !== undefined) this.live.push({ nick, body, at: Date.now() });
  }
}
