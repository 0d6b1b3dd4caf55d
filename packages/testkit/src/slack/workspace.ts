/**
 * The workspace the fake holds: the team, its users (with profiles, presence
 * and status), the bot, channels and who is in them, DMs, usergroups and
 * custom emoji. Objects are kept in the shapes the Web API answers with
 * (users.info, conversations.info...), so a method hands out a copy.
 */

import type { IdSource } from "./ids.ts";
import { SlackScenarioError } from "./slack-errors.ts";

export type Presence = "active" | "away";

export interface SlackProfile {
  real_name: string;
  real_name_normalized: string;
  display_name: string;
  display_name_normalized: string;
  first_name: string;
  last_name: string;
  title: string;
  phone: string;
  skype: string;
  status_text: string;
  status_emoji: string;
  status_expiration: number;
  avatar_hash: string;
  image_24: string;
  image_32: string;
  image_48: string;
  image_72: string;
  image_192: string;
  image_512: string;
  team: string;
  bot_id?: string;
  api_app_id?: string;
}

export interface SlackUser {
  id: string;
  team_id: string;
  name: string;
  deleted: boolean;
  color: string;
  real_name: string;
  tz: string;
  tz_label: string;
  tz_offset: number;
  profile: SlackProfile;
  is_admin: boolean;
  is_owner: boolean;
  is_primary_owner: boolean;
  is_restricted: boolean;
  is_ultra_restricted: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  updated: number;
}

export interface SlackChannel {
  id: string;
  name: string;
  is_channel: boolean;
  is_group: boolean;
  is_im: boolean;
  is_mpim: boolean;
  is_private: boolean;
  created: number;
  is_archived: boolean;
  is_general: boolean;
  unlinked: number;
  name_normalized: string;
  is_shared: boolean;
  is_org_shared: boolean;
  is_ext_shared: boolean;
  is_pending_ext_shared: boolean;
  context_team_id: string;
  creator: string;
  topic: { value: string; creator: string; last_set: number };
  purpose: { value: string; creator: string; last_set: number };
  /** Set on DMs only: the other user. */
  user?: string;
}

export interface SlackUsergroup {
  id: string;
  team_id: string;
  is_usergroup: boolean;
  is_subteam: boolean;
  name: string;
  description: string;
  handle: string;
  is_external: boolean;
  date_create: number;
  date_update: number;
  date_delete: number;
  auto_type: null;
  auto_provision: boolean;
  enterprise_subteam_id: string;
  created_by: string;
  updated_by: string;
  deleted_by: null;
  prefs: { channels: string[]; groups: string[] };
  users: string[];
  user_count: number;
}

export interface NewSlackUser {
  /** The username (`name`), unique in the workspace. */
  readonly name: string;
  readonly realName?: string;
  /** Empty by default, as for most Slack users: clients then show the real name. */
  readonly displayName?: string;
  /** URL of the 72px avatar; an avatar served by the fake by default. */
  readonly image72?: string;
  readonly presence?: Presence;
  readonly statusText?: string;
  readonly statusEmoji?: string;
  readonly isBot?: boolean;
  readonly tz?: string;
}

export interface UserPatch {
  readonly realName?: string;
  readonly displayName?: string;
  readonly image72?: string;
  readonly statusText?: string;
  readonly statusEmoji?: string;
  readonly deleted?: boolean;
}

export interface NewSlackChannel {
  readonly name: string;
  readonly private?: boolean;
  /** Users in the channel besides the bot. */
  readonly members?: readonly string[];
  /** Whether the bot is a member; true by default. */
  readonly bot?: boolean;
  readonly topic?: string;
  readonly purpose?: string;
}

const now = (): number => Math.floor(Date.now() / 1000);

/** A user's Do Not Disturb settings, in Unix seconds: a snooze and/or a scheduled window. */
export interface SlackDnd {
  readonly snoozeEnd?: number;
  readonly window?: { readonly start: number; readonly end: number };
}

