/**
 * A Matrix user over the plain client-server API: creates and joins rooms,
 * sends numbered messages one at a time (a send cut off by a homeserver
 * restart is sent again with the same transaction id, which the homeserver
 * answers with the event it already made), follows the room live through
 * /sync, and reads the room's whole history through /messages.
 */

export interface MatrixMessage {
  readonly sender: string;
  readonly body: string;
  readonly eventId: string;
  readonly at: number;
}

interface TimelineEvent {
  readonly type?: string;
  readonly sender?: string;
  readonly event_id?: string;
  readonly origin_server_ts?: number;
  readonly content?: { body?: unknown; "m.relates_to"?: unknown };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class MatrixUser {
  /** Every m.room.message from someone else in the followed room, in the order /sync gave them. */
  readonly live: MatrixMessage[] = [];
  /**
   * This user's own m.room.message events in the followed room, in the order /sync gave them:
   * the order Synapse persisted them in (its stream order), which is the order it pushes them to
   * application services. /messages gives the room's DAG order instead, which differs from it when
   * several were sent at once (two made at the same time may point to the same predecessor).
   */
  readonly ownLive: MatrixMessage[] = [];
  /** /sync answers whose timeline for the room was cut short (`limited`): live may have missed events then. */
  gaps = 0;
  private syncing = false;
  private syncLoop: Promise<void> | undefined;
  private txn = 0;

  private readonly baseUrl: string;
  readonly userId: string;
  private readonly token: string;

  constructor(baseUrl: string, userId: string, token: string) {
    this.baseUrl = baseUrl;
    this.userId = userId;
    this.token = token;
  }

  async createPublicRoom(name: string): Promise<string> {
    const r = await this.call("POST", "/_matrix/client/v3/createRoom", { preset: "public_chat", name });
    return String((r as { room_id: string }).room_id);
  }

  async joinedMembers(roomId: string): Promise<string[]> {
    const r = (await this.call("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`)) as {
      joined?: Record<string, unknown>;
    };
    return Object.keys(r.joined ?? {});
  }

  /**
   * Sends one text message and resolves with its event id. Network failures and 5xx
   * (the homeserver restarting) are retried with the same transaction id for up to
   * `retryForMs`, so a message is sent once even when the first answer was lost.
   */
  async send(roomId: string, body: string, retryForMs = 120_000): Promise<string> {
    this.txn++;
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/faults-${process.pid}-${this.txn}`;
    const deadline = Date.now() + retryForMs;
    for (;;) {
      try {
        const r = (await this.call("PUT", path, { msgtype: "m.text", body })) as { event_id: string };
        return r.event_id;
      } catch (e) {
        const retriable = !(e instanceof MatrixHttpError) || e.status >= 500 || e.status === 429;
        if (!retriable || Date.now() > deadline) throw e;
        await sleep(200);
      }
    }
  }

  /** Follows `roomId` through /sync from now on, collecting others' messages into `live`. */
  startSync(roomId: string): Promise<void> {
    if (this.syncing) throw new Error("already syncing");
    this.syncing = true;
    const filter = JSON.stringify({
      room: {
        rooms: [roomId],
        timeline: { limit: 1000, types: ["m.room.message"] },
        state: { lazy_load_members: true, types: [] },
        ephemeral: { types: [] },
        account_data: { types: [] },
      },
      presence: { types: [] },
      account_data: { types: [] },
    });
    let resolveFirst: () => void = () => {};
    const first = new Promise<void>((r) => {
      resolveFirst = r;
    });
    this.syncLoop = (async () => {
      let since: string | undefined;
      while (this.syncing) {
        const q = new URLSearchParams({ filter, timeout: since === undefined ? "0" : "5000" });
        if (since !== undefined) q.set("since", since);
        let r: {
          next_batch?: string;
          rooms?: { join?: Record<string, { timeline?: { events?: TimelineEvent[]; limited?: boolean } }> };
        };
        try {
          r = (await this.call("GET", `/_matrix/client/v3/sync?${q}`)) as typeof r;
        } catch {
          await sleep(500); // the homeserver restarting: sync again from the same token
          continue;
        }
        const timeline = r.rooms?.join?.[roomId]?.timeline;
        if (since !== undefined) {
          if (timeline?.limited) this.gaps++;
          for (const e of timeline?.events ?? []) {
            this.take(e, this.live);
            this.take(e, this.ownLive, "own");
          }
        }
        since = r.next_batch ?? since;
        resolveFirst();
      }
    })();
    return first;
  }

  /** The room's whole history of m.room.message events, oldest first: from others, or this user's own. */
  async history(roomId: string, whose: "others" | "own" = "others"): Promise<MatrixMessage[]> {
    const out: MatrixMessage[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const q = new URLSearchParams({ dir: "f", limit: "1000" });
      if (from !== undefined) q.set("from", from);
      const r = (await this.call("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${q}`)) as {
        chunk?: TimelineEvent[];
        end?: string;
      };
      for (const e of r.chunk ?? []) this.take(e, out, whose);
      if (r.end === undefined || (r.chunk ?? []).length === 0) return out;
      from = r.end;
    }
    throw new Error(`the history of ${roomId} did not end after 10,000 pages`);
  }

  async stop(): Promise<void> {
    this.syncing = false;
    await this.syncLoop;
  }

  private take(e: TimelineEvent, into: MatrixMessage[], whose: "others" | "own" = "others"): void {
    if (e.type !== "m.room.message" || typeof e.content?.body !== "string") return;
    if ((e.sender === this.userId) !== (whose === "own")) return;
    // An edit (m.replace) repeats the text with "* ": it is not a message of its own.
    if (e.content["m.relates_to"] !== undefined) return;
    into.push({ sender: e.sender ?? "", body: e.content.body, eventId: e.event_id ?? "", at: e.origin_server_ts ?? 0 });
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new MatrixHttpError(method, path, res.status, text);
    return text === "" ? {} : JSON.parse(text);
  }
}

export class MatrixHttpError extends Error {
  readonly status: number;

  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path.split("?")[0]} answered ${status}: ${body.slice(0, 300)}`);
    this.status = status;
  }
}
