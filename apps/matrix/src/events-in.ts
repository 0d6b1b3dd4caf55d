/**
 * Matrix -> XMPP: one event of a transaction (or one ephemeral event) into
 * the engine's `ConnectorHost` calls. Events are read defensively: a payload
 * that is not what the spec describes is logged and skipped, never thrown.
 * Only rooms linked with a MUC room, and direct-message rooms with a ghost,
 * are bridged; the application service's own users (ghosts and the bot) are
 * echoes (`isBridge`), and their memberships only update what the connector
 * knows.
 */
import type { ConnectorHost, Inline, Logger, RemoteAttachment, RemoteUser, RichText } from "@parley/bridge";
import type { Ghosts } from "./ghosts.ts";
import { fromMatrixHtml, fromMatrixPlain, type MatrixReadContext } from "./html/index.ts";
import { botUserId, isOwnUser, jidOfGhost, type MatrixNames } from "./matrix-ids.ts";
import { localpartOf, type MatrixUsers } from "./matrix-users.ts";
import { attachmentOf, isFileMsgtype } from "./media.ts";
import type { Portals } from "./portals.ts";

type Content = Readonly<Record<string, unknown>>;

/** The fields of a client-format event the bridge reads, checked. */
export interface MatrixEvent {
  readonly type: string;
  readonly roomId: string;
  readonly sender: string;
  readonly eventId: string;
  readonly ts?: number;
  readonly content: Content;
  readonly stateKey?: string;
  readonly redacts?: string;
  readonly prevContent?: Content;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Reads a timeline event; undefined (with the reason) when it lacks what every event has. */
export function readEvent(raw: unknown): { event: MatrixEvent } | { problem: string } {
  if (!isObject(raw)) return { problem: "an event is not an object" };
  const type = str(raw.type);
  const roomId = str(raw.room_id);
  const sender = str(raw.sender);
  const eventId = str(raw.event_id);
  if (!type || !roomId || !sender || !eventId) return { problem: "an event lacks type, room_id, sender or event_id" };
  if (!isObject(raw.content)) return { problem: `a ${type} event has no content object` };
  const unsigned = isObject(raw.unsigned) ? raw.unsigned : {};
  const redacts = str(raw.redacts) ?? str(raw.content.redacts);
  return {
    event: {
      type,
      roomId,
      sender,
      eventId,
      content: raw.content,
      ...(typeof raw.origin_server_ts === "number" && { ts: raw.origin_server_ts }),
      ...(typeof raw.state_key === "string" && { stateKey: raw.state_key }),
      ...(redacts !== undefined && { redacts }),
      ...(isObject(unsigned.prev_content) && { prevContent: unsigned.prev_content }),
    },
  };
}

/** The body without the reply fallback (`> <@user> quoted` lines and the blank line after them). */
export function stripReplyFallback(body: string): { body: string; quote?: { userId: string; text: string } } {
  const lines = body.split("\n");
  if (!lines[0]?.startsWith("> ")) return { body };
  let i = 0;
  while (i < lines.length && (lines[i] as string).startsWith(">")) i++;
  if (i >= lines.length || lines[i] !== "") return { body };
  const quoted = lines.slice(0, i).map((l) => l.replace(/^> ?/, ""));
  const m = /^<(@[^>\s]+)>\s?(.*)$/.exec(quoted[0] ?? "");
  const rest = lines.slice(i + 1).join("\n");
  if (!m) return { body: rest };
  return { body: rest, quote: { userId: m[1] as string, text: [m[2] ?? "", ...quoted.slice(1)].join("\n").trim() } };
}

export function stripReplyHtml(html: string): string {
  return html.replace(/<mx-reply>[\s\S]*?<\/mx-reply>/gi, "");
}

/** Maps mention inlines anywhere in a document. */
function mapInlineMentions(doc: RichText, f: (m: Extract<Inline, { type: "mention" }>) => Inline): RichText {
  const inl = (xs: Inline[]): Inline[] =>
    xs.map((x) => {
      if (x.type === "mention") return f(x);
      if ("children" in x && Array.isArray(x.children)) return { ...x, children: inl(x.children) } as Inline;
      return x;
    });
  type Block = RichText["blocks"][number];
  const blk = (b: Block): Block => {
    switch (b.type) {
      case "paragraph":
      case "heading":
        return { ...b, children: inl(b.children) };
      case "quote":
        return { ...b, children: b.children.map(blk) };
      case "list":
        return { ...b, items: b.items.map((item) => item.map(blk)) };
      default:
        return b;
    }
  };
  return { blocks: doc.blocks.map(blk) };
}

function prependText(doc: RichText, text: string): RichText {
  const [first, ...rest] = doc.blocks;
  if (first?.type === "paragraph") {
    return { blocks: [{ ...first, children: [{ type: "text", text }, ...first.children] }, ...rest] };
  }
  return { blocks: [{ type: "paragraph", children: [{ type: "text", text: text.trimEnd() }] }, ...doc.blocks] };
}

const EMPTY: RichText = { blocks: [] };

export interface EventsInOptions {
  readonly names: MatrixNames;
  readonly users: MatrixUsers;
  readonly ghosts: Ghosts;
  readonly portals: Portals;
  readonly logger: Logger;
  readonly homeserverUrl: string;
  readonly asToken: string;
  /** An http URL XMPP users can open for an mxc URI (inline images). */
  readonly mediaUrl: (mxc: string) => string | undefined;
  /** The sender of an event, for a redaction (undefined when it cannot be read). */
  readonly senderOf: (roomId: string, eventId: string) => Promise<string | undefined>;
}

export class EventsIn {
  private readonly o: EventsInOptions;
  private readonly host: ConnectorHost;
  /** Bridged room -> who types there now: one entry per bridged room, each as many as type at once. */
  private readonly typing = new Map<string, Set<string>>();

