/**
 * Mentions of Slack user groups reach the XMPP room as `@handle`, the way
 * Slack shows them: a rich_text `usergroup` element and a mrkdwn
 * `<!subteam^S…>` carry only the group's id, the directory learns the handle
 * from usergroups.list and subteam_created / subteam_updated. The
 * directory's own rules (read at start, again at most once a minute for a
 * group it lacks, the id without `usergroups:read`, a deleted group
 * forgotten) are checked against the fake Slack alone.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { silentLogger } from "@parley/bridge";
import { type FakeSlack, SLACK_DEFAULT_BOT_SCOPES, startFakeSlack } from "@parley/testkit";
import { webApi } from "@slack/bolt";
import { SlackDirectory } from "../src/directory.ts";
import { webClientOptions } from "../src/slack-connector.ts";
import { assertNoViolations, postAndSee, type SlackHarness, startHarness } from "./harness.ts";

describe("Slack user-group mentions to XMPP", () => {
  let h: SlackHarness;
  let ops = "";
  before(async () => {
    h = await startHarness({
      beforeBridge: (fake) => {
        ops = fake.createUsergroup({ handle: "ops-team", name: "Operations" }).id;
      },
    });
  });
  after(async () => {
    await h?.close();
  });
  afterEach(() => assertNoViolations(h));

  it("shows a rich_text usergroup element as @handle", async () => {
    const blocks = [
      {
        type: "rich_text",
        elements: [
          {
            type: "rich_text_section",
            elements: [
              { type: "text", text: "ping " },
              { type: "usergroup", usergroup_id: ops },
              { type: "text", text: " (rich)" },
            ],
          },
        ],
      },
    ];
    const { seen } = await postAndSee(h, h.anna, `ping <!subteam^${ops}> (rich)`, { blocks }, "ping @ops-team (rich)");
    assert.equal(seen.body, "ping @ops-team (rich)");
    assert.ok(!seen.body?.includes(ops), "the group's id is not shown");
  });

  it("shows an unlabelled mrkdwn <!subteam^S…> as @handle", async () => {
    const { seen } = await postAndSee(
      h,
      h.bob,
      `ping <!subteam^${ops}> (mrkdwn)`,
      { blocks: false },
      "ping @ops-team (mrkdwn)",
    );
    assert.equal(seen.body, "ping @ops-team (mrkdwn)");
  });

  // Within a minute of the start read a group the cache lacks is not read again: only the events can tell.
  it("learns a group created after start from subteam_created", async () => {
    const night = h.fake.createUsergroup({ handle: "night-shift" }).id;
    await h.fake.waitForAcks();
    const { seen } = await postAndSee(h, h.anna, `hi <!subteam^${night}>`, undefined, "hi @night-shift");
    assert.equal(seen.body, "hi @night-shift");
  });

  it("follows a renamed handle from subteam_updated", async () => {
    h.fake.updateUsergroup(ops, { handle: "ops-oncall" });
    await h.fake.waitForAcks();
    const { seen } = await postAndSee(h, h.bob, `again <!subteam^${ops}>`, undefined, "again @ops-oncall");
    assert.equal(seen.body, "again @ops-oncall");
  });
});

describe("SlackDirectory user groups", () => {
  let fake: FakeSlack;
  before(async () => {
    fake = await startFakeSlack();
  });
  after(async () => {
    await fake?.stop();
  });

  function directory(clock: { t: number }): SlackDirectory {
    const client = new webApi.WebClient(fake.botToken, webClientOptions({ apiUrl: fake.apiUrl }));
    return new SlackDirectory(client, silentLogger, () => clock.t);
  }

  it("reads handles at start, and a group it lacks again only once a minute has passed", async () => {
    fake.setScopes(SLACK_DEFAULT_BOT_SCOPES);
    const early = fake.createUsergroup({ handle: "early" });
    const clock = { t: 1_000_000 };
    const dir = directory(clock);
    await dir.readUsergroups();
    assert.equal(dir.cachedUsergroup(early.id), "early");
    const late = fake.createUsergroup({ handle: "late" });
    await dir.prefetch([], [], [late.id]);
    assert.equal(dir.cachedUsergroup(late.id), undefined, "within the minute the cache is not read again");
    clock.t += 60_000;
    await dir.prefetch([], [], [late.id]);
    assert.equal(dir.cachedUsergroup(late.id), "late");
    assert.equal(dir.cachedUsergroup(early.id), "early");
  });

  it("keeps a group's newest handle from events and forgets a deleted one", () => {
    const dir = directory({ t: 0 });
    dir.rememberUsergroup({ id: "S1", handle: "a", date_delete: 0 });
    dir.rememberUsergroup({ id: "S1", handle: "b", date_delete: 0 });
    assert.equal(dir.cachedUsergroup("S1"), "b");
    dir.rememberUsergroup({ id: "S1", handle: "b", date_delete: 1_700_000_000 });
    assert.equal(dir.cachedUsergroup("S1"), undefined);
  });

  it("without usergroups:read answers nothing and does not throw", async () => {
    fake.setScopes(SLACK_DEFAULT_BOT_SCOPES.filter((s) => s !== "usergroups:read"));
    const g = fake.createUsergroup({ handle: "hidden" });
    const clock = { t: 0 };
    const dir = directory(clock);
    await dir.readUsergroups();
    await dir.prefetch([], [], [g.id]);
    assert.equal(dir.cachedUsergroup(g.id), undefined);
    fake.setScopes(SLACK_DEFAULT_BOT_SCOPES);
    clock.t += 60_000;
    await dir.prefetch([], [], [g.id]);
    assert.equal(dir.cachedUsergroup(g.id), "hidden", "once granted, the next read learns it");
  });
});
