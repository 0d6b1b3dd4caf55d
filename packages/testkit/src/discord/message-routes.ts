/**
 * REST routes on messages: list, get, send (JSON or multipart with files),
 * edit, delete, reactions, typing, and threads started in a channel or from a
 * message. Permission checks follow Discord: SendMessages to post or type,
 * AttachFiles for files, ManageMessages for others' messages and reactions,
 * AddReactions for a new reaction, CreatePublicThreads to start a thread
 * from a message.
 */
import type { APIChannel } from "discord-api-types/v10";
import { ChannelType } from "discord-api-types/v10";
import { isThread } from "./directory.ts";
import {
  cannotEditOthers,
  cannotMessageUser,
  DiscordError,
  fieldError,
  invalidFormBody,
  unknownEmoji,
} from "./discord-errors.ts";
import { messageEditFrom, newMessageFrom } from "./message-input.ts";
import { type NewMessage, UnknownReplyError } from "./message-store.ts";
import { parseReactionEmoji, type ReactionEmoji, reactionKey } from "./reaction-emoji.ts";
import {
  created,
  existingMessage,
  intQuery,
  needPermission,
  noContent,
  ok,
  param,
  type RestWorld,
  type Route,
  type RouteRequest,
  visibleChannel,
} from "./route-kit.ts";

