/**
 * XMPP -> Matrix: the engine's requests as events sent by the ghost of the
 * XMPP user: messages (HTML through the shared formatting tree), edits as
 * m.replace with m.new_content, replies (m.in_reply_to), threads (m.thread
 * on the root event the engine names), reactions as
 * m.annotation (removed by redacting the reaction event, whose ID is kept),
 * files uploaded to the media repository as the ghost, typing, read receipts,
 * occupants joining and leaving, presence, and direct chats in a DM room the
 * ghost opens.
 *
 * Failures come out as delivery errors (matrix-errors.ts). A refusal for lack
 * of power also tells the bridge's admins which power level to grant where.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  AdminNotices,
  type ChannelLimits,
  type ConnectorHost,
  type DeleteRequest,
  type DirectRequest,
  describeFailure,
  type EditRequest,
  type Logger,
  MediaTooLargeError,
  type OutgoingAttachment,
  type OutgoingMessage,
  PermanentError,
  type ReactRequest,
  type ReadRequest,
  type RichText,
  type TypingRequest,
  type XmppOccupantEvent,
  type XmppSender,
} from "@parley/bridge";
import { Preset } from "matrix-js-sdk";
import type { Ghosts } from "./ghosts.ts";
import type { HomeserverClients } from "./homeserver-clients.ts";
import { type MatrixWriteContext, toMatrixContent } from "./html/index.ts";
import { callHomeserver, errcodeOf } from "./matrix-errors.ts";
import { botUserId, ghostUserId, type MatrixNames } from "./matrix-ids.ts";
import { redactRoomEvent, requiredPowerLevel, sendReadReceipt, sendRoomEvent } from "./matrix-rest.ts";
import { downloadFile, msgtypeFor } from "./media.ts";
import type { Portals } from "./portals.ts";

export interface EventsOutOptions {
  readonly names: MatrixNames;
  readonly clients: HomeserverClients;
  readonly ghosts: Ghosts;
  readonly portals: Portals;
  readonly logger: Logger;
  readonly media: { readonly maxBytes: number; readonly allowPrivateAddresses: boolean };
  readonly host: () => ConnectorHost;
}

type Content = Record<string, unknown>;

/**
 * Bytes of one message's `body` and `formatted_body` together, as JSON
 * (escapes included), that one event may carry. Synapse refuses an event
 * over 65,536 bytes (the whole federation PDU: content, room, sender,
 * hashes, signatures, auth and prev events, together a few KB at most).
 * An edit carries the text twice (the `* ` fallback and `m.new_content`),
 * so it is about twice this plus a few hundred bytes of relations: 24,000
 * leaves some 13 KB for everything else, and a message's edits always fit.
 */
export const MATRIX_TEXT_BYTES = 24_000;

/** How Matrix counts a text: the JSON bytes of its `body` and `formatted_body`. */
export function matrixTextBytes(text: RichText, ctx: MatrixWriteContext = {}): number {
  const c = toMatrixContent(text, ctx);
  return jsonBytes(c.body) + (c.formatted_body !== undefined ? jsonBytes(c.formatted_body) : 0);
}

function jsonBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s), "utf8");
}

/** Parts and reaction ids serve one message each: they go when the message map forgets it. */
const PER_MESSAGE = { expiresWithMessage: true } as const;

/**
 * A transaction id derived from the engine's idempotency key: a retry, or a
 * resend after a crash, sends the same one, and the homeserver answers it
 * with the event it already made instead of making another. Synapse keeps
 * this for an application service's requests (which act as a ghost through
 * `user_id`) by the request path (room, event type, transaction id) and the
 * application service, not by the ghost, in memory for 30 to 60 minutes and
 * not across its own restarts; the key, unique per delivery, keeps ghosts
 * apart.
 */
export function txnIdFor(key: string, part: number): string {
  return `parley.${createHash("sha256").update(`${key}#${part}`).digest("base64url").slice(0, 32)}`;
}

/**
 * The transaction id of a request the engine keyed; one it could not key (a
 * direct-chat stanza with no id at all) gets a fresh id, since reusing one
 * derived from the content would make the homeserver swallow a later request
 * that happens to look the same (an edit back to an earlier text).
 */
function requestTxnId(key: string | undefined, what: string): string {
  return key !== undefined ? txnIdFor(`${what} ${key}`, 0) : `parley.${randomUUID()}`;
}

