/** Real Synapse from PyPI for the Matrix tests: installed into a virtualenv on first use, one homeserver per test. */
export type { AppserviceNamespace, AppserviceRegistration } from "./appservice.ts";
export type { SynapsePostgres } from "./config.ts";
export { type StartSynapseOptions, type Synapse, startSynapse } from "./homeserver.ts";
export {
  defaultSynapseVenv,
  type EnsureSynapseOptions,
  ensureSynapse,
  hasPsycopg2,
  installedVersion,
  PSYCOPG2_VERSION,
  SYNAPSE_VERSION,
  type SynapseInstall,
} from "./install.ts";
export { type FileLockOptions, withFileLock } from "./install-lock.ts";
export { MatrixRequestError, matrixRequest, type RegisteredUser, type RegisterUserOptions } from "./users.ts";
