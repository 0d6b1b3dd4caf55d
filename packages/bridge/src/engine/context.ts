/**
 * What the two relay directions share: the parts the engine assembled, handed
 * to each as one narrow object so each direction stays testable on its own.
 */
import type { Element } from "@parley/stanza";
import type { IqRouter } from "../component/iq-router.ts";
import type { Connector, ConnectorState, OutgoingAttachment, RemoteAttachment } from "../connector/connector.ts";
import type { DeliveryQueue } from "../delivery/index.ts";
import type { Logger } from "../ops/logger-types.ts";
import type { BridgeMetrics } from "../ops/metrics.ts";
import type { MucOccupancy } from "../puppets/muc-occupancy.ts";
import type { BridgeStore } from "../store/index.ts";
import type { EchoGuard } from "./echo-guard.ts";
import type { Permissions } from "./permissions.ts";
import type { PuppetDirectory } from "./puppet-directory.ts";
import type { ReflectionTracker } from "./reflection-tracker.ts";
import type { RelayOccupant } from "./relay-occupant.ts";
import type { RoomCatchUp } from "./room-catch-up.ts";
import type { RoomLinks } from "./room-links.ts";
import type { SenderRate } from "./sender-rate.ts";

/** Turns remote attachments into what XMPP users can fetch, and XMPP avatars into URLs the remote side can show. */
export interface MediaRelay {
  /** A URL XMPP users can open for a remote file, or a notice when it is too large or cannot be had. */
  toXmpp(
    a: RemoteAttachment,
  ): Promise<{ readonly url: string; readonly filename?: string } | { readonly notice: string }>;
  /** A URL the remote side can fetch for an XMPP file (usually the same URL). */
  toRemote(url: string): Promise<OutgoingAttachment>;
  /** The media-endpoint URL of an occupant's avatar, when it can be had. */
  /** `realJid`: the occupant's real JID when the room tells it (their XEP-0084 avatar is read there when the vCard has none). */
  occupantAvatar(occupantJid: string, hash: string, realJid?: string): Promise<string | undefined>;
}

export interface EngineContext {
  readonly network: string;
  readonly domain: string;
  readonly connector: Connector;
  readonly store: BridgeStore;
  /** The connector's own keys in the store, with expiries as the retention policy sets them. */
  readonly connectorState: ConnectorState;
  /** How long a post's first attempt stays on record (`ConnectorHost.postRecordMs`). */
  readonly postRecordMs: number;
  readonly logger: Logger;
  readonly metrics: BridgeMetrics;
  /** Sends a stanza; `xml` is `el.toString()` where the caller has it already. */
  readonly send: (el: Element, xml?: string) => Promise<void>;
  readonly router: IqRouter;
  readonly links: RoomLinks;
  readonly puppets: PuppetDirectory;
  readonly occupancy: MucOccupancy;
  readonly relay: RelayOccupant;
  readonly delivery: DeliveryQueue;
  readonly reflections: ReflectionTracker;
  /** What rooms said while the bridge read no copy of them: live messages wait while it is relayed. */
  readonly catchUp: RoomCatchUp;
  readonly echoes: EchoGuard;
  readonly media: MediaRelay;
  readonly admins: readonly string[];
  /** Who may use the bridge for what. */
  readonly permissions: Permissions;
  /** Bounds on what comes from outside: posts per XMPP message, and each sender's rate (both ways). */
  readonly limits: { readonly maxPostsPerMessage: number; readonly senders: SenderRate };
  /** `connectors.<network>.roomPresence`: how many present members' puppets sit in each room. */
  readonly roomPresence: { readonly maxOccupants: number };
  /** The resource puppets use for their full JIDs. */
  readonly puppetResource: string;
  /** Links a channel with a room and has the relay join it (admin commands and connectors' portals). */
  readonly linkRoom: (channel: string, room: string) => Promise<void>;
  /** Removes a link; a room no channel relays into any more is left by the relay and the puppets. */
  readonly unlinkRoom: (channel: string, room: string) => Promise<boolean>;
  /**
   * Settles once `connector.start` has resolved: the rooms are joined before
   * the connector starts, and what XMPP says meanwhile waits for it (a
   * connector is never called before it started).
   */
  readonly connectorStarted: Promise<void>;
}
