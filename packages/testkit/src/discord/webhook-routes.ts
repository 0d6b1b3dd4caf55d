/**
 * REST routes on webhooks: create and list them in a channel (ManageWebhooks),
 * read, change and delete them by id or by token, and execute them: a message
 * whose author is the webhook under the per-message username and avatar, with
 * `webhook_id` set, dispatched like any other message. `wait=true` answers the
 * message, otherwise 204; `thread_id` posts into a thread of the channel, and
 * in a forum `thread_name` starts a post.
 */
import { ChannelType } from "discord-api-types/v10";
import { isThread } from "./directory.ts";
import {
  DiscordError,
  fieldError,
  invalidFormBody,
  invalidWebhookToken,
  maxWebhooks,
  unknownChannel,
  unknownMessage,
  unknownWebhook,
} from "./discord-errors.ts";
import { checkWebhookName, messageEditFrom, newMessageFrom } from "./message-input.ts";
import { createOrExplain } from "./message-routes.ts";
import type { MessageAuthor } from "./message-store.ts";
import {
  needPermission,
  noContent,
  ok,
  param,
  type RestWorld,
  type Route,
  type RouteRequest,
  visibleChannel,
} from "./route-kit.ts";
import type { WebhookRecord } from "./webhook-store.ts";

const MAX_WEBHOOKS_PER_CHANNEL = 15;

function webhookById(w: RestWorld, r: RouteRequest): WebhookRecord {
  const hook = w.webhooks.get(param(r, "webhook_id"));
  if (!hook) throw unknownWebhook();
  if (hook.channel_id) needPermission(w, hook.channel_id, "ManageWebhooks");
  return hook;
}

function webhookByToken(w: RestWorld, r: RouteRequest): WebhookRecord {
  const hook = w.webhooks.get(param(r, "webhook_id"));
  if (!hook) throw unknownWebhook();
  if (hook.token !== param(r, "webhook_token")) throw invalidWebhookToken();
  return hook;
}

/** The channel a webhook request acts in: the webhook's channel, or the thread of it that `thread_id` names. */
function targetChannel(w: RestWorld, r: RouteRequest, hook: WebhookRecord): string {
  const channelId = hook.channel_id ?? "";
  const threadId = r.query.get("thread_id");
  if (!threadId) return channelId;
  const thread = w.dir.channel(threadId);
  if (!thread || !isThread(thread) || thread.parent_id !== channelId) throw unknownChannel();
  return threadId;
}

/** Webhook avatars arrive as data URIs. */
function avatarOf(v: unknown): { bytes: Uint8Array; contentType: string } | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  const m = typeof v === "string" ? /^data:(image\/[\w.+-]+);base64,(.+)$/s.exec(v) : null;
  if (!m) throw invalidFormBody(fieldError(["avatar"], { code: "IMAGE_INVALID", message: "Invalid image data" }));
  return { contentType: m[1] ?? "image/png", bytes: new Uint8Array(Buffer.from(m[2] ?? "", "base64")) };
}

/** What GET by token shows: no `user`. */
function withoutUser(hook: WebhookRecord) {
  const { user: _user, ...rest } = hook;
  return rest;
}

