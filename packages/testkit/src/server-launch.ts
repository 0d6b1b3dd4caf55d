/**
 * The steps every server launcher shares once its configuration is written:
 * spawn the process, wait for readiness, create the accounts, and hand over an
 * XmppServer whose stop() cleans everything up and whose restart() spawns the
 * same process again; on any failure, stop what was started, keep the
 * directory for a post-mortem, and throw an error naming the logs.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { type ServerProcess, waitUntilReady } from "./process.ts";
import {
  DEFAULT_ACCOUNTS,
  keepRequested,
  type XmppAccount,
  type XmppComponentConfig,
  type XmppServer,
  type XmppServerKind,
  type XmppServerOptions,
} from "./server.ts";

/** Domain names and components a launcher writes into its configuration. */
export function serverNames(options: XmppServerOptions): {
  domain: string;
  mucDomain: string;
  components: XmppComponentConfig[];
} {
  const domain = options.domain ?? "parley.test";
  return {
    domain,
    mucDomain: options.mucDomain ?? `muc.${domain}`,
    components: [...(options.components ?? [{ domain: `bridge.${domain}`, secret: randomBytes(12).toString("hex") }])],
  };
}

export interface LaunchedProcess {
  readonly kind: XmppServerKind;
  readonly names: ReturnType<typeof serverNames>;
  readonly dir: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  /** Starts the server process; called once at launch and again at every restart (same config, same ports). */
  readonly spawn: () => ServerProcess;
  readonly logFiles: readonly string[];
  /** Whether the server accepts work yet. */
  readonly ready: () => Promise<boolean>;
  /** Registers an account with the server's own tool. */
  readonly register: (local: string, password: string) => Promise<void>;
  /**
   * Server-specific shutdown before the process group is signalled (optional)
   * and after it is gone; both run at every stop and every restart.
   */
  readonly beforeStop?: () => Promise<void>;
  readonly afterStop?: () => Promise<void>;
}

export async function finishLaunch(l: LaunchedProcess, options: XmppServerOptions): Promise<XmppServer> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  let proc = l.spawn();
  let stopped = false;
  /** Restarts and the final stop take turns, so stop() never races a half-done restart. */
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const mine = turn.then(fn);
    turn = mine.catch(() => undefined);
    return mine;
  };
  const halt = async () => {
    await l.beforeStop?.().catch(() => undefined);
    await proc.stop(10_000);
    await l.afterStop?.();
  };
  const cleanup = async (keep: boolean) => {
    stopped = true;
    await halt();
    if (!keep) await rm(l.dir, { recursive: true, force: true });
  };
  const restart = () =>
    inTurn(async () => {
      if (stopped) throw new Error(`${l.kind} was stopped; it cannot be restarted`);
      await halt();
      proc = l.spawn();
      await waitUntilReady(proc, l.ready, startTimeoutMs, l.logFiles);
    });
  try {
    await waitUntilReady(proc, l.ready, startTimeoutMs, l.logFiles);
  } catch (e) {
    await cleanup(true);
    throw e;
  }
  const { domain } = l.names;
  const accounts: XmppAccount[] = [];
  const createAccount = async (local: string, password: string): Promise<XmppAccount> => {
    await l.register(local, password);
    const a = { jid: `${local}@${domain}`, local, password };
    accounts.push(a);
    return a;
  };
  try {
    for (const a of options.accounts ?? DEFAULT_ACCOUNTS) await createAccount(a.local, a.password);
  } catch (e) {
    await cleanup(true);
    throw new Error(`${l.kind} could not create accounts (logs kept in ${l.dir}): ${(e as Error).message}`);
  }
  return {
    kind: l.kind,
    domain,
    mucDomain: l.names.mucDomain,
    host: "127.0.0.1",
    c2sPort: l.c2sPort,
    componentPort: l.componentPort,
    components: l.names.components,
    accounts,
    dir: l.dir,
    logFiles: l.logFiles,
    createAccount,
    restart,
    stop: (o) => inTurn(() => cleanup(keepRequested(o?.keep))),
  };
}
