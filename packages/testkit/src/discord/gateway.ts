/**
 * Gateway v10 over a `ws` server, JSON encoding: HELLO, IDENTIFY (token,
 * intents, shard), READY then one GUILD_CREATE per guild, heartbeats and ACKs
 * (a connection that stops heartbeating is closed with 4009, its session kept
 * for RESUME; see gateway-heartbeat.ts),
 * RESUME replaying what the session missed then RESUMED, op 7 RECONNECT,
 * op 9 INVALID_SESSION, op 8 member requests, and Discord's close codes.
 * A session outlives its socket, so dispatches made while a client is away
 * are replayed when it resumes. Compression: none unless the client asks for
 * `compress=zlib-stream` (discord.js does only with zlib-sync installed) or
 * sets `compress: true` in IDENTIFY (whole-payload zlib).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createDeflate, type Deflate, deflateSync, constants as zlibConstants } from "node:zlib";
import type { APIGuildMember, APIUser, GatewayPresenceUpdate } from "discord-api-types/v10";
import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from "discord-api-types/v10";
import { type WebSocket, WebSocketServer } from "ws";
import { HeartbeatDeadline } from "./gateway-heartbeat.ts";
import { type Dispatch, has, KNOWN_INTENTS, shapeFor, wants } from "./intents.ts";

export interface GatewayHost {
  /** The token IDENTIFY and RESUME must carry; undefined once revoked. */
  token(): string | undefined;
  readonly bot: APIUser;
  readonly applicationId: string;
  /** The application's flags (privileged intents turned on), as READY shows them. */
  applicationFlags(): number;
  /** Whether IDENTIFY with these intents asks for a privileged one the application has off (closed with 4014). */
  disallowed(intents: number): boolean;
  /** What READY announces as resume_gateway_url. */
  readonly url: string;
  guildIds(): string[];
  guildCreate(guildId: string): unknown;
  members(guildId: string): Array<{ member: APIGuildMember & { user: APIUser }; presence: GatewayPresenceUpdate }>;
  /** Called after anything a waiter may be polling for happened. */
  changed(): void;
}

interface Session {
  readonly id: string;
  readonly intents: number;
  readonly shard: readonly [number, number];
  readonly largeThreshold: number;
  seq: number;
  /**
   * Dispatches sent (or owed) in this session, for RESUME; bounded. Kept
   * serialized, so a replay shows the state at dispatch time, not now.
   */
  readonly sent: Array<{ readonly s: number; readonly text: string }>;
  conn: Connection | undefined;
}

interface Connection {
  readonly ws: WebSocket;
  session: Session | undefined;
  readonly stream: Deflate | undefined;
  /** Deflated bytes not yet sent (zlib-stream). */
  readonly pending: Buffer[];
  identifyCompress: boolean;
  readonly heartbeat: HeartbeatDeadline;
  /** False once `stopAcking` made this connection a zombie: heartbeats are taken but never ACKed. */
  acking: boolean;
}

const REPLAY_LIMIT = 10_000;

export class Gateway {
  private readonly host: GatewayHost;
  private readonly heartbeatIntervalMs: number;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly connections = new Set<Connection>();
  private offline = false;
  identifies = 0;
  resumes = 0;
  /** Heartbeats (op 1) received from clients. */
  heartbeats = 0;
  /** Connections closed because their heartbeat did not come in time. */
  heartbeatTimeouts = 0;

  constructor(host: GatewayHost, o: { heartbeatIntervalMs?: number } = {}) {
    this.host = host;
    this.heartbeatIntervalMs = o.heartbeatIntervalMs ?? 41250;
  }

  /** Takes an HTTP upgrade; refused (the socket reset) while offline. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.offline) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  /** Hands a dispatch to every session whose intents (and shard) cover it. */
  publish(dispatch: Dispatch): void {
    for (const session of this.sessions.values()) {
      if (dispatch.guildId && !onShard(dispatch.guildId, session.shard)) continue;
      if (!dispatch.guildId && session.shard[0] !== 0 && dispatch.t.startsWith("MESSAGE")) continue;
      if (!wants(session.intents, dispatch)) continue;
      const d = shapeFor(session.intents, dispatch, this.host.bot.id, session.largeThreshold);
      this.deliver(session, dispatch.t, d);
    }
  }

  dropConnection(code = GatewayCloseCodes.UnknownError): void {
    const ends = new Set<number>([
      GatewayCloseCodes.AuthenticationFailed,
      GatewayCloseCodes.InvalidSeq,
      GatewayCloseCodes.SessionTimedOut,
      GatewayCloseCodes.InvalidShard,
      GatewayCloseCodes.ShardingRequired,
      GatewayCloseCodes.InvalidAPIVersion,
      GatewayCloseCodes.InvalidIntents,
      GatewayCloseCodes.DisallowedIntents,
    ]);
    for (const conn of [...this.connections]) {
      if (conn.session && ends.has(code)) this.sessions.delete(conn.session.id);
      conn.ws.close(code, "fake Discord dropped the connection");
    }
  }