export const WEBHOOK_ROUTES: Readonly<Record<string, Route>> = {
  "GET /channels/{channel_id}/webhooks": (w, r) => {
    const id = param(r, "channel_id");
    visibleChannel(w, id);
    needPermission(w, id, "ManageWebhooks");
    return ok(w.webhooks.inChannel(id));
  },

  "POST /channels/{channel_id}/webhooks": (w, r) => {
    const id = param(r, "channel_id");
    const c = visibleChannel(w, id);
    needPermission(w, id, "ManageWebhooks");
    const kinds = [ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.GuildForum];
    if (!kinds.includes(c.type)) throw new DiscordError(400, 50024, "Cannot execute action on this channel type");
    checkWebhookName("name", r.json.name);
    if (w.webhooks.inChannel(id).length >= MAX_WEBHOOKS_PER_CHANNEL) throw maxWebhooks();
    const avatar = avatarOf(r.json.avatar) ?? undefined;
    return ok(w.webhooks.create(id, { name: String(r.json.name), ...(avatar ? { avatar } : {}) }));
  },

  "GET /guilds/{guild_id}/webhooks": (w, r) => {
    const guildId = param(r, "guild_id");
    if (!w.dir.hasGuild(guildId)) throw new DiscordError(404, 10004, "Unknown Guild");
    return ok(w.webhooks.inGuild(guildId));
  },

  "GET /webhooks/{webhook_id}": (w, r) => ok(webhookById(w, r)),

  "PATCH /webhooks/{webhook_id}": (w, r) => {
    const hook = webhookById(w, r);
    if (r.json.name !== undefined) checkWebhookName("name", r.json.name);
    if (typeof r.json.channel_id === "string" && r.json.channel_id !== hook.channel_id) {
      const target = visibleChannel(w, r.json.channel_id);
      if (!("guild_id" in target) || target.guild_id !== hook.guild_id) throw unknownChannel();
      needPermission(w, target.id, "ManageWebhooks");
    }
    const avatar = avatarOf(r.json.avatar);
    return ok(
      w.webhooks.update(hook.id, {
        ...(typeof r.json.name === "string" ? { name: r.json.name } : {}),
        ...(avatar !== undefined ? { avatar } : {}),
        ...(typeof r.json.channel_id === "string" ? { channelId: r.json.channel_id } : {}),
      }),
    );
  },

  "DELETE /webhooks/{webhook_id}": (w, r) => {
    w.webhooks.delete(webhookById(w, r).id);
    return noContent();
  },

  "GET /webhooks/{webhook_id}/{webhook_token}": (w, r) => ok(withoutUser(webhookByToken(w, r))),

  "PATCH /webhooks/{webhook_id}/{webhook_token}": (w, r) => {
    const hook = webhookByToken(w, r);
    if (r.json.name !== undefined) checkWebhookName("name", r.json.name);
    const avatar = avatarOf(r.json.avatar);
    const updated = w.webhooks.update(hook.id, {
      ...(typeof r.json.name === "string" ? { name: r.json.name } : {}),
      ...(avatar !== undefined ? { avatar } : {}),
    });
    return ok(withoutUser(updated));
  },

  "DELETE /webhooks/{webhook_id}/{webhook_token}": (w, r) => {
    w.webhooks.delete(webhookByToken(w, r).id);
    return noContent();
  },

  "POST /webhooks/{webhook_id}/{webhook_token}": (w, r) => {
    const hook = webhookByToken(w, r);
    const target = targetChannel(w, r, hook);
    const parent = w.dir.channel(hook.channel_id ?? "");
    if (!parent) throw unknownChannel();
    checkWebhookName("username", r.json.username);
    // Webhooks cannot reply: Discord ignores a message_reference they send.
    const input = { ...newMessageFrom(r.json, r.files), replyTo: undefined };
    const author: MessageAuthor = {
      kind: "webhook",
      webhookId: hook.id,
      ...(typeof r.json.username === "string" && r.json.username ? { username: r.json.username } : {}),
      ...(typeof r.json.avatar_url === "string" && r.json.avatar_url ? { avatarUrl: r.json.avatar_url } : {}),
    };
    let message: unknown;
    if (target === parent.id && parent.type === ChannelType.GuildForum) {
      const threadName = r.json.thread_name;
      if (typeof threadName !== "string" || !threadName) {
        throw new DiscordError(400, 220001, "Webhooks posted to forum channels must have a thread_name or thread_id");
      }
      const thread = w.store.createThread(parent.id, {
        name: threadName,
        by: hook.id,
        starter: input,
        starterAuthor: author,
      });
      message = w.store.get(thread.id, thread.id);
    } else {
      message = createOrExplain(w, target, author, input, true);
    }
    const wait = /^(true|1)$/i.test(r.query.get("wait") ?? "");
    return wait ? ok(message) : noContent();
  },

  "GET /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (w, r) => {
    const { channel, id } = webhookMessage(w, r);
    return ok(w.store.get(channel, id));
  },

  "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (w, r) => {
    const { channel, id } = webhookMessage(w, r);
    return ok(w.store.edit(channel, id, messageEditFrom(r.json, r.files)));
  },

  "DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": (w, r) => {
    const { channel, id } = webhookMessage(w, r);
    w.store.remove(channel, id);
    return noContent();
  },
};

/** A message this webhook posted, in its channel or the `thread_id` thread; others' are 10008. */
function webhookMessage(w: RestWorld, r: RouteRequest): { channel: string; id: string } {
  const hook = webhookByToken(w, r);
  const channel = targetChannel(w, r, hook);
  const m = w.store.get(channel, param(r, "message_id"));
  if (!m || m.webhook_id !== hook.id) throw unknownMessage();
  return { channel, id: m.id };
}