/** One user's entry in dnd.teamInfo's `users`. */
export interface SlackDndStatus {
  readonly dnd_enabled: boolean;
  readonly next_dnd_start_ts: number;
  readonly next_dnd_end_ts: number;
  readonly snooze_enabled: boolean;
  readonly snooze_endtime?: number;
  readonly snooze_remaining?: number;
}

export class Workspace {
  readonly teamId: string;
  readonly teamName: string;
  readonly teamDomain: string;
  readonly appId: string;
  readonly botId: string;
  readonly botUser: SlackUser;
  private readonly ids: IdSource;
  private readonly assetsUrl: string;
  private readonly users = new Map<string, SlackUser>();
  private readonly presence = new Map<string, Presence>();
  /** User -> their Do Not Disturb settings (Unix seconds); absent is off. */
  private readonly dnd = new Map<string, SlackDnd>();
  private readonly channels = new Map<string, SlackChannel>();
  private readonly members = new Map<string, string[]>();
  private readonly dms = new Map<string, string>();
  private readonly usergroups = new Map<string, SlackUsergroup>();
  private readonly emoji = new Map<string, string>();

  constructor(o: { ids: IdSource; assetsUrl: string; teamName: string; teamDomain: string; botName: string }) {
    this.ids = o.ids;
    this.assetsUrl = o.assetsUrl;
    this.teamId = o.ids.id("T");
    this.teamName = o.teamName;
    this.teamDomain = o.teamDomain;
    this.appId = o.ids.id("A");
    this.botId = o.ids.id("B");
    this.botUser = this.createUser({
      name: o.botName.toLowerCase().replace(/[^a-z0-9._-]+/g, "_"),
      realName: o.botName,
      isBot: true,
    });
    this.botUser.profile.bot_id = this.botId;
    this.botUser.profile.api_app_id = this.appId;
    this.botUser.is_app_user = false;
  }

  // --- users -------------------------------------------------------------

  createUser(o: NewSlackUser): SlackUser {
    if ([...this.users.values()].some((u) => u.name === o.name)) {
      throw new SlackScenarioError(`a user named ${o.name} already exists`);
    }
    const id = this.ids.id("U");
    const realName = o.realName ?? o.name;
    const [first = "", ...rest] = realName.split(" ");
    const image = (size: number) => `${this.assetsUrl}/avatars/${id}/${size}.png`;
    const user: SlackUser = {
      id,
      team_id: this.teamId,
      name: o.name,
      deleted: false,
      color: "9f69e7",
      real_name: realName,
      tz: o.tz ?? "Europe/London",
      tz_label: "Greenwich Mean Time",
      tz_offset: 0,
      profile: {
        real_name: realName,
        real_name_normalized: realName,
        display_name: o.displayName ?? "",
        display_name_normalized: o.displayName ?? "",
        first_name: first,
        last_name: rest.join(" "),
        title: "",
        phone: "",
        skype: "",
        status_text: o.statusText ?? "",
        status_emoji: o.statusEmoji ?? "",
        status_expiration: 0,
        avatar_hash: id.slice(1, 13).toLowerCase(),
        image_24: image(24),
        image_32: image(32),
        image_48: image(48),
        image_72: o.image72 ?? image(72),
        image_192: image(192),
        image_512: image(512),
        team: this.teamId,
      },
      is_admin: false,
      is_owner: false,
      is_primary_owner: false,
      is_restricted: false,
      is_ultra_restricted: false,
      is_bot: o.isBot ?? false,
      is_app_user: false,
      updated: now(),
    };
    this.users.set(id, user);
    this.presence.set(id, o.presence ?? "active");
    return user;
  }

  user(id: string): SlackUser | undefined {
    return this.users.get(id);
  }

  requireUser(id: string): SlackUser {
    const u = this.users.get(id);
    if (!u) throw new SlackScenarioError(`no user ${id} (create it with createUser)`);
    return u;
  }

  allUsers(): SlackUser[] {
    return [...this.users.values()];
  }

