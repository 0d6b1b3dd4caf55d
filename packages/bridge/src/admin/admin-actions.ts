/**
 * What the admin commands can do to a running bridge. The commands only
 * speak XEP-0050 and data forms; everything they change or report goes
 * through this interface, which the engine implements (and tests fake).
 */

/** One channel-to-room link as an admin sees it. */
export interface AdminLink {
  /** The connector id, e.g. "discord". */
  readonly network: string;
  /** The remote channel id, as the connector names it. */
  readonly channel: string;
  /** The MUC room's bare JID. */
  readonly room: string;
  /** Where the link comes from: the config file (re-read at start) or an admin at runtime. */
  readonly source: "config" | "admin";
}

/** The three values that name a link. */
export interface AdminLinkTarget {
  readonly network: string;
  readonly channel: string;
  readonly room: string;
}

export interface AdminActions {
  /** The connector ids this bridge runs; the choices of the `network` field. */
  readonly networks: readonly string[];
  /**
   * A snapshot of the bridge's health as label -> value, in display order,
   * e.g. `{ xmpp: "online", discord: "connected", puppets: "42", uptime: "3h 2m" }`.
   * Called for every run of the status command; must not block on the network.
   */
  status(): Promise<Record<string, string>>;
  /** Every link, from the config file and from admins. */
  listLinks(): Promise<AdminLink[]>;
  /**
   * Links a channel to a room (source "admin"). Throws `AdminActionError` with
   * a message for the admin when the request cannot be met (unknown network,
   * no such channel, room not a valid JID...); any other error is a bug and
   * is logged, not shown.
   */
  link(o: AdminLinkTarget): Promise<void>;
  /** Removes a link; false when there was no such link. Throws `AdminActionError` like `link`. */
  unlink(o: AdminLinkTarget): Promise<boolean>;
}

/** A refusal meant for the admin: its message is shown to them as an error note. */
export class AdminActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdminActionError";
  }
}
