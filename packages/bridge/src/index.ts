/**
 * @parley/bridge: the engine every Parley connector shares. This first part is
 * the XEP-0114 component session.
 */
export * from "./component/component-session.ts";
export * from "./component/disco-responder.ts";
export * from "./component/iq-router.ts";
export * from "./component/outbound-queue.ts";
export * from "./component/stream-parser.ts";
export * from "./puppets/muc-occupancy.ts";
