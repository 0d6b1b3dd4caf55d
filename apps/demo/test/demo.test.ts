/**
 * `npm run demo` end to end: the demo starts, an XMPP client logs in with the
 * account it prints and joins the room it names, a Discord member's post from
 * the prompt reaches the client (and Slack), the client's answer reaches
 * Discord and Slack and is shown at the prompt, a Slack member's post reaches
 * the client and Discord, and `quit` stops everything.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { buildMessage, type Message } from "@parley/stanza";
import { isMessage, TestClient } from "@parley/testkit";

const DEMO = fileURLToPath(new URL("../src/demo.ts", import.meta.url));
const ROOM = "lobby@conference.localhost";

describe("npm run demo", () => {
  let demo: ChildProcessWithoutNullStreams;
  let out = "";
  let client: TestClient | undefined;
  const exited = () => new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));

  /** Resolves once the demo's output matches `re` (and with the match). */
  const waitForOutput = (re: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (!m) return false;
        demo.stdout.off("data", check);
        clearTimeout(timer);
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => {
        demo.stdout.off("data", check);
        reject(new Error(`the demo never printed ${re}; it printed:\n${out}`));
      }, timeoutMs);
      if (!check()) demo.stdout.on("data", check);
    });

  before(() => {
    demo = spawn(process.execPath, [DEMO], { stdio: ["pipe", "pipe", "pipe"] });
    demo.stdout.setEncoding("utf8");
    demo.stderr.setEncoding("utf8");
    demo.stdout.on("data", (d: string) => {
      out += d;
    });
    demo.stderr.on("data", (d: string) => {
      out += d;
    });
  });

  after(async () => {
    await client?.stop().catch(() => undefined);
    if (demo.exitCode === null) {
      const gone = exited();
      demo.kill("SIGINT");
      await gone;
    }
  });

  it("starts and prints how to connect", async () => {
    await waitForOutput(/Parley demo is running/);
    assert.match(out, /demo@localhost\s+password: demo/);
    assert.match(out, new RegExp(ROOM.replace(/\./g, "\\.")));
    assert.match(out, /linked to #lobby on the fake Discord, #lobby on the fake Slack/);
    assert.match(out, /Hedy and Barbara, from Slack/);
  });

  it("relays a Discord member's post from the prompt to an XMPP client, and the client's answer back", async () => {
    const port = Number((await waitForOutput(/XMPP server\s+localhost, port (\d+)/))[1]);
    client = await TestClient.connect(
      { host: "127.0.0.1", c2sPort: port, domain: "localhost" },
      { local: "demo", password: "demo" },
    );
    await client.joinRoom(ROOM, "tester");
    const fromAda = client.waitFor(
      isMessage((m: Message) => m.from === `${ROOM}/Ada` && m.body === "hello *from Discord*"),
      { timeoutMs: 30_000 },
    );
    demo.stdin.write("say ada hello **from Discord**\n");
    await fromAda;
    await client.send(buildMessage({ type: "groupchat", to: ROOM, body: "hi from XMPP" }));
    await waitForOutput(/\[discord #lobby\] tester: hi from XMPP/, 30_000);
    // The Slack bridge posts both: Ada (an occupant of the room, from Discord) and the XMPP user, each under their name.
    await waitForOutput(/\[slack #lobby\] Ada: hello \*from Discord\*/, 30_000);
    await waitForOutput(/\[slack #lobby\] tester: hi from XMPP/, 30_000);
  });

  it("relays a Slack member's post from the prompt to the XMPP client and on to Discord", async () => {
    assert.ok(client);
    const fromHedy = client.waitFor(
      isMessage((m: Message) => m.from === `${ROOM}/Hedy` && m.body === "hello from Slack"),
      { timeoutMs: 30_000 },
    );
    demo.stdin.write("slack hedy hello from Slack\n");
    await fromHedy;
    await waitForOutput(/\[discord #lobby\] Hedy: hello from Slack/, 30_000);
  });

  it("carries the conversation to Matrix and back, through the same room", async () => {
    assert.match(out, /Matrix\s+homeserver http:\/\/127\.0\.0\.1:\d+/, "the Matrix side started");
    // Ada's Discord post reached Matrix by way of XMPP (the Matrix bridge relays the Discord bridge's puppet).
    const deadline = Date.now() + 30_000;
    const before = out.length;
    while (!/@_xmpp_[^:\s]+:localhost: hello .*from Discord/.test(out.slice(before))) {
      assert.ok(Date.now() < deadline, `Matrix never had Ada's message; the demo printed:\n${out.slice(before)}`);
      demo.stdin.write("mhistory\n");
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(client);
    const fromMatrix = client.waitFor(
      isMessage((m: Message) => m.from === `${ROOM}/Demo` && m.body === "hello from Matrix"),
      { timeoutMs: 30_000 },
    );
    demo.stdin.write("matrix hello from Matrix\n");
    await fromMatrix;
    await waitForOutput(/\[discord #lobby\] Demo: hello from Matrix/, 30_000);
  });

  it("stops everything on quit", async () => {
    const gone = exited();
    demo.stdin.write("quit\n");
    assert.equal(await gone, 0);
    assert.match(out, /stopping/);
  });
});
