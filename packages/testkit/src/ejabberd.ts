/**
 * Real ejabberd (Debian's 23.01) for tests: its own config, spool and log
 * directories (owned by the `ejabberd` user, which ejabberdctl switches to),
 * its own Erlang node name, free ports, and, included from @parley/xmpp-setup
 * exactly as an operator includes it, the MUC service with MAM and the
 * XEP-0114 components. ejabberdctl is given --config-dir, --config and --ctl-config
 * together so that nothing under /etc/ejabberd is read.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { EJABBERD_FILE_NAME, ejabberdConfig, yamlString } from "@parley/xmpp-setup";
import { freePort } from "./free-port.ts";
import { portOpen, ServerProcess } from "./process.ts";
import type { XmppServer, XmppServerOptions } from "./server.ts";
import { finishLaunch, serverNames } from "./server-launch.ts";

const run = promisify(execFile);

async function ejabberdUser(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run("id", ["-u", "ejabberd"]);
  const { stdout: gid } = await run("id", ["-g", "ejabberd"]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

// Zombies are skipped: in containers without an init that reaps, dead epmd and
// beam processes linger as <defunct> entries that pgrep would still count.
const epmdRunning = () => anyProcess("bin/epmd");

export async function startEjabberd(options: XmppServerOptions = {}): Promise<XmppServer> {
  const names = serverNames(options);
  const { domain, mucDomain, components } = names;
  const dir = await mkdtemp(join(tmpdir(), "parley-ejabberd-"));
  const spool = join(dir, "spool");
  const logs = join(dir, "logs");
  await mkdir(spool);
  await mkdir(logs);
  const c2sPort = options.c2sPort ?? (await freePort());
  const componentPort = options.componentPort ?? (await freePort());
  const config = join(dir, "ejabberd.yml");
  const ctlConfig = join(dir, "ejabberdctl.cfg");
  // What the bridge needs comes from @parley/xmpp-setup, included as an operator includes it.
  const bridgeConfig = join(dir, EJABBERD_FILE_NAME);
  await writeFile(bridgeConfig, ejabberdConfig({ domain, mucDomain, components, componentPort, muc: options.muc }));
  await writeFile(config, testServerConfig({ domain, c2sPort, include: bridgeConfig }));
  await writeFile(ctlConfig, "# empty: keeps ejabberdctl from reading /etc/ejabberd/ejabberdctl.cfg\n");
  await writeFile(join(dir, "inetrc"), "{lookup, [file, native]}.\n");
  const { uid, gid } = await ejabberdUser();
  for (const p of [dir, spool, logs, config, bridgeConfig, ctlConfig, join(dir, "inetrc")]) await chown(p, uid, gid);
  await chmod(dir, 0o755);

  const node = `parley-${randomBytes(4).toString("hex")}@localhost`;
  const ctl = [
    "--config-dir",
    dir,
    "--config",
    config,
    "--ctl-config",
    ctlConfig,
    "--logs",
    logs,
    "--spool",
    spool,
    "--node",
    node,
  ];
  const hadEpmd = await epmdRunning();
  const stdoutLog = join(dir, "stdout.log");
  // A restart reuses the node name: Mnesia, where the accounts live, is tied to it.
  const spawn = () =>
    new ServerProcess({
      name: "ejabberd",
      command: "ejabberdctl",
      args: [...ctl, "foreground"],
      cwd: dir,
      logFile: stdoutLog,
    });
  const ctlRun = (...args: string[]) => run("ejabberdctl", [...ctl, ...args], { cwd: dir, timeout: 30_000 });
  return finishLaunch(
    {
      kind: "ejabberd",
      names,
      dir,
      c2sPort,
      componentPort,
      spawn,
      logFiles: [join(logs, "ejabberd.log"), join(logs, "error.log"), stdoutLog],
      ready: async () => {
        if (!(await portOpen(c2sPort)) || !(await portOpen(componentPort))) return false;
        return ctlRun("status").then(
          () => true,
          () => false,
        );
      },
      register: async (local, password) => {
        await ctlRun("register", local, domain, password);
      },
      // Not up, or already stopping: the process-group signal that follows handles it.
      beforeStop: async () => {
        await ctlRun("stop");
      },
      afterStop: async () => {
        await waitForNoProcess(node, 5000);
        if (!hadEpmd && !(await anyProcess("beam.smp"))) await stopEpmd();
      },
    },
    options,
  );
}

/**
 * Stops the epmd this run started. epmd refuses `-kill` while a node is still
 * registered, which lasts a moment after the VM exits, so it is asked again.
 */
async function stopEpmd(): Promise<void> {
  for (let i = 0; i < 30 && (await anyProcess("bin/epmd")); i++) {
    await run("epmd", ["-kill"]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a live (not zombie) process has `pattern` in its command line. */
async function anyProcess(pattern: string): Promise<boolean> {
  const { stdout } = await run("ps", ["-eo", "stat=,args="]);
  return stdout.split("\n").some((l) => !l.trimStart().startsWith("Z") && l.includes(pattern));
}

/** Waits until no process mentions `pattern` (the Erlang VM outlives ejabberdctl by a moment); kills leftovers. */
async function waitForNoProcess(pattern: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await anyProcess(pattern))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await run("pkill", ["-KILL", "-f", pattern]).catch(() => undefined);
}

/** What only a test server has: loopback client port, no TLS, plain passwords, nobody registers. */
function testServerConfig(c: { domain: string; c2sPort: number; include: string }): string {
  return `# Written by @parley/testkit for one test run.
hosts:
  - ${yamlString(c.domain)}
loglevel: info
log_rotate_count: 0
certfiles: []
auth_method: internal
auth_password_format: plain
s2s_access: none
include_config_file: ${yamlString(c.include)}
listen:
  - port: ${c.c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: false
    max_stanza_size: 1048576
acl:
  local:
    user_regexp: ""
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  register:
    deny: all
modules:
  mod_adhoc: {}
  mod_caps: {}
  mod_disco: {}
  mod_ping: {}
  # PEP (users' XEP-0084 avatars), as ejabberd's stock configuration has it.
  mod_pubsub:
    plugins:
      - flat
      - pep
  mod_roster: {}
  mod_vcard: {}
  mod_version: {}
`;
}
