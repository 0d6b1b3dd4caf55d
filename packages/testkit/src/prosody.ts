/**
 * Real Prosody (Debian's 0.12) for tests: a fresh directory, free ports, one
 * virtual host (archives in memory: Prosody's file store makes MUC archives
 * crawl at volume), and, included from @parley/xmpp-setup exactly as an
 * operator includes it, the MUC service and the XEP-0114 components.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { luaString, PROSODY_FILE_NAME, prosodyConfig, prosodyHostModules } from "@parley/xmpp-setup";
import { freePort } from "./free-port.ts";
import { portOpen, ServerProcess } from "./process.ts";
import type { XmppServer, XmppServerOptions } from "./server.ts";
import { finishLaunch, serverNames } from "./server-launch.ts";

const run = promisify(execFile);

export async function startProsody(options: XmppServerOptions = {}): Promise<XmppServer> {
  const names = serverNames(options);
  const { domain, mucDomain, components } = names;
  const dir = await mkdtemp(join(tmpdir(), "parley-prosody-"));
  const dataDir = join(dir, "data");
  await mkdir(dataDir);
  await mkdir(join(dir, "certs")); // none: loopback tests run without TLS
  const c2sPort = options.c2sPort ?? (await freePort());
  const componentPort = options.componentPort ?? (await freePort());
  const logFile = join(dir, "prosody.log");
  const configFile = join(dir, "prosody.cfg.lua");
  // What the bridge needs comes from @parley/xmpp-setup, included as an operator includes it.
  const setup = { domain, mucDomain, components, componentPort, muc: options.muc };
  await writeFile(join(dir, PROSODY_FILE_NAME), prosodyConfig(setup));
  await writeFile(
    configFile,
    testServerConfig({
      dir,
      dataDir,
      logFile,
      domain,
      c2sPort,
      archiveItemLimit: options.archiveItemLimit,
      durableRooms: options.durableRooms ?? false,
      // What the bridges need on the users' host (mod_privilege), where an operator adds it by hand.
      hostModules: prosodyHostModules(setup),
    }),
  );
  const stdoutLog = join(dir, "stdout.log");
  const spawn = () =>
    new ServerProcess({
      name: "prosody",
      command: "prosody",
      args: ["--config", configFile, "-F"],
      cwd: dir,
      logFile: stdoutLog,
    });
  return finishLaunch(
    {
      kind: "prosody",
      names,
      dir,
      c2sPort,
      componentPort,
      spawn,
      logFiles: [logFile, stdoutLog],
      ready: async () => (await portOpen(c2sPort)) && (await portOpen(componentPort)),
      // Accounts live in Prosody's file store, which prosodyctl writes directly.
      register: async (local, password) => {
        await run("prosodyctl", ["--config", configFile, "register", local, domain, password], { cwd: dir });
      },
    },
    options,
  );
}

/** What only a test server has: its own directory, loopback ports, no TLS, archives in memory. */
function testServerConfig(c: {
  dir: string;
  dataDir: string;
  logFile: string;
  domain: string;
  c2sPort: number;
  archiveItemLimit: number | undefined;
  durableRooms: boolean;
  hostModules: readonly string[];
}): string {
  const limit =
    c.archiveItemLimit === undefined
      ? ""
      : `-- Messages one archive holds (muc_mam drops the oldest beyond it).\nstorage_archive_item_limit = ${c.archiveItemLimit}\n`;
  const storage = c.durableRooms
    ? `-- Accounts, rosters, rooms and archives on disk: they outlive a restart or a kill -9.
default_storage = "internal"
storage = { archive = "internal"; muc_log = "internal" }
archive_expires_after = "never"
${limit}-- Rooms stay when their last occupant leaves, and across restarts.
muc_room_default_persistent = true`
    : `-- Accounts and rosters on disk (prosodyctl writes them); archives in memory.
default_storage = "internal"
storage = { archive = "memory"; muc_log = "memory" }
archive_expires_after = "never"
${limit}-- Rooms go when their last occupant leaves (read by the MUC service from here).
muc_room_default_persistent = false`;
  return `-- Written by @parley/testkit for one test run.
run_as_root = true
pidfile = ${luaString(join(c.dir, "prosody.pid"))}
data_path = ${luaString(c.dataDir)}
certificates = ${luaString(join(c.dir, "certs"))}
log = { { levels = { min = "info" }, to = "file", filename = ${luaString(c.logFile)} } }

interfaces = { "127.0.0.1" }
c2s_ports = { ${c.c2sPort} }
c2s_direct_tls_ports = { }
s2s_ports = { }
s2s_direct_tls_ports = { }
http_ports = { }
https_ports = { }

modules_enabled = {
  "roster"; "saslauth"; "disco"; "ping"; "vcard_legacy"; "private";
  "blocklist"; "carbons"; "pep"; "mam"; "dialback"; "time"; "version"; "uptime"; "posix";${c.hostModules.map((m) => ` ${luaString(m)};`).join("")}
}
modules_disabled = { "s2s"; "tls"; "http"; "offline" }

authentication = "internal_plain"
allow_registration = false
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
s2s_require_encryption = false

${storage}

limits = { c2s = { rate = "100mb/s" }; s2sin = { rate = "100mb/s" } }
-- Small stanzas leave at once: with Nagle on, a stanza sent while the previous one is unacknowledged
-- waits for the peer's delayed ACK (up to 40 ms), which measures the TCP stack, not the bridge.
network_settings = { nagle = false }

VirtualHost ${luaString(c.domain)}

Include ${luaString(PROSODY_FILE_NAME)}
`;
}