/**
 * The transaction id of redacting event `id`: from the request's key (one
 * per part of a message), else from the event itself, since redacting the
 * same event again is the same request and must not make a second redaction.
 */
function redactionTxnId(key: string | undefined, roomId: string, id: string): string {
  return txnIdFor(key !== undefined ? `redact ${key} ${id}` : `redact ${roomId} ${id}`, 0);
}

const ACTION_WORDS: Readonly<Record<string, string>> = {
  redact: "remove other people's messages",
  invite: "invite XMPP users' ghosts",
  kick: "remove users",
  "m.room.message": "send messages",
  "m.reaction": "react",
};

export class EventsOut {
  private readonly o: EventsOutOptions;
  /** Refusals told to the admins, by `room action who` (AdminNotices bounds them). */
  private readonly notices: AdminNotices;

  constructor(o: EventsOutOptions) {
    this.o = o;
    this.notices = new AdminNotices({ notify: (text) => o.host().notifyAdmins(text), logger: o.logger });
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return callHomeserver(what, fn, this.o.logger);
  }

  private get state() {
    return this.o.host().state;
  }

  private writeContext(): MatrixWriteContext {
    return {
      mentionOf: (target) => {
        if (target.network === "matrix" && target.remoteId?.startsWith("@")) return { userId: target.remoteId };
        if (target.jid !== undefined)
          return { userId: ghostUserId(target.jid.split("/")[0] ?? target.jid, this.o.names) };
        return undefined;
      },
    };
  }

