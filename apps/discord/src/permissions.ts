/**
 * Discord REST failures in the engine's delivery vocabulary. What retrying
 * cannot fix (a missing permission, a channel that is gone, a revoked token)
 * becomes a PermanentError and, once per channel and cause, an admin notice
 * that says what to grant or change; what may pass (5xx, network, timeouts)
 * becomes a TransientError for the delivery queue to retry. 429s never get
 * here in practice: discord.js waits them out itself.
 *
 * Messages never carry request URLs: webhook URLs contain the webhook token.
 */
import {
  AdminNotices,
  describeFailure,
  isTransientFailure,
  type Logger,
  PermanentError,
  TransientError,
} from "@parley/bridge";
import { DiscordAPIError, HTTPError, RateLimitError } from "discord.js";

/** Permissions as the Discord client names them, so an admin finds them in the settings. */
export type DiscordPermission =
  | "View Channel"
  | "Send Messages"
  | "Send Messages in Threads"
  | "Create Public Threads"
  | "Manage Webhooks"
  | "Manage Messages"
  | "Add Reactions"
  | "Read Message History"
  | "Attach Files";

/** What a REST call was for: names the action, the channel and the permission it needs in errors and notices. */
export interface ApiCall {
  readonly action: string;
  readonly channel?: string;
  readonly permission?: DiscordPermission;
}

export interface ApiFailuresOptions {
  readonly logger: Logger;
  readonly notifyAdmins: (text: string) => Promise<void>;
  /** How a channel reads in a notice ("#general (123)"). */
  readonly channelLabel: (id: string) => string;
}

const MISSING_PERMISSIONS = 50013;
const MISSING_ACCESS = 50001;
const UNKNOWN_CHANNEL = 10003;

export class ApiFailures {
  private readonly o: ApiFailuresOptions;
  /** Causes told to the admins: "channel permission", "channel gone", "token"; a few per linked channel. */
  private readonly notices: AdminNotices;

  constructor(o: ApiFailuresOptions) {
    this.o = o;
    this.notices = new AdminNotices({ notify: o.notifyAdmins, logger: o.logger });
  }

  /** Runs one REST call; a failure is rethrown classified (and the admins told when they must act). */
  async run<T>(call: ApiCall, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.classify(e, call);
    }
  }

  /** The Discord error code of a failure, when Discord gave one. */
  static codeOf(e: unknown): number | undefined {
    if (e instanceof DiscordAPIError) return typeof e.code === "number" ? e.code : Number(e.code);
    const cause = e instanceof Error ? e.cause : undefined;
    return cause instanceof DiscordAPIError ? ApiFailures.codeOf(cause) : undefined;
  }

  classify(e: unknown, call: ApiCall): Error {
    if (e instanceof TransientError || e instanceof PermanentError) return e;
    const where = call.channel !== undefined ? ` in channel ${this.o.channelLabel(call.channel)}` : "";
    if (e instanceof DiscordAPIError) {
      const code = typeof e.code === "number" ? e.code : Number(e.code);
      const said = `Discord answered ${e.status} (code ${String(e.code)}: ${e.message.split("\n")[0]})`;
      if (e.status === 401) {
        // Not waited for: the failure goes on to the delivery queue; AdminNotices never rejects.
        void this.notices.notice(
          "token",
          "Discord refused the bot token (401 Unauthorized): it was reset or revoked. Put the new token from the " +
            "Developer Portal (your application > Bot > Reset Token) in connectors.discord.token and restart the bridge.",
        );
        return new PermanentError(`${call.action}${where}: ${said}; the bot token is no longer valid`, { cause: e });
      }
      if (code === MISSING_PERMISSIONS || code === MISSING_ACCESS) {
        const permission: DiscordPermission =
          code === MISSING_ACCESS ? "View Channel" : (call.permission ?? "Send Messages");
        const channel = call.channel ?? "?";
        void this.notices.notice(
          `${channel} ${permission}`,
          `The Discord bot lacks the "${permission}" permission${where}, so ${call.action} fails there. ` +
            `Grant it to the bot's role (Server Settings > Roles) or in the channel's permission overrides.`,
        );
        return new PermanentError(`${call.action}${where}: ${said}; grant the bot "${permission}"`, { cause: e });
      }
      if (code === UNKNOWN_CHANNEL) {
        const label = call.channel !== undefined ? ` ${this.o.channelLabel(call.channel)}` : "";
        void this.notices.notice(
          `${call.channel ?? "?"} gone`,
          `Discord channel${label} does not exist any more (or the bot was removed from its server). ` +
            "Unlink it from its room (the bridge's unlink command, or remove it from `links` in the config).",
        );
        return new PermanentError(`${call.action}${where}: ${said}; the channel does not exist`, { cause: e });
      }
      if (e.status === 429 || e.status >= 500) {
        const retryAfterMs = retryAfterMsOf(e);
        return new TransientError(`${call.action}${where}: ${said}`, {
          cause: e,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
          // A 429 did nothing; a 5xx may have (the request can have been carried out before it failed).
          nothingDone: e.status === 429,
        });
      }
      return new PermanentError(`${call.action}${where}: ${said}`, { cause: e });
    }
    if (e instanceof RateLimitError) {
      // discord.js refused to send it: nothing reached Discord.
      return new TransientError(`${call.action}${where}: rate limited by Discord`, {
        retryAfterMs: e.timeToReset,
        nothingDone: true,
        cause: e,
      });
    }
    if (e instanceof HTTPError) {
      const message = `${call.action}${where}: Discord answered ${e.status}`;
      return e.status >= 500 || e.status === 429
        ? new TransientError(message, { cause: e })
        : new PermanentError(message, { cause: e });
    }
    const message = `${call.action}${where}: ${describeFailure(e)}`;
    return isTransientFailure(e) || isAbort(e)
      ? new TransientError(message, { cause: e })
      : new PermanentError(message, { cause: e });
  }
}

/** A 429's `retry_after` (seconds, in the body), in milliseconds. */
function retryAfterMsOf(e: DiscordAPIError): number | undefined {
  const raw = e.rawError as { retry_after?: unknown };
  return typeof raw.retry_after === "number" && Number.isFinite(raw.retry_after) && raw.retry_after >= 0
    ? Math.ceil(raw.retry_after * 1000)
    : undefined;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError");
}
