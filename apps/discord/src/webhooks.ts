/**
 * One webhook per channel, through which XMPP users post under their own
 * name and avatar. The bridge reuses the webhook it made before (found by its
 * name and owner among the channel's webhooks), so a restart never adds a
 * second one, and makes one only when there is none. Ids of our webhooks are
 * kept in the connector state so that, after a restart, messages our
 * webhooks posted are still recognised as echoes.
 */
import type { ConnectorState, Logger } from "@parley/bridge";
import { isRecord } from "@parley/bridge";
import type { REST } from "discord.js";
import { Routes } from "discord-api-types/v10";
import type { ApiFailures } from "./permissions.ts";

export interface WebhookRef {
  readonly id: string;
  readonly token: string;
}

export interface ChannelWebhooksOptions {
  readonly rest: REST;
  readonly name: string;
  readonly state: ConnectorState;
  readonly failures: ApiFailures;
  readonly logger: Logger;
  /** The bot's application and user ids, known once logged in. */
  readonly self: () => { applicationId?: string; botId?: string };
}

const INCOMING_WEBHOOK = 1;

export class ChannelWebhooks {
  private readonly o: ChannelWebhooksOptions;
  /** One per linked channel the bridge posted in (threads post through their parent's webhook). */
  private readonly byChannel = new Map<string, Promise<WebhookRef>>();
  /**
   * The bridge's webhook ids, never dropped (a forgotten one would relay the
   * bridge's own posts back): one per linked channel, plus one per webhook
   * made again after Discord lost one, which is rare.
   */
  private readonly own = new Set<string>();

  constructor(o: ChannelWebhooksOptions) {
    this.o = o;
  }

  /** Learns the webhooks of earlier runs for these channels, so their messages count as echoes at once. */
  async load(channels: readonly string[]): Promise<void> {
    for (const channel of channels) {
      const id = await this.o.state.get(`webhook:${channel}`);
      if (id !== undefined) this.own.add(id);
    }
  }

  /** Entries in memory, for /metrics. */
  get size(): number {
    return this.byChannel.size + this.own.size;
  }

  /** Whether a message's `webhook_id` is one of the bridge's webhooks. */
  isOwn(webhookId: string): boolean {
    return this.own.has(webhookId);
  }

  /** The channel's webhook, found or made once per process (concurrent callers share one look-up). */
  of(channel: string): Promise<WebhookRef> {
    let pending = this.byChannel.get(channel);
    if (!pending) {
      pending = this.resolve(channel);
      this.byChannel.set(channel, pending);
      // The failure reaches the callers through `pending`; this only forgets it, so the next call tries again.
      pending.catch(() => this.byChannel.delete(channel));
    }
    return pending;
  }

  /** Forgets a channel's webhook (it was deleted on Discord): the next message finds or makes one again. */
  forget(channel: string): void {
    this.byChannel.delete(channel);
  }

  private async resolve(channel: string): Promise<WebhookRef> {
    const call = { action: "finding the channel's webhook", channel, permission: "Manage Webhooks" } as const;
    const list = await this.o.failures.run(call, () => this.o.rest.get(Routes.channelWebhooks(channel)));
    const { applicationId, botId } = this.o.self();
    const ours = (Array.isArray(list) ? list : []).filter(
      (w): w is Record<string, unknown> & { id: string; token: string } =>
        isRecord(w) &&
        typeof w.id === "string" &&
        typeof w.token === "string" &&
        w.type === INCOMING_WEBHOOK &&
        w.name === this.o.name &&
        ((applicationId !== undefined && w.application_id === applicationId) ||
          (botId !== undefined && isRecord(w.user) && w.user.id === botId)),
    );
    let ref: WebhookRef;
    const found = ours[0];
    if (found) {
      ref = { id: found.id, token: found.token };
    } else {
      const made = await this.o.failures.run({ ...call, action: "creating the channel's webhook" }, () =>
        this.o.rest.post(Routes.channelWebhooks(channel), { body: { name: this.o.name } }),
      );
      if (!isRecord(made) || typeof made.id !== "string" || typeof made.token !== "string") {
        throw new Error("Discord answered the webhook creation without an id and token");
      }
      ref = { id: made.id, token: made.token };
      this.o.logger.info("created a webhook for a channel", { channel });
    }
    this.own.add(ref.id);
    if ((await this.o.state.get(`webhook:${channel}`)) !== ref.id) await this.o.state.set(`webhook:${channel}`, ref.id);
    return ref;
  }
}
