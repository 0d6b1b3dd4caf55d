/**
 * A Matrix user over the plain client-server API, enough for the relay test:
 * a public room, messages, edits (m.replace), replies (m.in_reply_to),
 * reactions (m.annotation) and redactions, and the room's events read back
 * in order through /messages.
 */
import { matrixRequest } from "@parley/testkit";

export interface MatrixEvent {
  readonly type: string;
  readonly sender: string;
  readonly event_id: string;
  readonly content: Record<string, unknown>;
  readonly redacts?: string;
  readonly unsigned?: { readonly redacted_because?: unknown };
}

export class MatrixUser {
  private txn = 0;
  private readonly baseUrl: string;
  readonly userId: string;
  private readonly token: string;

  constructor(baseUrl: string, userId: string, token: string) {
    this.baseUrl = baseUrl;
    this.userId = userId;
    this.token = token;
  }

  private call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    return matrixRequest(this.baseUrl, `${method} ${path.split("?")[0]}`, method, path, body, this.token);
  }

  private room(roomId: string): string {
    return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
  }

  async createPublicRoom(name: string): Promise<string> {
    const r = await this.call("POST", "/_matrix/client/v3/createRoom", { preset: "public_chat", name });
    return String(r.room_id);
  }

  async joinedMembers(roomId: string): Promise<string[]> {
    const r = (await this.call("GET", `${this.room(roomId)}/joined_members`)) as { joined?: Record<string, unknown> };
    return Object.keys(r.joined ?? {});
  }

  /** Sends an event of `type` and resolves with its id. */
  async send(roomId: string, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
    const txn = `relay-${process.pid}-${++this.txn}`;
    const r = await this.call("PUT", `${this.room(roomId)}/send/${type}/${txn}`, content);
    return String(r.event_id);
  }

  say(roomId: string, body: string): Promise<string> {
    return this.send(roomId, { msgtype: "m.text", body });
  }

  edit(roomId: string, eventId: string, body: string): Promise<string> {
    return this.send(roomId, {
      msgtype: "m.text",
      body: `* ${body}`,
      "m.new_content": { msgtype: "m.text", body },
      "m.relates_to": { rel_type: "m.replace", event_id: eventId },
    });
  }

  reply(roomId: string, eventId: string, body: string): Promise<string> {
    return this.send(roomId, { msgtype: "m.text", body, "m.relates_to": { "m.in_reply_to": { event_id: eventId } } });
  }

  react(roomId: string, eventId: string, key: string): Promise<string> {
    return this.send(roomId, { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } }, "m.reaction");
  }

  async redact(roomId: string, eventId: string): Promise<void> {
    await this.call(
      "PUT",
      `${this.room(roomId)}/redact/${encodeURIComponent(eventId)}/relay-${process.pid}-${++this.txn}`,
      {
        reason: "relay test",
      },
    );
  }

  /** The room's events, oldest first (the room's timeline order). */
  async events(roomId: string): Promise<MatrixEvent[]> {
    const out: MatrixEvent[] = [];
    let from: string | undefined;
    for (;;) {
      const q = `dir=f&limit=100${from ? `&from=${encodeURIComponent(from)}` : ""}`;
      const r = (await this.call("GET", `${this.room(roomId)}/messages?${q}`)) as {
        chunk?: MatrixEvent[];
        end?: string;
      };
      const chunk = r.chunk ?? [];
      out.push(...chunk);
      if (chunk.length === 0 || r.end === undefined || r.end === from) return out;
      from = r.end;
    }
  }
}
