/** Public exports of the discovery XEP modules. */
export * from "./xep0004-data-forms.ts";
export * from "./xep0030-disco.ts";
export * from "./xep0050-commands.ts";
export * from "./xep0115-caps.ts";
export * from "./xep0199-ping.ts";
