/** Every XML namespace @parley/stanza reads or writes, in one place. */
export const NS = {
  client: "jabber:client",
  component: "jabber:component:accept",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  // XEP-0004 Data Forms
  dataForms: "jabber:x:data",
  // XEP-0030 Service Discovery
  discoInfo: "http://jabber.org/protocol/disco#info",
  discoItems: "http://jabber.org/protocol/disco#items",
  // XEP-0045 Multi-User Chat
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  mucOwner: "http://jabber.org/protocol/muc#owner",
  // XEP-0050 Ad-Hoc Commands
  commands: "http://jabber.org/protocol/commands",
  // XEP-0054 vcard-temp
  vcardTemp: "vcard-temp",
  // XEP-0066 Out of Band Data
  oob: "jabber:x:oob",
  // XEP-0084 User Avatar
  avatarData: "urn:xmpp:avatar:data",
  avatarMetadata: "urn:xmpp:avatar:metadata",
  pubsub: "http://jabber.org/protocol/pubsub",
  pubsubEvent: "http://jabber.org/protocol/pubsub#event",
  // XEP-0085 Chat State Notifications
  chatStates: "http://jabber.org/protocol/chatstates",
  // XEP-0115 Entity Capabilities
  caps: "http://jabber.org/protocol/caps",
  // XEP-0153 vCard-Based Avatars
  vcardUpdate: "vcard-temp:x:update",
  // XEP-0172 User Nickname
  nick: "http://jabber.org/protocol/nick",
  // XEP-0184 Message Delivery Receipts
  receipts: "urn:xmpp:receipts",
  // XEP-0199 XMPP Ping
  ping: "urn:xmpp:ping",
  // XEP-0203 Delayed Delivery
  delay: "urn:xmpp:delay",
  // XEP-0297 Stanza Forwarding
  forward: "urn:xmpp:forward:0",
  // XEP-0308 Last Message Correction
  correction: "urn:xmpp:message-correct:0",
  // XEP-0313 Message Archive Management
  mam: "urn:xmpp:mam:2",
  // XEP-0059 Result Set Management (used by MAM)
  rsm: "http://jabber.org/protocol/rsm",
  // XEP-0333 Chat Markers
  markers: "urn:xmpp:chat-markers:0",
  // XEP-0359 Unique and Stable Stanza IDs
  sid: "urn:xmpp:sid:0",
  // XEP-0363 HTTP File Upload
  httpUpload: "urn:xmpp:http:upload:0",
  // XEP-0372 References
  reference: "urn:xmpp:reference:0",
  // XEP-0393 Message Styling (opt-out hint)
  styling: "urn:xmpp:styling:0",
  // XEP-0421 Anonymous unique occupant identifiers for MUCs
  occupantId: "urn:xmpp:occupant-id:0",
  // XEP-0424 Message Retraction
  retract: "urn:xmpp:message-retract:1",
  // XEP-0425 Moderated Message Retraction
  moderation: "urn:xmpp:message-moderate:1",
  // XEP-0425 v0.2 (still spoken by Prosody's mod_muc_moderation): wrapped in XEP-0422 fastening
  moderationLegacy: "urn:xmpp:message-moderate:0",
  retractLegacy: "urn:xmpp:message-retract:0",
  fasten: "urn:xmpp:fasten:0",
  // XEP-0428 Fallback Indication
  fallback: "urn:xmpp:fallback:0",
  // XEP-0444 Message Reactions
  reactions: "urn:xmpp:reactions:0",
  // XEP-0461 Message Replies
  reply: "urn:xmpp:reply:0",
  // XEP-0201 threads live in jabber:client (<thread/>)
  // XEP-0334 Message Processing Hints
  hints: "urn:xmpp:hints",
} as const;

export type Namespace = (typeof NS)[keyof typeof NS];