  constructor(host: ConnectorHost, o: EventsInOptions) {
    this.host = host;
    this.o = o;
  }

  private get state() {
    return this.host.state;
  }

  private readContext(roomId: string): MatrixReadContext {
    return {
      userName: (userId) => this.o.users.nameOf(userId, roomId),
      mediaUrl: (mxc) => this.o.mediaUrl(mxc),
    };
  }

  /**
   * Who a reply fallback quotes: a ghost by the nick it shows (never its
   * escaped localpart), a Matrix user by their display name.
   */
  private async quotedName(userId: string, roomId: string): Promise<string> {
    const jid = jidOfGhost(userId, this.o.names);
    if (jid === undefined) return this.o.users.nameOf(userId, roomId) ?? localpartOf(userId);
    const shown = await this.o.ghosts.nameIn(roomId, userId);
    if (shown !== undefined && shown !== "") return shown;
    // An occupant JID names the nick; a real JID its user.
    const slash = jid.indexOf("/");
    return slash >= 0 ? jid.slice(slash + 1) : (jid.split("@")[0] ?? jid);
  }

  /** Mentions of ghosts name the XMPP user behind them; other mentions stay Matrix users. */
  private resolveMentions(doc: RichText): RichText {
    return mapInlineMentions(doc, (m) => {
      const id = m.target.remoteId;
      const jid = id !== undefined ? jidOfGhost(id, this.o.names) : undefined;
      if (jid === undefined) return m;
      return { type: "mention", name: m.name, target: { jid, kind: "user" } };
    });
  }

  /**
   * The text of a message content (formatted_body when it is HTML, else
   * body); for a reply, without the quoted fallback older clients add.
   */
  textOf(
    content: Content,
    roomId: string,
    isReply = false,
  ): { text: RichText; quote?: { userId: string; text: string } } {
    const body = typeof content.body === "string" ? content.body : "";
    const stripped = isReply ? stripReplyFallback(body) : { body };
    let text: RichText;
    if (content.format === "org.matrix.custom.html" && typeof content.formatted_body === "string") {
      const html = isReply ? stripReplyHtml(content.formatted_body) : content.formatted_body;
      text = fromMatrixHtml(html, this.readContext(roomId));
    } else {
      text = fromMatrixPlain(stripped.body);
    }
    text = this.resolveMentions(text);
    if (content.msgtype === "m.emote") text = prependText(text, "/me ");
    return { text, ...(stripped.quote && { quote: stripped.quote }) };
  }

