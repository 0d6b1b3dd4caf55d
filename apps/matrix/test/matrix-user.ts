/**
 * A real Matrix user for the tests, speaking the client-server API with
 * fetch: sends what a Matrix client would send, and syncs (long polls) in
 * the background so a test can await "the next event matching this
 * predicate", including one that arrived before the wait began.
 */

export interface SyncItem {
  readonly roomId: string;
  /** timeline and state events of joined rooms, invites, ephemeral (typing, receipts), presence. */
  readonly kind: "timeline" | "invite" | "ephemeral" | "presence";
  readonly event: MatrixEventJson;
}

export interface MatrixEventJson {
  readonly type: string;
  readonly sender?: string;
  readonly event_id?: string;
  readonly state_key?: string;
  readonly redacts?: string;
  readonly origin_server_ts?: number;
  readonly content: Record<string, unknown> & {
    readonly body?: string;
    readonly msgtype?: string;
    readonly membership?: string;
    readonly "m.relates_to"?: Record<string, unknown>;
  };
  readonly unsigned?: Record<string, unknown>;
}

export class MatrixHttpError extends Error {
  readonly status: number;
  readonly errcode: string | undefined;
  constructor(what: string, status: number, body: Record<string, unknown>) {
    super(`${what}: HTTP ${status} ${String(body.errcode ?? "")} ${String(body.error ?? "")}`);
    this.status = status;
    this.errcode = typeof body.errcode === "string" ? body.errcode : undefined;
  }
}

let txn = 0;

export class MatrixUser {
  readonly baseUrl: string;
  readonly userId: string;
  private readonly token: string;
  private readonly buffer: SyncItem[] = [];
  private readonly waiters = new Set<{ pred: (i: SyncItem) => boolean; resolve: (i: SyncItem) => void }>();
  private readonly history: SyncItem[] = [];
  private since: string | undefined;
  private syncing = false;
  private loop: Promise<void> | undefined;
  private abort = new AbortController();

