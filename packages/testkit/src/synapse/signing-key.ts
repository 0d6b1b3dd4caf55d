/**
 * The homeserver's ed25519 signing key, written by us rather than by
 * `--generate-keys`: that would start Python and import Synapse once more
 * for every homeserver a test starts.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";

/**
 * One key in the file format Synapse reads (`<algorithm> <version> <seed>`):
 * the 32-byte ed25519 seed in unpadded base64, which is the tail of the
 * PKCS#8 encoding of the private key.
 */
export function synapseSigningKey(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  const seed = der
    .subarray(der.length - 32)
    .toString("base64")
    .replace(/=+$/, "");
  const version = `a_${randomBytes(3).toString("hex")}`;
  return `ed25519 ${version} ${seed}\n`;
}
