/**
 * The README's commands on a machine whose Node is older than Parley needs:
 * `scripts/with-node.mjs` (what `npm test`, `npm run demo` and
 * `npm run parley` run through) brings a suitable Node, and the `parley`
 * executable refuses an old one with the line that fixes it. The machines
 * here ship Node 20 as /usr/bin/node, which is what a new user has.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { canRunParley } from "../../../packages/bridge/bin/launch.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SYSTEM_NODE = "/usr/bin/node";

async function versionOf(node: string): Promise<string> {
  return (await run(node, ["--version"])).stdout.trim();
}

describe("a Node older than Parley needs", () => {
  it("knows which versions can run Parley", () => {
    for (const v of ["v22.18.0", "v22.20.1", "v23.6.0", "v24.0.0", "v25.1.0"]) assert.ok(canRunParley(v), v);
    for (const v of ["v18.20.0", "v20.20.2", "v22.17.9", "v22.5.0", "v23.5.0"]) assert.ok(!canRunParley(v), v);
  });

  it("with-node.mjs runs the command under a Node that can run Parley, whatever node started it", async () => {
    const starter = existsSync(SYSTEM_NODE) ? SYSTEM_NODE : process.execPath;
    const { stdout } = await run(starter, [join(ROOT, "scripts/with-node.mjs"), "node", "-p", "process.version"], {
      cwd: ROOT,
      env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ""}` },
    });
    assert.ok(
      canRunParley(stdout.trim()),
      `the command ran under ${stdout.trim()} (started by ${await versionOf(starter)})`,
    );
  });

  it("npm under the Node it brings keeps reading the npm settings of the Node it replaces", async (t) => {
    const starter = existsSync(SYSTEM_NODE) ? SYSTEM_NODE : process.execPath;
    const { stdout: replacing } = await run(starter, [join(ROOT, "scripts/with-node.mjs"), "--print-bin"]);
    if (replacing.trim() === dirname(starter)) {
      t.diagnostic(`${starter} can run Parley: nothing is replaced, npm reads its settings as always`);
      return;
    }
    // npm's global config lives in <prefix>/etc/npmrc beside the node that runs npm; a machine's
    // registry settings (proxy, certificate authority) are there.
    const own = join(dirname(dirname(starter)), "etc", "npmrc");
    const env: Record<string, string | undefined> = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ""}` };
    delete env.npm_config_globalconfig;
    const { stdout } = await run(
      starter,
      [join(ROOT, "scripts/with-node.mjs"), "node", "-p", "process.env.npm_config_globalconfig ?? '(unset)'"],
      { cwd: ROOT, env },
    );
    assert.equal(stdout.trim(), existsSync(own) ? own : "(unset)");
    // A caller's own choice is left alone.
    const chosen = await run(
      starter,
      [join(ROOT, "scripts/with-node.mjs"), "node", "-p", "process.env.npm_config_globalconfig"],
      { cwd: ROOT, env: { ...env, npm_config_globalconfig: "/somewhere/npmrc" } },
    );
    assert.equal(chosen.stdout.trim(), "/somewhere/npmrc");
  });

  it("the parley executable refuses an old Node with the line to run, before anything else", async (t) => {
    if (!existsSync(SYSTEM_NODE) || canRunParley(await versionOf(SYSTEM_NODE))) {
      // Nothing old to try on this machine: the version check itself is proven by the first test.
      t.diagnostic(`${SYSTEM_NODE} is absent or new enough`);
      return;
    }
    const failed = await run(SYSTEM_NODE, [join(ROOT, "packages/bridge/bin/parley.js"), "--version"]).then(
      () => assert.fail("parley ran on an old Node"),
      (e: { code?: number; stderr?: string }) => e,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr ?? "", /needs Node\.js 22\.18 or newer/);
    assert.match(failed.stderr ?? "", /npm install --prefix ~\/\.cache\/parley-node node@24/);
  });
});
