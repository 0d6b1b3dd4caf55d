/**
 * The reference network's history, as a connector reads it for the
 * engine's catch-up (`Connector.history`): the worked example of the
 * method. The connector only lists pages; the engine keeps the cursors,
 * bounds the catch-up and hands over what is found.
 */
import type { RemoteMessage, RemoteUser } from "../connector/connector.ts";
import type { HistoryMessage, HistoryOptions, HistoryPage, HistoryRequest } from "../connector/history.ts";
import type { ReferenceNetwork, RefMessage } from "./reference-network.ts";

/** Messages per page (a real network says how many it gives at most). */
const PAGE = 100;

/** The reference network numbers its messages `m1`, `m2`... in the order they were said. */
const numberOf = (id: string): number => Number(id.slice(1));

/** How the reference network's ids order and date. */
export function referenceHistoryOptions(net: ReferenceNetwork): HistoryOptions {
  return {
    compare: (a, b) => numberOf(a) - numberOf(b),
    isId: (id) => /^m\d+$/.test(id),
    // Its ids do not say when a message was said; the network does.
    timeOf: (id) => net.messages.get(id)?.createdAt ?? 0,
    idAt: (ms) => {
      let before = 0;
      for (const m of net.messages.values()) if (m.createdAt < ms) before = Math.max(before, numberOf(m.id));
      return `m${before}`;
    },
  };
}

/** A page of a channel's history; `toRemote` turns a message into what the engine takes. */
export function referenceHistory(
  net: ReferenceNetwork,
  r: HistoryRequest,
  toRemote: (m: RefMessage) => RemoteMessage,
  user: (id: string) => RemoteUser | undefined,
): HistoryPage {
  const said = [...net.messages.values()]
    .filter((m) => m.channel === r.channel && m.dmWith === undefined && !m.deleted)
    .sort((a, b) => numberOf(a.id) - numberOf(b.id));
  const item = (m: RefMessage): HistoryMessage => ({
    id: m.id,
    message: toRemote(m),
    ...(m.editedAt !== undefined && { edited: m.editedAt }),
    reactions: [...m.reactions].map(([emoji, users]) => ({
      emoji,
      users: [...users].flatMap((id) => user(id) ?? []),
      complete: true,
    })),
  });
  if (r.upTo !== undefined) {
    const upTo = numberOf(r.upTo);
    return {
      messages: said
        .filter((m) => numberOf(m.id) <= upTo)
        .slice(-Math.min(PAGE, r.limit))
        .map(item),
    };
  }
  if (r.after === undefined) {
    const last = said.at(-1);
    return { messages: [], cursor: last?.id ?? referenceHistoryOptions(net).idAt(Date.now()) };
  }
  const after = numberOf(r.page ?? r.after);
  const limit = Math.min(PAGE, r.limit);
  const page = said.filter((m) => numberOf(m.id) > after).slice(0, limit);
  const last = page.at(-1);
  return { messages: page.map(item), ...(page.length === limit && last !== undefined && { next: last.id }) };
}
