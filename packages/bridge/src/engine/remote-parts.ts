/**
 * XMPP messages on a network that limits its posts (`Connector.limits`):
 * each message goes as the parts `messageParts` cuts it into, one `send`
 * each, in order, with keys derived from the message's delivery key; every
 * part is mapped, so a correction edits each part (posting the parts a
 * longer text needs, deleting, or where the network cannot delete,
 * blanking, those a shorter one leaves over), a retraction or moderation
 * deletes each, and reactions and replies go to the first (the message
 * map's `byXmppId` gives the first part). A message's text becomes at most
 * `xmpp.limits.maxPostsPerMessage` posts: the rest is left out, and said.
 *
 * Nothing is lost or doubled across a crash between parts: a part already
 * posted is in the message map (or, its answer lost, found by its own key
 * through `findPosted`), so the message sent again posts only what is
 * missing.
 */
import type { EditRequest, OutgoingAttachment, OutgoingMessage, XmppSender } from "../connector/connector.ts";
import { supports } from "../connector/supports.ts";
import type { RichText } from "../format/ast.ts";
import type { MessageRecord } from "../store/index.ts";
import type { EngineContext } from "./context.ts";
import { cutText, messageParts, partKey } from "./message-parts.ts";
import type { RemotePost, RemotePosts } from "./remote-posts.ts";

/** What a surplus part shows on a network that cannot delete it. */
const BLANKED: RichText = { blocks: [{ type: "paragraph", children: [{ type: "text", text: "…" }] }] };

/** The network's thread a mapped message sits in, for the requests that name it (`EditRequest.thread`). */
function threadOf(r: MessageRecord): { readonly thread?: string } {
  return r.thread !== undefined ? { thread: r.thread } : {};
}

/** One XMPP message for one channel, before it is cut: what `RemotePosts.post` needs besides the message. */
export type WholePost = Omit<RemotePost, "message" | "part"> & {
  readonly message: Omit<OutgoingMessage, "attachments"> & { readonly attachments: readonly OutgoingAttachment[] };
};

/** A correction of a message already posted, for one channel. */
export interface PartsEdit {
  readonly room: string;
  readonly channel: string;
  /** Every part of the message, as `partsByXmppId` gives them (the first first). */
  readonly parts: readonly MessageRecord[];
  /** The id the message is known by in the room (what the correction names). */
  readonly xmppId: string;
  readonly sender: XmppSender;
  readonly text: RichText;
  /** The correction's delivery key; its parts' keys derive from it. */
  readonly key: string;
  readonly attempt: number;
  readonly replay: boolean;
}

export class RemoteParts {
  private readonly ctx: EngineContext;
  private readonly posts: RemotePosts;

  constructor(ctx: EngineContext, posts: RemotePosts) {
    this.ctx = ctx;
    this.posts = posts;
  }

  /** Posts every part of `p` not posted yet, in order; resolves with the first part's remote id. */
  async post(p: WholePost): Promise<string> {
    const m = p.message;
    const connector = this.ctx.connector;
    const parts = messageParts(
      m.text,
      m.attachments,
      connector.limits?.(m.channel),
      this.ctx.limits.maxPostsPerMessage,
    );
    // A text that shows nothing and no files: sent as it is, as before there were parts (the network decides).
    if (parts.length === 0) parts.push({ text: m.text, attachments: m.attachments, part: 0 });
    let first: string | undefined;
    for (const part of parts) {
      const { replyTo, ...rest } = m;
      const message: OutgoingMessage = {
        ...rest,
        text: part.text,
        attachments: part.attachments,
        key: partKey(m.key, part.part),
        ...(first === undefined && replyTo !== undefined && { replyTo }),
        ...(first !== undefined && { partOf: first }),
      };
      const { id } = await this.posts.post({ ...p, message, part: part.part });
      first ??= id;
    }
    return first as string;
  }

  /**
   * Edits each part of the text to what the correction's text is cut into;
   * posts the parts it needs more of and deletes (or blanks) those it needs
   * fewer of. The posts of files stay as they are.
   */
  async edit(e: PartsEdit): Promise<void> {
    const connector = this.ctx.connector;
    if (!supports(connector, "edits")) return;
    const edit = connector.edit.bind(connector);
    const old = e.parts.filter((r) => (r.part ?? 0) >= 0);
    const first = e.parts[0];
    if (first === undefined) return;
    const cut = cutText(e.text, connector.limits?.(e.channel), this.ctx.limits.maxPostsPerMessage);
    // A correction to nothing still edits the first part (the network decides what an empty text is).
    const texts = cut.length > 0 ? cut : [e.text];
    for (const [i, text] of texts.entries()) {
      const key = partKey(e.key, i);
      const r = old[i];
      if (r !== undefined) {
        this.ctx.echoes.expect("edit", r.remoteId);
        const request: EditRequest = {
          channel: e.channel,
          id: r.remoteId,
          sender: e.sender,
          text,
          key,
          ...threadOf(r),
        };
        await edit(request);
        continue;
      }
      await this.posts.post({
        message: {
          channel: e.channel,
          sender: e.sender,
          text,
          attachments: [],
          key,
          partOf: first.remoteId,
          // Where the first part is (the root of a thread it started is in no thread).
          ...(first.thread !== undefined && { thread: first.thread }),
        },
        room: e.room,
        xmppId: e.xmppId,
        ...(first.stanzaId !== undefined && { stanzaId: first.stanzaId }),
        ...(first.originId !== undefined && { originId: first.originId }),
        author: first.sender,
        createdAt: first.createdAt,
        ...(first.xmppThread !== undefined && { xmppThread: first.xmppThread }),
        attempt: e.attempt,
        replay: e.replay,
        part: i,
      });
    }
    for (const [i, r] of old.entries()) {
      if (i < texts.length) continue;
      const key = partKey(e.key, i);
      if (supports(connector, "deletes")) {
        this.ctx.echoes.expect("delete", r.remoteId);
        await connector.delete({
          channel: e.channel,
          id: r.remoteId,
          sender: e.sender,
          moderator: false,
          key,
          ...threadOf(r),
        });
        await this.ctx.store.forgetMessage(this.ctx.network, r.remoteId, r.room);
      } else {
        this.ctx.echoes.expect("edit", r.remoteId);
        await edit({ channel: e.channel, id: r.remoteId, sender: e.sender, text: BLANKED, key, ...threadOf(r) });
      }
    }
  }

  /** Deletes every part of a message, the first first. */
  async delete(o: {
    readonly parts: readonly MessageRecord[];
    readonly sender: XmppSender;
    readonly moderator: boolean;
    readonly reason?: string;
    readonly key: string;
  }): Promise<void> {
    const connector = this.ctx.connector;
    if (!supports(connector, "deletes")) return;
    for (const r of o.parts) {
      this.ctx.echoes.expect("delete", r.remoteId);
      await connector.delete({
        channel: r.channel,
        id: r.remoteId,
        sender: o.sender,
        moderator: o.moderator,
        key: partKey(o.key, r.part ?? 0),
        ...threadOf(r),
        ...(o.reason !== undefined && o.reason !== "" && { reason: o.reason }),
      });
    }
  }
}
