/**
 * Who and what the bridge talks about: Slack users as `RemoteUser`s (nick =
 * display name, else real name, else handle; avatar), channel names, and
 * the bot's own identity. Answers come from a bounded cache filled by
 * users.info / conversations.info and kept fresh by `user_change` events;
 * user-group handles from usergroups.list, read at start, kept fresh by
 * `subteam_created` / `subteam_updated` and read again (at most once a
 * minute) when a message mentions a group the cache lacks. A failed
 * look-up (a missing `usergroups:read` too) shows the id rather than
 * stopping a message.
 */
import { type Logger, type RemoteUser, setBounded } from "@parley/bridge";
import type { webApi } from "@slack/bolt";

/** Users and channels kept; past it the oldest entry is dropped (and asked again when needed). */
const MAX_ENTRIES = 20_000;

/** User groups kept (usergroups.list answers with all of a workspace's; past this many the rest are not kept). */
const MAX_USERGROUPS = 5_000;

/** A mention of a group the cache lacks reads usergroups.list again, at most this often. */
const USERGROUPS_REFRESH_MS = 60_000;

/** The fields of a Slack user object the bridge reads. */
export interface SlackUserObject {
  readonly id?: string;
  readonly name?: string;
  readonly real_name?: string;
  readonly deleted?: boolean;
  readonly is_bot?: boolean;
  readonly profile?: {
    readonly display_name?: string;
    readonly real_name?: string;
    readonly image_192?: string;
    readonly image_72?: string;
    readonly image_512?: string;
    readonly bot_id?: string;
    readonly status_text?: string;
  };
}

export interface BotIdentity {
  readonly userId: string;
  readonly botId?: string;
}

function nonEmpty(s: unknown): string | undefined {
  return typeof s === "string" && s.trim() !== "" ? s.trim() : undefined;
}

export class SlackDirectory {
  private readonly client: webApi.WebClient;
  private readonly logger: Logger;
  /** User -> the fields the bridge reads of them: at most MAX_ENTRIES. */
  private readonly users = new Map<string, SlackUserObject>();
  /** Channel -> its name: at most MAX_ENTRIES. */
  private readonly channels = new Map<string, string>();
  private usergroups = new Map<string, string>();
  private usergroupsReadAt: number | undefined;
  private usergroupsReading: Promise<void> | undefined;
  private readonly now: () => number;
  bot: BotIdentity | undefined;

  constructor(client: webApi.WebClient, logger: Logger, now: () => number = Date.now) {
    this.client = client;
    this.logger = logger;
    this.now = now;
  }

  get size(): number {
    return this.users.size + this.channels.size + this.usergroups.size;
  }

  /** A user object as Slack gave it (an event, users.info): the cache keeps the newest, what the bridge reads of it. */
  remember(user: SlackUserObject): RemoteUser | undefined {
    if (typeof user.id !== "string") return undefined;
    setBounded(this.users, user.id, readFields(user), MAX_ENTRIES);
    return this.remoteUser(user);
  }

  remoteUser(user: SlackUserObject): RemoteUser {
    const id = user.id ?? "";
    const p = user.profile ?? {};
    const displayName =
      nonEmpty(p.display_name) ?? nonEmpty(p.real_name) ?? nonEmpty(user.real_name) ?? nonEmpty(user.name) ?? id;
    const avatarUrl = nonEmpty(p.image_192) ?? nonEmpty(p.image_72) ?? nonEmpty(p.image_512);
    const isBridge =
      this.bot !== undefined && (id === this.bot.userId || (p.bot_id !== undefined && p.bot_id === this.bot.botId));
    return { id, displayName, ...(avatarUrl !== undefined && { avatarUrl }), ...(isBridge && { isBridge }) };
  }

  /** Whether the cache knows `id` as a deactivated account (Slack's `deleted`). */
  isDeleted(id: string): boolean {
    return this.users.get(id)?.deleted === true;
  }

  /** The status text a user set, if any (for presence). */
  statusText(id: string): string | undefined {
    return nonEmpty(this.users.get(id)?.profile?.status_text);
  }

