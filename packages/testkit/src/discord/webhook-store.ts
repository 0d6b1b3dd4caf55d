/**
 * Webhooks: made in a channel by the bot (so owned by its application, token
 * included), changed and deleted by id or token, each change announced with
 * WEBHOOKS_UPDATE as Discord does.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { APIWebhook } from "discord-api-types/v10";
import { WebhookType } from "discord-api-types/v10";
import type { AssetStore } from "./assets.ts";
import { type Directory, ScenarioError } from "./directory.ts";
import type { Dispatch } from "./intents.ts";
import { imageHash } from "./png.ts";
import type { SnowflakeSource } from "./snowflake.ts";

export interface WebhookRecord extends APIWebhook {
  readonly token: string;
}

export interface WebhookAvatar {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

export class WebhookStore {
  private readonly ids: SnowflakeSource;
  private readonly dir: Directory;
  private readonly assets: AssetStore;
  private readonly emit: (d: Dispatch) => void;
  private readonly hooks = new Map<string, WebhookRecord>();
  private readonly tokenKey = randomBytes(16);

  constructor(o: { ids: SnowflakeSource; dir: Directory; assets: AssetStore; emit: (d: Dispatch) => void }) {
    this.ids = o.ids;
    this.dir = o.dir;
    this.assets = o.assets;
    this.emit = o.emit;
  }

  create(channelId: string, o: { name: string; avatar?: WebhookAvatar }): WebhookRecord {
    const guildId = this.dir.guildOf(channelId);
    const id = this.ids.next();
    const token = createHmac("sha256", this.tokenKey).update(id).digest("base64url");
    const hook: WebhookRecord = {
      id,
      type: WebhookType.Incoming,
      guild_id: guildId ?? null,
      channel_id: channelId,
      user: this.dir.bot,
      name: o.name,
      avatar: o.avatar ? this.storeAvatar(id, o.avatar) : null,
      token,
      application_id: this.dir.bot.id,
      url: `https://discord.com/api/webhooks/${id}/${token}`,
    };
    this.hooks.set(id, hook);
    this.announce(hook);
    return hook;
  }

  get(id: string): WebhookRecord | undefined {
    return this.hooks.get(id);
  }

  inChannel(channelId: string): WebhookRecord[] {
    return [...this.hooks.values()].filter((w) => w.channel_id === channelId);
  }

  inGuild(guildId: string): WebhookRecord[] {
    return [...this.hooks.values()].filter((w) => w.guild_id === guildId);
  }

  update(id: string, o: { name?: string; avatar?: WebhookAvatar | null; channelId?: string }): WebhookRecord {
    const hook = this.hooks.get(id);
    if (!hook) throw new ScenarioError(`no webhook ${id}`);
    if (o.name !== undefined) hook.name = o.name;
    if (o.avatar === null) hook.avatar = null;
    else if (o.avatar) hook.avatar = this.storeAvatar(id, o.avatar);
    if (o.channelId !== undefined) hook.channel_id = o.channelId;
    this.announce(hook);
    return hook;
  }

  delete(id: string): void {
    const hook = this.hooks.get(id);
    if (!hook) return;
    this.hooks.delete(id);
    this.announce(hook);
  }

  private storeAvatar(id: string, avatar: WebhookAvatar): string {
    const hash = imageHash(Buffer.from(avatar.bytes).toString("base64"));
    this.assets.put(`avatars/${id}/${hash}`, avatar);
    return hash;
  }

  private announce(hook: WebhookRecord): void {
    if (hook.guild_id && hook.channel_id) {
      const d = { guild_id: hook.guild_id, channel_id: hook.channel_id };
      this.emit({ t: "WEBHOOKS_UPDATE", d, guildId: hook.guild_id });
    }
  }
}
