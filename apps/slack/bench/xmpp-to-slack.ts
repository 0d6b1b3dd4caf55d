/**
 * `npm run bench` (in apps/slack, after socket-burst.ts): XMPP -> Slack
 * through real Prosody and the bridge to the fake Slack, which holds every
 * client to Slack's rate limits (chat.postMessage: a bucket of 10 per
 * channel refilled at one a second; 429 with Retry-After beyond it). The
 * ceiling is what that limit allows for the same burst (to-slack-figures.ts),
 * so the ratio says how much of it the bridge uses: the bridge does not wait
 * out limits inside the Web API client, its delivery queue retries after
 * Retry-After, in order.
 *
 * One XMPP user sends a burst into one linked room, then into ten at once
 * (interleaved); each burst is timed from its first send to the last post
 * Slack took, and the order Slack has them in is checked.
 *
 * The fake runs in a process of its own (fake-slack-process.ts). Settings
 * (environment): PARLEY_BENCH_TO_SLACK (burst, default 40: 10 at once, then
 * 30 s at one a second), PARLEY_BENCH_SLACK_CHANNEL_MESSAGES (per channel of
 * the ten, default 20). Prints a table and writes its figures into
 * bench/results.json, next to socket-burst.ts's.
 */
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@parley/bridge";
import {
  ArrivalProbe,
  assertFakeSawNoViolations,
  type BenchCleanup,
  type BenchLink,
  BenchWarnings,
  benchSize,
  fakeArrivals,
  progress,
  runBench,
  SLACK_METHOD_LIMITS,
  startRemoteFake,
  startXmppServer,
  timedCatchUp,
  timedFromXmpp,
  wallNow,
  writeMergedBenchResults,
  xmppUserInRooms,
} from "@parley/testkit";
import { type FakeSlackSetup, slackBenchBridge } from "./bench-bridge.ts";
import { type PostLimit, type ToSlackRun, toSlackResults, toSlackTable } from "./to-slack-figures.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const MESSAGES = benchSize("PARLEY_BENCH_TO_SLACK", 40, 10_000);
const PER_CHANNEL = benchSize("PARLEY_BENCH_SLACK_CHANNEL_MESSAGES", 20, 10_000);
const CATCH_UP_TO_XMPP = benchSize("PARLEY_BENCH_CATCH_UP", 10_000, 100_000);
const CATCH_UP_TO_SLACK = benchSize("PARLEY_BENCH_CATCH_UP_TO_SLACK", 40, 10_000);
const CHANNELS = 10;
const TIMEOUT_MS = 900_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function postLimit(): PostLimit {
  const limit = SLACK_METHOD_LIMITS["chat.postMessage"];
  if (!limit?.perChannel) throw new Error("SLACK_METHOD_LIMITS has no per-channel limit for chat.postMessage");
  return { perMinute: limit.perMinute, burst: limit.burst };
}

async function main(cleanup: BenchCleanup): Promise<void> {
  progress(
    `XMPP -> Slack: ${MESSAGES} messages, ${CHANNELS} channels x ${PER_CHANNEL}, ` +
      `catch-up ${CATCH_UP_TO_SLACK} to Slack and ${CATCH_UP_TO_XMPP} to XMPP`,
  );
  const limit = postLimit();
  const component = { domain: "slack.parley.test", secret: randomBytes(12).toString("hex") };
  const server = await startXmppServer("prosody", {
    components: [component],
    archiveItemLimit: CATCH_UP_TO_SLACK + 1000,
  });
  cleanup.defer(() => server.stop());
  const fake = startRemoteFake(cleanup, join(HERE, "fake-slack-process.ts"), "fake Slack");
  const slack = await fake.ask<FakeSlackSetup>({
    op: "setup",
    channels: CHANNELS + 2,
  });
  const { links, alice } = await xmppUserInRooms(server, slack.channels, "to-slack", cleanup);
  const [one, catchUp, ...ten] = links as [BenchLink, BenchLink, ...BenchLink[]];
  const probe = new ArrivalProbe({ now: wallNow });
  probe.watch(alice);
  cleanup.defer(() => probe.detach());

  // Slack's 429s are expected here (each is logged at warn); other warnings are shown.
  const warnings = new BenchWarnings({ shown: 20, prefix: "bridge: ", expected: (l) => l.includes("rate-limited") });
  const logger = createLogger({ level: "warn", write: warnings.write });
  const bridge = slackBenchBridge({
    cleanup,
    server,
    component,
    dirPrefix: "parley-slack-to-bench-",
    links,
    slack,
    logger,
  });
  await bridge.start();
  const madeOnSlack = fakeArrivals(fake, TIMEOUT_MS);

  /** Alice says `count` messages in each room (interleaved); timed until Slack took them all. */
  const fromXmpp = (tag: string, rooms: readonly BenchLink[], count: number): Promise<ToSlackRun> =>
    timedFromXmpp(alice, madeOnSlack, tag, rooms, count);

  // Warm-up: each room's relay and each channel's first post; then the buckets fill again.
  await fromXmpp("warm", links, 1);
  await sleep((60_000 / limit.perMinute) * 2);
  const limitedBefore = (await fake.ask<{ limited: number }>({ op: "limited" })).limited;
  const oneRun = await fromXmpp("one", [one], MESSAGES);
  progress(`1 channel: ${MESSAGES} in ${Math.round(oneRun.durationMs)} ms, ${oneRun.outOfOrder} out of order`);
  const tenRun = await fromXmpp("ten", ten, PER_CHANNEL);
  progress(`10 channels: ${CHANNELS * PER_CHANNEL} in ${Math.round(tenRun.durationMs)} ms`);
  const rateLimited = (await fake.ask<{ limited: number }>({ op: "limited" })).limited - limitedBefore;

  // Catch-up: the bridge stops, both sides talk, the bridge starts again.
  await sleep((60_000 / limit.perMinute) * limit.burst);
  const catchUpRun = await timedCatchUp({
    network: "Slack",
    link: catchUp,
    alice,
    probe,
    fake,
    madeOnNetwork: madeOnSlack,
    toNetwork: CATCH_UP_TO_SLACK,
    toXmpp: CATCH_UP_TO_XMPP,
    timeoutMs: TIMEOUT_MS,
    stopBridge: () => bridge.stop(),
    startBridge: async () => {
      await bridge.start();
    },
    beforeStart: async () => {
      const { given } = await fake.ask<{ given: number }>({ op: "give-up" });
      progress(`the fake Slack gave up handing over ${given} events`);
    },
  });

  const results = toSlackResults({
    limit,
    one: oneRun,
    ten: tenRun,
    rateLimited,
    catchUp: { toSlack: catchUpRun.toNetwork, toXmpp: catchUpRun.toXmpp },
  });
  console.log(`\n${toSlackTable(results)}\n`);
  warnings.report("warnings other than rate limits");
  // "response ..." lines would be the fake's own answers departing from Slack's description: a fake bug, also fatal.
  await assertFakeSawNoViolations(fake, "Slack");
  writeMergedBenchResults(join(HERE, "results.json"), results);
}

await runBench(main);
process.exit();