  constructor(baseUrl: string, userId: string, accessToken: string) {
    this.baseUrl = baseUrl;
    this.userId = userId;
    this.token = accessToken;
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    o: { signal?: AbortSignal; raw?: { bytes: Uint8Array; contentType: string } } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let payload: Blob | string | undefined;
    if (o.raw) {
      headers["content-type"] = o.raw.contentType;
      payload = new Blob([o.raw.bytes]);
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(payload !== undefined && { body: payload }),
      signal: o.signal ?? AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    if (!res.ok) throw new MatrixHttpError(`${method} ${path.split("?")[0]}`, res.status, parsed);
    return parsed as T;
  }

  async createRoom(body: Record<string, unknown>): Promise<string> {
    const r = await this.request<{ room_id: string }>("POST", "/_matrix/client/v3/createRoom", body);
    return r.room_id;
  }

  async join(roomIdOrAlias: string): Promise<string> {
    const r = await this.request<{ room_id: string }>(
      "POST",
      `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`,
      {},
    );
    return r.room_id;
  }

  async leave(roomId: string): Promise<void> {
    await this.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, {});
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, { user_id: userId });
  }

  async kick(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/kick`, {
      user_id: userId,
      ...(reason !== undefined && { reason }),
    });
  }

  async ban(roomId: string, userId: string, reason?: string): Promise<void> {
    await this.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/ban`, {
      user_id: userId,
      ...(reason !== undefined && { reason }),
    });
  }

  async send(roomId: string, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
    txn++;
    const r = await this.request<{ event_id: string }>(
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/t${process.pid}-${Date.now()}-${txn}`,
      content,
    );
    return r.event_id;
  }

  sendText(roomId: string, body: string): Promise<string> {
    return this.send(roomId, { msgtype: "m.text", body });
  }

  async redact(roomId: string, eventId: string, reason?: string): Promise<string> {
    txn++;
    const r = await this.request<{ event_id: string }>(
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/r${Date.now()}-${txn}`,
      reason !== undefined ? { reason } : {},
    );
    return r.event_id;
  }

  async typing(roomId: string, typing: boolean): Promise<void> {
    await this.request(
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(this.userId)}`,
      typing ? { typing: true, timeout: 30_000 } : { typing: false },
    );
  }

  async receipt(roomId: string, eventId: string): Promise<void> {
    await this.request(
      "POST",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`,
      {},
    );
  }

  async setPresence(presence: "online" | "unavailable" | "offline", statusMsg?: string): Promise<void> {
    await this.request("PUT", `/_matrix/client/v3/presence/${encodeURIComponent(this.userId)}/status`, {
      presence,
      ...(statusMsg !== undefined && { status_msg: statusMsg }),
    });
  }

  async setDisplayName(name: string): Promise<void> {
    await this.request("PUT", `/_matrix/client/v3/profile/${encodeURIComponent(this.userId)}/displayname`, {
      displayname: name,
    });
  }

  async upload(bytes: Uint8Array, contentType: string, filename: string): Promise<string> {
    const r = await this.request<{ content_uri: string }>(
      "POST",
      `/_matrix/media/v3/upload?filename=${encodeURIComponent(filename)}`,
      undefined,
      { raw: { bytes, contentType } },
    );
    return r.content_uri;
  }

  /** Downloads through authenticated media, as this user. */
  async download(mxc: string): Promise<{ bytes: Buffer; contentType: string | null }> {
    const m = /^mxc:\/\/([^/]+)\/(.+)$/.exec(mxc);
    if (!m) throw new Error(`not an mxc URI: ${mxc}`);
    const res = await fetch(`${this.baseUrl}/_matrix/client/v1/media/download/${m[1]}/${m[2]}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!res.ok) throw new Error(`download failed: ${res.status}`);
    return { bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get("content-type") };
  }

  async getEvent(roomId: string, eventId: string): Promise<MatrixEventJson> {
    return this.request<MatrixEventJson>(
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`,
    );
  }

  /** The room's current m.room.power_levels content. */
  async powerLevels(roomId: string): Promise<Record<string, unknown>> {
    return this.request("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`);
  }

  /**
   * Gives `userId` power level `level` in `roomId`. The whole power_levels
   * content is read and sent back: a state event replaces the previous one,
   * so sending only `users` would reset every other level to its default.
   */
  async setPowerLevel(roomId: string, userId: string, level: number): Promise<void> {
    const current = await this.powerLevels(roomId);
    const users = typeof current.users === "object" && current.users !== null ? current.users : {};
    await this.request("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`, {
      ...current,
      users: { ...users, [userId]: level },
    });
  }

  async joinedMembers(roomId: string): Promise<string[]> {
    const r = await this.request<{ joined: Record<string, unknown> }>(
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
    );
    return Object.keys(r.joined);
  }

  // --- sync ----------------------------------------------------------------------

  /**
   * Starts syncing from now on (what happened before is not reported). The
   * sync does not touch presence (`set_presence=offline`): a syncing client
   * would otherwise set itself back online between a test's presence change
   * and its arrival.
   */
  async startSync(): Promise<void> {
    if (this.syncing) return;
    const first = await this.request<{ next_batch: string }>(
      "GET",
      `/_matrix/client/v3/sync?timeout=0&filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 1 } } }))}`,
    );
    this.since = first.next_batch;
    this.syncing = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.syncing) {
      try {
        const r = await this.request<Record<string, unknown>>(
          "GET",
          `/_matrix/client/v3/sync?timeout=5000&set_presence=offline&since=${encodeURIComponent(this.since ?? "")}`,
          undefined,
          { signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(20_000)]) },
        );
        this.since = typeof r.next_batch === "string" ? r.next_batch : this.since;
        this.take(r);
      } catch {
        if (!this.syncing) return;
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  }

  private take(r: Record<string, unknown>): void {
    const rooms = (r.rooms ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [roomId, room] of Object.entries(rooms.join ?? {})) {
      for (const e of ((room.timeline as { events?: MatrixEventJson[] })?.events ?? []) as MatrixEventJson[]) {
        this.push({ roomId, kind: "timeline", event: e });
      }
      for (const e of ((room.ephemeral as { events?: MatrixEventJson[] })?.events ?? []) as MatrixEventJson[]) {
        this.push({ roomId, kind: "ephemeral", event: e });
      }
    }
    for (const [roomId, room] of Object.entries(rooms.invite ?? {})) {
      for (const e of ((room.invite_state as { events?: MatrixEventJson[] })?.events ?? []) as MatrixEventJson[]) {
        this.push({ roomId, kind: "invite", event: e });
      }
    }
    for (const e of ((r.presence as { events?: MatrixEventJson[] })?.events ?? []) as MatrixEventJson[]) {
      this.push({ roomId: "", kind: "presence", event: e });
    }
  }

  private push(item: SyncItem): void {
    this.history.push(item);
    if (this.history.length > 300) this.history.shift();
    for (const w of this.waiters) {
      let hit = false;
      try {
        hit = w.pred(item);
      } catch {
        hit = false;
      }
      if (hit) {
        this.waiters.delete(w);
        w.resolve(item);
        return;
      }
    }
    this.buffer.push(item);
  }

  /** The first buffered or future item matching `pred`, consumed; rejects after `timeoutMs`. */
  waitFor(pred: (i: SyncItem) => boolean, timeoutMs = 10_000, what = "a matching event"): Promise<SyncItem> {
    const i = this.buffer.findIndex((x) => {
      try {
        return pred(x);
      } catch {
        return false;
      }
    });
    if (i >= 0) return Promise.resolve(this.buffer.splice(i, 1)[0] as SyncItem);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (item: SyncItem) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        const seen = this.history
          .slice(-8)
          .map(
            (h) =>
              `  ${h.kind} ${h.event.type} ${h.event.sender ?? ""} ${JSON.stringify(h.event.content).slice(0, 160)}`,
          )
          .join("\n");
        reject(new Error(`${this.userId} saw no ${what} within ${timeoutMs} ms; last seen:\n${seen || "  (nothing)"}`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Every buffered item matching `pred` (not consumed). */
  seen(pred: (i: SyncItem) => boolean): SyncItem[] {
    return this.history.filter(pred);
  }

  async stop(): Promise<void> {
    this.syncing = false;
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }
}

/** A timeline event in `roomId` from `sender` passing `extra`. */
export function timeline(
  roomId: string,
  sender: string,
  extra: (e: MatrixEventJson) => boolean = () => true,
): (i: SyncItem) => boolean {
  return (i) => i.kind === "timeline" && i.roomId === roomId && i.event.sender === sender && extra(i.event);
}
