import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildMessage, parseMessage, parseStanzaXml, parseXml, unwrap } from "../src/index.ts";

const xml = (s: string) => unwrap(parseXml(s));

describe("message", () => {
  it("reads core children, a payload, and keeps unknown children", () => {
    const m = unwrap(
      parseMessage(
        xml(`<message xmlns="jabber:client" type="groupchat" id="a1" from="r@muc/n" to="u@h" xml:lang="en">
          <body>hi</body><body xml:lang="de">hallo</body><subject>s</subject><thread parent="p">t1</thread>
          <replace xmlns="urn:xmpp:message-correct:0" id="old"/><unknown xmlns="urn:x:y"><a/></unknown></message>`),
      ),
    );
    assert.equal(m.type, "groupchat");
    assert.equal(m.body, "hi");
    assert.deepEqual(m.bodies, { de: "hallo" });
    assert.equal(m.subject, "s");
    assert.deepEqual(m.thread, { id: "t1", parent: "p" });
    assert.deepEqual(m.replace, { id: "old" });
    assert.equal(m.extra.length, 1);
    assert.equal(m.extra[0]?.name, "unknown");
    assert.deepEqual(m.invalid, []);
  });

  it("reports an invalid payload without failing the message and keeps its element", () => {
    const m = unwrap(
      parseMessage(xml(`<message><body>x</body><replace xmlns="urn:xmpp:message-correct:0"/></message>`)),
    );
    assert.equal(m.type, "normal");
    assert.equal(m.replace, undefined);
    assert.equal(m.invalid.length, 1);
    assert.equal(m.invalid[0]?.code, "missing-attribute");
    assert.equal(m.extra.length, 1);
  });

  it("refuses an unknown type", () => {
    const r = parseMessage(xml(`<message type="shout"/>`));
    assert.equal(r.ok, false);
  });

  it("round-trips through the builder", () => {
    const el = buildMessage({
      type: "chat",
      id: "x",
      to: "a@b",
      body: "héllo <&>",
      replace: { id: "y" },
      thread: { id: "t" },
    });
    const again = unwrap(parseStanzaXml(el.toString()));
    assert.equal(again.kind, "message");
    if (again.kind !== "message") return;
    assert.equal(again.body, "héllo <&>");
    assert.deepEqual(again.replace, { id: "y" });
    assert.deepEqual(again.thread, { id: "t" });
  });
});
