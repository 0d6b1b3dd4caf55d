/** Administering the bridge with XEP-0050 ad-hoc commands, from real clients through real servers, and offline. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildCommandRequest,
  buildDiscoInfoRequest,
  buildDiscoItemsRequest,
  buildIq,
  COMMAND_LIST_NODE,
  type Command,
  type DataForm,
  type Element,
  element,
  formValue,
  type Iq,
  NS,
  nsOf,
  parseCommand,
  parseDiscoInfo,
  parseDiscoItems,
  parseIq,
  parseJid,
} from "@parley/stanza";
import { stanzaId, startXmppServer, TestClient, XMPP_SERVER_KINDS, type XmppServer } from "@parley/testkit";
import fc from "fast-check";
import { AdminActionError, type AdminActions, AdminCommands, type AdminLink } from "../src/admin/index.ts";
import { ComponentSession } from "../src/component/component-session.ts";
import { DiscoResponder } from "../src/component/disco-responder.ts";
import { IqRouter } from "../src/component/iq-router.ts";
import { type LogLine, recordingLogger } from "./recording-logger.ts";

/** An in-memory bridge: two networks, one config link. */
class FakeActions implements AdminActions {
  readonly networks = ["discord", "slack"];
  links: AdminLink[];
  failWith: Error | undefined;

  constructor(mucDomain: string) {
    this.links = [{ network: "discord", channel: "100", room: `general@${mucDomain}`, source: "config" }];
  }

  async status(): Promise<Record<string, string>> {
    if (this.failWith) throw this.failWith;
    return { xmpp: "online", discord: "connected", links: String(this.links.length), uptime: "3h 2m" };
  }

  async listLinks(): Promise<AdminLink[]> {
    return [...this.links];
  }

  async link(o: { network: string; channel: string; room: string }): Promise<void> {
    if (o.channel === "missing") throw new AdminActionError(`${o.network} has no channel "missing"`);
    const room = parseJid(o.room);
    if (!room.ok || room.value.local === undefined) throw new AdminActionError(`"${o.room}" is not a room JID`);
    this.links.push({ ...o, source: "admin" });
  }

  async unlink(o: { network: string; channel: string; room: string }): Promise<boolean> {
    const i = this.links.findIndex((l) => l.network === o.network && l.channel === o.channel && l.room === o.room);
    if (i < 0) return false;
    if (this.links[i]?.source === "config") throw new AdminActionError("config links are removed in the config file");
    this.links.splice(i, 1);
    return true;
  }
}

function commandOf(iq: Iq): Command {
  assert.equal(iq.type, "result", `expected a result, got ${iq.error?.condition}: ${iq.error?.text}`);
  assert.ok(iq.payload);
  const c = parseCommand(iq.payload);
  assert.ok(c.ok, c.ok ? "" : c.error.message);
  return c.value;
}

function formOf(c: Command): DataForm {
  assert.ok(c.form, "the command carries a form");
  return c.form;
}

/** A submission with one value per field. */
function submission(values: Record<string, string | readonly string[]>): DataForm {
  return {
    type: "submit",
    fields: Object.entries(values).map(([name, v]) => ({ var: name, values: typeof v === "string" ? [v] : v })),
  };
}

const appCondition = (iq: Iq) => iq.error?.application?.name;

