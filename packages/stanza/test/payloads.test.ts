/** Field-by-field golden tests on XEP examples (test/protocol-cases), builder round-trips, and refusals. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  buildLegacyModerationIq,
  buildMessage,
  buildMucKick,
  buildReplyBody,
  buildRetraction,
  capsVerification,
  type DiscoInfo,
  formatDateTime,
  moderationOf,
  mucPresenceKind,
  NS,
  parseDateTime,
  parseDiscoInfo,
  parseIq,
  parseLegacyModerationRequest,
  parseMessage,
  parsePresence,
  parseStanzaXml,
  parseStyling,
  parseUploadSlot,
  parseXml,
  serializeStyling,
  stripFallback,
  toPlainText,
  unwrap,
  verifyCaps,
} from "../src/index.ts";
import { xepExample } from "./protocol-cases.ts";

const el = (s: string) => unwrap(parseXml(s));
const msg = (s: string) => unwrap(parseMessage(el(s)));
const pres = (s: string) => unwrap(parsePresence(el(s)));

describe("XEP-0045 MUC presence meanings", () => {
  it("reads the self-presence of a join with status 110", () => {
    const p = pres(xepExample("0045", "Service Sends New Occupant's Presence to New Occupant"));
    assert.deepEqual(p.mucUser?.statusCodes.includes(110), true);
    assert.equal(p.mucUser?.items[0]?.role, "participant");
    assert.equal(mucPresenceKind(p).kind, "join");
  });
  it("tells a nick change (303) with the new nick", () => {
    const p = pres(`<presence from='coven@chat.shakespeare.lit/thirdwitch' type='unavailable'>
      <x xmlns='${NS.mucUser}'><item affiliation='member' nick='oldhag' role='participant'/><status code='303'/></x></presence>`);
    assert.deepEqual(mucPresenceKind(p), { kind: "nick-change", newNick: "oldhag" });
  });
  it("tells a kick (307) and a ban (301) with actor and reason", () => {
    const kicked = mucPresenceKind(pres(xepExample("0045", "Service Removes Kicked Occupant")));
    assert.equal(kicked.kind, "kicked");
    const banned = mucPresenceKind(pres(xepExample("0045", "Service Removes Banned User")));
    assert.equal(banned.kind, "banned");
    assert.ok("reason" in banned && banned.reason?.includes("Treason"));
  });
  it("tells a destroyed room", () => {
    const k = mucPresenceKind(
      pres(`<presence type='unavailable'><x xmlns='${NS.mucUser}'><item affiliation='none' role='none'/>
        <destroy jid='coven@chat.shakespeare.lit'><reason>Macbeth doth come.</reason></destroy></x></presence>`),
    );
    assert.deepEqual(k, {
      kind: "room-destroyed",
      destroy: { jid: "coven@chat.shakespeare.lit", reason: "Macbeth doth come." },
    });
  });
  it("builds the kick request of §8.2", () => {
    const iq = unwrap(parseIq(buildMucKick({ room: "r@muc.x", id: "k1", nick: "pistol", reason: "Avaunt" })));
    assert.equal(iq.payload?.attrs.xmlns, NS.mucAdmin);
    assert.equal(
      iq.payload?.toString(),
      `<query xmlns="${NS.mucAdmin}"><item role="none" nick="pistol"><reason>Avaunt</reason></item></query>`,
    );
  });
  it("refuses an unknown affiliation and a malformed status code", () => {
    const p = pres(`<presence><x xmlns="${NS.mucUser}"><item affiliation="king"/></x></presence>`);
    assert.equal(p.mucUser, undefined);
    assert.equal(p.invalid[0]?.code, "invalid-attribute");
    const q = pres(`<presence><x xmlns="${NS.mucUser}"><status code="1100"/></x></presence>`);
    assert.equal(q.invalid.length, 1);
  });
});

describe("XEP-0444 reactions, XEP-0461 replies, XEP-0428 fallback", () => {
  it("reads reactions from the spec", () => {
    const m = msg(xepExample("0444", "Juliet adds a 🐢 reaction"));
    assert.equal(m.reactions?.id, "744f6e18-a57a-11e9-a656-4889e7820c76");
    assert.deepEqual(m.reactions?.emojis, ["👋", "🐢"]);
    assert.deepEqual(msg(xepExample("0444", "Juliet removes all reactions")).reactions?.emojis, []);
  });
  it("dedupes reactions, keeps order, refuses a missing id", () => {
    const m = msg(
      `<message><reactions xmlns="${NS.reactions}" id="x"><reaction>👍</reaction><reaction>🐢</reaction><reaction>👍</reaction></reactions></message>`,
    );
    assert.deepEqual(m.reactions?.emojis, ["👍", "🐢"]);
    const bad = msg(`<message><reactions xmlns="${NS.reactions}"><reaction>👍</reaction></reactions></message>`);
    assert.equal(bad.reactions, undefined);
    assert.equal(bad.invalid[0]?.code, "missing-attribute");
  });
  it("strips a reply fallback counted in code points", () => {
    const { body, fallback } = buildReplyBody({
      quotedNick: "Anna 🎂",
      quotedText: "We should bake a 🎂\nnow",
      text: "Great idea!",
    });
    assert.equal(body, "> Anna 🎂 wrote:\n> We should bake a 🎂\n> now\nGreat idea!");
    assert.equal(stripFallback(body, [fallback], NS.reply), "Great idea!");
    const m = unwrap(parseStanzaXml(buildMessage({ body, reply: { id: "m1" }, fallbacks: [fallback] }).toString()));
    assert.ok(m.kind === "message");
    assert.equal(stripFallback(m.body ?? "", m.fallbacks, NS.reply), "Great idea!");
  });
  it("leaves a body alone when the fallback is for another feature, and clips ranges past the end", () => {
    const f = [{ for: NS.reply, body: [{ start: 2, end: 99 }], subject: [] }];
    assert.equal(stripFallback("abc", f, NS.retract), "abc");
    assert.equal(stripFallback("ab🎂cd", f, NS.reply), "ab");
  });
  it("stripping any fallback range never throws and never grows the body", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.nat(50), fc.nat(50), (body, a, b) => {
        const out = stripFallback(
          body,
          [{ for: NS.reply, body: [{ start: Math.min(a, b), end: Math.max(a, b) }], subject: [] }],
          NS.reply,
        );
        return Array.from(out).length <= Array.from(body).length;
      }),
      { numRuns: 500 },
    );
  });
});

describe("XEP-0424 retraction and XEP-0425 moderation", () => {
  it("reads a retraction and its tombstone from the spec", () => {
    assert.deepEqual(msg(xepExample("0424", "The client sends out a retraction")).retract, { id: "wrong-recipient-1" });
  });
  it("reads the room's moderation message with moderator occupant id and reason", () => {
    const m = msg(xepExample("0425", "The MUC sends a moderation message"));
    assert.equal(m.retract?.id, "stanza-id-1");
    assert.equal(m.retract?.moderated?.by, "room@muc.example.com/macbeth");
    assert.equal(m.retract?.moderated?.occupantId, "dd72603deec90a38ba552f7c68cbcc61bca202cd");
    assert.equal(m.retract?.reason, "This message contains inappropriate content for this forum");
  });
  it("builds the retraction XEP-0424 recommends", () => {
    const m = unwrap(
      parseMessage(buildRetraction({ to: "lord@capulet.example", id: "r1", type: "chat", retractId: "m1" })),
    );
    assert.deepEqual(m.retract, { id: "m1" });
    assert.deepEqual(m.fallbacks, [{ for: NS.retract, body: [], subject: [] }]);
    assert.deepEqual(m.hints, ["store"]);
    assert.ok(m.body);
  });
});

describe("XEP-0425 v0.2 (fastened) moderation, as Prosody's mod_muc_moderation speaks it", () => {
  // The broadcast exactly as mod_muc_moderation builds it (util.stanza, reason inherits the moderate:0 namespace).
  const broadcast = `<message from='room@muc.example.com' type='groupchat' id='Ab3'>
    <apply-to xmlns='urn:xmpp:fasten:0' id='stanza-id-1'>
      <moderated xmlns='urn:xmpp:message-moderate:0' by='room@muc.example.com/macbeth'>
        <retract xmlns='urn:xmpp:message-retract:0'/><reason>Off topic</reason>
      </moderated>
    </apply-to>
    <stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.example.com' id='s2'/></message>`;
  it("reads the room's broadcast into the same moderated retraction as the current form", () => {
    const m = msg(broadcast);
    assert.equal(m.retract, undefined);
    assert.deepEqual(m.legacyModeration, {
      id: "stanza-id-1",
      moderated: { by: "room@muc.example.com/macbeth" },
      reason: "Off topic",
    });
    assert.deepEqual(moderationOf(m), m.legacyModeration);
    assert.deepEqual(m.invalid, []);
  });
  it("prefers the current form and says undefined for a plain message", () => {
    const current = msg(xepExample("0425", "The MUC sends a moderation message"));
    assert.equal(moderationOf(current)?.id, "stanza-id-1");
    assert.equal(moderationOf(current)?.moderated?.occupantId, "dd72603deec90a38ba552f7c68cbcc61bca202cd");
    assert.equal(moderationOf(msg("<message type='groupchat'><body>hi</body></message>")), undefined);
    assert.equal(
      moderationOf(msg(`<message type='groupchat'><retract xmlns='${NS.retract}' id='x'/></message>`)),
      undefined,
    );
  });
  it("round-trips the broadcast through buildMessage", () => {
    const value = { id: "sid-9", moderated: { by: "r@m/mod" }, reason: "spam" };
    const back = msg(buildMessage({ type: "groupchat", legacyModeration: value }).toString());
    assert.deepEqual(back.legacyModeration, value);
  });
  it("keeps other fastenings and malformed ones out, without failing the message", () => {
    for (const inner of [
      "<apply-to xmlns='urn:xmpp:fasten:0' id='x'><external name='body'/></apply-to>",
      "<apply-to xmlns='urn:xmpp:fasten:0'><moderated xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/></moderated></apply-to>",
      "<apply-to xmlns='urn:xmpp:fasten:0' id='x'><moderated xmlns='urn:xmpp:message-moderate:0'/></apply-to>",
    ]) {
      const r = parseMessage(el(`<message type='groupchat'>${inner}</message>`));
      assert.ok(r.ok);
      assert.equal(r.value.legacyModeration, undefined);
      assert.equal(moderationOf(r.value), undefined);
      assert.equal(r.value.invalid.length, 1);
    }
  });
  it("builds the legacy request iq mod_muc_moderation expects, and reads it back", () => {
    const iq = buildLegacyModerationIq({
      room: "room@muc.example.com",
      iqId: "m1",
      from: "bridge.example.com",
      request: { id: "sid-1", reason: "deleted on slack" },
    });
    assert.equal(
      iq.toString(),
      `<iq type="set" id="m1" from="bridge.example.com" to="room@muc.example.com"><apply-to xmlns="urn:xmpp:fasten:0" id="sid-1"><moderate xmlns="urn:xmpp:message-moderate:0"><retract xmlns="urn:xmpp:message-retract:0"/><reason>deleted on slack</reason></moderate></apply-to></iq>`,
    );
    const payload = iq.getChild("apply-to", NS.fasten);
    assert.ok(payload);
    assert.deepEqual(unwrap(parseLegacyModerationRequest(payload)), { id: "sid-1", reason: "deleted on slack" });
    assert.equal(parseLegacyModerationRequest(el(`<moderate xmlns='${NS.moderation}' id='x'/>`)).ok, false);
    assert.equal(
      parseLegacyModerationRequest(
        el("<apply-to xmlns='urn:xmpp:fasten:0' id='x'><moderate xmlns='urn:xmpp:message-moderate:0'/></apply-to>"),
      ).ok,
      false,
    );
  });
});

describe("XEP-0115 verification string", () => {
  const simple: DiscoInfo = {
    identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
    features: [
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/disco#items",
      "http://jabber.org/protocol/muc",
      "http://jabber.org/protocol/caps",
    ],
    forms: [],
  };
  it("computes the simple example's ver", () => {
    assert.deepEqual(capsVerification(simple), { ok: true, value: "QgayPKawpkPSDYmwT/WM94uAlu0=" });
  });
  it("computes the complex example's ver, with extended forms and languages", () => {
    const info = unwrap(
      parseDiscoInfo(
        el(`<query xmlns='http://jabber.org/protocol/disco#info'>
    <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
    <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
    <feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>
    <feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/>
    <x xmlns='jabber:x:data' type='result'>
      <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
      <field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>
      <field var='os'><value>Mac</value></field><field var='os_version'><value>10.5.1</value></field>
      <field var='software'><value>Psi</value></field><field var='software_version'><value>0.11</value></field>
    </x></query>`),
      ),
    );
    assert.deepEqual(capsVerification(info), { ok: true, value: "q07IKJEyjvHSyhy//CH0CxmKi8w=" });
    assert.ok(verifyCaps({ hash: "sha-1", node: "http://psi-im.org", ver: "q07IKJEyjvHSyhy//CH0CxmKi8w=" }, info));
    assert.ok(!verifyCaps({ hash: "sha-1", node: "http://psi-im.org", ver: "QgayPKawpkPSDYmwT/WM94uAlu0=" }, info));
  });
  it("refuses duplicate features (§5.4) and is invariant under reordering", () => {
    assert.equal(capsVerification({ ...simple, features: ["a", "a"] }).ok, false);
    fc.assert(
      fc.property(fc.shuffledSubarray([...simple.features], { minLength: simple.features.length }), (features) => {
        const r = capsVerification({ ...simple, features });
        return r.ok && r.value === "QgayPKawpkPSDYmwT/WM94uAlu0=";
      }),
    );
  });
});

describe("XEP-0393 styling", () => {
  const cases: Array<[string, string]> = [
    ["*strong span*", "strong"],
    ["plain _emphasis_ plain", "plain,emphasis,plain"],
    ["`pre` plain *strong*", "pre,plain,strong"],
    ["*strong*plain*", "strong,plain"],
    ["* plain *strong*", "plain,strong"],
    ["not strong*", "plain"],
    ["*not strong", "plain"],
    ["*not *strong", "plain"],
    ["**", "plain"],
    ["***", "plain"],
    ["****", "plain"],
  ];
  for (const [input, kinds] of cases) {
    it(`"${input}" has spans ${kinds}`, () => {
      const [block] = parseStyling(input);
      assert.ok(block?.type === "plain");
      assert.equal(block.spans.map((s) => s.type).join(","), kinds);
    });
  }
  it("does not let spans cross lines, and reads quotes and pre blocks", () => {
    const blocks = parseStyling("*not \n strong*\n> quoted *bold*\n>> deeper\n```lang\n*raw*\n```\nafter");
    assert.deepEqual(
      blocks.map((b) => b.type),
      ["plain", "plain", "quote", "pre", "plain"],
    );
    assert.equal(toPlainText(blocks), "*not \n strong*\nquoted bold\ndeeper\n*raw*\nafter");
  });
  it("an unclosed pre block inside a quote ends with the quote", () => {
    const blocks = parseStyling('> ```\n> (println "hi")\nplain *text*');
    assert.equal(blocks[0]?.type, "quote");
    assert.equal(blocks[1]?.type, "plain");
  });
  it("serialize(parse(s)) === s for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => serializeStyling(parseStyling(s)) === s),
      { numRuns: 2000 },
    );
    const soup = fc.array(fc.constantFrom("*", "_", "~", "`", "```", ">", "> ", "\n", " ", "a", "bc", "🎂"), {
      maxLength: 40,
    });
    fc.assert(
      fc.property(soup, (parts) => serializeStyling(parseStyling(parts.join(""))) === parts.join("")),
      { numRuns: 2000 },
    );
  });
});

describe("XEP-0363 slot, XEP-0082 dates", () => {
  it("keeps only the headers the spec allows, without newlines", () => {
    const slot = unwrap(
      parseUploadSlot(
        el(
          `<slot xmlns="urn:xmpp:http:upload:0"><put url="https://u/p"><header name="Authorization">Basic x\r\ny</header><header name="X-Evil">1</header><header name="eXpires">soon</header></put><get url="https://u/g"/></slot>`,
        ),
      ),
    );
    assert.deepEqual(slot.putHeaders, [
      { name: "Authorization", value: "Basic xy" },
      { name: "Expires", value: "soon" },
    ]);
  });
  it("reads and refuses DateTimes", () => {
    assert.equal(unwrap(parseDateTime("2002-09-10T23:08:25.123456-06:00")).toISOString(), "2002-09-11T05:08:25.123Z");
    for (const bad of [
      "2002-13-10T23:08:25Z",
      "2002-02-30T00:00:00Z",
      "2002-09-10 23:08:25Z",
      "2002-09-10T23:08:25",
      "yesterday",
    ]) {
      assert.equal(parseDateTime(bad).ok, false, bad);
    }
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 0)), noInvalidDate: true }), (d) => {
        const r = parseDateTime(formatDateTime(d));
        return r.ok && r.value.getTime() === d.getTime();
      }),
    );
  });
});