  updateUser(id: string, p: UserPatch): SlackUser {
    const u = this.requireUser(id);
    if (p.realName !== undefined) {
      u.real_name = p.realName;
      u.profile.real_name = p.realName;
      u.profile.real_name_normalized = p.realName;
    }
    if (p.displayName !== undefined) {
      u.profile.display_name = p.displayName;
      u.profile.display_name_normalized = p.displayName;
    }
    if (p.image72 !== undefined) {
      u.profile.image_72 = p.image72;
      u.profile.avatar_hash = `${u.profile.avatar_hash.slice(0, 6)}${Date.now().toString(36).slice(-6)}`;
    }
    if (p.statusText !== undefined) u.profile.status_text = p.statusText;
    if (p.statusEmoji !== undefined) u.profile.status_emoji = p.statusEmoji;
    if (p.deleted !== undefined) u.deleted = p.deleted;
    u.updated = now();
    return u;
  }

  presenceOf(id: string): Presence {
    this.requireUser(id);
    return this.presence.get(id) ?? "active";
  }

  setPresence(id: string, p: Presence): void {
    this.requireUser(id);
    this.presence.set(id, p);
  }

  /** A user's Do Not Disturb state as dnd.teamInfo answers it now (a snooze that has ended is off). */
  dndOf(id: string): SlackDndStatus {
    this.requireUser(id);
    const d = this.dnd.get(id);
    const nowS = Math.floor(Date.now() / 1000);
    const snoozing = d?.snoozeEnd !== undefined && d.snoozeEnd > nowS;
    return {
      dnd_enabled: d?.window !== undefined,
      next_dnd_start_ts: d?.window?.start ?? 1,
      next_dnd_end_ts: d?.window?.end ?? 1,
      snooze_enabled: snoozing,
      ...(snoozing && { snooze_endtime: d.snoozeEnd, snooze_remaining: (d.snoozeEnd ?? nowS) - nowS }),
    };
  }

  setDnd(id: string, d: SlackDnd | undefined): void {
    this.requireUser(id);
    if (d === undefined) this.dnd.delete(id);
    else this.dnd.set(id, d);
  }

  // --- channels ----------------------------------------------------------

  createChannel(o: NewSlackChannel): SlackChannel {
    const name = o.name.toLowerCase();
    if ([...this.channels.values()].some((c) => c.name === name && !c.is_im)) {
      throw new SlackScenarioError(`a channel named ${name} already exists`);
    }
    const id = this.ids.id("C");
    const t = now();
    const creator = o.members?.[0] ?? this.botUser.id;
    const channel: SlackChannel = {
      id,
      name,
      is_channel: !o.private,
      is_group: !!o.private,
      is_im: false,
      is_mpim: false,
      is_private: !!o.private,
      created: t,
      is_archived: false,
      is_general: this.channels.size === 0,
      unlinked: 0,
      name_normalized: name,
      is_shared: false,
      is_org_shared: false,
      is_ext_shared: false,
      is_pending_ext_shared: false,
      context_team_id: this.teamId,
      creator,
      topic: { value: o.topic ?? "", creator: o.topic ? creator : "", last_set: o.topic ? t : 0 },
      purpose: { value: o.purpose ?? "", creator: o.purpose ? creator : "", last_set: o.purpose ? t : 0 },
    };
    this.channels.set(id, channel);
    const members = [...(o.members ?? [])];
    for (const m of members) this.requireUser(m);
    if (o.bot ?? true) members.push(this.botUser.id);
    this.members.set(id, members);
    return channel;
  }

  channel(id: string): SlackChannel | undefined {
    return this.channels.get(id);
  }

  requireChannel(id: string): SlackChannel {
    const c = this.channels.get(id);
    if (!c) throw new SlackScenarioError(`no channel ${id} (create it with createChannel)`);
    return c;
  }

  allChannels(): SlackChannel[] {
    return [...this.channels.values()];
  }

  membersOf(channelId: string): readonly string[] {
    return this.members.get(channelId) ?? [];
  }

  isMember(channelId: string, userId: string): boolean {
    return this.membersOf(channelId).includes(userId);
  }

  botIsMember(channelId: string): boolean {
    return this.isMember(channelId, this.botUser.id);
  }

