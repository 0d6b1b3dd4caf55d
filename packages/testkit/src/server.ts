/** What every XMPP server started by the testkit offers a test. */

export type XmppServerKind = "prosody" | "ejabberd";

export interface XmppAccount {
  /** Bare JID. */
  readonly jid: string;
  readonly local: string;
  readonly password: string;
}

export interface XmppComponentConfig {
  /** The component's domain, e.g. `bridge.parley.test`. */
  readonly domain: string;
  readonly secret: string;
  /** XEP-0356 roster and presence privileges for the component, as @parley/xmpp-setup grants them; default true. */
  readonly rosterPrivilege?: boolean;
}

export interface XmppServer {
  readonly kind: XmppServerKind;
  /** The virtual host users live on. */
  readonly domain: string;
  /** The MUC service (with MAM). */
  readonly mucDomain: string;
  readonly host: "127.0.0.1";
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly components: readonly XmppComponentConfig[];
  readonly accounts: readonly XmppAccount[];
  /** Where the server's configuration, data and logs live. */
  readonly dir: string;
  readonly logFiles: readonly string[];
  createAccount(local: string, password: string): Promise<XmppAccount>;
  /**
   * Stops the server process and starts it again with the same configuration,
   * ports, accounts, component secrets and directory; resolves once it
   * accepts connections again. Connected clients and components are cut off
   * and must reconnect. What the server kept in memory is gone (Prosody's MUC
   * archives, and rooms, which are not persistent here); accounts are on disk
   * and stay. Rejects after `stop()`.
   */
  restart(): Promise<void>;
  /**
   * Stops the server and removes its directory, unless `keep` (or the
   * PARLEY_KEEP_SERVERS environment variable) asks to keep it for a post-mortem.
   */
  stop(options?: { keep?: boolean }): Promise<void>;
}

export interface XmppServerOptions {
  /** Virtual host; default `parley.test`. */
  readonly domain?: string;
  /** The MUC service's domain; default `muc.<domain>`. */
  readonly mucDomain?: string;
  /**
   * The client port; default a free one. A demo uses 5222 so
   * that any XMPP client finds the server without settings.
   */
  readonly c2sPort?: number;
  /**
   * The port components connect to; default a free one. A test that wrote a
   * bridge's configuration first (`parley init --component-port`) passes its port.
   */
  readonly componentPort?: number;
  /** Components to accept; default one, `bridge.<domain>` with a random secret. */
  readonly components?: readonly XmppComponentConfig[];
  /** Accounts to create before the server is handed over; default alice and bob. */
  readonly accounts?: ReadonlyArray<{ local: string; password: string }>;
  /** How long to wait for the server to come up; default 30 s. */
  readonly startTimeoutMs?: number;
  /**
   * What the MUC service offers; both default to true, as the bridge needs.
   * Off, the server is set up the way an operator might get it wrong (for
   * tests of `parley doctor`): `archive: false` leaves out the MUC archive
   * (XEP-0313), `moderation: false` message moderation (XEP-0425; ejabberd
   * 23.01 has none either way).
   */
  readonly muc?: XmppMucOptions;
  /**
   * Prosody: how many messages one room's archive holds (`storage_archive_item_limit`).
   * Default Prosody's own: 1,000 for archives in memory, beyond which muc_mam drops the
   * oldest to make room, so a query answers with only the last ~1,000. A test that
   * counts a long run in the archive raises it. (ejabberd's archive has no such cap.)
   */
  readonly archiveItemLimit?: number;
  /**
   * Prosody: rooms persistent and their archives on disk (Prosody's internal store), so
   * both outlive `restart()` and a kill -9 of the server. Off by default: archives stay
   * in memory, which is faster at volume, and rooms go with their last occupant.
   * (ejabberd keeps its archives on disk either way.)
   */
  readonly durableRooms?: boolean;
}

export interface XmppMucOptions {
  readonly archive?: boolean;
  readonly moderation?: boolean;
}

export const DEFAULT_ACCOUNTS = [
  { local: "alice", password: "alice-password" },
  { local: "bob", password: "bob-password" },
] as const;

export function keepRequested(keep: boolean | undefined): boolean {
  return keep ?? process.env.PARLEY_KEEP_SERVERS === "1";
}
