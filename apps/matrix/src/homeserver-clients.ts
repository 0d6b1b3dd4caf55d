/**
 * matrix-js-sdk clients acting for the application service: the bot (the
 * registration's sender, the as_token alone) and one per ghost (the as_token
 * with `?user_id=` naming the ghost, the way application services speak for
 * their users). Clients never sync: the homeserver pushes events to the
 * application service, and these only make REST calls.
 *
 * A client is built with `new MatrixClient` rather than `createClient`,
 * which would attach the SDK's event scheduler: that scheduler retries rate
 * limits silently and sends one event at a time per client, while the
 * bridge's delivery queue owns retries and ordering. The SDK's own logging
 * goes to the bridge's logger at debug level, with URLs (which carry user IDs
 * and could carry tokens) left out.
 */
import { type Logger, setBounded } from "@parley/bridge";
import { type ICreateClientOpts, MatrixClient } from "matrix-js-sdk";

type SdkLogger = NonNullable<ICreateClientOpts["logger"]>;

export interface HomeserverAccess {
  readonly homeserverUrl: string;
  readonly asToken: string;
}

function sdkLogger(logger: Logger): SdkLogger {
  // The SDK logs every request line at debug; only its warnings and errors say something the bridge lacks.
  const quiet = () => undefined;
  const text = (parts: unknown[]) =>
    parts
      .map((p) => (p instanceof Error ? p.message : typeof p === "string" ? p : ""))
      .join(" ")
      .replace(/https?:\/\/\S+/g, "<url>")
      .slice(0, 300);
  const self: SdkLogger = {
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: (...m: unknown[]) => logger.debug("matrix-js-sdk warning", { detail: text(m) }),
    error: (...m: unknown[]) => logger.debug("matrix-js-sdk error", { detail: text(m) }),
    getChild: () => self,
  };
  return self;
}

/**
 * fetch with a time limit on every request. The SDK's own `localTimeoutMs`
 * arms a timer it never clears, which would hold the process open for a
 * minute after the last request; AbortSignal.timeout does not.
 */
const REQUEST_TIMEOUT_MS = 60_000;

const boundedFetch: typeof fetch = (input, init) => {
  const limit = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, limit]) : limit });
};

/**
 * Ghost clients kept, most recently used: a MatrixClient that never syncs
 * still holds ~9 KB (measured), and building one again costs no request, so
 * a few hundred cover the ghosts that are talking without growing with all
 * the XMPP users ever seen.
 */
export const GHOST_CLIENTS = 500;

/** Clients for the bot and ghosts, kept per user ID (at most GHOST_CLIENTS ghosts, the least recently used dropped). */
export class HomeserverClients {
  private readonly access: HomeserverAccess;
  private readonly sdkLog: SdkLogger;
  private readonly byUser = new Map<string, MatrixClient>();
  readonly bot: MatrixClient;

  constructor(access: HomeserverAccess, botUserId: string, logger: Logger) {
    this.access = access;
    this.sdkLog = sdkLogger(logger);
    this.bot = this.build(botUserId, false);
  }

  private build(userId: string, masquerade: boolean): MatrixClient {
    return new MatrixClient({
      baseUrl: this.access.homeserverUrl,
      accessToken: this.access.asToken,
      userId,
      useAuthorizationHeader: true,
      ...(masquerade && { queryParams: { user_id: userId } }),
      logger: this.sdkLog,
      disableVoip: true,
      fetchFn: boundedFetch,
    });
  }

  /** Ghost clients in memory, for /metrics. */
  get size(): number {
    return this.byUser.size;
  }

  /** The client that acts as `userId` (a ghost). */
  as(userId: string): MatrixClient {
    // Set again when used, so the least recently used goes first when the cache is full.
    const c = this.byUser.get(userId) ?? this.build(userId, true);
    setBounded(this.byUser, userId, c, GHOST_CLIENTS);
    return c;
  }
}
