/**
 * The run of a soak bench, the same for every network: its settings (command
 * line flags, the issue's sizes by default), the XMPP user's count of what
 * reached it, and the relay in both directions interleaved batch by batch,
 * each batch waiting for the last to arrive, so that memory is read with
 * nothing queued.
 */
import { parseArgs } from "node:util";
import type { Element } from "@parley/stanza";
import type { XmppServer } from "../server.ts";
import { TestClient } from "../xmpp-client.ts";
import { type BenchCleanup, progress } from "./bench-run.ts";
import { BenchSettingsError } from "./settings.ts";

export interface SoakSettings {
  /** Members online from the start. */
  readonly members: number;
  readonly rooms: number;
  /** Messages of the warm-up, both ways in the run's proportion. */
  readonly warmup: number;
  readonly toXmpp: number;
  readonly toNetwork: number;
  /** Members online when the cost per member is read (0: not measured). */
  readonly crowd: number;
  /** Messages network -> XMPP per batch. */
  readonly batch: number;
  /** Where heap snapshots go, if anywhere. */
  readonly snapshots: string | undefined;
}

/** The defaults: issue 17's sizes. */
export const SOAK_DEFAULTS = {
  members: 1000,
  rooms: 100,
  warmup: 5000,
  toXmpp: 100_000,
  toNetwork: 20_000,
  crowd: 10_000,
  batch: 1000,
} as const;

/** Settings from `--members --rooms --warmup --to-xmpp --to-network --crowd --batch --snapshots`; throws BenchSettingsError. */
export function soakSettings(argv: readonly string[], defaults: Partial<typeof SOAK_DEFAULTS> = {}): SoakSettings {
  const d = { ...SOAK_DEFAULTS, ...defaults };
  const { values } = parseArgs({
    args: [...argv],
    options: {
      members: { type: "string", default: String(d.members) },
      rooms: { type: "string", default: String(d.rooms) },
      warmup: { type: "string", default: String(d.warmup) },
      "to-xmpp": { type: "string", default: String(d.toXmpp) },
      "to-network": { type: "string", default: String(d.toNetwork) },
      crowd: { type: "string", default: String(d.crowd) },
      batch: { type: "string", default: String(d.batch) },
      snapshots: { type: "string" },
    },
  });
  const whole = (name: Exclude<keyof typeof values, "snapshots">, min: number): number => {
    const raw = String(values[name]).replaceAll("_", "");
    const n = Number(raw);
    if (!/^\d{1,12}$/.test(raw) || !Number.isSafeInteger(n) || n < min) {
      throw new BenchSettingsError(`--${name} ${values[name]}: expected a whole number of at least ${min}`);
    }
    return n;
  };
  const s: SoakSettings = {
    members: whole("members", 1),
    rooms: whole("rooms", 1),
    warmup: whole("warmup", 0),
    toXmpp: whole("to-xmpp", 1),
    toNetwork: whole("to-network", 0),
    crowd: whole("crowd", 0),
    batch: whole("batch", 1),
    snapshots: values.snapshots,
  };
  if (s.crowd !== 0 && s.crowd <= s.members) {
    throw new BenchSettingsError(`--crowd ${s.crowd}: must be above --members (${s.members}), or 0 to skip`);
  }
  return s;
}

/** What the arrivals counter needs of a client: its inbox's push (TestClient has one). */
export interface SoakInboxOwner {
  readonly inbox: { push(el: Element): void };
}

/**
 * Counts the bench messages (benchBody) that reach an XMPP user from others,
 * and drops every stanza from then on: install it after the user joined its
 * rooms, so a long run does not fill the inbox.
 */
export class SoakArrivals {
  count = 0;
  constructor(client: SoakInboxOwner, nick: string) {
    client.inbox.push = (el: Element) => {
      if (el.name !== "message" || el.attrs.type !== "groupchat") return;
      const body = el.getChildText("body");
      if (body?.startsWith("bench ") && !String(el.attrs.from ?? "").endsWith(`/${nick}`)) this.count++;
    };
  }
}

/**
 * A room `soak-<n>@<muc>` per linked channel, the server's first account in
 * every one (nick alice, stopped by `cleanup`) and the count of what reaches
 * her (SoakArrivals).
 */
export async function soakRoomsWithUser(
  server: XmppServer,
  channels: number,
  cleanup: BenchCleanup,
): Promise<{ readonly rooms: string[]; readonly alice: TestClient; readonly arrivals: SoakArrivals }> {
  const rooms = Array.from({ length: channels }, (_, i) => `soak-${i + 1}@${server.mucDomain}`);
  const account = server.accounts[0];
  if (!account) throw new Error("the server has no account");
  const alice = await TestClient.connect(server, account);
  cleanup.defer(() => alice.stop());
  for (const room of rooms) await alice.joinRoom(room, "alice");
  return { rooms, alice, arrivals: new SoakArrivals(alice, "alice") };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `read()` reaches `target`; throws when it stops moving for `stallMs` (messages were lost). */
export async function waitForCount(
  what: string,
  target: number,
  read: () => Promise<number> | number,
  stallMs = 60_000,
): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const now = await read();
    if (now >= target) return;
    if (now !== last) {
      last = now;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`${what}: ${now} of ${target} arrived, and nothing more for ${stallMs / 1000} s`);
    }
    await sleep(now + 50 >= target ? 20 : 100);
  }
}

export interface SoakDirections {
  /** Sends `count` messages network -> XMPP and resolves once they arrived. */
  readonly toXmpp: (count: number) => Promise<void>;
  /** Sends `count` messages XMPP -> network and resolves once they arrived. */
  readonly toNetwork: (count: number) => Promise<void>;
}

/** Msgs/s each way, over the time spent in that direction's batches. */
export interface SoakPace {
  readonly xmppPerSec: number;
  readonly networkPerSec: number;
}

/** `xmpp` messages to XMPP and `network` to the network, interleaved batch by batch (`batch` to XMPP each). */
export async function relayInterleaved(
  directions: SoakDirections,
  o: { readonly xmpp: number; readonly network: number; readonly batch: number; readonly label: string },
): Promise<SoakPace> {
  const batches = Math.max(1, Math.ceil(o.xmpp / o.batch));
  let doneX = 0;
  let doneN = 0;
  let xmppMs = 0;
  let networkMs = 0;
  const began = performance.now();
  for (let b = 1; b <= batches; b++) {
    const x = Math.round((o.xmpp * b) / batches) - doneX;
    const n = Math.round((o.network * b) / batches) - doneN;
    let t = performance.now();
    if (x > 0) await directions.toXmpp(x);
    xmppMs += performance.now() - t;
    t = performance.now();
    if (n > 0) await directions.toNetwork(n);
    networkMs += performance.now() - t;
    doneX += x;
    doneN += n;
    if (b % 10 === 0 || b === batches) {
      progress(`  ${doneX} -> XMPP, ${doneN} -> ${o.label} (${((performance.now() - began) / 1000).toFixed(0)} s)`);
    }
  }
  return {
    xmppPerSec: xmppMs > 0 ? Math.round((o.xmpp * 1000) / xmppMs) : 0,
    networkPerSec: networkMs > 0 ? Math.round((o.network * 1000) / networkMs) : 0,
  };
}
