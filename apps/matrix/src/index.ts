/**
 * @parley/matrix: the Matrix bridge, as an application service. `parley`
 * loads it by name (`connectors.matrix` in parley.yaml) through
 * `createConnector`; `parley-matrix register` writes the registration the
 * homeserver loads.
 */
import type { BridgeConfig, Logger } from "@parley/bridge";
import { MatrixConnector } from "./matrix-connector.ts";

export { type AppserviceServer, startAppserviceServer, type TransactionBody } from "./appservice-server.ts";
export { appserviceUrlOf, type MatrixOptions, matrixOptionsSchema, parseMatrixOptions } from "./config.ts";
export { diagnose } from "./doctor.ts";
export { initConnector, initQuestions, REGISTRATION_FILE_NAME } from "./init-connector.ts";
export { MatrixConnector, type MatrixConnectorOptions } from "./matrix-connector.ts";
export { MatrixForbiddenError } from "./matrix-errors.ts";
export {
  botUserId,
  escapeLocalpart,
  ghostUserId,
  jidOfGhost,
  type MatrixNames,
  portalAliasLocalpart,
  roomJidOfAlias,
  unescapeLocalpart,
} from "./matrix-ids.ts";
export {
  type AppserviceRegistration,
  buildRegistration,
  homeserverConfigLine,
  registrationYaml,
} from "./registration.ts";

/** The factory `parley` calls for `connectors.matrix`; throws ConfigError naming `connectors.matrix.<field>`. */
export function createConnector(options: unknown, context: { logger: Logger; config: BridgeConfig }): MatrixConnector {
  return new MatrixConnector({
    options: (options ?? {}) as Record<string, unknown>,
    logger: context.logger.child({ network: "matrix" }),
    media: {
      maxBytes: context.config.media.maxBytes,
      allowPrivateAddresses: context.config.media.allowPrivateAddresses,
    },
  });
}