const TEXT_TYPES = new Set<ChannelType>([
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.DM,
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

/** A channel the bot may post in, or the error Discord answers. */
function postableChannel(w: RestWorld, r: RouteRequest): APIChannel {
  const id = param(r, "channel_id");
  const c = visibleChannel(w, id);
  if (!TEXT_TYPES.has(c.type)) throw new DiscordError(400, 50008, "Cannot send messages in a non-text channel");
  needPermission(w, id, "SendMessages");
  if (r.files.length > 0) needPermission(w, id, "AttachFiles");
  if (c.type === ChannelType.DM) {
    const recipient = w.dir.dmRecipient(id);
    if (!recipient || w.dir.guildsOf(recipient).length === 0) throw cannotMessageUser();
  }
  return c;
}

/** Creates the message; a reply to a missing message fails as Discord fails it, unless fail_if_not_exists is false. */
export function createOrExplain(
  w: RestWorld,
  channelId: string,
  author: Parameters<RestWorld["store"]["create"]>[1],
  input: NewMessage,
  failIfMissing: boolean,
) {
  try {
    return w.store.create(channelId, author, input);
  } catch (e) {
    if (!(e instanceof UnknownReplyError)) throw e;
    if (!failIfMissing) return w.store.create(channelId, author, { ...input, replyTo: undefined });
    throw invalidFormBody(
      fieldError(["message_reference"], { code: "REPLIES_UNKNOWN_MESSAGE", message: "Unknown message" }),
      false,
    );
  }
}

function failIfMissing(json: Record<string, unknown>): boolean {
  const ref = json.message_reference as { fail_if_not_exists?: boolean } | null | undefined;
  return ref?.fail_if_not_exists !== false;
}

function emojiOf(w: RestWorld, r: RouteRequest): ReactionEmoji {
  const e = parseReactionEmoji(param(r, "emoji_name"));
  if (!e || (e.kind === "custom" && !w.dir.emoji(e.id))) throw unknownEmoji();
  return e;
}

export const MESSAGE_ROUTES: Readonly<Record<string, Route>> = {
  "GET /channels/{channel_id}/messages": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    const q = (name: string) => r.query.get(name) ?? undefined;
    return ok(
      w.store.page(id, {
        around: q("around"),
        before: q("before"),
        after: q("after"),
        limit: intQuery(r, "limit", 50),
      }),
    );
  },

  "POST /channels/{channel_id}/messages": (w, r) => {
    const c = postableChannel(w, r);
    const input = newMessageFrom(r.json, r.files);
    if ((input.stickerIds ?? []).some((s) => !w.store.hasSticker(s))) {
      throw new DiscordError(400, 50081, "Invalid Sticker Sent");
    }
    return ok(createOrExplain(w, c.id, { kind: "user", id: w.dir.bot.id }, input, failIfMissing(r.json)));
  },

  "GET /channels/{channel_id}/messages/{message_id}": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    return ok(existingMessage(w, id, param(r, "message_id")));
  },

  "PATCH /channels/{channel_id}/messages/{message_id}": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    const m = existingMessage(w, id, param(r, "message_id"));
    if (m.author.id !== w.dir.bot.id) throw cannotEditOthers();
    if (r.files.length > 0) needPermission(w, id, "AttachFiles");
    return ok(w.store.edit(id, m.id, messageEditFrom(r.json, r.files)));
  },

  "DELETE /channels/{channel_id}/messages/{message_id}": (w, r) => {
    const id = param(r, "channel_id");
    const c = visibleChannel(w, id);
    const m = existingMessage(w, id, param(r, "message_id"));
    if (m.author.id !== w.dir.bot.id) {
      if (c.type === ChannelType.DM) throw new DiscordError(403, 50003, "Cannot execute action on a DM channel");
      needPermission(w, id, "ManageMessages");
    }
    w.store.remove(id, m.id);
    return noContent();
  },

  "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    const m = existingMessage(w, id, param(r, "message_id"));
    const emoji = emojiOf(w, r);
    // Joining an existing reaction needs no permission; starting a new one needs AddReactions.
    if (!w.store.hasReaction(m.id, reactionKey(emoji))) needPermission(w, id, "AddReactions");
    w.store.react(id, m.id, w.dir.bot.id, emoji, "add");
    return noContent();
  },

  "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    const m = existingMessage(w, id, param(r, "message_id"));
    w.store.react(id, m.id, w.dir.bot.id, emojiOf(w, r), "remove");
    return noContent();
  },

  "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/{user_id}": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    const m = existingMessage(w, id, param(r, "message_id"));
    const user = param(r, "user_id");
    if (user !== w.dir.bot.id) needPermission(w, id, "ManageMessages");
    const emoji = emojiOf(w, r);
    if (w.dir.user(user)) w.store.react(id, m.id, user, emoji, "remove");
    return noContent();
  },

  "GET /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    const m = existingMessage(w, id, param(r, "message_id"));
    const after = r.query.get("after");
    const users = w.store
      .reactionUsers(id, m.id, reactionKey(emojiOf(w, r)))
      .filter((u) => !after || BigInt(u.id) > BigInt(after))
      .slice(0, intQuery(r, "limit", 25));
    return ok(users);
  },

  "DELETE /channels/{channel_id}/messages/{message_id}/reactions": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    const m = existingMessage(w, id, param(r, "message_id"));
    needPermission(w, id, "ManageMessages");
    w.store.clearReactions(id, m.id);
    return noContent();
  },

  "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    const m = existingMessage(w, id, param(r, "message_id"));
    needPermission(w, id, "ManageMessages");
    w.store.clearReactions(id, m.id, reactionKey(emojiOf(w, r)));
    return noContent();
  },

  "POST /channels/{channel_id}/typing": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    needPermission(w, id, "SendMessages");
    w.store.typing(id, w.dir.bot.id);
    return noContent();
  },

  "POST /channels/{channel_id}/threads": (w, r) => {
    const id = param(r, "channel_id");
    const parent = visibleChannel(w, id);
    if (isThread(parent) || !("guild_id" in parent)) {
      throw new DiscordError(400, 50024, "Cannot execute action on this channel type");
    }
    const name = String(r.json.name ?? "");
    const autoArchiveDuration =
      typeof r.json.auto_archive_duration === "number" ? r.json.auto_archive_duration : undefined;
    if (parent.type === ChannelType.GuildForum) {
      const message = r.json.message;
      if (!message || typeof message !== "object") {
        throw invalidFormBody(
          fieldError(["message"], { code: "BASE_TYPE_REQUIRED", message: "This field is required" }),
        );
      }
      const starter = newMessageFrom(message as Record<string, unknown>, r.files);
      const thread = w.store.createThread(id, { name, by: w.dir.bot.id, autoArchiveDuration, starter });
      return created({ ...thread, message: w.store.get(thread.id, thread.id) });
    }
    const requested = r.json.type;
    const type =
      requested === ChannelType.PublicThread || requested === ChannelType.AnnouncementThread
        ? requested
        : ChannelType.PrivateThread;
    return created(w.store.createThread(id, { name, by: w.dir.bot.id, type, autoArchiveDuration }));
  },

  "POST /channels/{channel_id}/messages/{message_id}/threads": (w, r) => {
    const id = param(r, "channel_id");
    const parent = visibleChannel(w, id);
    // Only a guild text or announcement channel's messages start threads (not a thread's, not a DM's).
    if (isThread(parent) || !("guild_id" in parent) || parent.type === ChannelType.GuildForum) {
      throw new DiscordError(400, 50024, "Cannot execute action on this channel type");
    }
    needPermission(w, id, "CreatePublicThreads");
    const m = existingMessage(w, id, param(r, "message_id"));
    if (w.dir.channel(m.id)) throw new DiscordError(400, 160004, "A thread has already been created for this message");
    const autoArchiveDuration =
      typeof r.json.auto_archive_duration === "number" ? r.json.auto_archive_duration : undefined;
    return created(
      w.store.createThread(id, {
        name: String(r.json.name ?? ""),
        by: w.dir.bot.id,
        fromMessage: m.id,
        autoArchiveDuration,
      }),
    );
  },
};
