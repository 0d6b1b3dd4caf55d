/** Public exports of JIDs and the MUC XEP modules. */
export * from "../jid.ts";
export * from "./xep0045-muc.ts";
export * from "./xep0421-occupant-id.ts";
