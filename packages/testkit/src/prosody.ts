/**
 * Real Prosody (Debian's 0.12) for tests: a fresh directory, free ports, one
 * virtual host, a MUC service with MAM (archives in memory: Prosody's file
 * store makes MUC archives crawl at volume), and XEP-0114 components.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.ts";
import { portOpen, ServerProcess } from "./process.ts";
import type { XmppComponentConfig, XmppServer, XmppServerOptions } from "./server.ts";
import { finishLaunch, serverNames } from "./server-launch.ts";

const run = promisify(execFile);
const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal for our inputs

export async function startProsody(options: XmppServerOptions = {}): Promise<XmppServer> {
  const names = serverNames(options);
  const { domain, mucDomain, components } = names;
  const dir = await mkdtemp(join(tmpdir(), "parley-prosody-"));
  const dataDir = join(dir, "data");
  await mkdir(dataDir);
  await mkdir(join(dir, "certs")); // none: loopback tests run without TLS
  const c2sPort = options.c2sPort ?? (await freePort());
  const componentPort = await freePort();
  const logFile = join(dir, "prosody.log");
  const configFile = join(dir, "prosody.cfg.lua");
  await writeFile(
    configFile,
    prosodyConfig({
      dir,
      dataDir,
      logFile,
      domain,
      mucDomain,
      components,
      c2sPort,
      componentPort,
      archive: options.muc?.archive ?? true,
      moderation: options.muc?.moderation ?? true,
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

function prosodyConfig(c: {
  dir: string;
  dataDir: string;
  logFile: string;
  domain: string;
  mucDomain: string;
  components: readonly XmppComponentConfig[];
  c2sPort: number;
  componentPort: number;
  archive: boolean;
  moderation: boolean;
}): string {
  const mucModules = [c.archive && "muc_mam", c.moderation && "muc_moderation"]
    .filter(Boolean)
    .map((m) => lua(m as string));
  const comps = c.components
    .map((x) => `Component ${lua(x.domain)}\n  component_secret = ${lua(x.secret)}\n`)
    .join("\n");
  return `-- Written by @parley/testkit for one test run.
run_as_root = true
pidfile = ${lua(join(c.dir, "prosody.pid"))}
data_path = ${lua(c.dataDir)}
certificates = ${lua(join(c.dir, "certs"))}
log = { { levels = { min = "info" }, to = "file", filename = ${lua(c.logFile)} } }

interfaces = { "127.0.0.1" }
c2s_ports = { ${c.c2sPort} }
c2s_direct_tls_ports = { }
component_ports = { ${c.componentPort} }
component_interfaces = { "127.0.0.1" }
s2s_ports = { }
s2s_direct_tls_ports = { }
http_ports = { }
https_ports = { }
component_conflict_resolve = "kick_old"

modules_enabled = {
  "roster"; "saslauth"; "disco"; "ping"; "vcard_legacy"; "private";
  "blocklist"; "carbons"; "pep"; "mam"; "dialback"; "time"; "version"; "uptime"; "posix";
}
modules_disabled = { "s2s"; "tls"; "http"; "offline" }

authentication = "internal_plain"
allow_registration = false
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
s2s_require_encryption = false

-- Accounts and rosters on disk (prosodyctl writes them); archives in memory.
default_storage = "internal"
storage = { archive = "memory"; muc_log = "memory" }
archive_expires_after = "never"

limits = { c2s = { rate = "100mb/s" }; s2sin = { rate = "100mb/s" } }
-- Small stanzas leave at once: with Nagle on, a stanza sent while the previous one is unacknowledged
-- waits for the peer's delayed ACK (up to 40 ms), which measures the TCP stack, not the bridge.
network_settings = { nagle = false }

VirtualHost ${lua(c.domain)}

Component ${lua(c.mucDomain)} "muc"
  -- muc_moderation: XEP-0425 as v0.2 (fastened, urn:xmpp:message-moderate:0), from prosody-modules.
  modules_enabled = { ${mucModules.join(", ")} }
  muc_log_by_default = true
  muc_log_all_rooms = true
  restrict_room_creation = false
  muc_room_default_persistent = false

${comps}`;
}