  private bridged(roomId: string): boolean {
    return this.o.portals.isLinked(roomId);
  }

  /** Handles one timeline event. Throws only when the engine could not take it (then the transaction fails). */
  async event(raw: unknown): Promise<void> {
    const read = readEvent(raw);
    if ("problem" in read) {
      this.o.logger.warn("a Matrix event was skipped", { problem: read.problem });
      return;
    }
    const e = read.event;
    switch (e.type) {
      case "m.room.message":
      case "m.sticker":
        return this.message(e);
      case "m.reaction":
        return this.reaction(e);
      case "m.room.redaction":
        return this.redaction(e);
      case "m.room.member":
        return this.member(e);
      default:
        return;
    }
  }

  private async conversation(
    e: MatrixEvent,
  ): Promise<{ direct: false } | { direct: true; directTo: string } | undefined> {
    if (this.bridged(e.roomId)) return { direct: false };
    const dm = await this.o.portals.directRoom(e.roomId);
    if (dm && dm.user === e.sender) return { direct: true, directTo: dm.jid };
    if (dm && isOwnUser(e.sender, this.o.names)) return { direct: true, directTo: dm.jid };
    return undefined;
  }

  private async message(e: MatrixEvent): Promise<void> {
    const where = await this.conversation(e);
    if (!where) return;
    const c = e.content;
    const author = await this.o.users.remoteUser(e.sender, e.roomId);
    const relates = isObject(c["m.relates_to"]) ? c["m.relates_to"] : {};
    if (relates.rel_type === "m.replace") {
      const original = str(relates.event_id);
      const replacement = isObject(c["m.new_content"]) ? c["m.new_content"] : undefined;
      if (original === undefined || replacement === undefined) {
        this.o.logger.warn("a Matrix edit was skipped", { problem: "no m.new_content or target event" });
        return;
      }
      // The homeserver lets anyone send an m.replace; only the original sender's counts (as Matrix clients show it).
      const originalSender = await this.o.senderOf(e.roomId, original);
      if (originalSender !== undefined && originalSender !== e.sender) {
        this.o.logger.warn("a Matrix edit was skipped", {
          problem: "it edits a message someone else sent",
          room: e.roomId,
          sender: e.sender,
          original,
        });
        return;
      }
      await this.host.edit({
        channel: e.roomId,
        id: original,
        author,
        text: this.textOf(replacement, e.roomId).text,
        ...(e.ts !== undefined && { timestamp: e.ts }),
      });
      return;
    }
    const msgtype = e.type === "m.sticker" ? "m.image" : c.msgtype;
    const inReplyTo = isObject(relates["m.in_reply_to"]) ? str(relates["m.in_reply_to"].event_id) : undefined;
    const isThread = relates.rel_type === "m.thread";
    // In a thread, m.in_reply_to with is_falling_back only points at the latest event for older clients.
    const replyTo = isThread && relates.is_falling_back === true ? undefined : inReplyTo;
    let text: RichText;
    let quote: { userId: string; text: string } | undefined;
    const attachments: RemoteAttachment[] = [];
    if (isFileMsgtype(msgtype) || e.type === "m.sticker") {
      const a = attachmentOf(c, { homeserverUrl: this.o.homeserverUrl, asToken: this.o.asToken });
      if (a) attachments.push(a);
      // A caption is a body that is not just the file name.
      const caption = typeof c.filename === "string" && typeof c.body === "string" && c.body !== c.filename;
      text = caption || !a ? this.textOf(c, e.roomId, inReplyTo !== undefined).text : EMPTY;
    } else if (typeof c.body === "string") {
      ({ text, quote } = this.textOf(c, e.roomId, inReplyTo !== undefined));
    } else {
      this.o.logger.warn("a Matrix message was skipped", { problem: "no body" });
      return;
    }
    let replyQuote: { authorName: string; text: string } | undefined;
    if (replyTo !== undefined && quote) {
      const authorName = await this.quotedName(quote.userId, e.roomId);
      replyQuote = { authorName, text: quote.text };
    }
    await this.host.message({
      channel: e.roomId,
      id: e.eventId,
      author,
      text,
      ...(replyTo !== undefined && { replyTo }),
      ...(replyQuote && { replyQuote }),
      // A message in a thread names its root; any other message in a room may become a thread root (Matrix threads
      // hang off an existing event), so it carries a thread of its own id: replies in its thread join it on XMPP.
      ...(isThread && str(relates.event_id) !== undefined
        ? { thread: str(relates.event_id) }
        : !where.direct && { thread: e.eventId }),
      ...(attachments.length > 0 && { attachments }),
      ...(e.ts !== undefined && { timestamp: e.ts }),
      ...(where.direct && { direct: true, directTo: where.directTo }),
    });
  }

