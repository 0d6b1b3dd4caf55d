/**
 * An XEP-0114 component session: connect, authenticate with the handshake,
 * keep the link alive with XEP-0199 pings, and reconnect with exponential
 * backoff and full jitter when it drops. Outbound stanzas go through a bounded
 * queue that holds them while the link is down and pushes back on producers
 * when it is full, so memory stays bounded and nothing is dropped silently.
 */
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import { buildPing, type Element, NS } from "@parley/stanza";
import { OutboundQueue, type OutboundQueueOptions } from "./outbound-queue.ts";
import { DEFAULT_STREAM_LIMITS, type DroppedStanza, StreamParser, type StreamParserLimits } from "./stream-parser.ts";

export interface ComponentSessionOptions {
  readonly host: string;
  readonly port: number;
  /** The component's domain, as configured on the server. */
  readonly domain: string;
  readonly secret: string;
  /** Where keepalive pings go; default: the component domain without its first label. */
  readonly serverDomain?: string;
  readonly reconnect?: { readonly minDelayMs?: number; readonly maxDelayMs?: number };
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly queue?: OutboundQueueOptions;
  /** What one stanza from the server may be (xmpp.limits); a stanza over them is dropped on its own (`dropped`). */
  readonly limits?: StreamParserLimits;
}

export type SessionState = "idle" | "connecting" | "online" | "waiting" | "stopped";

/** The server refused our secret (or domain): retrying cannot help, the configuration must change. */
export class ComponentAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ComponentAuthError";
  }
}

interface SessionEvents {
  stanza: [Element];
  /** A stanza over the limits, left out (the link stays up): its skeleton, to log it or answer it. */
  dropped: [DroppedStanza];
  online: [];
  offline: [reason: string];
  /** Something went wrong that the session is handling (it will reconnect). */
  warning: [message: string];
}

const STREAMS_NS = "urn:ietf:params:xml:ns:xmpp-streams";

/** The XEP-0114 handshake: hex SHA-1 of the stream id followed by the secret. */
export function handshakeDigest(streamId: string, secret: string): string {
  return createHash("sha1")
    .update(streamId + secret, "utf8")
    .digest("hex");
}