  requestReconnect(): void {
    for (const conn of this.connections) if (conn.session) this.send(conn, { op: GatewayOpcodes.Reconnect, d: null });
  }

  /** Op 9 to every identified connection; a non-resumable session is gone, a resumable one may RESUME on the same socket. */
  invalidateSession(resumable: boolean): void {
    for (const conn of this.connections) {
      const session = conn.session;
      if (!session) continue;
      conn.session = undefined;
      session.conn = undefined;
      if (!resumable) this.sessions.delete(session.id);
      this.send(conn, { op: GatewayOpcodes.InvalidSession, d: resumable });
    }
  }

  /** Offline: every socket is cut without a close frame and new ones are refused; sessions stay resumable. */
  setOffline(offline: boolean): void {
    this.offline = offline;
    if (offline) for (const conn of [...this.connections]) conn.ws.terminate();
  }

  /**
   * The connections open now stop ACKing heartbeats (they still read them),
   * as a zombied connection does; discord.js notices the missing ACK at its
   * next beat, closes and RESUMEs. Connections opened later ACK again.
   */
  stopAcking(): void {
    for (const conn of this.connections) conn.acking = false;
  }

  /** Op 1 to every connection: the client must answer with a heartbeat at once, or be closed with 4009. */
  requestHeartbeat(): void {
    for (const conn of this.connections) {
      if (conn.ws.readyState !== conn.ws.OPEN) continue;
      conn.heartbeat.requested();
      this.send(conn, { op: GatewayOpcodes.Heartbeat, d: null });
    }
  }

