#!/usr/bin/env node
// Runs a command under a Node.js that can run Parley: 22.18 or newer (23.6 or
// newer on the 23 line), where TypeScript sources run as they are and
// node:sqlite exists. When the `node` on PATH is older, Node 24 from the npm
// registry's `node` package is installed once into ~/.cache/parley-node (or
// $PARLEY_NODE_PREFIX) and put first on PATH for the command, so the README's
// commands work on a machine that ships an older Node. When that install is
// impossible, it stops at once with the line to run by hand.
//
//   node scripts/with-node.mjs <command> [args...]   run a command (one argument: through the shell)
//   node scripts/with-node.mjs --print-bin           print the directory of a suitable node
//   node scripts/with-node.mjs --print-npm-globalconfig
//                                                     print the npm global config to keep (may be empty)
//
// npm reads its global config (registry, proxy, cafile) from <prefix>/etc/npmrc,
// the prefix being where `node` lives. Put another Node first on PATH and npm
// silently stops reading the machine's file: a machine whose registry is
// reached through its own certificate authority then fails every install.
// So the command gets npm_config_globalconfig naming the file of the Node it
// replaces, unless the caller chose one.
//
// Plain JavaScript that any Node since 14 parses: it must run on the old Node it replaces.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { canRunParley } from "../packages/bridge/bin/launch.js";

const WANTED_MAJOR = 24;

function say(line) {
  process.stderr.write(`parley: ${line}\n`);
}

const prefix = process.env.PARLEY_NODE_PREFIX || join(homedir(), ".cache", "parley-node");
const cachedNode = join(prefix, "node_modules", "node", "bin", "node");
const handInstall = `npm install --prefix ${prefix} node@${WANTED_MAJOR} && export PATH=${dirname(cachedNode)}:$PATH`;

function versionOf(nodeBinary) {
  try {
    return execFileSync(nodeBinary, ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/** The directory of a Node that can run Parley, installing one when needed; undefined when none can be had. */
function suitableNodeDir() {
  if (canRunParley(process.version)) return dirname(process.execPath);
  const cached = existsSync(cachedNode) ? versionOf(cachedNode) : undefined;
  if (cached !== undefined && canRunParley(cached)) return dirname(cachedNode);
  say(
    `Node ${process.version} is too old for Parley (it needs 22.18 or newer); installing Node ${WANTED_MAJOR} from the npm registry into ${prefix}`,
  );
  try {
    mkdirSync(prefix, { recursive: true });
    execFileSync(
      "npm",
      ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, `node@${WANTED_MAJOR}`],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
  } catch (e) {
    say(`could not install Node ${WANTED_MAJOR} (${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  }
  const installed = versionOf(cachedNode);
  return installed !== undefined && canRunParley(installed) ? dirname(cachedNode) : undefined;
}

/** The npm global config the `node` that runs this script would use, when it exists and no other was chosen. */
function npmGlobalConfigToKeep() {
  if (process.env.npm_config_globalconfig) return undefined;
  // npm's prefix is the folder above the one holding node (POSIX); Windows keeps it beside node.
  const nodeDir = dirname(process.execPath);
  const file = join(process.platform === "win32" ? nodeDir : dirname(nodeDir), "etc", "npmrc");
  return existsSync(file) ? file : undefined;
}

function main(argv) {
  const dir = suitableNodeDir();
  if (dir === undefined) {
    say(
      `Parley needs Node.js 22.18 or newer (24 recommended); this is ${process.version}. Install one, e.g.:\n  ${handInstall}`,
    );
    return process.exit(1);
  }
  if (argv[0] === "--print-bin") {
    process.stdout.write(`${dir}\n`);
    return;
  }
  if (argv[0] === "--print-npm-globalconfig") {
    process.stdout.write(`${dir === dirname(process.execPath) ? "" : (npmGlobalConfigToKeep() ?? "")}\n`);
    return;
  }
  if (argv.length === 0) {
    say("usage: node scripts/with-node.mjs <command> [args...] | --print-bin | --print-npm-globalconfig");
    return process.exit(2);
  }
  const nodeBinary = join(dir, "node");
  const env = {
    ...process.env,
    PATH: `${dir}${delimiter}${process.env.PATH ?? ""}`,
    NODE: nodeBinary,
    npm_node_execpath: nodeBinary,
  };
  const globalconfig = dir === dirname(process.execPath) ? undefined : npmGlobalConfigToKeep();
  if (globalconfig !== undefined) env.npm_config_globalconfig = globalconfig;
  const [command, ...args] = argv;
  const child = spawn(command, args, { stdio: "inherit", env, shell: args.length === 0 });
  // The terminal sends Ctrl-C to the whole process group: the child gets it too, and this
  // process waits for the child to finish its own shutdown instead of dying first.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      if (signal !== "SIGINT") child.kill(signal);
    });
  }
  child.on("error", (e) => {
    say(`could not run ${command}: ${e.message}`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main(process.argv.slice(2));