  /** The user, from the cache or users.info; a failed look-up gives a user named by their id. */
  async user(id: string): Promise<RemoteUser> {
    const known = this.users.get(id);
    if (known) return this.remoteUser(known);
    try {
      const r = await this.client.users.info({ user: id });
      if (r.user) return this.remember(r.user as SlackUserObject) ?? { id, displayName: id };
    } catch (e) {
      this.logger.debug("a Slack user could not be looked up", {
        user: id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
    return { id, displayName: id };
  }

  /** The user's name, if the cache has them (the formatting readers' resolver). */
  cachedName(id: string): string | undefined {
    const u = this.users.get(id);
    return u ? this.remoteUser(u).displayName : undefined;
  }

  cachedChannel(id: string): string | undefined {
    return this.channels.get(id);
  }

  /** `handle` of user group `S…` (Slack shows `@handle`), if the cache has it. */
  cachedUsergroup(id: string): string | undefined {
    return this.usergroups.get(id);
  }

  /** A user group as Slack gave it (subteam_created / subteam_updated): its handle from now on, or none once deleted. */
  rememberUsergroup(group: { id?: unknown; handle?: unknown; name?: unknown; date_delete?: unknown }): void {
    if (typeof group.id !== "string") return;
    const handle = nonEmpty(group.handle) ?? nonEmpty(group.name);
    this.usergroups.delete(group.id);
    if (handle === undefined || (typeof group.date_delete === "number" && group.date_delete > 0)) return;
    if (this.usergroups.size >= MAX_USERGROUPS) return;
    this.usergroups.set(group.id, handle);
  }

  /**
   * Reads usergroups.list into the cache (replacing it). Called at start;
   * afterwards only through `prefetch`, at most once a minute. A failure
   * (no `usergroups:read`, Slack unreachable) keeps what the cache had.
   */
  async readUsergroups(): Promise<void> {
    if (this.usergroupsReading) return this.usergroupsReading;
    this.usergroupsReadAt = this.now();
    this.usergroupsReading = (async () => {
      try {
        const r = await this.client.usergroups.list({});
        const next = new Map<string, string>();
        for (const g of r.usergroups ?? []) {
          if (next.size >= MAX_USERGROUPS) break;
          const handle = nonEmpty(g.handle) ?? nonEmpty(g.name);
          if (typeof g.id === "string" && handle !== undefined) next.set(g.id, handle);
        }
        this.usergroups = next;
      } catch (e) {
        this.logger.debug("Slack's user groups could not be read (mentions of them show their ids)", {
          error: e instanceof Error ? e.message : String(e),
        });
      } finally {
        this.usergroupsReading = undefined;
      }
    })();
    return this.usergroupsReading;
  }

  /** Looks up whatever of `users`, `channels` and `usergroups` the cache lacks, so the synchronous resolvers can answer. */
  async prefetch(
    users: Iterable<string>,
    channels: Iterable<string>,
    usergroups: Iterable<string> = [],
  ): Promise<void> {
    for (const id of users) if (!this.users.has(id)) await this.user(id);
    for (const id of channels) if (!this.channels.has(id)) await this.channelName(id);
    for (const id of usergroups) {
      if (this.usergroups.has(id)) continue;
      const last = this.usergroupsReadAt;
      if (last === undefined || this.now() - last >= USERGROUPS_REFRESH_MS) await this.readUsergroups();
      else if (this.usergroupsReading) await this.usergroupsReading;
      break;
    }
  }

  /** `#name`, or the id when Slack will not say. */
  async channelName(id: string): Promise<string> {
    const known = this.channels.get(id);
    if (known !== undefined) return known;
    try {
      const r = await this.client.conversations.info({ channel: id });
      const name = nonEmpty(r.channel?.name);
      if (name !== undefined) {
        setBounded(this.channels, id, name, MAX_ENTRIES);
        return name;
      }
    } catch (e) {
      this.logger.debug("a Slack channel could not be looked up", {
        channel: id,
        error: e instanceof Error ? e.message : String(e),
      });
    }
    return id;
  }

  /** How notices name a channel: `#general (C123)` when its name is known. */
  channelLabel(id: string): string {
    const name = this.channels.get(id);
    return name === undefined ? id : `#${name} (${id})`;
  }
}

/**
 * What the bridge reads of `user`, in the shape `remoteUser` reads: Slack's
 * user object carries dozens more fields (five more avatar sizes, time
 * zone, colour...), about 1 kB a member that the cache would keep for
 * nothing. Of the names only the one shown is kept (as `name`), of the
 * avatars only the one used (as `image_192`): a member costs one string
 * of each, not three or four.
 */
function readFields(user: SlackUserObject): SlackUserObject {
  const p = user.profile ?? {};
  const name = nonEmpty(p.display_name) ?? nonEmpty(p.real_name) ?? nonEmpty(user.real_name) ?? nonEmpty(user.name);
  const avatar = nonEmpty(p.image_192) ?? nonEmpty(p.image_72) ?? nonEmpty(p.image_512);
  const profile = {
    ...(avatar !== undefined && { image_192: avatar }),
    ...(p.bot_id !== undefined && { bot_id: p.bot_id }),
    ...(p.status_text !== undefined && { status_text: p.status_text }),
  };
  return {
    ...(user.id !== undefined && { id: user.id }),
    ...(name !== undefined && { name }),
    ...(user.deleted !== undefined && { deleted: user.deleted }),
    ...(user.is_bot !== undefined && { is_bot: user.is_bot }),
    ...(Object.keys(profile).length > 0 && { profile }),
  };
}