  /** After a token is revoked, its sessions end with 4004. */
  revoke(): void {
    this.sessions.clear();
    for (const conn of [...this.connections]) {
      conn.session = undefined;
      conn.ws.close(GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
    }
  }

  async close(): Promise<void> {
    for (const conn of this.connections) {
      conn.heartbeat.stop();
      conn.ws.terminate();
    }
    this.connections.clear();
    this.sessions.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  // --- one connection ----------------------------------------------------

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const params = new URL(req.url ?? "/", "ws://fake").searchParams;
    const compress = params.get("compress");
    const stream = compress === "zlib-stream" ? createDeflate() : undefined;
    const conn: Connection = {
      ws,
      session: undefined,
      stream,
      pending: [],
      identifyCompress: false,
      heartbeat: new HeartbeatDeadline(this.heartbeatIntervalMs, () => this.heartbeatMissed(conn)),
      acking: true,
    };
    stream?.on("data", (chunk: Buffer) => conn.pending.push(chunk));
    this.connections.add(conn);
    ws.on("close", (code) => {
      conn.heartbeat.stop();
      this.connections.delete(conn);
      if (conn.session?.conn === conn) conn.session.conn = undefined;
      // A client closing with 1000/1001 ends its session, as on Discord; 4xxx closes (discord.js uses 4200) keep it resumable.
      if (conn.session && (code === 1000 || code === 1001)) this.sessions.delete(conn.session.id);
      stream?.destroy();
      this.host.changed();
    });
    ws.on("error", () => ws.terminate());
    if (params.get("v") !== "10") {
      ws.close(GatewayCloseCodes.InvalidAPIVersion, "Invalid API version");
      return;
    }
    if ((params.get("encoding") ?? "json") !== "json" || (compress !== null && compress !== "zlib-stream")) {
      // The fake speaks JSON only, with zlib-stream as the only transport compression.
      ws.close(GatewayCloseCodes.DecodeError, "Error while decoding payload.");
      return;
    }
    this.send(conn, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.heartbeatIntervalMs } });
    ws.on("message", (data) => {
      // Once the fake has sent its close frame it reads nothing more, as a closing Discord socket would not act on it.
      if (ws.readyState !== ws.OPEN) return;
      try {
        this.receive(conn, data.toString());
      } catch {
        // A fault of the fake must not take the test process down; Discord's answer to its own failures is 4000.
        ws.close(GatewayCloseCodes.UnknownError, "Unknown error.");
      }
    });
  }

  private receive(conn: Connection, text: string): void {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = undefined;
    }
    if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
      conn.ws.close(GatewayCloseCodes.DecodeError, "Error while decoding payload.");
      return;
    }
    const { op, d: data } = payload as { op?: unknown; d?: unknown };
    const d = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
    switch (op) {
      case GatewayOpcodes.Heartbeat:
        // Any time is fine, early or requested; each one restarts the deadline.
        conn.heartbeat.beat();
        this.heartbeats++;
        if (conn.acking) this.send(conn, { op: GatewayOpcodes.HeartbeatAck, d: null });
        break;
      case GatewayOpcodes.Identify:
        this.identify(conn, d);
        break;
      case GatewayOpcodes.Resume:
        this.resume(conn, d);
        break;
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
        if (!conn.session) conn.ws.close(GatewayCloseCodes.NotAuthenticated, "Not authenticated.");
        return;
      case GatewayOpcodes.RequestGuildMembers:
        if (!conn.session) conn.ws.close(GatewayCloseCodes.NotAuthenticated, "Not authenticated.");
        else this.requestMembers(conn.session, d);
        return;
      default:
        conn.ws.close(GatewayCloseCodes.UnknownOpcode, "Unknown opcode.");
        return;
    }
    this.host.changed();
  }

  private identify(conn: Connection, d: Record<string, unknown>): void {
    if (conn.session) {
      conn.ws.close(GatewayCloseCodes.AlreadyAuthenticated, "Already authenticated.");
      return;
    }
    if (!this.tokenMatches(d.token)) {
      conn.ws.close(GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
      return;
    }
    const intents = d.intents;
    if (typeof intents !== "number" || !Number.isInteger(intents) || (intents & ~KNOWN_INTENTS) !== 0) {
      conn.ws.close(GatewayCloseCodes.InvalidIntents, "Invalid intent(s).");
      return;
    }
    if (this.host.disallowed(intents)) {
      conn.ws.close(GatewayCloseCodes.DisallowedIntents, "Disallowed intent(s).");
      return;
    }
    const shard = Array.isArray(d.shard) ? d.shard : [0, 1];
    const [shardId, shardCount] = shard;
    if (
      typeof shardId !== "number" ||
      typeof shardCount !== "number" ||
      shardCount < 1 ||
      shardId < 0 ||
      shardId >= shardCount
    ) {
      conn.ws.close(GatewayCloseCodes.InvalidShard, "Invalid shard.");
      return;
    }
    const threshold = typeof d.large_threshold === "number" ? Math.min(250, Math.max(50, d.large_threshold)) : 50;
    const session: Session = {
      id: randomBytes(16).toString("hex"),
      intents,
      shard: [shardId, shardCount],
      largeThreshold: threshold,
      seq: 0,
      sent: [],
      conn,
    };
    conn.identifyCompress = d.compress === true;
    conn.session = session;
    this.sessions.set(session.id, session);
    this.identifies++;
    const guilds = this.host.guildIds().filter((g) => onShard(g, session.shard));
    this.deliver(session, "READY", {
      v: 10,
      user: this.host.bot,
      guilds: guilds.map((id) => ({ id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: this.host.url,
      shard: [shardId, shardCount],
      application: { id: this.host.applicationId, flags: this.host.applicationFlags() },
      private_channels: [],
      presences: [],
      relationships: [],
      user_settings: {},
      session_type: "normal",
      auth: {},
      _trace: ['["parley-fake-gateway",{"micros":0}]'],
    });
    if (has(intents, GatewayIntentBits.Guilds)) {
      for (const id of guilds) {
        const dispatch: Dispatch = { t: "GUILD_CREATE", d: this.host.guildCreate(id), guildId: id };
        this.deliver(session, "GUILD_CREATE", shapeFor(intents, dispatch, this.host.bot.id, threshold));
      }
    }
  }

  private resume(conn: Connection, d: Record<string, unknown>): void {
    if (conn.session) {
      conn.ws.close(GatewayCloseCodes.AlreadyAuthenticated, "Already authenticated.");
      return;
    }
    if (!this.tokenMatches(d.token)) {
      conn.ws.close(GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
      return;
    }
    this.resumes++;
    const session = typeof d.session_id === "string" ? this.sessions.get(d.session_id) : undefined;
    const seq = typeof d.seq === "number" ? d.seq : -1;
    const oldest = session?.sent[0]?.s ?? (session ? session.seq + 1 : 0);
    if (!session || seq < oldest - 1) {
      // Unknown or expired session: Discord answers op 9 (not resumable) and the client identifies again.
      this.send(conn, { op: GatewayOpcodes.InvalidSession, d: false });
      return;
    }
    if (seq > session.seq) {
      this.sessions.delete(session.id);
      conn.ws.close(GatewayCloseCodes.InvalidSeq, "Invalid seq.");
      return;
    }
    if (session.conn && session.conn !== conn)
      session.conn.ws.close(GatewayCloseCodes.UnknownError, "Resumed elsewhere.");
    session.conn = conn;
    conn.session = session;
    for (const p of session.sent) if (p.s > seq) this.sendText(conn, p.text, true);
    this.deliver(session, "RESUMED", null);
  }

  /**
   * The heartbeat did not come in time. Discord documents no close code for
   * this; 4009 "Session timed out" is the one that names a timeout, and
   * discord.js (@discordjs/ws) answers it with a RESUME. The close code
   * table marks 4009 "Resume: false", but the Gateway page says of exactly
   * this case that the client is "forced to Resume", so the session is kept:
   * a client that resumes gets its missed dispatches, one that identifies
   * anew (as the table suggests) gets a new session.
   */
  private heartbeatMissed(conn: Connection): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    this.heartbeatTimeouts++;
    // Detached before closing, so that the client echoing a 1000 in its close frame cannot end the session.
    if (conn.session?.conn === conn) conn.session.conn = undefined;
    conn.session = undefined;
    conn.ws.close(GatewayCloseCodes.SessionTimedOut, "Session timed out.");
    this.host.changed();
  }

  private requestMembers(session: Session, d: Record<string, unknown>): void {
    const guildId = typeof d.guild_id === "string" ? d.guild_id : undefined;
    if (!guildId || !this.host.guildIds().includes(guildId)) return;
    const all = this.host.members(guildId);
    const wanted = d.user_ids === undefined ? undefined : [d.user_ids].flat().map(String);
    let found: typeof all;
    if (wanted) {
      found = all.filter((m) => wanted.includes(m.member.user.id));
    } else if (has(session.intents, GatewayIntentBits.GuildMembers) || typeof d.query === "string") {
      const query = String(d.query ?? "").toLowerCase();
      const limit = typeof d.limit === "number" && d.limit > 0 ? d.limit : Number.POSITIVE_INFINITY;
      found = all
        .filter((m) => [m.member.user.username, m.member.nick ?? ""].some((n) => n.toLowerCase().startsWith(query)))
        .slice(0, limit);
    } else {
      found = [];
    }
    const withPresences = d.presences === true && has(session.intents, GatewayIntentBits.GuildPresences);
    const chunks: Array<typeof found> = [];
    for (let i = 0; i < found.length; i += 1000) chunks.push(found.slice(i, i + 1000));
    if (chunks.length === 0) chunks.push([]);
    chunks.forEach((chunk, i) => {
      this.deliver(session, "GUILD_MEMBERS_CHUNK", {
        guild_id: guildId,
        members: chunk.map((m) => m.member),
        chunk_index: i,
        chunk_count: chunks.length,
        ...(i === 0 && wanted ? { not_found: wanted.filter((u) => !found.some((m) => m.member.user.id === u)) } : {}),
        ...(withPresences ? { presences: chunk.map((m) => m.presence).filter((p) => p.status !== "offline") } : {}),
        ...(typeof d.nonce === "string" ? { nonce: d.nonce } : {}),
      });
    });
  }

  // --- sending -----------------------------------------------------------

  /** Gives the dispatch the session's next sequence number, keeps it for RESUME, sends it if connected. */
  private deliver(session: Session, t: string, d: unknown): void {
    session.seq++;
    const text = JSON.stringify({ t, s: session.seq, op: GatewayOpcodes.Dispatch, d });
    session.sent.push({ s: session.seq, text });
    if (session.sent.length > REPLAY_LIMIT) session.sent.shift();
    if (session.conn) this.sendText(session.conn, text, true);
  }

  private send(conn: Connection, payload: { op: number; d: unknown }): void {
    this.sendText(conn, JSON.stringify({ t: null, s: null, op: payload.op, d: payload.d }), false);
  }

  private sendText(conn: Connection, text: string, dispatch: boolean): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (conn.stream) {
      // One shared deflate context per connection; each payload ends with a sync flush (00 00 ff ff).
      conn.stream.write(text);
      conn.stream.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        const out = Buffer.concat(conn.pending.splice(0));
        if (out.length > 0 && conn.ws.readyState === conn.ws.OPEN) conn.ws.send(out);
      });
    } else if (conn.identifyCompress && dispatch) {
      conn.ws.send(deflateSync(text));
    } else {
      conn.ws.send(text);
    }
  }

  private tokenMatches(token: unknown): boolean {
    const expected = this.host.token();
    if (expected === undefined || typeof token !== "string") return false;
    return token.replace(/^Bot\s+/i, "") === expected;
  }
}

/** Discord's guild-to-shard rule: (guild_id >> 22) % shard_count. */
function onShard(guildId: string, shard: readonly [number, number]): boolean {
  return Number((BigInt(guildId) >> 22n) % BigInt(shard[1])) === shard[0];
}