  /**
   * Runs a homeserver call for `who` in `roomId`; a refusal for lack of power
   * level becomes a PermanentError and an admin notice (once per room and
   * action) naming the level to grant.
   */
  private async guarded<T>(
    roomId: string,
    action: string,
    who: string,
    what: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await this.call(what, fn);
    } catch (e) {
      if (errcodeOf(e) !== "M_FORBIDDEN") throw e;
      // Never rejects: a room whose power levels cannot be read gives no level to name.
      const level = await requiredPowerLevel(this.o.clients.bot, roomId, action);
      const words = ACTION_WORDS[action] ?? action;
      const notice =
        `Matrix refused to let ${who} ${words} in room ${roomId}` +
        (level !== undefined
          ? `: grant ${who} power level ${level} there (or lower the level the room requires)`
          : "") +
        ".";
      await this.notices.notice(`${roomId} ${action} ${who}`, notice, { room: roomId, action, who, level });
      throw new PermanentError(`${what}: forbidden (${who} needs power level ${level ?? "?"} to ${words})`, {
        cause: e,
      });
    }
  }

  /**
   * Who the ghost stands for: the XMPP user's bare JID where the room
   * discloses it (one ghost whatever client they use), else the occupant JID
   * (room@service/nick), the only identity a semi-anonymous room gives.
   */
  private identity(channel: string, sender: XmppSender): XmppSender {
    const slash = sender.jid.indexOf("/");
    if (slash < 0) return sender;
    const bare = sender.jid.slice(0, slash).toLowerCase();
    if (this.o.host().roomsOf(channel).includes(bare)) return sender;
    return { ...sender, jid: bare };
  }

  /** The ghost of `sender`, in `roomId`. */
  private async ghostIn(roomId: string, who: XmppSender): Promise<string> {
    const sender = this.identity(roomId, who);
    const ghost = await this.o.ghosts.ensure(sender);
    await this.guarded(roomId, "invite", botUserId(this.o.names), "bringing a ghost into a room", () =>
      this.o.ghosts.ensureIn(roomId, ghost),
    );
    // A failure to rename is no reason to lose the message: logged, and tried again next time.
    await this.o.ghosts.showNameIn(roomId, ghost, sender.nick).catch((e: unknown) =>
      this.o.logger.warn("a ghost's name in a room could not be set", {
        room: roomId,
        error: e instanceof Error ? e.message : String(e),
      }),
    );
    return ghost;
  }

  private relations(reply: string | undefined, root: string | undefined): { "m.relates_to"?: Record<string, unknown> } {
    if (root !== undefined) {
      return {
        "m.relates_to": {
          rel_type: "m.thread",
          event_id: root,
          is_falling_back: reply === undefined,
          "m.in_reply_to": { event_id: reply ?? root },
        },
      };
    }
    if (reply !== undefined) return { "m.relates_to": { "m.in_reply_to": { event_id: reply } } };
    return {};
  }

  /**
   * What one event carries: text of at most MATRIX_TEXT_BYTES, or one file
   * (an event is either); the engine sends a longer message, or one with
   * files, as several events, and edits and redacts each.
   */
  limits(): ChannelLimits {
    const ctx = this.writeContext();
    return {
      maxTextLength: MATRIX_TEXT_BYTES,
      textLength: (text) => matrixTextBytes(text, ctx),
      maxAttachments: 1,
      textWithAttachments: false,
    };
  }

  /**
   * Text and files as events from `ghost`; resolves with their IDs, the text's first. A room message and a
   * direct message come from the engine as one event's worth each (see `limits`): the engine keeps their parts.
   */
  private async post(
    ghost: string,
    roomId: string,
    text: RichText,
    attachments: readonly OutgoingAttachment[],
    key: string,
    extra: { replyTo?: string; thread?: string; timestamp?: number } = {},
  ): Promise<string[]> {
    const client = this.o.clients.as(ghost);
    // The engine names the thread by its root event (where an XMPP thread's first message went, too).
    const root = extra.thread;
    const ids: string[] = [];
    // A message caught up from the room's archive is dated when it was said (the event order stays the sending order).
    const send = (content: Content) =>
      this.guarded(roomId, "m.room.message", ghost, "sending a message", () =>
        sendRoomEvent(client, roomId, "m.room.message", content, txnIdFor(key, ids.length), extra.timestamp),
      );
    const body = toMatrixContent(text, this.writeContext());
    if (body.body.trim() !== "" || attachments.length === 0) {
      ids.push(await send({ msgtype: "m.text", ...body, ...this.relations(extra.replyTo, root) }));
    }
    for (const a of attachments) {
      const content = await this.fileContent(client, a);
      ids.push(await send({ ...content, ...this.relations(ids.length === 0 ? extra.replyTo : undefined, root) }));
    }
    return ids;
  }

  /** An XMPP file uploaded as the ghost; a file that cannot be had is sent as its link instead. */
  private async fileContent(client: ReturnType<HomeserverClients["as"]>, a: OutgoingAttachment): Promise<Content> {
    let file: Awaited<ReturnType<typeof downloadFile>>;
    try {
      file = await downloadFile(a.url, {
        maxBytes: this.o.media.maxBytes,
        allowPrivateAddresses: this.o.media.allowPrivateAddresses,
        ...(a.filename !== undefined && { filename: a.filename }),
        ...(a.contentType !== undefined && { contentType: a.contentType }),
      });
    } catch (e) {
      this.o.logger.warn("an XMPP file could not be uploaded to Matrix; its link is sent instead", {
        error: e instanceof MediaTooLargeError ? "too large" : describeFailure(e),
      });
      return { msgtype: "m.text", body: a.url };
    }
    const up = await this.call("uploading a file", () =>
      client.uploadContent(new Blob([file.bytes], { type: file.contentType }), {
        name: file.filename,
        type: file.contentType,
      }),
    );
    return {
      msgtype: msgtypeFor(file.contentType),
      body: file.filename,
      filename: file.filename,
      url: up.content_uri,
      info: { mimetype: file.contentType, size: file.bytes.byteLength },
    };
  }

  async send(m: OutgoingMessage): Promise<{ id: string }> {
    const ghost = await this.ghostIn(m.channel, m.sender);
    const ids = await this.post(ghost, m.channel, m.text, m.attachments, m.key, {
      ...(m.replyTo && { replyTo: m.replyTo.id }),
      ...(m.thread !== undefined && { thread: m.thread }),
      ...(m.timestamp !== undefined && { timestamp: m.timestamp }),
    });
    const first = ids[0];
    if (first === undefined) throw new PermanentError("nothing to send");
    return { id: first };
  }

  async edit(o: EditRequest): Promise<void> {
    const ghost = await this.ghostIn(o.channel, o.sender);
    const replacement = { msgtype: "m.text", ...toMatrixContent(o.text, this.writeContext()) };
    const content: Content = {
      msgtype: "m.text",
      body: `* ${replacement.body}`,
      ...(replacement.formatted_body !== undefined && {
        format: "org.matrix.custom.html",
        formatted_body: `* ${replacement.formatted_body}`,
      }),
      "m.new_content": replacement,
      "m.relates_to": { rel_type: "m.replace", event_id: o.id },
    };
    await this.guarded(o.channel, "m.room.message", ghost, "editing a message", () =>
      sendRoomEvent(this.o.clients.as(ghost), o.channel, "m.room.message", content, requestTxnId(o.key, "edit")),
    );
  }

  async delete(o: DeleteRequest): Promise<void> {
    // The later events of a message an earlier version sent as one request (a direct message with files),
    // kept under `parts:`: the engine now sends and redacts each part on its own, and nothing writes these keys.
    const parts = await this.state.get(`parts:${o.id}`);
    const ids = [o.id, ...(parts ? (JSON.parse(parts) as string[]) : [])];
    const bot = botUserId(this.o.names);
    const who = o.moderator ? bot : await this.o.ghosts.ensure(this.identity(o.channel, o.sender));
    const client = o.moderator ? this.o.clients.bot : this.o.clients.as(who);
    for (const id of ids) {
      await this.guarded(o.channel, "redact", who, "redacting a message", () =>
        redactRoomEvent(client, o.channel, id, redactionTxnId(o.key, o.channel, id), o.reason),
      );
    }
  }

  async react(o: ReactRequest): Promise<void> {
    const ghost = await this.ghostIn(o.channel, o.sender);
    const key = `my-reaction:${o.channel} ${o.id} ${ghost} ${o.emoji}`;
    const client = this.o.clients.as(ghost);
    if (o.action === "add") {
      const id = await this.guarded(o.channel, "m.reaction", ghost, "reacting", () =>
        sendRoomEvent(
          client,
          o.channel,
          "m.reaction",
          { "m.relates_to": { rel_type: "m.annotation", event_id: o.id, key: o.emoji } },
          requestTxnId(o.key, "reaction"),
        ),
      );
      await this.state.set(key, id, PER_MESSAGE);
      return;
    }
    const id = await this.state.get(key);
    if (id === undefined || id === "") return;
    await this.guarded(o.channel, "redact", ghost, "removing a reaction", () =>
      redactRoomEvent(client, o.channel, id, redactionTxnId(o.key, o.channel, id)),
    );
    await this.state.set(key, "", PER_MESSAGE);
  }

  async typing(o: TypingRequest): Promise<void> {
    const ghost = await this.ghostIn(o.channel, o.sender);
    await this.call("sending typing", () =>
      this.o.clients.as(ghost).sendTyping(o.channel, o.state === "composing", 30_000),
    );
  }

  async read(o: ReadRequest): Promise<void> {
    const ghost = await this.ghostIn(o.channel, o.sender);
    await this.call("sending a read receipt", () => sendReadReceipt(this.o.clients.as(ghost), o.channel, o.id));
  }

  async sendDirect(o: DirectRequest): Promise<{ channel: string; id: string }> {
    if (!/^@[^:]+:.+$/.test(o.userId))
      throw new PermanentError("a direct message for something that is not a Matrix user ID");
    // A user's bare JID, or for a private message through a MUC room the occupant's JID: the ghost the room shows.
    const sender = o.sender;
    const ghost = await this.o.ghosts.ensure(sender);
    let roomId = await this.o.portals.directRoomFor(ghost, o.userId);
    if (roomId === undefined) {
      const created = await this.call("opening a direct chat", () =>
        this.o.clients.as(ghost).createRoom({
          is_direct: true,
          invite: [o.userId],
          preset: Preset.TrustedPrivateChat,
        }),
      );
      roomId = created.room_id;
      await this.o.portals.rememberDirect(roomId, { ghost, jid: sender.jid, user: o.userId });
      this.o.ghosts.noteMembership(roomId, ghost, "join");
    }
    const room = roomId;
    const ids = await this.post(ghost, room, o.text, o.attachments, o.key);
    const first = ids[0];
    if (first === undefined) throw new PermanentError("nothing to send");
    return { channel: room, id: first };
  }

  async occupant(o: XmppOccupantEvent): Promise<void> {
    const presence = o.presence;
    const matrixPresence =
      presence === undefined
        ? undefined
        : presence.status === "online"
          ? "online"
          : presence.status === "offline"
            ? "offline"
            : "unavailable";
    if (o.kind === "leave") {
      const ghost = this.o.ghosts.userIdOf(this.identity(o.channel, o.sender).jid);
      await this.o.ghosts.leave(o.channel, ghost);
      return;
    }
    const ghost = await this.ghostIn(o.channel, o.sender);
    if (matrixPresence !== undefined) {
      await this.o.ghosts.setPresence(ghost, matrixPresence, presence?.message);
    }
  }
}
