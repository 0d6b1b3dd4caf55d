/** What the Matrix HTML reader and writer ask of the bridge; both work without it. */
import type { MentionTarget } from "@parley/bridge";

export interface MatrixReadContext {
  /** The display name of a Matrix user for a pill; undefined: use the text of the link. */
  userName?(userId: string): string | undefined;
  /** Converts an mxc:// URL (inline images, custom emoji) into an http URL XMPP users can open. */
  mediaUrl?(mxc: string): string | undefined;
}

export interface MatrixWriteContext {
  /**
   * The Matrix user a mention stands for (a puppet's ghost, or a Matrix user
   * mentioned from XMPP); undefined writes the mention as `@name` text.
   * Without it, only mentions that already name a Matrix user
   * (`network: "matrix"`, `remoteId: "@user:server"`) become pills.
   */
  mentionOf?(target: MentionTarget, name: string): { userId: string } | undefined;
}
