/**
 * What a puppet advertises in disco#info (and so in its caps) beyond what
 * every puppet has: a feature says the puppet takes that kind of stanza from
 * an XMPP user and carries it to the network, so a client offers it only
 * where it works. A correction, retraction or reaction sent to a puppet on a
 * network without edits, deletions or reactions would be dropped; a client
 * that sees no feature does not offer the action. Receipts (XEP-0184) are
 * answered for direct messages only, so only where the network has them.
 */

import { NS } from "@parley/stanza";
import type { Connector } from "../connector/connector.ts";
import { supports } from "../connector/supports.ts";

export function puppetFeatures(connector: Connector): readonly string[] {
  const features: string[] = [];
  if (supports(connector, "edits")) features.push(NS.correction);
  if (supports(connector, "deletes")) features.push(NS.retract);
  if (supports(connector, "reactions")) features.push(NS.reactions);
  if (supports(connector, "typing")) features.push(NS.chatStates);
  if (connector.capabilities.replies) features.push(NS.reply);
  if (connector.capabilities.attachments) features.push(NS.oob);
  if (supports(connector, "directMessages")) features.push(NS.receipts);
  return features;
}
