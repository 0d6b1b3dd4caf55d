/**
 * One scenario, start to end: a fresh world, the first half of the numbered
 * messages sent as fast as the sending side takes them, the fault injected
 * once a quarter has arrived (the burst still in flight), the second half sent
 * from then on (so part of it lands while the bridge or a server is down),
 * then a wait until the receiving side holds every message or has gone quiet,
 * a short settle for late duplicates, and the count: live, and in the
 * receiving side's history.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { faultOver, inject } from "./faults.ts";
import { numberedText, numberIn, type Tally, tally } from "./numbered.ts";
import type { Scenario } from "./scenarios.ts";
import { startWorld } from "./world.ts";

export interface ScenarioResult {
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  /**
   * From the end of the fault (what was killed runs again) until the receiving side held every
   * message (live; in the history when the live view is not counted); null: never.
   */
  readonly recoveryMs: number | null;
  /** The whole scenario, servers' start and stop included. */
  readonly durationMs: number;
  /** From the first message sent until the receiving side held them all (or gave up). */
  readonly burstMs: number;
  /** From the first message sent until the sending side took the last one (the sender's own pace, the fault included). */
  readonly sendMs: number;
  readonly description: string;
  readonly fault: string;
  readonly live: Tally & { readonly counted: boolean };
  readonly history: Tally;
  readonly bridgeExits: readonly string[];
  readonly bridgeWarnings: number;
  /** The bridge's log and store, kept when the scenario failed. */
  readonly kept?: string;
  readonly error?: string;
  readonly passed: boolean;
  readonly ranAt: string;
}

export interface RunOptions {
  readonly messages: number;
  /** Keep the scenario's directory (bridge log, store) even when it passed. */
  readonly keep: boolean;
  readonly say: (line: string) => void;
}

/** No arrival for this long after the fault is over: the receiving side has what it will get. */
const QUIET_MS = 20_000;
/** Once everything arrived, wait this long for copies that come late. */
const SETTLE_MS = 3000;
/** The longest a scenario waits after its fault, whatever the pace. */
const HARD_CAP_MS = 10 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The receiving side's history, asked again for a while when it fails: after a kill of the XMPP
 * server the watching user logs in and joins again by itself, which takes seconds on a loaded machine.
 */
async function historyOf(w: {
  receiver: { history(): Promise<string[]> };
  watcher: { untilJoined(ms: number): Promise<void> };
}): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await w.watcher.untilJoined(Math.max(0, deadline - Date.now()));
      return await w.receiver.history();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(1000);
    }
  }
}