for (const kind of XMPP_SERVER_KINDS) {
  describe(`admin commands on ${kind}`, () => {
    let server: XmppServer;
    let session: ComponentSession;
    let router: IqRouter;
    let alice: TestClient;
    let bob: TestClient;
    let actions: FakeActions;
    let domain: string;
    const lines: LogLine[] = [];

    const run = (who: TestClient, o: Omit<Parameters<typeof buildCommandRequest>[0], "id" | "to">) =>
      who.iq(buildCommandRequest({ id: stanzaId("cmd"), to: domain, ...o }));

    before(async () => {
      server = await startXmppServer(kind);
      const c = server.components[0];
      const a = server.accounts[0];
      const b = server.accounts[1];
      assert.ok(c && a && b);
      domain = c.domain;
      session = new ComponentSession({ host: server.host, port: server.componentPort, domain, secret: c.secret });
      router = new IqRouter({ send: (el) => session.send(el) });
      session.on("stanza", (el) => router.dispatch(el));
      const disco = new DiscoResponder({ domain, gateway: { type: "discord", name: "Discord" } });
      disco.install(router);
      actions = new FakeActions(server.mucDomain);
      // Written the way an operator might: upper case and a resource, both ignored.
      const admin = `${a.local.toUpperCase()}@${server.domain}/laptop`;
      new AdminCommands({ domain, admins: [admin], actions, logger: recordingLogger(lines) }).install(router, disco);
      await session.start();
      alice = await TestClient.connect(server, a);
      bob = await TestClient.connect(server, b);
    });
    after(async () => {
      router?.close();
      await alice?.stop();
      await bob?.stop();
      await session?.stop();
      await server?.stop();
    });

    it("lists the commands to an admin only, and describes them", async () => {
      const items = await alice.iq(buildDiscoItemsRequest({ id: stanzaId(), to: domain, node: COMMAND_LIST_NODE }));
      const list = parseDiscoItems(items.payload ?? element("x", {}));
      assert.ok(list.ok);
      assert.equal(list.value.node, COMMAND_LIST_NODE);
      assert.deepEqual(
        list.value.items.map((i) => [i.jid, i.node]),
        ["status", "list-links", "link", "unlink"].map((n) => [domain, n]),
      );
      const none = await bob.iq(buildDiscoItemsRequest({ id: stanzaId(), to: domain, node: COMMAND_LIST_NODE }));
      const empty = parseDiscoItems(none.payload ?? element("x", {}));
      assert.ok(empty.ok);
      assert.deepEqual(empty.value.items, []);

      const info = await alice.iq(buildDiscoInfoRequest({ id: stanzaId(), to: domain, node: "link" }));
      const parsed = parseDiscoInfo(info.payload ?? element("x", {}));
      assert.ok(parsed.ok);
      assert.deepEqual(
        parsed.value.identities.map((i) => `${i.category}/${i.type}`),
        ["automation/command-node"],
      );
      assert.ok(parsed.value.features.includes(NS.commands) && parsed.value.features.includes(NS.dataForms));
      const hidden = await bob.iq(buildDiscoInfoRequest({ id: stanzaId(), to: domain, node: "link" }));
      assert.equal(hidden.error?.condition, "forbidden");
      // The component's own disco is unchanged.
      const own = parseDiscoInfo(
        (await alice.iq(buildDiscoInfoRequest({ id: stanzaId(), to: domain }))).payload ?? element("x", {}),
      );
      assert.ok(own.ok && own.value.identities[0]?.category === "gateway");
    });

    it("shows the status in one stage and logs who asked", async () => {
      const c = commandOf(await run(alice, { node: "status" }));
      assert.equal(c.status, "completed");
      assert.ok(c.sessionid);
      const form = formOf(c);
      assert.equal(form.type, "result");
      assert.deepEqual(
        form.fields.map((f) => [f.var, f.values[0]]),
        [
          ["xmpp", "online"],
          ["discord", "connected"],
          ["links", "1"],
          ["uptime", "3h 2m"],
        ],
      );
      assert.ok(
        lines.some((l) => l.level === "info" && l.fields.command === "status" && l.fields.admin === aliceBare(server)),
        "the run is logged with alice's bare JID",
      );
    });

    it("links in two stages, showing an error note and the form again on a refusal", async () => {
      const first = commandOf(await run(alice, { node: "link" }));
      assert.equal(first.status, "executing");
      assert.deepEqual(first.actions, { allowed: ["complete"], execute: "complete" });
      const sessionid = first.sessionid;
      assert.ok(sessionid);
      const form = formOf(first);
      assert.equal(form.type, "form");
      const network = form.fields.find((f) => f.var === "network");
      assert.equal(network?.type, "list-single");
      assert.deepEqual(
        network?.options?.map((o) => o.value),
        ["discord", "slack"],
      );
      assert.equal(form.fields.find((f) => f.var === "room")?.type, "jid-single");

      const room = `dev@${server.mucDomain}`;
      const refused = commandOf(
        await run(alice, {
          node: "link",
          sessionid,
          action: "complete",
          form: submission({ network: "discord", channel: "missing", room }),
        }),
      );
      assert.equal(refused.status, "executing");
      assert.equal(refused.sessionid, sessionid);
      assert.deepEqual(refused.notes, [{ type: "error", text: 'discord has no channel "missing"' }]);
      assert.equal(formValue(formOf(refused), "room"), room, "the form comes back with what was sent");
      assert.equal(actions.links.length, 1);

      const done = commandOf(
        await run(alice, { node: "link", sessionid, form: submission({ network: "discord", channel: "200", room }) }),
      );
      assert.equal(done.status, "completed");
      assert.equal(done.notes[0]?.type, "info");
      assert.match(done.notes[0]?.text ?? "", /Linked discord channel 200/);
      assert.deepEqual(actions.links.at(-1), { network: "discord", channel: "200", room, source: "admin" });
      assert.ok(
        lines.some(
          (l) => l.level === "info" && l.fields.command === "link" && l.fields.channel === "200" && !l.fields.reason,
        ),
      );
      assert.ok(
        lines.some((l) => l.fields.command === "link" && l.fields.reason !== undefined),
        "refusals too",
      );

      const ended = await run(alice, { node: "link", sessionid, form: submission({ network: "discord" }) });
      assert.equal(ended.error?.condition, "not-allowed");
      assert.equal(appCondition(ended), "session-expired");
    });

    it("lists the links in a table", async () => {
      const form = formOf(commandOf(await run(alice, { node: "list-links" })));
      assert.deepEqual(
        form.reported?.map((f) => f.var),
        ["network", "channel", "room", "source"],
      );
      const rows = (form.items ?? []).map((row) => row.map((f) => f.values[0]));
      assert.deepEqual(rows, [
        ["discord", "100", `general@${server.mucDomain}`, "config"],
        ["discord", "200", `dev@${server.mucDomain}`, "admin"],
      ]);
    });

    it("unlinks a link chosen from the list, and refuses one that does not exist", async () => {
      const first = commandOf(await run(alice, { node: "unlink" }));
      const choice = formOf(first).fields.find((f) => f.var === "link");
      const option = choice?.options?.find((o) => o.label?.includes("200"));
      assert.ok(option && first.sessionid);
      const wrong = commandOf(
        await run(alice, {
          node: "unlink",
          sessionid: first.sessionid,
          form: submission({ network: "slack", channel: "9", room: `x@${server.mucDomain}` }),
        }),
      );
      assert.equal(wrong.status, "executing");
      assert.equal(wrong.notes[0]?.type, "error");
      const done = commandOf(
        await run(alice, { node: "unlink", sessionid: first.sessionid, form: submission({ link: option.value }) }),
      );
      assert.equal(done.status, "completed");
      assert.deepEqual(
        actions.links.map((l) => l.channel),
        ["100"],
      );
      assert.ok(lines.some((l) => l.fields.command === "unlink" && l.fields.removed === true));
    });

    it("cancels a run, after which its sessionid is refused", async () => {
      const first = commandOf(await run(alice, { node: "link" }));
      assert.ok(first.sessionid);
      const canceled = commandOf(await run(alice, { node: "link", sessionid: first.sessionid, action: "cancel" }));
      assert.equal(canceled.status, "canceled");
      assert.equal(canceled.sessionid, first.sessionid);
      const after = await run(alice, {
        node: "link",
        sessionid: first.sessionid,
        form: submission({ network: "discord", channel: "300", room: `a@${server.mucDomain}` }),
      });
      assert.equal(after.error?.condition, "not-allowed");
      assert.equal(actions.links.length, 1);
    });

    it("forbids anyone else, whatever the command", async () => {
      for (const node of ["status", "link", "no-such-command"]) {
        const answer = await run(bob, { node });
        assert.equal(answer.error?.condition, "forbidden", node);
      }
      assert.ok(!lines.some((l) => String(l.fields.admin ?? "").startsWith("bob")));
    });

    it("answers malformed commands and forms with bad-request, unknown nodes with item-not-found", async () => {
      const raw = (attrs: Record<string, string>, ...children: Element[]) =>
        alice.iq(
          buildIq({
            type: "set",
            id: stanzaId("raw"),
            to: domain,
            payload: element("command", { xmlns: NS.commands, ...attrs }, ...children),
          }),
        );
      const noNode = await raw({});
      assert.equal(noNode.error?.condition, "bad-request");
      assert.ok(noNode.error?.text);
      const badAction = await raw({ node: "status", action: "explode" });
      assert.equal(badAction.error?.condition, "bad-request");
      assert.equal(appCondition(badAction), "malformed-action");
      const badField = await raw(
        { node: "link" },
        element("x", { xmlns: NS.dataForms, type: "submit" }, element("field", { var: "a", type: "weird" })),
      );
      assert.equal(badField.error?.condition, "bad-request");
      assert.equal((await run(alice, { node: "reboot" })).error?.condition, "item-not-found");
      assert.equal((await run(alice, { node: "link", action: "cancel" })).error?.condition, "bad-request");

      const first = commandOf(await run(alice, { node: "link" }));
      const sessionid = first.sessionid;
      assert.ok(sessionid);
      const noForm = await run(alice, { node: "link", sessionid });
      assert.equal(noForm.error?.condition, "bad-request");
      assert.equal(appCondition(noForm), "bad-payload");
      const twoValues = await run(alice, {
        node: "link",
        sessionid,
        form: submission({ network: "discord", channel: ["1", "2"], room: `r@${server.mucDomain}` }),
      });
      assert.equal(twoValues.error?.condition, "bad-request");
      assert.match(twoValues.error?.text ?? "", /channel/);
      const notSubmit = await run(alice, { node: "link", sessionid, form: { type: "result", fields: [] } });
      assert.equal(notSubmit.error?.condition, "bad-request");
      const prev = await run(alice, { node: "link", sessionid, action: "prev" });
      assert.equal(appCondition(prev), "bad-action");
      const otherNode = await run(alice, { node: "unlink", sessionid, form: submission({}) });
      assert.equal(appCondition(otherNode), "bad-sessionid");
      const forged = await run(alice, { node: "link", sessionid: "guessed", form: submission({}) });
      assert.equal(forged.error?.condition, "not-allowed");
      // The run survived all of it.
      const empty = commandOf(await run(alice, { node: "link", sessionid, form: submission({ network: "discord" }) }));
      assert.equal(empty.status, "executing");
      assert.match(empty.notes[0]?.text ?? "", /channel, room/);
      const puppet = await alice.iq(buildCommandRequest({ id: stanzaId(), to: `123@${domain}`, node: "status" }));
      assert.equal(puppet.error?.condition, "feature-not-implemented");
    });
  });
}