  private async reaction(e: MatrixEvent): Promise<void> {
    const relates = isObject(e.content["m.relates_to"]) ? e.content["m.relates_to"] : undefined;
    const target = str(relates?.event_id);
    const key = str(relates?.key);
    if (relates?.rel_type !== "m.annotation" || target === undefined || key === undefined) {
      this.o.logger.warn("a Matrix reaction was skipped", { problem: "not an m.annotation with event_id and key" });
      return;
    }
    if (!(await this.conversation(e))) return;
    // Kept so that the redaction of the reaction event, which names only that event, can remove it.
    await this.state.set(`reaction:${e.eventId}`, JSON.stringify({ channel: e.roomId, target, key, user: e.sender }));
    const user = await this.o.users.remoteUser(e.sender, e.roomId);
    await this.host.reaction({ channel: e.roomId, id: target, user, emoji: key, action: "add" });
  }

  private async redaction(e: MatrixEvent): Promise<void> {
    if (e.redacts === undefined) {
      this.o.logger.warn("a Matrix redaction was skipped", { problem: "it names no event" });
      return;
    }
    if (!(await this.conversation(e))) return;
    const saved = await this.state.get(`reaction:${e.redacts}`);
    if (saved !== undefined) {
      const r = JSON.parse(saved) as { channel: string; target: string; key: string; user: string };
      const user = await this.o.users.remoteUser(r.user, r.channel);
      await this.host.reaction({ channel: r.channel, id: r.target, user, emoji: r.key, action: "remove" });
      return;
    }
    let by: RemoteUser | undefined;
    if (!isOwnUser(e.sender, this.o.names)) {
      const author = await this.o.senderOf(e.roomId, e.redacts);
      if (author !== undefined && author !== e.sender) by = await this.o.users.remoteUser(e.sender, e.roomId);
    }
    // A moderator's reason travels with the room's moderation (an author's own redaction needs none).
    const reason = by ? str(e.content.reason)?.trim().slice(0, 500) : undefined;
    await this.host.delete({
      channel: e.roomId,
      id: e.redacts,
      ...(by && { by }),
      ...(reason !== undefined && reason !== "" && { reason }),
    });
  }

  private async member(e: MatrixEvent): Promise<void> {
    const target = e.stateKey;
    const membership = str(e.content.membership);
    if (target === undefined || membership === undefined) {
      this.o.logger.warn("a Matrix membership event was skipped", { problem: "no state_key or membership" });
      return;
    }
    const before = str(e.prevContent?.membership);
    if (isOwnUser(target, this.o.names)) {
      await this.ownMembership(e, target, membership);
      return;
    }
    const previousName = this.o.users.nameOf(target, e.roomId);
    this.o.users.rememberMember(e.roomId, target, e.content);
    if (!this.bridged(e.roomId)) return;
    const user = this.o.users.fromContent(target, e.content);
    switch (membership) {
      case "join": {
        if (before !== "join") {
          await this.host.membership(e.roomId, user, "join");
          return;
        }
        const prev = e.prevContent ?? {};
        const renamed = e.prevContent ? prev.displayname !== e.content.displayname : previousName !== user.displayName;
        if (renamed || prev.avatar_url !== e.content.avatar_url) await this.host.profile(user);
        return;
      }
      case "leave":
      case "ban": {
        if (membership === "leave" && before !== "join") return; // a refused invitation or a knock withdrawn
        const reason = str(e.content.reason);
        const kind = membership === "ban" ? "ban" : e.sender !== target ? "kick" : "leave";
        const by = kind === "leave" ? undefined : await this.o.users.remoteUser(e.sender, e.roomId);
        await this.host.membership(e.roomId, user, kind, {
          ...(by && { by }),
          ...(reason !== undefined && { reason }),
        });
        return;
      }
      default:
        return;
    }
  }

