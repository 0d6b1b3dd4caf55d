/**
 * The engine when the XMPP side goes away: the component link dropped, the
 * bridge process restarted, the relay kicked, its room destroyed, the whole
 * server restarted, each in the middle of a burst of remote messages. XEP-0114
 * has no stream management, so what the bridge wrote into a dying socket is
 * lost; the engine must send again exactly what no room confirmed, in order,
 * and nothing twice. Each check reads the room as a person would: a fresh
 * client queries the room's archive (XEP-0313).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  buildMamFin,
  buildMamQueryIq,
  buildMessage,
  buildMucDestroy,
  buildMucKick,
  type Element,
  type Message,
  parseMamFin,
  parseXml,
} from "@parley/stanza";
import { isMessage, isPresence, stanzaId, TestClient, XMPP_SERVER_KINDS, type XmppSession } from "@parley/testkit";
import { fromMarkdown, ReferenceConnector, type RefMessage, silentLogger } from "../src/index.ts";
import { IqRouter, ReflectionTracker, RelayOccupant, RoomArchiveError } from "../src/internals.ts";
import { apiCall, type Harness, startHarness } from "./engine-harness.ts";

/** Messages per burst, and the pause between two of them. */
const N = 60;
const PACE_MS = 25;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Every message the room archived, oldest first (all pages); undefined when the room refuses (not there yet). */
async function roomArchive(client: XmppSession, room: string): Promise<Message[] | undefined> {
  const out: Message[] = [];
  let after: string | undefined;
  for (let page = 0; page < 100; page++) {
    const queryid = stanzaId("q");
    const answer = await client.iq(
      buildMamQueryIq({ id: stanzaId("mam"), to: room, queryid, rsm: { max: 100, ...(after && { after }) } }),
      10_000,
    );
    if (answer.type !== "result") return undefined;
    // The results precede the answer on the stream, so they are all in the inbox by now.
    for (;;) {
      const r = await client
        .waitFor(
          isMessage((m) => m.mamResult?.queryid === queryid),
          { timeoutMs: 0 },
        )
        .catch(() => undefined);
      if (!r) break;
      const m = r.stanza as Message;
      if (m.mamResult) out.push(m.mamResult.forwarded.message);
    }
    assert.ok(answer.payload, "the archive answered without <fin/>");
    const fin = parseMamFin(answer.payload);
    assert.ok(fin.ok, "the archive's <fin/> is readable");
    if (fin.value.complete || fin.value.rsm?.last === undefined) return out;
    after = fin.value.rsm.last;
  }
  return out;
}

/** Polls the room's archive until `done` holds for it, and returns it. */
async function archiveWhen(
  client: XmppSession,
  room: string,
  done: (archive: Message[]) => boolean,
  timeoutMs = 20_000,
): Promise<Message[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const archive = await roomArchive(client, room);
    if (archive && done(archive)) return archive;
    if (Date.now() > deadline) {
      return assert.fail(`the archive never got there; it ends with ${JSON.stringify(archive?.slice(-5))}`);
    }
    await sleep(200);
  }
}

/** The bodies of a burst, numbered so that they sort. */
function bodies(tag: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `${tag} ${String(from + i).padStart(3, "0")}`);
}

/** The archived messages of one burst, in archive order: their bodies and their stanza ids. */
function ofBurst(archive: Message[], tag: string): { bodies: string[]; ids: string[] } {
  const mine = archive.filter((m) => /^\w+ \d{3}$/.test(m.body ?? "") && m.body?.startsWith(`${tag} `));
  return { bodies: mine.map((m) => m.body ?? ""), ids: mine.map((m) => m.originId ?? m.id ?? "") };
}

function assertUnique(ids: string[]): void {
  assert.equal(new Set(ids).size, ids.length, `a message id appears twice in the room: ${ids.join(" ")}`);
}

/**
 * Posts messages `from`..`to`-1 of a burst in the linked channel, by its
 * authors in turn, one every `paceMs`, into `posted`; `at[i]` runs (not
 * awaited) just before message i; stops early once `stop()` holds.
 */
async function burst(
  h: Harness,
  tag: string,
  o: {
    from?: number;
    to: number;
    posted?: RefMessage[];
    at?: Record<number, () => unknown>;
    stop?: () => boolean;
    paceMs?: number;
    /** Who posts, in turn (default Anna and Bob). */
    authors?: readonly string[];
  },
): Promise<RefMessage[]> {
  const posted = o.posted ?? [];
  const from = o.from ?? 0;
  const texts = bodies(tag, from, o.to);
  for (let i = from; i < o.to && !o.stop?.(); i++) {
    o.at?.[i]?.();
    const authors = o.authors ?? ["u1", "u2"];
    posted.push(h.net.post(authors[i % authors.length] ?? "u1", "general", texts[i - from] ?? ""));
    await sleep(o.paceMs ?? PACE_MS);
  }
  return posted;
}