/** Full-jitter exponential backoff: a random delay in [0, min(max, min * 2^attempt)]. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs / 2, Math.floor(random() * ceiling));
}

export class ComponentSession extends EventEmitter<SessionEvents> {
  readonly options: ComponentSessionOptions;
  readonly queue: OutboundQueue;
  private socket: Socket | undefined;
  /** The socket whose writes are held until the end of the tick (see `corkUntilTickEnds`). */
  private corked: Socket | undefined;
  private stateValue: SessionState = "idle";
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private keepaliveDeadline: NodeJS.Timeout | undefined;
  private pendingPing: string | undefined;
  /** When the server last sent anything: a link that carries traffic is alive, answered ping or not. */
  private receivedAt = 0;
  private pingCounter = 0;
  private pumping = false;
  private firstOnline: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Times the session has come online; more than 1 means it reconnected. */
  connections = 0;

  constructor(options: ComponentSessionOptions) {
    super();
    this.options = options;
    this.queue = new OutboundQueue(options.queue);
  }

  get state(): SessionState {
    return this.stateValue;
  }

  /** Connects; resolves when first online, rejects with ComponentAuthError when the server refuses the secret. */
  start(): Promise<void> {
    if (this.stateValue !== "idle") return Promise.reject(new Error(`the session is already ${this.stateValue}`));
    return new Promise((resolve, reject) => {
      this.firstOnline = { resolve, reject };
      this.open();
    });
  }

  /**
   * Queues a stanza; resolves once it is written to the server, waits while the queue is full. `xml`: the
   * stanza serialised already (`el.toString()`), which is then not done again.
   */
  send(el: Element, xml?: string): Promise<void> {
    if (this.stateValue === "stopped") return Promise.reject(new Error("the component session is stopped"));
    const p = this.queue.push(xml ?? el.toString());
    this.pump();
    return p;
  }

  /** Flushes what is queued (up to `flushTimeoutMs`), closes the stream, and stops reconnecting. */
  async stop(flushTimeoutMs = 5000): Promise<void> {
    if (this.stateValue === "stopped") return;
    if (this.stateValue === "online" && this.queue.length > 0) {
      const deadline = Date.now() + flushTimeoutMs;
      while (this.queue.length > 0 && this.stateValue === "online" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    this.stateValue = "stopped";
    this.clearTimers();
    this.queue.rejectAll(new Error("the component session stopped before this stanza was sent"));
    const s = this.socket;
    this.socket = undefined;
    if (s && !s.destroyed) {
      await new Promise<void>((resolve) => {
        s.once("close", () => resolve());
        s.end("</stream:stream>");
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 1000).unref();
      });
    }
  }

  /** Drops the current connection as if the network failed (for tests and operators); the session reconnects. */
  dropConnection(): void {
    this.socket?.destroy();
  }

  private open(): void {
    this.stateValue = "connecting";
    const o = this.options;
    const socket = connect({ host: o.host, port: o.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    const connectTimer = setTimeout(() => socket.destroy(new Error("connect timed out")), o.connectTimeoutMs ?? 10_000);
    let closedReason = "connection closed";
    const parser = new StreamParser(
      {
        header: (attrs) => {
          const id = attrs.id;
          if (!id) {
            closedReason = "the server's stream header has no id";
            socket.destroy();
            return;
          }
          socket.write(`<handshake>${handshakeDigest(id, o.secret)}</handshake>`);
        },
        element: (el) => this.onElement(el, socket, (r) => (closedReason = r)),
        dropped: (stanza) => {
          if (this.stateValue === "online") this.emit("dropped", stanza);
        },
        end: () => {
          closedReason = "the server closed the stream";
          socket.end();
        },
        error: (message) => {
          closedReason = `unreadable stream: ${message}`;
          socket.destroy();
        },
      },
      o.limits ?? DEFAULT_STREAM_LIMITS,
    );
    socket.on("connect", () => {
      clearTimeout(connectTimer);
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='${NS.component}' xmlns:stream='http://etherx.jabber.org/streams' to='${escapeAttr(o.domain)}'>`,
      );
    });
    socket.on("data", (chunk: string) => {
      this.receivedAt = Date.now();
      parser.write(chunk);
    });
    socket.on("drain", () => this.pump());
    socket.on("error", (e) => {
      closedReason = e.message;
    });
    socket.on("close", () => {
      clearTimeout(connectTimer);
      if (this.socket === socket) this.onClosed(closedReason);
    });
  }

  private onElement(el: Element, socket: Socket, setReason: (r: string) => void): void {
    if (el.name === "handshake") {
      this.stateValue = "online";
      this.attempt = 0;
      this.connections++;
      this.startKeepalive();
      this.emit("online");
      this.firstOnline?.resolve();
      this.firstOnline = undefined;
      this.pump();
      return;
    }
    if (el.name === "stream:error") {
      const condition = el.children.find((c) => typeof c !== "string" && c.attrs.xmlns === STREAMS_NS);
      const name = typeof condition === "string" || !condition ? "undefined-condition" : condition.name;
      if (name === "not-authorized" || name === "host-unknown") {
        const e = new ComponentAuthError(
          `the server refused component ${this.options.domain} (${name}): check the component domain and secret in the server's configuration and ours`,
        );
        this.stateValue = "stopped";
        this.clearTimers();
        this.firstOnline?.reject(e);
        this.firstOnline = undefined;
        this.queue.rejectAll(e);
      }
      setReason(`stream error: ${name}`);
      socket.destroy();
      return;
    }
    if (el.name === "iq" && this.pendingPing !== undefined && el.attrs.id === this.pendingPing) {
      // Any answer, result or error, proves the link is alive.
      this.pendingPing = undefined;
      clearTimeout(this.keepaliveDeadline);
      return;
    }
    if (this.stateValue === "online") this.emit("stanza", el);
  }

  private onClosed(reason: string): void {
    this.socket = undefined;
    this.clearTimers();
    const wasOnline = this.stateValue === "online";
    if (this.stateValue === "stopped") return;
    if (wasOnline) this.emit("offline", reason);
    else this.emit("warning", `could not connect to ${this.options.host}:${this.options.port}: ${reason}`);
    this.stateValue = "waiting";
    const r = this.options.reconnect;
    const delay = backoffDelay(this.attempt++, r?.minDelayMs ?? 500, r?.maxDelayMs ?? 30_000);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  /**
   * Holds writes until the current tick's work is done, so that the stanzas
   * produced together (a burst relayed in one turn) leave in one write, not
   * one TCP segment each: fewer system calls here, fewer reads for the server.
   */
  private corkUntilTickEnds(s: Socket): void {
    if (this.corked === s) return;
    this.corked = s;
    s.cork();
    process.nextTick(() => {
      if (this.corked === s) this.corked = undefined;
      s.uncork();
    });
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const s = this.socket;
        if (this.stateValue !== "online" || !s || s.destroyed || s.writableNeedDrain) return;
        const item = this.queue.shift();
        if (!item) return;
        this.corkUntilTickEnds(s);
        s.write(item.data, (e) => (e ? item.reject(e) : item.resolve()));
      }
    } finally {
      this.pumping = false;
    }
  }

  private startKeepalive(): void {
    const interval = this.options.keepaliveIntervalMs ?? 60_000;
    const timeout = this.options.keepaliveTimeoutMs ?? 20_000;
    const to = this.options.serverDomain ?? this.options.domain.slice(this.options.domain.indexOf(".") + 1);
    this.keepaliveTimer = setInterval(() => {
      const s = this.socket;
      if (!s || this.pendingPing !== undefined) return;
      const id = `parley-ka-${++this.pingCounter}`;
      this.pendingPing = id;
      s.write(buildPing({ id, to, from: this.options.domain }).toString());
      // A busy server answers late: its answer waits behind what it is sending the bridge. While anything
      // arrives the link is alive; it is dropped only after `timeout` of silence.
      const deadline = () => {
        const silentFor = Date.now() - this.receivedAt;
        if (silentFor < timeout) {
          this.keepaliveDeadline = setTimeout(deadline, timeout - silentFor);
          return;
        }
        this.emit("warning", `no answer to a keepalive ping, and nothing else from the server, within ${timeout} ms`);
        s.destroy();
      };
      this.keepaliveDeadline = setTimeout(deadline, timeout);
    }, interval);
    this.keepaliveTimer.unref();
  }

  private clearTimers(): void {
    clearInterval(this.keepaliveTimer);
    clearTimeout(this.keepaliveDeadline);
    clearTimeout(this.reconnectTimer);
    this.pendingPing = undefined;
  }
}

const ATTR_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ATTR_ESCAPES[c] ?? c);
}