function aliceBare(server: XmppServer): string {
  return server.accounts[0]?.jid ?? "";
}

// --- Without a server: time, bounds, failures and fuzz -------------------------------------------------

const DOMAIN = "bridge.example.org";
const ALICE = "alice@example.org/phone";

function offline(o: { now?: () => number; maxSessionsPerAdmin?: number } = {}) {
  const sent: Element[] = [];
  const lines: LogLine[] = [];
  const router = new IqRouter({ send: async (el) => void sent.push(el) });
  const disco = new DiscoResponder({ domain: DOMAIN, gateway: { type: "discord", name: "Discord" } });
  disco.install(router);
  const actions = new FakeActions("muc.example.org");
  const admin = new AdminCommands({
    domain: DOMAIN,
    admins: ["alice@example.org"],
    actions,
    logger: recordingLogger(lines),
    ...o,
  });
  admin.install(router, disco);
  let n = 0;
  /** Dispatches a request and resolves with its one answer. */
  async function ask(payload: Element, from = ALICE, to = DOMAIN): Promise<Iq> {
    const id = `q${++n}`;
    const type = nsOf(payload) === NS.commands ? "set" : "get";
    assert.equal(router.dispatch(buildIq({ type, id, from, to, payload })), true);
    for (let i = 0; i < 1000; i++) {
      const answers = sent.filter((el) => el.attrs.id === id);
      if (answers.length > 0) {
        assert.equal(answers.length, 1, "exactly one answer");
        const r = parseIq(answers[0] ?? element("x", {}));
        assert.ok(r.ok);
        return r.value;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`no answer to ${id}`);
  }
  const cmd = (c: Parameters<typeof buildCommandRequest>[0]) => {
    const iq = buildCommandRequest(c);
    const payload = iq.children.find((x): x is Element => typeof x !== "string");
    assert.ok(payload);
    return payload;
  };
  const start = async (node: string, from = ALICE) =>
    commandOf(await ask(cmd({ id: "x", to: DOMAIN, node }), from)).sessionid ?? "";
  return { admin, actions, lines, ask, cmd, start };
}

describe("disco nodes of the component", () => {
  it("answer for the component only; other nodes and puppets keep their usual answers", async () => {
    const t = offline();
    const query = (ns: string, node?: string) => element("query", { xmlns: ns, node });
    const items = parseDiscoItems((await t.ask(query(NS.discoItems, COMMAND_LIST_NODE))).payload ?? element("x", {}));
    assert.ok(items.ok);
    assert.equal(items.value.items.length, 4);
    // A remote user called "component" is a puppet: no command list there.
    const puppet = await t.ask(query(NS.discoItems, COMMAND_LIST_NODE), ALICE, `component@${DOMAIN}`);
    const none = parseDiscoItems(puppet.payload ?? element("x", {}));
    assert.ok(none.ok);
    assert.deepEqual(none.value.items, []);
    const list = parseDiscoInfo((await t.ask(query(NS.discoInfo, COMMAND_LIST_NODE))).payload ?? element("x", {}));
    assert.ok(list.ok);
    assert.deepEqual(
      list.value.identities.map((i) => i.type),
      ["command-list"],
    );
    assert.equal(list.value.node, COMMAND_LIST_NODE);
    const other = parseDiscoInfo((await t.ask(query(NS.discoInfo, "urn:elsewhere"))).payload ?? element("x", {}));
    assert.ok(other.ok);
    assert.equal(other.value.identities[0]?.category, "gateway", "an unregistered node gets the component's info");
    // A command node answers info, not items.
    assert.equal((await t.ask(query(NS.discoItems, "status"))).error?.condition, "item-not-found");
  });
});

describe("admin command sessions", () => {
  it("expire after ten idle minutes, counted from the last stage", async () => {
    let now = 1_000_000;
    const t = offline({ now: () => now });
    const id = await t.start("link");
    now += 9 * 60_000;
    const again = commandOf(
      await t.ask(
        t.cmd({ id: "x", to: DOMAIN, node: "link", sessionid: id, form: submission({ network: "discord" }) }),
      ),
    );
    assert.equal(again.status, "executing", "still open after nine minutes");
    now += 9 * 60_000;
    assert.equal(t.admin.openSessions, 1, "nine more minutes after the last stage: still open");
    now += 60_000 + 1;
    const expired = await t.ask(t.cmd({ id: "x", to: DOMAIN, node: "link", sessionid: id, action: "cancel" }));
    assert.equal(expired.error?.condition, "not-allowed");
    assert.equal(appCondition(expired), "session-expired");
    assert.equal(t.admin.openSessions, 0);
  });

  it("are bounded per admin: the oldest gives way", async () => {
    const t = offline({ maxSessionsPerAdmin: 2 });
    const ids = [await t.start("link"), await t.start("unlink"), await t.start("link")];
    assert.equal(new Set(ids).size, 3);
    assert.equal(t.admin.openSessions, 2);
    const oldest = await t.ask(t.cmd({ id: "x", to: DOMAIN, node: "link", sessionid: ids[0], action: "cancel" }));
    assert.equal(appCondition(oldest), "session-expired");
    const newest = await t.ask(t.cmd({ id: "x", to: DOMAIN, node: "link", sessionid: ids[2], action: "cancel" }));
    assert.equal(commandOf(newest).status, "canceled");
    // Another resource of the same admin counts against the same bound.
    await t.start("link", "alice@example.org/laptop");
    await t.start("link", "alice@example.org/laptop");
    assert.equal(t.admin.openSessions, 2);
  });

  it("belong to the full JID that started them", async () => {
    const t = offline();
    const id = await t.start("link");
    const stolen = await t.ask(
      t.cmd({ id: "x", to: DOMAIN, node: "link", sessionid: id, action: "cancel" }),
      "alice@example.org/other",
    );
    assert.equal(appCondition(stolen), "bad-sessionid");
    const mine = await t.ask(
      t.cmd({ id: "x", to: DOMAIN, node: "link", sessionid: id, action: "cancel" }),
      "Alice@Example.org/phone",
    );
    assert.equal(commandOf(mine).status, "canceled");
  });

  it("hide an action's unexpected failure behind internal-server-error, and log it", async () => {
    const t = offline();
    t.actions.failWith = new Error("database is locked");
    const answer = await t.ask(t.cmd({ id: "x", to: DOMAIN, node: "status" }));
    assert.equal(answer.error?.condition, "internal-server-error");
    assert.equal(answer.error?.text, undefined);
    assert.ok(t.lines.some((l) => l.level === "error" && l.fields.error === "database is locked"));
  });

  it("refuse a configuration with an admin that is not a JID", () => {
    const actions = new FakeActions("muc.example.org");
    assert.throws(() => new AdminCommands({ domain: DOMAIN, admins: ["not a jid@"], actions }), TypeError);
    assert.throws(() => new AdminCommands({ domain: "bad domain", admins: [], actions }), TypeError);
  });

  it("answer any command element with exactly one result or error, never a crash", async () => {
    const t = offline();
    const text = fc.oneof(
      fc.constantFrom("", "status", "link", "unlink", "complete", "cancel", "x".repeat(4000)),
      fc.string(),
    );
    const field = fc.record({
      var: fc.oneof(fc.constantFrom("network", "channel", "room", "link"), fc.string()),
      type: fc.option(fc.constantFrom("text-single", "list-single", "boolean", "bogus"), { nil: undefined }),
      values: fc.array(text, { maxLength: 3 }),
    });
    const command = fc.record({
      attrs: fc.dictionary(fc.constantFrom("node", "action", "sessionid", "status"), text),
      formType: fc.option(fc.constantFrom("submit", "cancel", "form", "result", "nope"), { nil: undefined }),
      fields: fc.array(field, { maxLength: 5 }),
    });
    const sessionid = await t.start("link");
    await fc.assert(
      fc.asyncProperty(command, fc.boolean(), async (c, reuse) => {
        const attrs = reuse ? { ...c.attrs, sessionid } : c.attrs;
        const x =
          c.formType === undefined
            ? undefined
            : element(
                "x",
                { xmlns: NS.dataForms, type: c.formType },
                ...c.fields.map((f) =>
                  element("field", { var: f.var, type: f.type }, ...f.values.map((v) => element("value", {}, v))),
                ),
              );
        const answer = await t.ask(element("command", { xmlns: NS.commands, ...attrs }, x));
        assert.ok(answer.type === "result" || answer.type === "error");
        if (answer.type === "error") assert.notEqual(answer.error?.condition, "internal-server-error");
      }),
      { numRuns: 300 },
    );
  });
});
