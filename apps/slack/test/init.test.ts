// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the section holds the literal ${SLACK_...} references
/** parley init for Slack: tokens from the environment, a first link, the steps left on Slack's side. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InitContext } from "@parley/bridge";
import { initConnector, initQuestions, parseSlackOptions } from "../src/index.ts";

const context = (answers: Record<string, string>): InitContext => ({
  network: "slack",
  domain: "example.org",
  componentDomain: "slack.example.org",
  mucDomain: "conference.example.org",
  answers,
  newSecret: () => "0".repeat(32),
  pathOf: (name) => `/tmp/${name}`,
});

describe("parley init for Slack", () => {
  it("writes a section that reads the tokens from the environment and links a first channel", () => {
    const r = initConnector(context({ channel: "C0123456789", room: "lobby" }));
    assert.deepEqual(r.section, { botToken: "${SLACK_BOT_TOKEN}", appToken: "${SLACK_APP_TOKEN}" });
    assert.deepEqual(r.links, [{ channel: "C0123456789", room: "lobby" }]);
    assert.deepEqual(
      r.environment?.map((e) => e.name),
      ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"],
    );
    assert.ok(r.nextSteps?.some((s) => s.includes("manifest")));
    // What it writes is a valid section once the variables are set.
    parseSlackOptions({ botToken: "xoxb-1", appToken: "xapp-1" });
  });

  it("checks channel ids", () => {
    const q = initQuestions.find((x) => x.name === "channel");
    assert.equal(q?.check?.("C0123456789"), undefined);
    assert.ok(q?.check?.("general"));
  });
});
