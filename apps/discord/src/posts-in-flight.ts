/**
 * Webhook posts whose answer may have been lost. A webhook post is delivered
 * when Discord answers with the message id; when the answer never comes (the
 * bridge crashed or was killed mid-request, the connection dropped, Discord
 * answered 5xx after doing the work), posting again could show the message
 * twice. Discord offers no idempotency key for webhooks (`nonce` and
 * `enforce_nonce` exist only for the bot's own Create Message, and a webhook
 * message does not echo a nonce back), so each post is recorded, before it is
 * sent, under its delivery key with what makes it recognisable: the channel
 * (or thread), the webhook, the per-message username, the text of its first
 * part and when it was sent. Before a delivery key is posted again (a retry,
 * or the same XMPP message relayed again after a restart), the engine asks
 * (`Connector.findPosted`) and the channel's messages since that time are
 * looked at: a message of the same webhook with the same username and text
 * that the bridge does not know as the post of another delivery is the one
 * that went through, and its id is the answer. Each part of a long message
 * is a post of its own, with a delivery key of its own (the engine cuts it).
 *
 * The record costs one state write per post; it is kept as long as the
 * engine may send the message again (`keepMs`: the host's `postRecordMs`,
 * from the catch-up age and the delivery retries), a day when not told.
 */
import type { ConnectorState, Logger } from "@parley/bridge";
import { isRecord } from "@parley/bridge";
import type { REST } from "discord.js";
import { messagesAfter, PAGE } from "./messages-after.ts";
import type { ApiFailures } from "./permissions.ts";
import { snowflakeAt } from "./snowflake.ts";

/** What a webhook post is recognised by in the channel's messages. */
export interface PostInFlight {
  /** The channel, or the thread, it was posted in. */
  readonly where: string;
  readonly webhookId: string;
  readonly username: string;
  /** The text, as sent. */
  readonly content: string;
  /** When it was sent (milliseconds since the epoch). */
  readonly at: number;
}

export interface PostsInFlightOptions {
  readonly state: ConnectorState;
  readonly rest: REST;
  readonly failures: ApiFailures;
  readonly logger: Logger;
  /** Whether a Discord message id is known as the post of another delivery than `key` (then it is not this one). */
  readonly isKnown: (id: string, key: string) => Promise<boolean>;
  /** How long a record is kept (ms): as long as the engine may post the message again. Default: a day. */
  readonly keepMs?: number;
  readonly now?: () => number;
}

const KEY_PREFIX = "inflight:";
/** How long a record is kept when the host does not say. */
export const DEFAULT_KEEP_MS = 24 * 3_600_000;
/** Our clock and Discord's may disagree: the search starts this much before the post was sent. */
const CLOCK_SLACK_MS = 10_000;
/** Pages of the channel looked at, at most, for one post (the post is among the first after its time). */
const MAX_PAGES = 10;

export class PostsInFlight {
  private readonly o: PostsInFlightOptions;

  private readonly keepMs: number;

  constructor(o: PostsInFlightOptions) {
    this.o = o;
    const keep = o.keepMs;
    this.keepMs = keep !== undefined && Number.isSafeInteger(keep) && keep > 0 ? keep : DEFAULT_KEEP_MS;
  }

  /** Records that the post of delivery `key` is about to be sent; resolves once it is on record. */
  async sending(key: string, post: Omit<PostInFlight, "at">): Promise<void> {
    const record: PostInFlight = { ...post, at: (this.o.now ?? Date.now)() };
    await this.o.state.set(KEY_PREFIX + key, JSON.stringify(record), { ttlMs: this.keepMs });
  }

  /**
   * The id of the post that delivery `key` made already, when an earlier
   * attempt recorded a post and the channel shows it; undefined when nothing
   * was recorded or the channel does not have it (then posting is safe).
   * Rejects when the channel cannot be read (the delivery is retried).
   */
  async alreadyPosted(key: string): Promise<string | undefined> {
    const saved = await this.o.state.get(KEY_PREFIX + key);
    const post = parsePost(saved);
    if (!post) return undefined;
    let after = snowflakeAt(Math.max(0, post.at - CLOCK_SLACK_MS));
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = await messagesAfter(this.o, post.where, after, "looking for a webhook post whose answer was lost");
      for (const m of listed) {
        if (!this.matches(m, post, post.content)) continue;
        if (await this.o.isKnown(m.id, key)) continue; // the same text posted by another delivery
        this.o.logger.info("a webhook post whose answer was lost is on Discord already; not posting it again", {
          channel: post.where,
          id: m.id,
        });
        return m.id;
      }
      const last = listed.at(-1);
      if (last === undefined || listed.length < PAGE) break;
      after = last.id;
    }
    return undefined;
  }

  private matches(m: Record<string, unknown>, post: PostInFlight, content: string): boolean {
    const author = isRecord(m.author) ? m.author : undefined;
    return (
      m.webhook_id === post.webhookId &&
      author?.username === post.username &&
      typeof m.content === "string" &&
      m.content.trim() === content.trim()
    );
  }
}

function parsePost(saved: string | undefined): PostInFlight | undefined {
  if (saved === undefined || saved === "") return undefined;
  try {
    const v: unknown = JSON.parse(saved);
    if (!isRecord(v)) return undefined;
    // A record of an earlier version may name later parts too (`later`): the first part is what it looked for.
    const { where, webhookId, username, content, at } = v;
    if (
      typeof where !== "string" ||
      typeof webhookId !== "string" ||
      typeof username !== "string" ||
      typeof content !== "string" ||
      typeof at !== "number"
    ) {
      return undefined;
    }
    return { where, webhookId, username, content, at };
  } catch {
    return undefined; // a damaged record: as if none (the post goes again)
  }
}