/**
 * How many of `posted`, from the first, the room had reflected to the relay
 * (the message map holds the stanza-id the room gave them). Called when the
 * link goes down, after which no reflection can arrive.
 */
async function confirmedPrefix(h: Harness, posted: readonly RefMessage[]): Promise<number> {
  let n = 0;
  for (const m of posted) {
    const [r] = await h.store.byRemoteId("reference", m.id);
    if (r?.stanzaId === undefined) break;
    n++;
  }
  return n;
}

// --- The parts alone -----------------------------------------------------------------------

/** Anna says a warm-up line (joining the room, if she is not in it yet); resolves with her nick there. */
async function annaInTheRoom(h: Harness, tag: string): Promise<string> {
  const seen = h.alice.waitFor(isMessage((m) => m.body === `${tag} warm-up`));
  h.net.post("u1", "general", `${tag} warm-up`);
  await seen;
  const nick = h.bridge.occupancy.nickIn(h.room, "u1");
  assert.ok(nick, "Anna is in the room");
  return nick;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function xml(s: string): Element {
  const r = parseXml(s);
  assert.ok(r.ok, "test XML parses");
  return r.value;
}

describe("reflection tracker", () => {
  const sender = (sent: string[], id: string) => async () => {
    sent.push(id);
  };

  it("tells who waits for a reflection when it comes, and when it does not", async () => {
    const r = new ReflectionTracker({ logger: silentLogger });
    assert.equal(await r.reflected("never-sent", 10_000), false, "nothing to wait for");
    r.track("a", "room@muc", sender([], "a"));
    const first = r.reflected("a", 10_000);
    const second = r.reflected("a", 10_000);
    assert.equal(r.confirm("a"), true);
    assert.deepEqual(await Promise.all([first, second]), [true, true]);
    r.track("b", "room@muc", sender([], "b"));
    assert.equal(await r.reflected("b", 10), false, "no reflection in time");
    assert.equal(r.isPending("b"), true, "still awaited by the tracker itself");
  });

  it("confirms what the room's archive has after a dropped link, and sends the rest again in order", async () => {
    const r = new ReflectionTracker({ logger: silentLogger, now: () => 1000, archiveSlackMs: 100 });
    const sent: string[] = [];
    for (const id of ["a", "b", "c", "d"]) r.track(id, "Room@muc.example", sender(sent, id));
    r.confirm("a");
    const recovery = r.beginRecovery();
    assert.ok(r.isRecovering("room@muc.example"));
    let asked: { since: number; ids: string[] } | undefined;
    const noted: string[] = [];
    const out = await r.recover("room@MUC.example", recovery, {
      archived: async (since, ids) => {
        asked = { since: since.getTime(), ids: [...ids] };
        return new Map([["c", "sid-c"]]);
      },
      onArchived: async (id, stanzaId) => {
        noted.push(`${id}=${stanzaId}`);
      },
    });
    assert.deepEqual(out, { arrived: 1, resent: 2, dropped: 0 });
    assert.deepEqual(sent, ["b", "d"]);
    assert.deepEqual(asked, { since: 900, ids: ["b", "c", "d"] });
    assert.deepEqual(noted, ["c=sid-c"]);
    assert.ok(!r.isRecovering("room@muc.example"));
    assert.ok(r.isPending("b") && r.isPending("d") && !r.isPending("c"), "what went again awaits its reflection");
  });

  it("sends everything again when the archive cannot be read, but not what is too old", async () => {
    let now = 0;
    const r = new ReflectionTracker({ logger: silentLogger, now: () => now, maxAgeMs: 1000 });
    const sent: string[] = [];
    r.track("old", "room@muc.example", sender(sent, "old"));
    now = 5000;
    r.track("new", "room@muc.example", sender(sent, "new"));
    const out = await r.recover("room@muc.example", r.beginRecovery(), {
      archived: async () => {
        throw new RoomArchiveError("room@muc.example", "feature-not-implemented");
      },
    });
    assert.deepEqual(out, { arrived: 0, resent: 1, dropped: 1 });
    assert.deepEqual(sent, ["new"]);
    assert.ok(!r.isPending("old"));
  });

  it("leaves alone what was sent again since the link came back, and a recovery the next drop replaced", async () => {
    const r = new ReflectionTracker({ logger: silentLogger });
    const sent: string[] = [];
    r.track("x", "room@muc.example", sender(sent, "x"));
    r.track("y", "room@muc.example", sender(sent, "y"));
    const first = r.beginRecovery();
    r.track("y", "room@muc.example", sender(sent, "y")); // a retried delivery sent it again meanwhile
    assert.deepEqual(await r.recover("room@muc.example", first), { arrived: 0, resent: 1, dropped: 0 });
    assert.deepEqual(sent, ["x"]);
    const second = r.beginRecovery();
    r.beginRecovery(); // the link dropped again before the second recovery ran
    assert.deepEqual(await r.recover("room@muc.example", second), { arrived: 0, resent: 0, dropped: 0 });
    assert.deepEqual(sent, ["x"]);
  });

  it("acts on the refusals of one sender in order, joining again once for all that came before the join", async () => {
    const r = new ReflectionTracker({ logger: silentLogger });
    const sent: string[] = [];
    for (const id of ["m1", "m2", "m3"]) r.track(id, "room@muc.example", sender(sent, id));
    let rejoins = 0;
    let joined: () => void = () => undefined;
    const rejoin = () => {
      rejoins++;
      return new Promise<void>((resolve) => {
        joined = resolve;
      });
    };
    assert.ok(r.needsRejoin("m1", "anna"));
    const acted = ["m1", "m2", "m3"].map((id) => r.refused(id, "anna", rejoin));
    await tick();
    assert.equal(rejoins, 1);
    assert.ok(!r.needsRejoin("m2", "anna"), "m2 was sent before the join: its refusal needs none");
    assert.deepEqual(sent, []);
    const resending = r.resending("Room@muc.example", "Anna");
    assert.ok(resending, "a new message of Anna's has something to wait for");
    assert.equal(r.resending("room@muc.example", "bob"), undefined, "Bob's messages do not wait for Anna's");
    let waited = false;
    const waiter = resending.then(() => {
      waited = true;
      assert.deepEqual(sent, ["m1", "m2", "m3"], "it settles once every refused message went again");
    });
    joined();
    assert.deepEqual(await Promise.all(acted), [true, true, true]);
    await waiter;
    assert.ok(waited);
    assert.equal(r.resending("room@muc.example", "anna"), undefined, "nothing left to wait for");
    assert.deepEqual(sent, ["m1", "m2", "m3"]);
    assert.equal(rejoins, 1);
    assert.ok(r.needsRejoin("m1", "anna"), "sent again after the join: refused again, it needs another");
  });

  it("ignores a refusal of a send that is no longer the latest, and gives up a message refused again and again", async () => {
    const r = new ReflectionTracker({ logger: silentLogger, maxRefusals: 2 });
    const sent: string[] = [];
    r.track("m", "room@muc.example", sender(sent, "m"));
    const rejoin = async () => undefined;
    // Two refusals of the same send: the second is about a send that the first one replaced.
    assert.deepEqual(await Promise.all([r.refused("m", "anna", rejoin), r.refused("m", "anna", rejoin)]), [
      true,
      false,
    ]);
    assert.equal(await r.refused("m", "anna", rejoin), true);
    assert.equal(await r.refused("m", "anna", rejoin), false);
    assert.deepEqual(sent, ["m", "m"]);
    assert.ok(!r.isPending("m"), "given up after two refusals");
    assert.equal(await r.refused("unknown", "anna", rejoin), false);
  });

  it("leaves refusals to a pending recovery, and gives a message up when its sender cannot join", async () => {
    const r = new ReflectionTracker({ logger: silentLogger });
    const sent: string[] = [];
    r.track("m", "room@muc.example", sender(sent, "m"));
    const recovery = r.beginRecovery();
    assert.equal(await r.refused("m", "anna", async () => undefined), false);
    r.endRecovery(recovery);
    const failed = await r.refused("m", "anna", async () => {
      throw new Error("banned");
    });
    assert.equal(failed, false);
    assert.deepEqual(sent, []);
    assert.ok(!r.isPending("m"));
  });
});

describe("relay occupant", () => {
  const room = "room@muc.example";
  const relayJid = "bridge.example/relay";

  function setting(o: { maxHoldMs?: number } = {}) {
    const sent: Element[] = [];
    const removed: string[] = [];
    const router = new IqRouter({
      send: async (el) => {
        sent.push(el);
      },
    });
    const relay = new RelayOccupant({
      domain: "bridge.example",
      nick: "Bridge",
      send: async (el) => {
        sent.push(el);
      },
      router,
      ...(o.maxHoldMs !== undefined && { maxHoldMs: o.maxHoldMs }),
      onRemoved: (r, kind) => removed.push(`${r} ${kind}`),
    });
    const selfPresence = () =>
      xml(
        `<presence from='${room}/Bridge' to='${relayJid}'><x xmlns='http://jabber.org/protocol/muc#user'>` +
          "<item affiliation='none' role='participant'/><status code='110'/></x></presence>",
      );
    return { sent, removed, router, relay, selfPresence };
  }

  async function joinedRelay(o: { maxHoldMs?: number } = {}) {
    const t = setting(o);
    const joining = t.relay.join(room);
    t.relay.dispatch(t.selfPresence());
    await joining;
    return t;
  }

  function archived(queryid: string, from: string, stanzaId: string, inner: string): Element {
    return xml(
      `<message from='${from}' to='${relayJid}'><result xmlns='urn:xmpp:mam:2' queryid='${queryid}' id='${stanzaId}'>` +
        `<forwarded xmlns='urn:xmpp:forward:0'>${inner}</forwarded></result></message>`,
    );
  }

  it("believes archive results only from the room it asked, and survives broken ones", async () => {
    const t = await joinedRelay();
    const lookup = t.relay.archivedIds(room, new Date(0), new Set(["a", "b"]));
    await tick();
    const iq = t.sent.at(-1);
    assert.ok(iq?.name === "iq");
    const queryid = iq.getChild("query", "urn:xmpp:mam:2")?.attrs.queryid ?? "";
    const ours = (id: string) =>
      `<message xmlns='jabber:client' from='${room}/Anna' type='groupchat' id='${id}'><body>hi</body></message>`;
    assert.ok(t.relay.dispatch(archived(queryid, "mallory@evil.example", "s-a", ours("a"))), "taken, not believed");
    assert.ok(t.relay.dispatch(archived(queryid, room, "s-x", "<presence/>")), "a broken result is taken, not fatal");
    assert.ok(t.relay.dispatch(archived(queryid, room, "s-b", ours("b"))));
    assert.ok(!t.relay.dispatch(archived("not-ours", room, "s-c", ours("c"))), "another query's result is not ours");
    t.router.dispatch(
      xml(
        `<iq type='result' id='${iq.attrs.id}' from='${room}' to='${relayJid}'>${buildMamFin({ complete: true, stable: true })}</iq>`,
      ),
    );
    assert.deepEqual([...(await lookup)], [["b", "s-b"]]);
  });

  it("says with a typed error that a room's archive cannot be read", async () => {
    const t = await joinedRelay();
    const lookup = t.relay.archivedIds(room, new Date(0));
    await tick();
    const iq = t.sent.at(-1);
    assert.ok(iq);
    t.router.dispatch(
      xml(
        `<iq type='error' id='${iq.attrs.id}' from='${room}' to='${relayJid}'><error type='cancel'>` +
          "<feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
      ),
    );
    await assert.rejects(lookup, RoomArchiveError);
  });

  it("makes the engine's joins wait while a repair holds the room, and not for ever", async () => {
    const t = await joinedRelay({ maxHoldMs: 50 });
    let repaired: () => void = () => undefined;
    const repair = t.relay.holdWhile(room, () => new Promise<void>((resolve) => (repaired = resolve)));
    let through = false;
    const waiting = t.relay.join(room).then(() => {
      through = true;
    });
    await tick();
    assert.ok(!through, "a sender waits for the repair");
    await t.relay.enter(room); // the repair itself does not
    repaired();
    await repair;
    await waiting;
    assert.ok(through);
    // A repair that never ends holds the room only up to maxHoldMs.
    void t.relay.holdWhile(room, () => new Promise<void>(() => undefined));
    await t.relay.join(room);
  });

  it("joins at once when the puppet reading the room leaves or is kicked, and counts only the relay's removals", async () => {
    const t = setting();
    const inRoom = new Set<string>();
    const relay = new RelayOccupant({
      domain: "bridge.example",
      nick: "Bridge",
      send: async (el) => {
        t.sent.push(el);
      },
      router: t.router,
      onRemoved: (r, kind) => t.removed.push(`${r} ${kind}`),
      puppetsIn: () => [...inRoom],
      puppetJid: (local) => `${local}@bridge.example/bridge`,
    });
    const joins = () => t.sent.filter((el) => el.name === "presence" && el.attrs.type === undefined).length;
    const puppetPresence = (type: "available" | "unavailable", status: string) =>
      xml(
        `<presence${type === "unavailable" ? " type='unavailable'" : ""} from='${room}/Anna' to='anna@bridge.example/bridge'>` +
          `<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='none' role='${type === "available" ? "participant" : "none"}'/>` +
          `${status}<status code='110'/></x></presence>`,
      );
    const readByAnna = async () => {
      const joining = relay.join(room);
      relay.dispatch(t.selfPresence());
      await joining;
      inRoom.add("anna");
      relay.dispatch(puppetPresence("available", ""));
      assert.equal(relay.readerOf(room), "anna");
      relay.dispatch(
        xml(
          `<presence type='unavailable' from='${room}/Bridge' to='${relayJid}'><x xmlns='http://jabber.org/protocol/muc#user'>` +
            "<item affiliation='none' role='none'/><status code='110'/></x></presence>",
        ),
      );
      assert.ok(!relay.isRelayIn(room), "the relay made way for the reader");
    };
    await readByAnna();
    // Anna leaves of her own accord: the relay's join goes before her leave.
    let before = joins();
    inRoom.delete("anna");
    relay.puppetLeaving(room, "anna");
    assert.equal(joins(), before + 1, "the relay joins again before the reader's leave is said");
    relay.dispatch(t.selfPresence());
    await tick();
    assert.ok(relay.isRelayIn(room));
    assert.equal(relay.readerOf(room), undefined, "the relay reads the room again");
    relay.dispatch(puppetPresence("unavailable", ""));
    // Anna comes back, reads, and is kicked: the room dropped her, not the relay, which joins at once.
    await readByAnna();
    before = joins();
    inRoom.delete("anna");
    relay.dispatch(puppetPresence("unavailable", "<status code='307'/>"));
    assert.equal(joins(), before + 1, "the relay joins at once");
    relay.dispatch(t.selfPresence());
    await tick();
    assert.ok(relay.isRelayIn(room));
    assert.deepEqual(t.removed, [], "the relay itself was never removed");
  });

  it("counts a destroyed room as a removal even without the self status", async () => {
    const t = await joinedRelay();
    t.relay.dispatch(
      xml(
        `<presence type='unavailable' from='${room}/Bridge' to='${relayJid}'><x xmlns='http://jabber.org/protocol/muc#user'>` +
          "<item affiliation='none' role='none'/><destroy><reason>gone</reason></destroy></x></presence>",
      ),
    );
    assert.deepEqual(t.removed, [`${room} room-destroyed`]);
    assert.ok(!t.relay.isJoined(room));
  });

  it("says a join in flight again when the link comes back, and the answer ends it", async () => {
    const t = setting();
    const joining = t.relay.join(room);
    const joins = () => t.sent.filter((el) => el.name === "presence").length;
    assert.equal(joins(), 1);
    t.relay.markAllLeft(); // the first presence may have died with the old link
    assert.equal(joins(), 2);
    t.relay.dispatch(t.selfPresence());
    await joining;
    assert.ok(t.relay.isJoined(room));
  });
});

for (const kind of XMPP_SERVER_KINDS) {
  describe(`engine resilience on ${kind}`, () => {
    let h: Harness;
    let bob: TestClient;

    before(async () => {
      h = await startHarness(kind);
      const b = h.server.accounts[1];
      assert.ok(b);
      bob = await TestClient.connect(h.server, b);
    });
    after(async () => {
      await bob?.stop();
      await h?.close();
    });

    it("loses nothing and duplicates nothing when the component link drops mid-burst", async () => {
      const tag = "drop";
      // What a dying link does, made certain: the reflections of messages 15 to 17 never come back (they reached
      // the room), message 18 and everything written after it into the old socket never reach the server, and
      // the link drops after message 20, while the messages after it queue up. A TCP link loses a suffix of
      // what was written, never a middle part: until the drop is noticed (a moment after message 20, in which
      // the engine may write more), whatever goes into the old socket is lost too.
      const session = h.bridge.session;
      const send = session.send.bind(session);
      const emit = session.emit.bind(session);
      const unreflected = new Set(bodies(tag, 15, 18));
      let dying = false;
      let dropped = false;
      session.send = (el) => {
        if (dropped) return send(el); // the old socket is gone: this waits for the new link
        const body = el.name === "message" ? el.getChildText("body") : null;
        if (body === `${tag} 018`) dying = true;
        if (!dying) return send(el);
        if (body === `${tag} 020`) {
          setImmediate(() => {
            dropped = true;
            session.dropConnection();
          });
        }
        return Promise.resolve(); // written into the dying socket, as far as the engine can tell
      };
      session.emit = ((event: "stanza", el: Element) => {
        // The copy the engine reads: the relay's, or the reader puppet's where a puppet reads the room.
        const toRelay =
          event === "stanza" && el.name === "message" && el.attrs.to === h.bridge.relay.readingJid(h.room);
        if (toRelay && !dropped && unreflected.has(el.getChildText("body") ?? "")) return true;
        return emit(event, el);
      }) as typeof session.emit;
      try {
        await burst(h, tag, { to: N, paceMs: 2 });
        const expected = bodies(tag, 0, N);
        const archive = await archiveWhen(bob, h.room, (a) => ofBurst(a, tag).bodies.includes(expected[N - 1] ?? ""));
        const got = ofBurst(archive, tag);
        assert.deepEqual(got.bodies, expected);
        assertUnique(got.ids);
        assert.ok(dropped && session.connections > 1, "the link was dropped and came back");
      } finally {
        session.send = send;
        session.emit = emit;
      }
    });

    it("loses nothing and duplicates nothing when the bridge restarts mid-burst and the network replays", async () => {
      const tag = "restart";
      const posted = await burst(h, tag, { to: N / 3 });
      // The second third is posted while the bridge stops and starts again: what it misses, a connector catches up on.
      let restarted = false;
      const restarting = h.restartBridge().then(() => {
        restarted = true;
      });
      await burst(h, tag, { from: N / 3, to: (2 * N) / 3, posted, stop: () => restarted });
      await restarting;
      // A connector catching up from an older cursor than it needed: everything so far, in order, again.
      for (const m of posted) {
        await h.bridge.connectorHost.message({
          channel: m.channel,
          id: m.id,
          author: { id: m.authorId ?? "", displayName: m.authorId === "u1" ? "Anna" : "Bob" },
          text: fromMarkdown(m.text),
          timestamp: m.createdAt,
        });
      }
      await burst(h, tag, { from: posted.length, to: N });
      const expected = bodies(tag, 0, N);
      const archive = await archiveWhen(bob, h.room, (a) => ofBurst(a, tag).bodies.includes(expected[N - 1] ?? ""));
      const got = ofBurst(archive, tag);
      assert.deepEqual(got.bodies, expected);
      assertUnique(got.ids);
    });

    it("on restart: the puppets leave with the old bridge, and what the room says while the connector starts is held", async () => {
      // Anna's puppet is in the room before the restart.
      const annaSpoke = h.alice.waitFor(
        isMessage((m) => m.from === `${h.room}/Anna` && m.body === "before the restart"),
      );
      h.net.post("u1", "general", "before the restart");
      await annaSpoke;
      const annaLeft = h.alice.waitFor(
        isPresence(
          (p) => p.from === `${h.room}/Anna` && p.type === "unavailable" && p.status === "Reference bridge stopped",
        ),
      );
      const callsBefore = h.net.calls.length;
      let release = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let starting = () => {};
      // The engine joins the linked rooms first and then starts the connector: once `start` is called, the relay is in.
      const startCalled = new Promise<void>((r) => {
        starting = r;
      });
      let started = false;
      const tooEarly: string[] = [];
      const connector = new ReferenceConnector(h.net);
      const start = connector.start.bind(connector);
      connector.start = async (host) => {
        starting();
        await gate;
        await start(host);
        started = true;
      };
      const send = connector.send.bind(connector);
      connector.send = (m) => {
        if (!started) tooEarly.push("send");
        return send(m);
      };
      const occupant = connector.occupant.bind(connector);
      connector.occupant = (o) => {
        if (!started) tooEarly.push(`occupant ${o.kind}`);
        return occupant(o);
      };
      const restarting = h.restartBridge(connector);
      await annaLeft;
      await startCalled;
      const text = "said while the connector starts";
      const reflected = h.alice.waitFor(isMessage((m) => m.body === text && m.from === `${h.room}/alice`));
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("early"), body: text }));
      await reflected;
      await new Promise((r) => setTimeout(r, 200)); // the relay's copy is in the bridge by now
      release();
      await restarting;
      const call = await apiCall(h, (c) => c.method === "post" && c.args.text === text);
      assert.equal(call.args.senderName, "alice");
      assert.deepEqual(tooEarly, [], "nothing reached the connector before its start resolved");
      const puppetsAsOccupants = h.net.calls
        .slice(callsBefore)
        .filter((c) => c.method === "occupant" && (c.args.name === "Anna" || c.args.name === "Bob"));
      assert.deepEqual(puppetsAsOccupants, [], "no puppet of the old bridge is taken for an XMPP occupant");
    });

    it("joins again and relays on after a moderator kicks the relay", async () => {
      // Where a puppet sits in the room the relay is out and that puppet reads the room in its place: the puppets
      // leave the channel first, so that the relay is back in the room and can be kicked.
      for (const local of h.bridge.occupancy.localsIn(h.room)) h.net.leave(local, "general");
      const relayNick = h.bridge.relay.nickIn(h.room);
      assert.ok(relayNick);
      const relayJid = `${h.room}/${relayNick}`;
      for (let i = 0; i < 200 && !h.bridge.relay.isRelayIn(h.room); i++) await sleep(25);
      assert.ok(h.bridge.relay.isRelayIn(h.room), "the relay is back once no puppet is in the room");
      h.alice.inbox.clear(); // presences from earlier tests must not stand in for these
      const gone = h.alice.waitFor(isPresence((p) => p.from === relayJid && p.type === "unavailable"));
      const answer = await h.alice.iq(buildMucKick({ room: h.room, id: stanzaId("kick"), nick: relayNick }));
      assert.equal(answer.type, "result", `the kick was refused: ${answer.error?.condition}`);
      await gone;
      await h.alice.waitFor(
        isPresence((p) => p.from === relayJid && p.type === "available"),
        { timeoutMs: 10_000 },
      );
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("k"), body: "after the kick" }));
      await apiCall(h, (c) => c.method === "post" && c.args.text === "after the kick");
      const seen = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/Anna` && m.body === "kicked, still here"));
      h.net.post("u1", "general", "kicked, still here");
      await seen;
    });

    it("joins a puppet again and sends again what a room refused after forgetting the puppet", async () => {
      const tag = "refused";
      const session = h.bridge.session;
      const emit = session.emit.bind(session);
      const anna = `u1@${h.domain}/bridge`;
      const nick = await annaInTheRoom(h, tag);
      // The room drops Anna and the bridge does not hear of it, as with a room that restarted unannounced.
      let swallowed: () => void = () => undefined;
      const unheard = new Promise<void>((resolve) => {
        swallowed = resolve;
      });
      session.emit = ((event: "stanza", el: Element) => {
        // Anna's own removal only: the room also tells her of others leaving (the relay making way for her).
        const removal = event === "stanza" && el.name === "presence" && el.attrs.to === anna;
        if (
          !removal ||
          el.attrs.type !== "unavailable" ||
          el.attrs.from?.toLowerCase() !== `${h.room}/${nick}`.toLowerCase()
        )
          return emit(event, el);
        swallowed();
        return true;
      }) as typeof session.emit;
      try {
        const answer = await h.alice.iq(buildMucKick({ room: h.room, id: stanzaId("kick"), nick }));
        assert.equal(answer.type, "result", `the kick was refused: ${answer.error?.condition}`);
        await unheard;
        assert.equal(h.bridge.occupancy.nickIn(h.room, "u1"), nick, "the bridge still believes Anna is in the room");
      } finally {
        session.emit = emit;
      }
      // One author, so that the room's order is the bridge's alone to keep.
      await burst(h, tag, { to: 10, paceMs: 2, authors: ["u1"] });
      const expected = bodies(tag, 0, 10);
      const archive = await archiveWhen(bob, h.room, (a) => ofBurst(a, tag).bodies.includes(expected.at(-1) ?? ""));
      const got = ofBurst(archive, tag);
      assert.deepEqual(got.bodies, expected);
      assertUnique(got.ids);
    });

    it("sends what a room refused before its sender's next message when the bridge hears of the kick first", async () => {
      const tag = "kicked";
      const session = h.bridge.session;
      const emit = session.emit.bind(session);
      const send = session.send.bind(session);
      const anna = `u1@${h.domain}/bridge`;
      const nick = await annaInTheRoom(h, tag);
      // What the room says to Anna is held back: the notice of her kick, then the refusal of her next message.
      const notices: Element[] = [];
      let refusal: Element | undefined;
      session.emit = ((event: "stanza", el: Element) => {
        if (event !== "stanza" || el.attrs.to !== anna) return emit(event, el);
        if (
          el.name === "presence" &&
          el.attrs.type === "unavailable" &&
          el.attrs.from?.toLowerCase() === `${h.room}/${nick}`.toLowerCase()
        ) {
          notices.push(el);
        } else if (el.name === "message" && el.attrs.type === "error") refusal ??= el;
        else return emit(event, el);
        return true;
      }) as typeof session.emit;
      try {
        const answer = await h.alice.iq(buildMucKick({ room: h.room, id: stanzaId("kick"), nick }));
        assert.equal(answer.type, "result", `the kick was refused: ${answer.error?.condition}`);
        for (let i = 0; i < 200 && notices.length === 0; i++) await sleep(10);
        assert.ok(notices.length > 0, "the room told Anna she was kicked");
        h.net.post("u1", "general", `${tag} 000`); // the bridge still believes Anna is in: the room refuses it
        for (let i = 0; i < 200 && refusal === undefined; i++) await sleep(10);
        const refused = refusal;
        assert.ok(refused, "the room refused the message of a puppet it had kicked");
        // Now the bridge hears of the kick, and Anna's next message has her join again; the refusal of the first
        // arrives only as that join goes out, so the bridge learns of it while her next message waits to be sent.
        session.emit = emit;
        session.send = ((el: Element) => {
          const joining =
            el.name === "presence" &&
            el.attrs.type === undefined &&
            el.attrs.to?.toLowerCase() === `${h.room}/${nick}`.toLowerCase();
          if (!joining) return send(el);
          session.send = send;
          const out = send(el);
          emit("stanza", refused);
          return out;
        }) as typeof session.send;
        for (const notice of notices) emit("stanza", notice);
        assert.equal(h.bridge.occupancy.nickIn(h.room, "u1"), undefined, "the bridge knows Anna left");
        h.net.post("u1", "general", `${tag} 001`);
        const archive = await archiveWhen(bob, h.room, (a) => ofBurst(a, tag).bodies.length >= 2);
        const got = ofBurst(archive, tag);
        assert.deepEqual(got.bodies, bodies(tag, 0, 2), "what the room refused went first");
        assertUnique(got.ids);
      } finally {
        session.emit = emit;
        session.send = send;
      }
    });

    it("joins again and relays on after the room is destroyed and created again", async () => {
      const relayJid = `${h.room}/${h.bridge.relay.nickIn(h.room)}`;
      const destroyed = h.alice.waitFor(
        isPresence((p) => p.type === "unavailable" && p.mucUser?.destroy !== undefined && p.to === h.alice.jid),
      );
      const answer = await h.alice.iq(buildMucDestroy({ room: h.room, id: stanzaId("destroy"), reason: "test" }));
      assert.equal(answer.type, "result", `the room was not destroyed: ${answer.error?.condition}`);
      await destroyed;
      h.alice.inbox.clear();
      // Whoever comes first creates the room again; a room the relay has just created is locked until it configures it.
      let joined: Awaited<ReturnType<TestClient["joinRoom"]>> | undefined;
      for (let i = 0; i < 50 && !joined; i++) {
        joined = await h.alice.joinRoom(h.room, "alice").catch(() => undefined);
        if (!joined) await sleep(100);
      }
      assert.ok(joined, "alice could join the room again");
      if (!joined.occupants.some((p) => p.from === relayJid && p.type !== "unavailable")) {
        await h.alice.waitFor(
          isPresence((p) => p.from === relayJid && p.type === "available"),
          { timeoutMs: 10_000 },
        );
      }
      const seen = h.alice.waitFor(
        isMessage((m) => m.from === `${h.room}/Bob` && m.body === "a new room"),
        {
          timeoutMs: 10_000,
        },
      );
      h.net.post("u2", "general", "a new room");
      await seen;
      await h.alice.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("d"), body: "in the new room" }));
      await apiCall(h, (c) => c.method === "post" && c.args.text === "in the new room");
    });

    it("holds, once and in order, all the bridge had not seen confirmed after a server restart mid-burst", async () => {
      const tag = "server";
      const posted: RefMessage[] = [];
      // What the room had reflected when the link went down: the bridge is done with those.
      let confirmed: Promise<number> | undefined;
      h.bridge.session.once("offline", () => {
        confirmed = confirmedPrefix(h, [...posted]);
      });
      await burst(h, tag, { to: N / 3, posted });
      const restarting = h.server.restart();
      // A server takes a while to go down (ejabberd finishes its work first): the burst goes on until it has,
      // then a third more while it is down, then a third after it is back.
      for (let i = N / 3; confirmed === undefined && i < 20 * N; i += N / 3) {
        await burst(h, tag, { from: i, to: i + N / 3, posted, stop: () => confirmed !== undefined });
      }
      await burst(h, tag, { from: posted.length, to: posted.length + N / 3, posted });
      await restarting;
      await burst(h, tag, { from: posted.length, to: posted.length + N / 3, posted });
      const c = await confirmed;
      assert.ok(c !== undefined && c < posted.length - N / 3, `the link went down after ${c} messages were confirmed`);
      const b = h.server.accounts[1];
      assert.ok(b);
      const carol = await TestClient.connect(h.server, b, "fresh");
      try {
        const expected = bodies(tag, 0, posted.length);
        const archive = await archiveWhen(carol, h.room, (a) => ofBurst(a, tag).bodies.includes(expected.at(-1) ?? ""));
        const got = ofBurst(archive, tag);
        // What the test may ask of the room. Prosody keeps room archives in memory (testkit configuration): what it
        // had archived went with the restart, the bridge was done with it, and the room starts again exactly at the
        // first message the bridge had not seen confirmed. ejabberd keeps its archive (Mnesia) across the restart:
        // there the whole burst is present. Either way nothing after that point is missing, nothing is there twice,
        // and the order is the order of posting.
        const survived = got.bodies.includes(expected[0] ?? "");
        assert.deepEqual(got.bodies, expected.slice(survived ? 0 : c));
        assertUnique(got.ids);
        // The relay is back: what an XMPP user says reaches the network.
        await carol.joinRoom(h.room, "carol");
        await carol.send(buildMessage({ type: "groupchat", to: h.room, id: stanzaId("s"), body: "after the restart" }));
        await apiCall(h, (x) => x.method === "post" && x.args.text === "after the restart");
      } finally {
        await carol.stop();
      }
    });
  });
}

describe("stopping with the XMPP server gone", () => {
  it("stops without waiting for the server to come back, the puppets' leave presences dropped", async () => {
    const h = await startHarness("prosody");
    try {
      // A puppet in the room, so that stopping has presences to send.
      const seen = h.alice.waitFor(isMessage((m) => m.from === `${h.room}/Anna` && m.body === "still here"));
      h.net.post("u1", "general", "still here");
      await seen;
      await h.server.stop();
      const deadline = Date.now() + 30_000;
      while (h.bridge.session.state === "online" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.notEqual(h.bridge.session.state, "online", "the bridge saw the server go");
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        h.bridge.stop().then(() => "stopped"),
        new Promise((r) => {
          timer = setTimeout(r, 30_000, "still stopping after 30 s");
        }),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, "stopped");
    } finally {
      await h.close();
    }
  });
});
