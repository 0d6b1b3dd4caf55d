/** Bridge administration over XEP-0050 ad-hoc commands. */
export * from "./admin-actions.ts";
export * from "./admin-commands.ts";
export * from "./command-sessions.ts";
