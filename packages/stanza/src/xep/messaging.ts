/** Public exports of the messaging XEP modules. */
export * from "./xep0066-oob.ts";
export * from "./xep0308-correction.ts";
export * from "./xep0334-hints.ts";
export * from "./xep0359-stanza-ids.ts";
export * from "./xep0424-retraction.ts";
export * from "./xep0425-moderation.ts";
export * from "./xep0425-moderation-legacy.ts";
export * from "./xep0428-fallback.ts";
export * from "./xep0444-reactions.ts";
export * from "./xep0461-replies.ts";
