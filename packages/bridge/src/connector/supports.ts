/**
 * Whether the engine may ask a connector for an optional feature, decided in
 * one place: a feature a method stands for is there when the connector has
 * the method, unless the connector declares it off in `capabilities` (a
 * network that can edit, set up not to). The engine asks this wherever it
 * branches on edits, deletions, reactions, typing, direct messages,
 * occupants or read markers, and never calls a method whose feature is off.
 */
import type { Connector } from "./connector.ts";

/** The capabilities a connector method stands for, and that method. */
const METHOD_OF = {
  edits: "edit",
  deletes: "delete",
  reactions: "react",
  typing: "typing",
  directMessages: "sendDirect",
  occupants: "occupant",
  receipts: "read",
} as const;

export type MethodCapability = keyof typeof METHOD_OF;

/** A connector known to have the method of capability `K`. */
export type ConnectorWith<K extends MethodCapability> = Connector & Required<Pick<Connector, (typeof METHOD_OF)[K]>>;

/** The connector has the method `capability` stands for and does not declare the capability off. */
export function supports<K extends MethodCapability>(
  connector: Connector,
  capability: K,
): connector is ConnectorWith<K> {
  if (connector.capabilities[capability] === false) return false;
  return typeof connector[METHOD_OF[capability]] === "function";
}
