/** The bridge's configuration: parley.yaml, validated, with `${ENV}` secrets and redaction. */
export * from "./config-error.ts";
export * from "./connector-options.ts";
export { interpolateEnv, MAX_CONFIG_DEPTH } from "./interpolate-env.ts";
export * from "./load-config.ts";
export * from "./room-presence-options.ts";
export {
  type BridgeConfig,
  bridgeConfigSchema,
  configSchema,
  LOG_LEVELS,
  publicUrlFor,
  serverDomainOf,
} from "./schema.ts";
export { REDACTED, redactedConfig, SECRET_SETTING, secretsOf } from "./secrets.ts";
