import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MessageBook } from "../src/message-book.ts";
import { MemoryState } from "./memory-state.ts";

describe("MessageBook", () => {
  it("remembers how a message was posted, across instances (restarts)", async () => {
    const state = new MemoryState();
    const book = new MessageBook(state);
    await book.rememberSent("10", { webhookId: "w", thread: "t", parts: ["11", "12"], quote: "> q" });
    assert.deepEqual(JSON.parse(state.values.get("parts:10") ?? "null"), ["11", "12"]);
    const later = new MessageBook(state);
    assert.deepEqual(await later.sent("10"), { webhookId: "w", thread: "t", quote: "> q", parts: ["11", "12"] });
    assert.equal(await later.threadOf("10", undefined), "t");
    assert.equal(await later.threadOf("10", "other"), "t", "its own post: where it posted it");
    assert.equal(await later.sent("99"), undefined);
  });

  it("writes its per-message keys to expire with the message (store.retention.messagesDays)", async () => {
    const state = new MemoryState();
    const book = new MessageBook(state);
    await book.rememberSent("10", { webhookId: "w", parts: ["11"] });
    for (const key of ["posted:10", "parts:10"]) {
      assert.deepEqual(state.options.get(key), { expiresWithMessage: true }, key);
    }
  });

  it("drops parts an edit no longer has", async () => {
    const state = new MemoryState();
    const book = new MessageBook(state);
    await book.rememberSent("10", { webhookId: "w", parts: ["11"] });
    await book.rememberSent("10", { webhookId: "w", parts: [] });
    assert.deepEqual(await new MessageBook(state).sent("10"), { webhookId: "w" });
  });

  it("takes the thread of a Discord user's message from the engine, and reads what an earlier version remembered", async () => {
    const state = new MemoryState();
    // What an earlier version wrote for a Discord user's message in a thread.
    await state.set("thread:20", "30");
    const book = new MessageBook(state);
    assert.equal(await book.threadOf("21", "31"), "31");
    assert.equal(await book.threadOf("21", undefined), undefined);
    assert.equal(await book.threadOf("20", undefined), "30");
    assert.equal([...state.values.keys()].filter((k) => k.startsWith("thread:")).length, 1, "writes none");
  });

  it("survives a corrupted entry", async () => {
    const state = new MemoryState();
    await state.set("posted:1", "{not json");
    await state.set("posted:2", JSON.stringify({ webhookId: 5, dm: true }));
    assert.equal(await new MessageBook(state).sent("1"), undefined);
    assert.deepEqual(await new MessageBook(state).sent("2"), { dm: true });
  });
});
