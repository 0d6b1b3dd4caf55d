/**
 * Network -> XMPP benches: who puts a burst into a room (a fake network in
 * its own process, through the bridge, or a bare XEP-0114 component's puppet,
 * the ceiling) and the timing of its arrival at an occupant. Post times are
 * wall-clock, so a fake in another process can take them.
 */
import { buildMessage } from "@parley/stanza";
import type { XmppSession } from "../xmpp-session.ts";
import { type ArrivalProbe, type ArrivalRun, benchBody, wallNow } from "./arrival-probe.ts";
import { progress } from "./bench-run.ts";
import type { RemoteFake } from "./remote-fake.ts";
import { type BurstFigures, burstFigures } from "./statistics.ts";

/** Who puts messages into a room. */
export interface BurstSide {
  /** Posts the bodies (all at once, or one every `intervalMs`); resolves with each post's wall-clock time. */
  post(bodies: string[], intervalMs: number): Promise<number[]>;
}

export interface TimedBurst {
  readonly figures: BurstFigures;
  readonly run: ArrivalRun;
  readonly sentAt: readonly number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Has `side` post `count` bench messages tagged `tag` and times their arrival in `room` at the probe's occupant. */
export async function timedBurst(
  probe: ArrivalProbe,
  o: {
    readonly tag: string;
    readonly room: string;
    readonly count: number;
    readonly side: BurstSide;
    readonly intervalMs?: number;
    readonly timeoutMs: number;
  },
): Promise<TimedBurst> {
  const run = probe.expect({ tag: o.tag, room: o.room, count: o.count, timeoutMs: o.timeoutMs });
  const bodies = Array.from({ length: o.count }, (_, i) => benchBody(o.tag, i));
  const sentAt = await o.side.post(bodies, o.intervalMs ?? 0);
  sentAt.forEach((t, i) => {
    run.markSent(i, t);
  });
  return { figures: burstFigures(await run.done), run, sentAt };
}

/**
 * A fake network in its own process posting in `channel`: it answers
 * `{ op: "post", channel, bodies, intervalMs }` with `{ sentAt }`.
 */
export function remoteFakeSide(fake: RemoteFake, channel: string): BurstSide {
  return {
    post: async (bodies, intervalMs) =>
      (await fake.ask<{ sentAt: number[] }>({ op: "post", channel, bodies, intervalMs })).sentAt,
  };
}

/**
 * Calls `send` for each body, all at once or one every `intervalMs` (kept to
 * the schedule from the first, so a slow send does not push the rest back);
 * resolves with each send's wall-clock time. A fake's process answers a
 * bench's `post` request with it.
 */
export async function postPaced(
  bodies: readonly string[],
  intervalMs: number,
  send: (body: string) => void,
): Promise<number[]> {
  const sentAt: number[] = [];
  const start = wallNow();
  for (const [i, body] of bodies.entries()) {
    if (intervalMs > 0) {
      const wait = start + i * intervalMs - wallNow();
      if (wait > 1) await sleep(wait);
    }
    sentAt.push(wallNow());
    send(body);
  }
  return sentAt;
}

let ceilingSent = 0;

/**
 * The ceiling: a bare component's puppet (`from`, already in `room`) sending
 * groupchat messages in the shape the engine sends (id and XEP-0359
 * origin-id), without waiting for anything.
 */
export function componentSide(component: XmppSession, from: string, room: string): BurstSide {
  return {
    post: (bodies, intervalMs) =>
      postPaced(bodies, intervalMs, (body) => {
        const id = `ceiling-${++ceilingSent}`;
        void component
          .send(buildMessage({ type: "groupchat", id, originId: id, from, to: room, body }))
          .catch((e: unknown) => progress(`ceiling send failed: ${e instanceof Error ? e.message : String(e)}`));
      }),
  };
}
