// What Parley's executables do before anything else: refuse a Node.js that
// cannot run them with the line that fixes it (rather than a stack trace from
// a missing node:sqlite), and in a checkout that was never built, say so.
// Plain JavaScript that any Node since 14 parses.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Whether a version string such as "v22.18.0" can run Parley (node:sqlite, TypeScript stripping). */
export function canRunParley(version) {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  if (major === 22) return minor >= 18;
  if (major === 23) return minor >= 6;
  return major > 23;
}

/** Imports the built entry at `entry` (a URL) once Node and the build are known to be fine; `name` is the command. */
export async function launch(name, entry) {
  if (!canRunParley(process.version)) {
    process.stderr.write(
      `${name}: Parley needs Node.js 22.18 or newer (24 recommended); this is ${process.version}.\n` +
        "  Install one, e.g.: npm install --prefix ~/.cache/parley-node node@24 && export PATH=~/.cache/parley-node/node_modules/node/bin:$PATH\n",
    );
    process.exit(1);
  }
  if (!existsSync(fileURLToPath(entry))) {
    process.stderr.write(
      `${name}: this checkout is not built yet; run \`npm run build\` at the repository root first.\n`,
    );
    process.exit(1);
  }
  await import(entry.href);
}
