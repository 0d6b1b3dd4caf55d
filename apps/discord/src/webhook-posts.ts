/**
 * Messages through a channel's webhook: posted under an XMPP user's name and
 * avatar (with `wait=true`, to learn the id), edited and deleted, in a thread
 * of the channel when asked (`thread_id`). Webhook URLs carry the webhook's
 * token, so nothing here ever logs or reports a URL. A webhook deleted on
 * Discord (10015) is forgotten, and the call fails as transient: the retry
 * finds or makes a new one.
 */
import { isRecord, PermanentError, TransientError, type XmppSender } from "@parley/bridge";
import type { RawFile, REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import { type ApiCall, ApiFailures } from "./permissions.ts";
import { webhookUsername } from "./webhook-username.ts";
import type { ChannelWebhooks, WebhookRef } from "./webhooks.ts";

const UNKNOWN_MESSAGE = 10008;
const UNKNOWN_WEBHOOK = 10015;

export interface WebhookPostsOptions {
  readonly rest: REST;
  readonly failures: ApiFailures;
  readonly webhooks: ChannelWebhooks;
}

export interface WebhookPost {
  readonly channel: string;
  readonly webhook: WebhookRef;
  readonly thread: string | undefined;
  readonly sender: XmppSender;
  readonly content: string;
  /** The only users the message may ping. */
  readonly users: readonly string[];
  readonly files?: readonly RawFile[];
}

export class WebhookPosts {
  private readonly o: WebhookPostsOptions;

  constructor(o: WebhookPostsOptions) {
    this.o = o;
  }

  /** Posts one message; resolves with its id. */
  async post(p: WebhookPost): Promise<string> {
    const files = p.files ?? [];
    const body = {
      content: p.content,
      username: webhookUsername(p.sender.nick),
      ...(validAvatarUrl(p.sender.avatarUrl) && { avatar_url: p.sender.avatarUrl }),
      allowed_mentions: { parse: [], users: [...p.users] },
      ...(files.length > 0 && { attachments: files.map((f, i) => ({ id: String(i), filename: f.name })) }),
    };
    const call: ApiCall = {
      action: "posting an XMPP message through the channel's webhook",
      channel: p.channel,
      permission: files.length > 0 ? "Attach Files" : "Send Messages",
    };
    const posted = await this.run(p.channel, call, () =>
      this.o.rest.post(Routes.webhook(p.webhook.id, p.webhook.token), {
        body,
        ...(files.length > 0 && { files: [...files] }),
        query: query(p.thread, true),
        auth: false,
      }),
    );
    if (!isRecord(posted) || typeof posted.id !== "string") {
      throw new PermanentError("Discord answered a webhook post without a message id");
    }
    return posted.id;
  }

  /** Replaces a message's text; a message that is gone is a permanent failure. */
  async edit(o: {
    channel: string;
    webhook: WebhookRef;
    thread: string | undefined;
    id: string;
    content: string;
    users: readonly string[];
  }): Promise<void> {
    const call: ApiCall = {
      action: "editing an XMPP message on Discord",
      channel: o.channel,
      permission: "Send Messages",
    };
    await this.run(o.channel, call, () =>
      this.o.rest.patch(Routes.webhookMessage(o.webhook.id, o.webhook.token, o.id), {
        body: { content: o.content, allowed_mentions: { parse: [], users: [...o.users] } },
        query: query(o.thread, false),
        auth: false,
      }),
    );
  }

  /** Deletes a message; one that is gone already is what deleting wanted. */
  async delete(o: { channel: string; webhook: WebhookRef; thread: string | undefined; id: string }): Promise<void> {
    const call: ApiCall = {
      action: "deleting an XMPP message on Discord",
      channel: o.channel,
      permission: "Send Messages",
    };
    await this.run(o.channel, call, () =>
      this.o.rest.delete(Routes.webhookMessage(o.webhook.id, o.webhook.token, o.id), {
        query: query(o.thread, false),
        auth: false,
      }),
    ).catch((e: unknown) => {
      if (ApiFailures.codeOf(e) !== UNKNOWN_MESSAGE) throw e;
    });
  }

  private async run<T>(channel: string, call: ApiCall, f: () => Promise<T>): Promise<T> {
    try {
      return await this.o.failures.run(call, f);
    } catch (e) {
      if (ApiFailures.codeOf(e) === UNKNOWN_WEBHOOK) {
        this.o.webhooks.forget(channel);
        throw new TransientError(`${call.action}: the channel's webhook was deleted; a new one will be made`, {
          cause: e,
        });
      }
      throw e;
    }
  }
}

function query(thread: string | undefined, wait: boolean): URLSearchParams {
  const q = new URLSearchParams();
  if (wait) q.set("wait", "true");
  if (thread !== undefined) q.set("thread_id", thread);
  return q;
}

/** Discord takes an http(s) `avatar_url` of at most 2,048 characters; anything else is left out. */
export function validAvatarUrl(url: string | undefined): url is string {
  if (url === undefined || url.length > 2048) return false;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false; // not a URL: the post goes without an avatar
  }
}