export async function runScenario(s: Scenario, o: RunOptions): Promise<ScenarioResult> {
  const began = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `parley-faults-${s.name}-`));
  const n = o.messages;
  const half = Math.floor(n / 2);
  let sent = 0;
  let sendError: string | undefined;
  let error: string | undefined;
  let faultNote = "";
  let recoveryMs: number | null = null;
  let burstStart = Date.now();
  let burstEnd = Date.now();
  let sendEnd: number | undefined;
  let liveSeen: number[] = [];
  let historySeen: number[] = [];
  let sentOrders: number[][] | undefined;
  let exits: readonly string[] = [];
  let warnings = 0;
  const numbers = (texts: readonly string[]) =>
    texts.map((t) => numberIn(s.name, t)).filter((x): x is number => x !== undefined);

  let world: Awaited<ReturnType<typeof startWorld>> | undefined;
  try {
    world = await startWorld({
      dir,
      network: s.network,
      direction: s.direction,
      xmppServer: s.xmppServer,
      durableRooms: s.fault === "xmpp-server-kill9",
      synapseDatabase: s.synapseDatabase,
    });
    const w = world;
    const live = () => numbers(w.receiver.live());
    const distinct = () => new Set(live()).size;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    burstStart = Date.now();
    const sending = (async () => {
      const inFlight = new Set<Promise<void>>();
      for (let i = 1; i <= n; i++) {
        if (i === half + 1) {
          await Promise.all(inFlight);
          await gate;
        }
        while (inFlight.size >= w.sendWindow) await Promise.race(inFlight);
        const one: Promise<void> = w.send(numberedText(s.name, i)).then(() => {
          inFlight.delete(one);
          sent++;
        });
        inFlight.add(one);
      }
      await Promise.all(inFlight);
    })().catch((e: unknown) => {
      sendError = e instanceof Error ? e.message : String(e);
    });
    let sendingDone = false;
    void sending.then(() => {
      sendingDone = true;
      sendEnd = Date.now();
    });

    // The fault comes once a quarter arrived; if the bridge is stuck before that, it comes anyway.
    let progressAt = Date.now();
    let lastCount = 0;
    while (distinct() < n / 4 && !sendingDone) {
      const count = live().length;
      if (count !== lastCount) {
        lastCount = count;
        progressAt = Date.now();
      }
      if (sent >= half && Date.now() - progressAt > QUIET_MS) break;
      await sleep(50);
    }
    o.say(`  ${s.name}: ${distinct()} of ${n} arrived, ${sent} sent; injecting ${s.fault}`);
    try {
      faultNote = await inject(s.fault, w);
    } finally {
      release();
    }
    await faultOver(s.fault, w, 120_000);
    const overAt = Date.now();
    o.say(`  ${s.name}: ${faultNote}`);

    progressAt = Date.now();
    lastCount = -1;
    let lastSent = -1;
    let lastHistoryLook = 0;
    for (;;) {
      const count = live().length;
      if (count !== lastCount || sent !== lastSent) {
        lastCount = count;
        lastSent = sent;
        progressAt = Date.now();
      }
      if (sendingDone && distinct() >= n) {
        recoveryMs = Date.now() - overAt;
        break;
      }
      // When the fault cut off the watcher too, what it missed live is the history's to show:
      // once live has stalled, look there (every few seconds: it is a walk through the whole archive).
      if (!s.liveCounts && sendingDone && Date.now() - progressAt > 3000 && Date.now() - lastHistoryLook > 5000) {
        lastHistoryLook = Date.now();
        // The watcher may still be reconnecting (a loaded machine takes seconds to log in again): look later.
        const held = await w.receiver.history().catch(() => [] as string[]);
        if (new Set(numbers(held)).size >= n) {
          recoveryMs = Date.now() - overAt;
          break;
        }
      }
      if (Date.now() - progressAt > QUIET_MS || Date.now() - overAt > HARD_CAP_MS) break;
      await sleep(250);
    }
    burstEnd = Date.now();
    if (recoveryMs !== null) await sleep(SETTLE_MS);
    else if (!sendingDone) o.say(`  ${s.name}: the sender is stuck at ${sent} of ${n}`);
    liveSeen = live();
    historySeen = numbers(await historyOf(w));
    if (w.sentOrders) sentOrders = (await w.sentOrders()).map(numbers);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    if (world) {
      exits = [...world.bridge.exits];
      warnings = world.bridge.warnings().length;
      await world.close();
    }
  }
  if (sendError !== undefined) error = `${error ? `${error}; ` : ""}the sender failed after ${sent} sent: ${sendError}`;
  const liveTally = { ...tally(n, liveSeen, sentOrders), counted: s.liveCounts };
  const historyTally = tally(n, historySeen, sentOrders);
  const counted = s.liveCounts ? [liveTally, historyTally] : [historyTally];
  const worst = (pick: (t: Tally) => number) => Math.max(...counted.map(pick));
  const result = {
    sent,
    received: Math.min(...counted.map((t) => t.received)),
    lost: worst((t) => t.lost),
    duplicated: worst((t) => t.duplicated),
    outOfOrder: worst((t) => t.outOfOrder),
    recoveryMs,
  };
  const passed =
    error === undefined &&
    sent === n &&
    n >= 2000 &&
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.outOfOrder === 0;
  const kept = passed && !o.keep ? undefined : dir;
  if (kept === undefined) rmSync(dir, { recursive: true, force: true });
  return {
    ...result,
    durationMs: Date.now() - began,
    burstMs: burstEnd - burstStart,
    sendMs: (sendEnd ?? burstEnd) - burstStart,
    description: s.description,
    fault: faultNote,
    live: liveTally,
    history: historyTally,
    bridgeExits: exits,
    bridgeWarnings: warnings,
    ...(kept !== undefined && { kept }),
    ...(error !== undefined && { error }),
    passed,
    ranAt: new Date(began).toISOString(),
  };
}