  /** Adds the user; false when already a member. */
  join(channelId: string, userId: string): boolean {
    this.requireChannel(channelId);
    this.requireUser(userId);
    const list = this.members.get(channelId) ?? [];
    if (list.includes(userId)) return false;
    list.push(userId);
    this.members.set(channelId, list);
    return true;
  }

  leave(channelId: string, userId: string): boolean {
    const list = this.members.get(channelId) ?? [];
    const i = list.indexOf(userId);
    if (i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  /** The bot's DM with the user (`D...`), made on first use, as conversations.open does. */
  openDm(userId: string): SlackChannel {
    this.requireUser(userId);
    const existing = this.dms.get(userId);
    if (existing) return this.requireChannel(existing);
    const id = this.ids.id("D");
    const channel: SlackChannel = {
      id,
      name: "",
      is_channel: false,
      is_group: false,
      is_im: true,
      is_mpim: false,
      is_private: true,
      created: now(),
      is_archived: false,
      is_general: false,
      unlinked: 0,
      name_normalized: "",
      is_shared: false,
      is_org_shared: false,
      is_ext_shared: false,
      is_pending_ext_shared: false,
      context_team_id: this.teamId,
      creator: userId,
      topic: { value: "", creator: "", last_set: 0 },
      purpose: { value: "", creator: "", last_set: 0 },
      user: userId,
    };
    this.channels.set(id, channel);
    this.members.set(id, [userId, this.botUser.id]);
    this.dms.set(userId, id);
    return channel;
  }

  dmOf(userId: string): string | undefined {
    return this.dms.get(userId);
  }

  /** Events API `channel_type` of a channel: channel, group, im or mpim. */
  channelType(channelId: string): "channel" | "group" | "im" | "mpim" {
    const c = this.requireChannel(channelId);
    return c.is_im ? "im" : c.is_mpim ? "mpim" : c.is_private ? "group" : "channel";
  }

  // --- usergroups and emoji ---------------------------------------------

  createUsergroup(o: {
    handle: string;
    name?: string;
    users?: readonly string[];
    description?: string;
  }): SlackUsergroup {
    for (const u of o.users ?? []) this.requireUser(u);
    const id = this.ids.id("S");
    const t = now();
    const g: SlackUsergroup = {
      id,
      team_id: this.teamId,
      is_usergroup: true,
      is_subteam: true,
      name: o.name ?? o.handle,
      description: o.description ?? "",
      handle: o.handle,
      is_external: false,
      date_create: t,
      date_update: t,
      date_delete: 0,
      auto_type: null,
      auto_provision: false,
      enterprise_subteam_id: "",
      created_by: this.botUser.id,
      updated_by: this.botUser.id,
      deleted_by: null,
      prefs: { channels: [], groups: [] },
      users: [...(o.users ?? [])],
      user_count: o.users?.length ?? 0,
    };
    this.usergroups.set(id, g);
    return g;
  }

  /** Renames a usergroup (handle, name, description); Slack moves `date_update`. */
  updateUsergroup(id: string, patch: { handle?: string; name?: string; description?: string }): SlackUsergroup {
    const g = this.usergroups.get(id);
    if (!g) throw new Error(`no usergroup ${id}`);
    if (patch.handle !== undefined) g.handle = patch.handle;
    if (patch.name !== undefined) g.name = patch.name;
    if (patch.description !== undefined) g.description = patch.description;
    g.date_update = now();
    g.updated_by = this.botUser.id;
    return g;
  }

  allUsergroups(): SlackUsergroup[] {
    return [...this.usergroups.values()];
  }

  usergroup(id: string): SlackUsergroup | undefined {
    return this.usergroups.get(id);
  }

  /** A custom emoji: an image URL (one served by the fake by default), or `alias:<name>`. */
  addEmoji(name: string, value?: string): string {
    const v = value ?? `${this.assetsUrl}/emoji/${name}.png`;
    this.emoji.set(name, v);
    return v;
  }

  allEmoji(): Record<string, string> {
    return Object.fromEntries(this.emoji);
  }

  hasEmoji(name: string): boolean {
    return this.emoji.has(name);
  }
}
