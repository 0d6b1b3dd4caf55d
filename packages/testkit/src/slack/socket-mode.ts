/**
 * Socket Mode as Slack runs it (docs.slack.dev/apis/events-api/using-socket-mode):
 * apps.connections.open hands out a one-use `ws://.../link/?ticket=...` URL;
 * on connect the server sends `hello`; every event is an envelope
 * (`{ envelope_id, type: "events_api", payload, accepts_response_payload,
 * retry_attempt, retry_reason }`) that the app must acknowledge by sending
 * back `{ envelope_id }` (with an optional `payload`). An envelope not
 * acknowledged within the ack timeout (Slack: 3 s) is sent again, on whichever
 * connection is open then, with `retry_attempt` + 1 and `retry_reason:
 * "timeout"`, up to `maxRetries` times (Slack: 3). `disconnect` messages
 * (`refresh_requested`, `warning`, `link_disabled`, `too_many_websockets`)
 * ask the client to reconnect; for refresh_requested the fake closes the old
 * socket itself if the client has not after `refreshGraceMs`. The server
 * pings every `pingIntervalMs`, as Slack does: @slack/socket-mode drops a
 * connection that hears no ping for 30 s (its `serverPingTimeout`). The
 * client pings too and drops a connection whose pong is late (its
 * `clientPingTimeout`); `setPongDelay` makes the fake answer those pings
 * late, as a busy Slack edge or a busy client event loop does.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { randomHex } from "./ids.ts";

export type DisconnectReason = "refresh_requested" | "warning" | "link_disabled" | "too_many_websockets";

export interface Envelope {
  readonly envelope_id: string;
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

/** What the fake knows of one envelope, for tests. */
export interface EnvelopeRecord {
  readonly envelope: Envelope;
  /** How many times it went out on a socket. */
  sends: number;
  acked: boolean;
  /** The payload the app sent with its ack, if any. */
  ackPayload?: unknown;
  /** Given up on after maxRetries redeliveries. */
  failed: boolean;
}

export interface SocketModeOptions {
  readonly ackTimeoutMs?: number;
  readonly maxRetries?: number;
  readonly pingIntervalMs?: number;
  readonly refreshGraceMs?: number;
}

interface Connection {
  readonly socket: WebSocket;
  readonly id: number;
  readonly ping: NodeJS.Timeout;
}

