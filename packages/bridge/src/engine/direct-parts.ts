/**
 * Direct messages on a network that limits them (`Connector.directLimits`),
 * the way remote-parts.ts posts channel messages: a DM goes as the parts
 * `messageParts` cuts it into, one `sendDirect` each, in order, with keys
 * derived from its delivery key, and every part is in the message map (room:
 * the XMPP user; channel: `dm:` and the DM channel). A correction edits each
 * part of the text (sending the parts a longer text needs, deleting, or where
 * the network cannot delete, blanking, those a shorter one leaves over), a
 * retraction deletes each part, and reactions go to the first (`byXmppId`).
 *
 * A part already sent is in the message map (or, its answer lost, found by
 * its own key through `findDirectPosted`), so a DM sent again after a failure
 * between parts sends only what is missing.
 */
import type { DirectRequest, OutgoingAttachment, XmppSender } from "../connector/connector.ts";
import { supports } from "../connector/supports.ts";
import type { RichText } from "../format/ast.ts";
import type { MessageRecord } from "../store/index.ts";
import type { EngineContext } from "./context.ts";
import { DM_CHANNEL_PREFIX } from "./direct-chats.ts";
import { cutText, messageParts, partKey } from "./message-parts.ts";
import type { RemotePosts } from "./remote-posts.ts";

/** What a surplus part shows on a network that cannot delete it. */
const BLANKED: RichText = { blocks: [{ type: "paragraph", children: [{ type: "text", text: "…" }] }] };

/** One XMPP user's direct message to a remote user, before it is cut. */
export interface WholeDirect {
  readonly userId: string;
  readonly sender: XmppSender;
  readonly text: RichText;
  readonly attachments: readonly OutgoingAttachment[];
  /** The delivery key; the parts' keys derive from it. */
  readonly key: string;
  /** The conversation as the message map keeps it: the XMPP user (or room occupant) JID. */
  readonly user: string;
  /** The message's own id (origin-id, else id). */
  readonly xmppId: string;
}

/** A correction of a direct message already sent. */
export interface DirectEdit {
  readonly userId: string;
  readonly sender: XmppSender;
  /** Every part of the message, as `partsByXmppId` gives them (the first first). */
  readonly parts: readonly MessageRecord[];
  readonly user: string;
  readonly xmppId: string;
  readonly text: RichText;
  /** The correction's key, when it has a stable one; its parts' keys derive from it. */
  readonly key?: string;
}

const dmChannel = (r: MessageRecord) => r.channel.slice(DM_CHANNEL_PREFIX.length);

export class DirectParts {
  private readonly ctx: EngineContext;
  private readonly posts: RemotePosts;

  constructor(ctx: EngineContext, posts: RemotePosts) {
    this.ctx = ctx;
    this.posts = posts;
  }

  /** Sends every part of `d` not sent yet, in order, and maps each; resolves with the first part's id. */
  async send(d: WholeDirect): Promise<string> {
    const connector = this.ctx.connector;
    const limits = connector.directLimits?.({ userId: d.userId, sender: d.sender });
    const parts = messageParts(d.text, d.attachments, limits, this.ctx.limits.maxPostsPerMessage);
    // A text that shows nothing and no files: sent as it is (the network decides).
    if (parts.length === 0) parts.push({ text: d.text, attachments: d.attachments, part: 0 });
    let first: { readonly channel: string; readonly id: string } | undefined;
    for (const part of parts) {
      const request: DirectRequest = {
        userId: d.userId,
        sender: d.sender,
        text: part.text,
        attachments: part.attachments,
        key: partKey(d.key, part.part),
        ...(first !== undefined && { partOf: first }),
      };
      const sent = await this.sendPart(request, d.user, d.xmppId, part.part);
      first ??= sent;
    }
    return (first as { id: string }).id;
  }

  /** Sends one part unless an earlier attempt did, and maps it. */
  private async sendPart(
    request: DirectRequest,
    user: string,
    xmppId: string,
    part: number,
  ): Promise<{ readonly channel: string; readonly id: string }> {
    const sent = await this.posts.direct({ request, user, xmppId, part });
    if (sent.outcome !== "mapped") {
      await this.ctx.store.recordMessage({
        network: this.ctx.network,
        channel: DM_CHANNEL_PREFIX + sent.channel,
        remoteId: sent.id,
        room: user,
        originId: xmppId,
        sender: user,
        direction: "to-remote",
        createdAt: Date.now(),
        ...(part !== 0 && { part }),
      });
    }
    return { channel: sent.channel, id: sent.id };
  }

  /**
   * Edits each part of the text to the correction's; sends the parts it needs
   * more of, removes those it needs fewer of. Resolves true once the network
   * took all of it, false when there was nothing to edit.
   */
  async edit(e: DirectEdit): Promise<boolean> {
    const connector = this.ctx.connector;
    if (!supports(connector, "edits")) return false;
    const edit = connector.edit.bind(connector);
    const first = e.parts[0];
    if (first === undefined) return false;
    const old = e.parts.filter((r) => (r.part ?? 0) >= 0);
    const limits = connector.directLimits?.({ userId: e.userId, sender: e.sender });
    const cut = cutText(e.text, limits, this.ctx.limits.maxPostsPerMessage);
    const texts = cut.length > 0 ? cut : [e.text];
    // Without a stable key, new parts still need one of their own: this correction's, made up now.
    const base = e.key ?? `to-remote dm edit ${this.ctx.network} ${e.user} ${e.xmppId} ${Date.now()}`;
    const keyOf = (i: number) => (e.key !== undefined || i > 0 ? { key: partKey(base, i) } : {});
    for (const [i, text] of texts.entries()) {
      const r = old[i];
      if (r !== undefined) {
        await edit({ channel: dmChannel(r), id: r.remoteId, sender: e.sender, text, ...keyOf(i) });
        continue;
      }
      await this.sendPart(
        {
          userId: e.userId,
          sender: e.sender,
          text,
          attachments: [],
          key: partKey(base, i),
          partOf: { channel: dmChannel(first), id: first.remoteId },
        },
        e.user,
        e.xmppId,
        i,
      );
    }
    for (const [i, r] of old.entries()) {
      if (i < texts.length) continue;
      if (supports(connector, "deletes")) {
        await connector.delete({
          channel: dmChannel(r),
          id: r.remoteId,
          sender: e.sender,
          moderator: false,
          ...keyOf(i),
        });
        await this.ctx.store.forgetMessage(this.ctx.network, r.remoteId, r.room);
      } else {
        await edit({ channel: dmChannel(r), id: r.remoteId, sender: e.sender, text: BLANKED, ...keyOf(i) });
      }
    }
    return true;
  }

  /** Deletes every part of a direct message, the first first. */
  async delete(o: { readonly parts: readonly MessageRecord[]; readonly sender: XmppSender; readonly key?: string }) {
    const connector = this.ctx.connector;
    if (!supports(connector, "deletes")) return;
    for (const r of o.parts) {
      await connector.delete({
        channel: dmChannel(r),
        id: r.remoteId,
        sender: o.sender,
        moderator: false,
        ...(o.key !== undefined && { key: partKey(o.key, r.part ?? 0) }),
      });
    }
  }
}