  /** A membership of the bot or a ghost: invitations are accepted; everything updates the caches. */
  private async ownMembership(e: MatrixEvent, target: string, membership: string): Promise<void> {
    const bot = botUserId(this.o.names);
    if (target === bot) {
      this.o.portals.noteBotMembership(e.roomId, membership);
      if (membership === "invite") await this.o.portals.ensureBotIn(e.roomId);
      return;
    }
    this.o.ghosts.noteMembership(e.roomId, target, membership);
    if (membership !== "invite" || e.sender === bot) return;
    const jid = jidOfGhost(target, this.o.names);
    if (jid === undefined) return;
    if (e.content.is_direct === true && !isOwnUser(e.sender, this.o.names)) {
      // A Matrix user opens a direct chat with an XMPP user: the ghost joins, and the room is theirs.
      await this.o.portals.rememberDirect(e.roomId, { ghost: target, jid, user: e.sender });
    } else if (!this.bridged(e.roomId)) {
      return;
    }
    await this.o.ghosts.ensureIn(e.roomId, target).catch((err: unknown) =>
      this.o.logger.warn("a ghost could not accept an invitation", {
        room: e.roomId,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
  }

  /** Handles one ephemeral event (typing, receipt, presence). */
  async ephemeral(raw: unknown): Promise<void> {
    if (!isObject(raw) || !isObject(raw.content) || typeof raw.type !== "string") {
      this.o.logger.warn("an ephemeral Matrix event was skipped", { problem: "no type or content" });
      return;
    }
    const roomId = str(raw.room_id);
    switch (raw.type) {
      case "m.typing":
        if (roomId !== undefined && this.bridged(roomId)) await this.typingIn(roomId, raw.content);
        return;
      case "m.receipt":
        if (roomId !== undefined && this.bridged(roomId)) await this.receipts(roomId, raw.content);
        return;
      case "m.presence":
        await this.presence(str(raw.sender) ?? str(raw.content.user_id), raw.content);
        return;
      default:
        return;
    }
  }

  private async typingIn(roomId: string, content: Content): Promise<void> {
    const ids = Array.isArray(content.user_ids)
      ? content.user_ids.filter((u): u is string => typeof u === "string")
      : [];
    const now = new Set(ids.filter((u) => !isOwnUser(u, this.o.names)));
    const before = this.typing.get(roomId) ?? new Set<string>();
    this.typing.set(roomId, now);
    for (const u of now) {
      if (before.has(u)) continue;
      await this.host.typing({ channel: roomId, user: await this.o.users.remoteUser(u, roomId), state: "composing" });
    }
    for (const u of before) {
      if (now.has(u)) continue;
      await this.host.typing({ channel: roomId, user: await this.o.users.remoteUser(u, roomId), state: "paused" });
    }
  }

  private async receipts(roomId: string, content: Content): Promise<void> {
    for (const [eventId, byType] of Object.entries(content)) {
      if (!isObject(byType) || !isObject(byType["m.read"])) continue;
      for (const userId of Object.keys(byType["m.read"])) {
        if (isOwnUser(userId, this.o.names)) continue;
        const user = await this.o.users.remoteUser(userId, roomId);
        await this.host.read({ channel: roomId, id: eventId, user });
      }
    }
  }

  private async presence(userId: string | undefined, content: Content): Promise<void> {
    if (userId === undefined || isOwnUser(userId, this.o.names)) return;
    const status =
      content.presence === "online"
        ? "online"
        : content.presence === "unavailable"
          ? "idle"
          : content.presence === "offline"
            ? "offline"
            : undefined;
    if (status === undefined) return;
    this.o.users.rememberProfile(userId, content);
    const user = await this.o.users.remoteUser(userId);
    const message = str(content.status_msg);
    await this.host.presence(user, { status, ...(message !== undefined && { message }) });
  }
}
