/**
 * The least of a Matrix client the hostile cases need: a user who makes or
 * joins a room and sends any event, well-formed or not, as it is.
 */
import { randomBytes } from "node:crypto";

export class MatrixClient {
  readonly userId: string;
  private readonly baseUrl: string;
  private readonly token: string;

  constructor(baseUrl: string, userId: string, token: string) {
    this.baseUrl = baseUrl;
    this.userId = userId;
    this.token = token;
  }

  async createPublicRoom(name: string): Promise<string> {
    const r = await this.request("POST", "/_matrix/client/v3/createRoom", { name, preset: "public_chat" });
    return String(r.room_id);
  }

  async join(roomId: string): Promise<void> {
    await this.request("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
  }

  async joinedMembers(roomId: string): Promise<string[]> {
    const r = await this.request("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`);
    return Object.keys((r.joined as Record<string, unknown> | undefined) ?? {});
  }

  /** Sends an event as given; resolves with its id (the homeserver may refuse: that rejects). */
  async send(roomId: string, type: string, content: unknown): Promise<string> {
    const txn = randomBytes(8).toString("hex");
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${encodeURIComponent(type)}/${txn}`;
    return String((await this.request("PUT", path, content)).event_id);
  }

  /** Sets a state event (a membership's display name, say). */
  async state(roomId: string, type: string, key: string, content: unknown): Promise<void> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(key)}`;
    await this.request("PUT", path, content);
  }

  async redact(roomId: string, eventId: string): Promise<void> {
    const txn = randomBytes(8).toString("hex");
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/${txn}`;
    await this.request("PUT", path, {});
  }

  private async request(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status === 429 && attempt < 20) {
        const wait = Number((JSON.parse(text) as { retry_after_ms?: number }).retry_after_ms ?? 500);
        await new Promise((r) => setTimeout(r, Math.min(wait, 5000)));
        continue;
      }
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
      return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    }
  }
}
