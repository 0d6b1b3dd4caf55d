/**
 * XEP-0050 Ad-Hoc Commands (v1.3): `<command node sessionid action status>` with
 * its allowed actions, notes and data form; the command list is disco#items on
 * the node "http://jabber.org/protocol/commands".
 */
import { buildIq } from "../iq.ts";
import { NS } from "../ns.ts";
import { err, ok, parseError, type Result } from "../result.ts";
import { attrOf, childOf, childrenOf, type Element, element, elementsOf, localNameOf, textOf } from "../xml.ts";
import { buildDataForm, type DataForm, parseDataForm } from "./xep0004-data-forms.ts";

export const COMMAND_ACTIONS = ["execute", "cancel", "prev", "next", "complete"] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];
export const COMMAND_STATUSES = ["executing", "completed", "canceled"] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
export type NoteType = "info" | "warn" | "error";

export interface CommandNote {
  readonly type: NoteType;
  readonly text: string;
}

export interface Command {
  readonly node: string;
  readonly sessionid?: string;
  readonly action?: CommandAction;
  readonly status?: CommandStatus;
  /** The actions the responder allows next, and which one `execute` means. */
  readonly actions?: {
    readonly allowed: readonly Exclude<CommandAction, "execute" | "cancel">[];
    readonly execute?: CommandAction;
  };
  readonly notes: readonly CommandNote[];
  readonly form?: DataForm;
}

/** The disco node listing a responder's commands. */
export const COMMAND_LIST_NODE = NS.commands;

const ACTIONS = new Set<string>(COMMAND_ACTIONS);
const STATUSES = new Set<string>(COMMAND_STATUSES);

export function parseCommand(el: Element): Result<Command> {
  if (localNameOf(el) !== "command" || el.getNS() !== NS.commands) {
    return err(parseError("unexpected-element", `expected <command xmlns='${NS.commands}'/>`));
  }
  const node = attrOf(el, "node");
  if (!node) return err(parseError("missing-attribute", "command needs a node", "command@node"));
  const action = attrOf(el, "action");
  if (action !== undefined && !ACTIONS.has(action)) {
    return err(parseError("invalid-attribute", `unknown command action "${action}"`, "command@action"));
  }
  const status = attrOf(el, "status");
  if (status !== undefined && !STATUSES.has(status)) {
    return err(parseError("invalid-attribute", `unknown command status "${status}"`, "command@status"));
  }
  let actions: Command["actions"];
  const a = childOf(el, "actions", NS.commands);
  if (a) {
    const allowed: Array<Exclude<CommandAction, "execute" | "cancel">> = [];
    for (const c of elementsOf(a)) {
      const n = localNameOf(c);
      if (n === "prev" || n === "next" || n === "complete") allowed.push(n);
    }
    const exec = attrOf(a, "execute");
    if (exec !== undefined && !ACTIONS.has(exec)) {
      return err(parseError("invalid-attribute", `unknown execute action "${exec}"`, "command/actions@execute"));
    }
    actions = { allowed, ...(exec !== undefined && { execute: exec as CommandAction }) };
  }
  const notes: CommandNote[] = [];
  for (const n of childrenOf(el, "note", NS.commands)) {
    const t = attrOf(n, "type") ?? "info";
    if (t !== "info" && t !== "warn" && t !== "error") {
      return err(parseError("invalid-attribute", `unknown note type "${t}"`, "command/note@type"));
    }
    notes.push({ type: t, text: textOf(n) ?? "" });
  }
  let form: DataForm | undefined;
  const x = childOf(el, "x", NS.dataForms);
  if (x) {
    const r = parseDataForm(x);
    if (!r.ok) return err({ ...r.error, path: `command/${r.error.path ?? "x"}` });
    form = r.value;
  }
  const sessionid = attrOf(el, "sessionid");
  return ok({
    node,
    ...(sessionid !== undefined && { sessionid }),
    ...(action !== undefined && { action: action as CommandAction }),
    ...(status !== undefined && { status: status as CommandStatus }),
    ...(actions !== undefined && { actions }),
    notes,
    ...(form !== undefined && { form }),
  });
}

export function buildCommand(c: Omit<Command, "notes"> & { notes?: readonly CommandNote[] }): Element {
  const el = element("command", {
    xmlns: NS.commands,
    node: c.node,
    sessionid: c.sessionid,
    action: c.action,
    status: c.status,
  });
  if (c.actions) {
    const a = element("actions", { execute: c.actions.execute });
    for (const n of c.actions.allowed) a.cnode(element(n, {}));
    el.cnode(a);
  }
  for (const n of c.notes ?? []) el.cnode(element("note", { type: n.type }, n.text));
  if (c.form) el.cnode(buildDataForm(c.form));
  return el;
}

/** The iq that runs (or continues) a command at `to`. */
export function buildCommandRequest(
  o: { id: string; to: string; from?: string } & Omit<Command, "notes" | "status">,
): Element {
  const { id, to, from, ...command } = o;
  return buildIq({
    type: "set",
    id,
    to,
    from,
    payload: buildCommand({ ...command, action: command.action ?? "execute" }),
  });
}