export class SocketMode {
  readonly records: EnvelopeRecord[] = [];
  /** Connections accepted so far. */
  connectionsOpened = 0;
  /** Pongs sent in answer to the client's pings. */
  pongsSent = 0;
  /** Acks naming no envelope the fake sent (raw frames' acks among them). */
  readonly strayAcks: string[] = [];
  /** The client's pings are answered (autoPong off) after this long. */
  private pongDelayMs = 0;
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false });
  private readonly tickets = new Set<string>();
  private readonly open: Connection[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiting: EnvelopeRecord[] = [];
  private readonly ackTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly pingIntervalMs: number;
  private readonly refreshGraceMs: number;
  private readonly baseUrl: string;
  private readonly appId: string;
  private readonly changed: () => void;
  private ignoreAcks = 0;
  private enabled = true;
  private nextConnection = 1;

  constructor(o: SocketModeOptions & { baseUrl: string; appId: string; changed: () => void }) {
    this.ackTimeoutMs = o.ackTimeoutMs ?? 3000;
    this.maxRetries = o.maxRetries ?? 3;
    this.pingIntervalMs = o.pingIntervalMs ?? 10_000;
    this.refreshGraceMs = o.refreshGraceMs ?? 10_000;
    this.baseUrl = o.baseUrl;
    this.appId = o.appId;
    this.changed = o.changed;
  }

  /** A one-use WebSocket URL, as apps.connections.open answers. */
  issueUrl(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${this.baseUrl.replace(/^http/, "ws")}/link/?ticket=${ticket}&app_id=${this.appId}`;
  }

  get openConnections(): number {
    return this.open.length;
  }

  /** The client's pings are answered after `ms` from now on (0: at once). */
  setPongDelay(ms: number): void {
    this.pongDelayMs = ms;
  }

  /** While disabled (link_disabled), upgrades are refused. */
  setEnabled(on: boolean): void {
    this.enabled = on;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (!this.enabled || !this.tickets.delete(ticket)) {
      // Slack refuses a used or unknown ticket at the HTTP level.
      socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /** Queues an envelope and sends it on the newest open connection (or when one opens). */
  deliver(type: string, payload: Record<string, unknown>, acceptsResponsePayload = false): EnvelopeRecord {
    const record: EnvelopeRecord = {
      envelope: {
        envelope_id: randomUUID(),
        type,
        payload,
        accepts_response_payload: acceptsResponsePayload,
        retry_attempt: 0,
        retry_reason: "",
      },
      sends: 0,
      acked: false,
      failed: false,
    };
    this.records.push(record);
    this.send(record);
    return record;
  }

  /** Sends `text` as it is on the newest open connection, outside the envelope bookkeeping; false when none is open. */
  sendRaw(text: string): boolean {
    const c = this.open.at(-1);
    if (!c) return false;
    c.socket.send(text);
    return true;
  }

  /** The next `n` acks are lost on the way (the envelopes are redelivered). */
  loseAcks(n: number): void {
    this.ignoreAcks += n;
  }

  /** Sends `disconnect` on every open connection. */
  disconnect(reason: DisconnectReason): void {
    const message = JSON.stringify({
      type: "disconnect",
      reason,
      debug_info: { host: `applink-fake-${randomHex(4)}` },
    });
    for (const c of [...this.open]) {
      c.socket.send(message);
      if (reason === "refresh_requested" || reason === "too_many_websockets") {
        setTimeout(() => c.socket.close(1000), this.refreshGraceMs).unref();
      }
    }
    if (reason === "link_disabled") this.enabled = false;
  }

  /** Cuts every connection without a close frame, as a network failure does. */
  drop(): void {
    for (const c of [...this.open]) c.socket.terminate();
  }

  async close(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    // A close handshake, not a cut: @slack/socket-mode caught mid-handshake by a cut waits 30 s for it.
    await Promise.all(
      [...this.open].map(
        (c) =>
          new Promise<void>((resolve) => {
            const cut = setTimeout(() => {
              c.socket.terminate();
              resolve();
            }, 1000);
            c.socket.once("close", () => {
              clearTimeout(cut);
              resolve();
            });
            c.socket.close(1001);
          }),
      ),
    );
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    const id = this.nextConnection++;
    const ping = setInterval(() => socket.ping(Buffer.from(`ping-${Date.now()}`)), this.pingIntervalMs);
    ping.unref();
    const c: Connection = { socket, id, ping };
    this.open.push(c);
    this.connectionsOpened++;
    socket.on("message", (data, isBinary) => {
      if (!isBinary) this.onMessage(data.toString());
    });
    socket.on("ping", (data) => {
      const answer = () => {
        if (socket.readyState !== socket.OPEN) return;
        socket.pong(data);
        this.pongsSent++;
        this.changed();
      };
      if (this.pongDelayMs <= 0) answer();
      else setTimeout(answer, this.pongDelayMs).unref();
    });
    socket.on("close", () => {
      clearInterval(ping);
      const i = this.open.indexOf(c);
      if (i >= 0) this.open.splice(i, 1);
      this.changed();
    });
    socket.on("error", () => socket.terminate());
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.open.length,
        debug_info: { host: `applink-fake-${id}`, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    // Envelopes that found no connection go out now, in order.
    for (const r of this.waiting.splice(0)) this.send(r);
    this.changed();
  }

  private onMessage(text: string): void {
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (!m || typeof m !== "object" || !("envelope_id" in m)) return;
    const id = String((m as { envelope_id: unknown }).envelope_id);
    const record = this.records.find((r) => r.envelope.envelope_id === id);
    if (!record) {
      this.strayAcks.push(id);
      this.changed();
      return;
    }
    if (record.acked) return;
    if (this.ignoreAcks > 0) {
      this.ignoreAcks--;
      return;
    }
    record.acked = true;
    if ("payload" in m) record.ackPayload = (m as { payload: unknown }).payload;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.changed();
  }

  private send(record: EnvelopeRecord): void {
    const c = this.open.at(-1);
    if (!c) {
      this.waiting.push(record);
      return;
    }
    record.sends++;
    c.socket.send(JSON.stringify(record.envelope));
    const id = record.envelope.envelope_id;
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(() => this.expire(record), this.ackTimeoutMs);
    timer.unref();
    this.timers.set(id, timer);
    this.changed();
  }

  /** No ack in time: another attempt, or give up after maxRetries. */
  /**
   * Slack gives up on the envelopes that found no connection, as it does
   * once an app has been away longer than its retries reach (the Events
   * API's last retry comes about 5 minutes after the first try): they are
   * failed and never sent. Returns how many.
   */
  giveUpWaiting(): number {
    const given = this.waiting.splice(0);
    for (const r of given) r.failed = true;
    if (given.length > 0) this.changed();
    return given.length;
  }

  private expire(record: EnvelopeRecord): void {
    this.timers.delete(record.envelope.envelope_id);
    if (record.acked) return;
    if (record.envelope.retry_attempt >= this.maxRetries) {
      record.failed = true;
      this.changed();
      return;
    }
    record.envelope.retry_attempt++;
    record.envelope.retry_reason = "timeout";
    this.send(record);
  }
}
