/**
 * Counts what the bridge asks of the homeserver during a bench run: requests
 * by method and path shape, and the most in flight at once. The bridge's
 * requests are told from the bench's own by their bearer token (the
 * application service's as_token). Works by wrapping the global fetch, which
 * the bridge's Matrix clients call for every request.
 */

/** `PUT /rooms/:id/send/m.room.message/:txn`: the path with its identifiers replaced, no query. */
export function requestShape(method: string, url: string): string {
  const path = new URL(url).pathname
    .replace(/^\/_matrix\/client\/v\d+/, "")
    .split("/")
    .map((part) => (/^[!@$#%]|^parley\.|^[0-9]+$|%/.test(part) ? ":id" : part))
    .join("/");
  return `${method.toUpperCase()} ${path}`;
}

export class HomeserverRequests {
  private readonly byShape = new Map<string, number>();
  private inFlight = 0;
  private maxInFlight = 0;
  /** Time with no request of the bridge's in flight, since the first request after the last reset. */
  private idleMs = 0;
  private idleSince: number | undefined;
  private durationsMs = 0;
  /** Per room: when its last request was answered, and whether one is in flight. */
  private readonly rooms = new Map<string, { answeredAt?: number; inFlight: number }>();
  /** Time a room waited between an answer and its next request, summed, and how many such waits. */
  private roomGapMs = 0;
  private roomGaps = 0;
  private restore: (() => void) | undefined;

  /** Starts counting the requests that carry `token`. */
  install(token: string): void {
    const original = globalThis.fetch;
    const bearer = `Bearer ${token}`;
    globalThis.fetch = async (input, init) => {
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      if (headers.get("authorization") !== bearer) return original(input, init);
      const url = input instanceof Request ? input.url : String(input);
      const method = init?.method ?? (input instanceof Request ? input.method : "GET");
      const shape = requestShape(method, url);
      this.byShape.set(shape, (this.byShape.get(shape) ?? 0) + 1);
      const started = performance.now();
      const roomId = /\/rooms\/([^/]+)\//.exec(new URL(url).pathname)?.[1];
      const room = roomId === undefined ? undefined : this.roomState(roomId);
      if (room && room.inFlight === 0 && room.answeredAt !== undefined) {
        this.roomGapMs += started - room.answeredAt;
        this.roomGaps++;
      }
      if (room) room.inFlight++;
      if (this.inFlight === 0 && this.idleSince !== undefined) this.idleMs += started - this.idleSince;
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      try {
        const res = await original(input, init);
        await res.clone().arrayBuffer();
        return res;
      } finally {
        this.inFlight--;
        const ended = performance.now();
        this.durationsMs += ended - started;
        if (room) {
          room.inFlight--;
          room.answeredAt = ended;
        }
        if (this.inFlight === 0) this.idleSince = ended;
      }
    };
    this.restore = () => {
      globalThis.fetch = original;
    };
  }

  private roomState(roomId: string): { answeredAt?: number; inFlight: number } {
    let r = this.rooms.get(roomId);
    if (!r) {
      r = { inFlight: 0 };
      this.rooms.set(roomId, r);
    }
    return r;
  }

  uninstall(): void {
    this.restore?.();
    this.restore = undefined;
  }

  /** What was counted since the last reset: requests by shape, their total, and the most in flight at once. */
  take(): {
    readonly total: number;
    readonly maxInFlight: number;
    readonly byShape: Record<string, number>;
    /** Mean time from a request to its whole answer. */
    readonly meanMs: number;
    /** Time between requests (none in flight), from the first request to the last answer. */
    readonly idleMs: number;
    /**
     * Mean time a room waited between the answer to one request and its next
     * request (rooms with none in flight): the sender's own time per message
     * in that room, beyond the homeserver's answer.
     */
    readonly roomGapMs: number;
  } {
    const byShape = Object.fromEntries([...this.byShape.entries()].sort((a, b) => b[1] - a[1]));
    const total = [...this.byShape.values()].reduce((n, c) => n + c, 0);
    const taken = {
      total,
      maxInFlight: this.maxInFlight,
      byShape,
      meanMs: total === 0 ? 0 : Math.round((this.durationsMs / total) * 10) / 10,
      idleMs: Math.round(this.idleMs),
      roomGapMs: this.roomGaps === 0 ? 0 : Math.round((this.roomGapMs / this.roomGaps) * 10) / 10,
    };
    this.byShape.clear();
    this.maxInFlight = this.inFlight;
    this.idleMs = 0;
    this.idleSince = undefined;
    this.durationsMs = 0;
    this.roomGapMs = 0;
    this.roomGaps = 0;
    for (const r of this.rooms.values()) r.answeredAt = undefined;
    return taken;
  }
}
