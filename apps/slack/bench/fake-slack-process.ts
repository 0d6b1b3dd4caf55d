/**
 * The fake Slack in a process of its own, driven over IPC by the bench: in a
 * deployment Slack is another machine, so its work (building events, sending
 * Socket Mode frames, answering the Web API) must not be charged to the
 * bridge's process. Times are wall-clock (wallNow), comparable between the
 * two processes. Slack's rate limits (SLACK_METHOD_LIMITS) are on, as they
 * are by default in the fake.
 *
 * Protocol (parent -> child, each answered once with the same `op`):
 *   { op: "setup", channels: n } -> { op, botToken, appToken, apiUrl, userId, channels: string[] }
 *   { op: "post", channel, bodies, intervalMs } -> { op, sentAt: number[] } (a member posts with fake.post: Socket Mode events)
 *   { op: "arrivals", channel } -> { op, arrivals: [text, wall-clock ms][] } (the bot's posts since the last ask)
 *   { op: "limited" } -> { op, limited: number } (calls answered 429 so far)
 *   { op: "calls" } -> { op, calls: Record<method, number> } (Web API calls so far, by method)
 *   { op: "violations" } -> { op, violations: string[] }
 *   { op: "give-up" } -> { op, given: number } (envelopes no connection took are dropped, as Slack does after its retries)
 *   { op: "stop" } -> { op } and the process exits
 */
import { BurstFakeLog, type FakeSlack, serveBurstFake, startFakeSlack } from "@parley/testkit";

type Request = { op: "setup"; channels: number } | { op: "calls" } | { op: "give-up" };

let fake: FakeSlack | undefined;
let userId = "";
/** The bot's successful chat.postMessage calls, in the order Slack took them; calls answered 429. */
const log = new BurstFakeLog();
const reply = (m: object) => process.send?.(m);

async function handle(r: Request): Promise<void> {
  switch (r.op) {
    case "setup": {
      fake = await startFakeSlack({ botName: "Parley" });
      fake.on("request", (request) => {
        if (request.status === 429) log.rateLimited();
        if (request.method !== "chat.postMessage" || !request.ok) return;
        log.botMessage(String(request.args.channel), String(request.args.text ?? ""));
      });
      userId = fake.createUser({ name: "poster", realName: "Poster", presence: "active" }).id;
      const channels = Array.from({ length: r.channels }, (_, i) => {
        const c = fake?.createChannel({ name: `bench-${i + 1}`, members: [userId] });
        if (!c) throw new Error("no fake");
        return c.id;
      });
      reply({
        op: "setup",
        botToken: fake.botToken,
        appToken: fake.appToken,
        apiUrl: fake.apiUrl,
        userId,
        channels,
      });
      return;
    }
    case "give-up": {
      reply({ op: "give-up", given: fake?.giveUpUndelivered() ?? 0 });
      return;
    }
    case "calls": {
      const calls: Record<string, number> = {};
      for (const q of fake?.requests ?? []) calls[q.method] = (calls[q.method] ?? 0) + 1;
      reply({ op: "calls", calls });
      return;
    }
  }
}

serveBurstFake<Request>(
  () => fake,
  () => userId,
  log,
  handle,
);
