/**
 * @parley/xmpp-setup: the Prosody and ejabberd configuration a Parley bridge
 * needs, made from plain inputs. `parley init` writes it for operators, the
 * guide shows it, and @parley/testkit starts its servers with it: one source.
 */
export {
  EJABBERD_ACL,
  EJABBERD_CONTACTS_RULE,
  EJABBERD_FILE_NAME,
  EJABBERD_MUC_CREATE_RULE,
  ejabberdConfig,
} from "./ejabberd-config.ts";
export { PROSODY_FILE_NAME, prosodyConfig, prosodyHostModules } from "./prosody-config.ts";
export { luaString, yamlString } from "./quoting.ts";
export {
  type BridgeComponent,
  DEFAULT_COMPONENT_PORT,
  type MucFeatures,
  type ResolvedComponent,
  type ResolvedSetup,
  resolveSetup,
  type ServerSetup,
  ServerSetupError,
} from "./server-setup.ts";
