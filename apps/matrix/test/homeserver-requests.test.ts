/** The bench's count of the bridge's requests: by shape, in flight, and each room's wait between answer and next request. */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { HomeserverRequests, requestShape } from "../bench/homeserver-requests.ts";

const HS = "http://127.0.0.1:1/_matrix/client/v3";
const put = (room: string, txn: number, token = "as") =>
  fetch(`${HS}/rooms/${encodeURIComponent(room)}/send/m.room.message/${txn}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}` },
    body: "{}",
  });

describe("HomeserverRequests", () => {
  const original = globalThis.fetch;
  let requests: HomeserverRequests;
  beforeEach(() => {
    globalThis.fetch = async () => new Response("{}");
    requests = new HomeserverRequests();
    requests.install("as");
  });
  afterEach(() => {
    requests.uninstall();
    globalThis.fetch = original;
  });

  it("names a request by its shape, identifiers left out", () => {
    assert.equal(
      requestShape("put", `${HS}/rooms/!abc%3Alocalhost/send/m.room.message/7?user_id=x`),
      "PUT /rooms/:id/send/m.room.message/:id",
    );
  });

  it("counts only the requests that carry the token, and how many were in flight at once", async () => {
    await Promise.all([put("!a:hs", 1), put("!b:hs", 2), put("!a:hs", 3, "someone-else")]);
    const taken = requests.take();
    assert.equal(taken.total, 2);
    assert.equal(taken.maxInFlight, 2);
    assert.deepEqual(taken.byShape, { "PUT /rooms/:id/send/m.room.message/:id": 2 });
  });

  it("measures a room's wait from an answer to its next request, not another room's", async () => {
    await put("!a:hs", 1);
    await put("!b:hs", 2);
    assert.equal(requests.take().roomGapMs, 0, "no room asked twice");
    await put("!a:hs", 3);
    await sleep(20);
    await put("!a:hs", 4);
    const taken = requests.take();
    assert.ok(taken.roomGapMs > 0, `a gap was measured: ${taken.roomGapMs}`);
    await put("!a:hs", 5);
    assert.equal(requests.take().roomGapMs, 0, "a take() starts the rooms afresh");
  });
});
