/** Public exports of the archive XEP modules. */
export * from "./xep0059-rsm.ts";
export * from "./xep0082-datetime.ts";
export * from "./xep0203-delay.ts";
export * from "./xep0297-forwarded.ts";
export * from "./xep0313-mam.ts";
export * from "./xep0372-references.ts";
