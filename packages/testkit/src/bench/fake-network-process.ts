/**
 * The fake network's side of a bench's RemoteFake, in the fake's process:
 * what every such process answers the same way. `violations` (what the real
 * network would have refused) and `stop` for any fake network; and for a
 * burst bench's fake, `post` (paced posts by one member, timed on the wall
 * clock), `arrivals` (the bot's messages in a channel, with when they were
 * made, each handed out once) and `limited` (requests answered 429).
 */
import { wallNow } from "./arrival-probe.ts";
import { postPaced } from "./burst-sides.ts";
import { serveRemoteFake } from "./remote-fake.ts";

/** What the process needs of its fake: FakeDiscord and FakeSlack have both. */
export interface ServedFake {
  readonly violations: readonly string[];
  stop(): Promise<unknown>;
}

export type FakeNetworkRequest = { op: "violations" } | { op: "stop" };

/**
 * Serves `handle` (see serveRemoteFake), answering `violations` and `stop`
 * itself with the fake `current()` returns (undefined before the setup).
 */
export function serveFakeNetwork<R extends { op: string }>(
  current: () => ServedFake | undefined,
  handle: (request: R) => Promise<void>,
): void {
  serveRemoteFake<R | FakeNetworkRequest>(
    async (r) => {
      if (r.op === "violations") {
        process.send?.({ op: "violations", violations: [...(current()?.violations ?? [])] });
      } else if (r.op === "stop") {
        await current()?.stop();
        process.send?.({ op: "stop" });
        process.exit(0);
      } else {
        await handle(r as R);
      }
    },
    async () => current()?.stop(),
  );
}

export type BurstFakeRequest =
  | { op: "post"; channel: string; bodies: string[]; intervalMs: number }
  | { op: "arrivals"; channel: string }
  | { op: "limited" };

/** The state behind a burst bench's `post`, `arrivals` and `limited` requests. */
export class BurstFakeLog {
  /** The bot's messages by channel: text and when (wall clock), in the order the network took them. */
  private readonly made = new Map<string, Array<[string, number]>>();
  private limited = 0;

  /** The bot's message `text` in `channel` was made now. */
  botMessage(channel: string, text: string): void {
    const list = this.made.get(channel) ?? [];
    this.made.set(channel, list);
    list.push([text, wallNow()]);
  }

  /** A request was answered 429. */
  rateLimited(): void {
    this.limited++;
  }

  /** Answers `r` (`post` posts each body with `post(channel, body)`, paced). */
  async answer(r: BurstFakeRequest, post: (channel: string, body: string) => void): Promise<void> {
    switch (r.op) {
      case "post": {
        const sentAt = await postPaced(r.bodies, r.intervalMs, (body) => post(r.channel, body));
        process.send?.({ op: "post", sentAt });
        return;
      }
      case "arrivals": {
        const arrivals = this.made.get(r.channel) ?? [];
        this.made.set(r.channel, []);
        process.send?.({ op: "arrivals", arrivals });
        return;
      }
      case "limited":
        process.send?.({ op: "limited", limited: this.limited });
        return;
    }
  }
}

/** A fake network a burst bench's member posts through (FakeDiscord and FakeSlack are). */
export interface BurstFake extends ServedFake {
  post(channel: string, user: string, body: string): unknown;
}

/**
 * serveFakeNetwork for a burst bench's fake: `post`, `arrivals` and
 * `limited` are answered with `log` (posts are by the member `poster()`),
 * everything else but `violations` and `stop` goes to `handle`.
 */
export function serveBurstFake<R extends { op: string }>(
  current: () => BurstFake | undefined,
  poster: () => string,
  log: BurstFakeLog,
  handle: (request: R) => Promise<void>,
): void {
  serveFakeNetwork<R | BurstFakeRequest>(current, async (r) => {
    if (r.op === "post" || r.op === "arrivals" || r.op === "limited") {
      await log.answer(r as BurstFakeRequest, (channel, body) => {
        const fake = current();
        if (!fake) throw new Error("post before setup");
        fake.post(channel, poster(), body);
      });
    } else {
      await handle(r as R);
    }
  });
}
