/**
 * What each admin command does, stage by stage, in terms of forms and
 * AdminActions; the XEP-0050 envelope (who may run what, sessions, actions,
 * errors) is AdminCommands' job. A stage either completes, or shows a form
 * and says what to remember until it comes back.
 */
import type { CommandNote, DataForm } from "@parley/stanza";
import type { Logger } from "../ops/logger-types.ts";
import { AdminActionError, type AdminActions, type AdminLink, type AdminLinkTarget } from "./admin-actions.ts";
import { linkForm, linksForm, readSubmission, statusForm, unlinkForm } from "./admin-forms.ts";

export interface CommandContext {
  /** The admin's bare JID, for the log. */
  readonly admin: string;
  readonly actions: AdminActions;
  readonly log: Logger;
}

/** What a run remembers between stages: the links the unlink choice was built from. */
export interface CommandState {
  readonly links?: readonly AdminLink[];
}

export type CommandStep =
  | { readonly kind: "completed"; readonly notes: readonly CommandNote[]; readonly form?: DataForm }
  | {
      readonly kind: "form";
      readonly notes: readonly CommandNote[];
      readonly form: DataForm;
      readonly state: CommandState;
    }
  /** The submission breaks the form (not a wrong value: a wrong shape); answered with bad-request. */
  | { readonly kind: "malformed"; readonly text: string };

export interface AdminCommand {
  /** The XEP-0050 node. */
  readonly node: string;
  /** The label clients show in their command menu. */
  readonly name: string;
  start(ctx: CommandContext): Promise<CommandStep>;
  /** Takes the submitted form of a run; absent for commands that complete in one stage. */
  readonly submit?: (ctx: CommandContext, form: DataForm, state: CommandState) => Promise<CommandStep>;
}

const TARGET_FIELDS = ["network", "channel", "room"] as const;

const errorNote = (text: string): CommandNote => ({ type: "error", text });
const describe = (t: AdminLinkTarget) => `${t.network} channel ${t.channel} and room ${t.room}`;

const status: AdminCommand = {
  node: "status",
  name: "Bridge status",
  async start(ctx) {
    const s = await ctx.actions.status();
    ctx.log.info("admin command", { admin: ctx.admin, command: "status" });
    return { kind: "completed", notes: [], form: statusForm(s) };
  },
};

const listLinks: AdminCommand = {
  node: "list-links",
  name: "List links",
  async start(ctx) {
    const links = await ctx.actions.listLinks();
    ctx.log.info("admin command", { admin: ctx.admin, command: "list-links", links: links.length });
    return { kind: "completed", notes: [], form: linksForm(links) };
  },
};

/**
 * The three target fields of a submission, or a note saying what is missing
 * or wrong with them (shown with the form again: a human slip, not an attack).
 */
function targetOf(
  values: Readonly<Record<string, string | undefined>>,
  networks: readonly string[],
): { readonly target: AdminLinkTarget } | { readonly problem: string } {
  const { network = "", channel = "", room = "" } = values;
  const missing = TARGET_FIELDS.filter((f) => (values[f] ?? "") === "");
  if (missing.length > 0) return { problem: `Fill in ${missing.join(", ")}.` };
  if (!networks.includes(network)) {
    return { problem: `Unknown network "${network}"; this bridge runs ${networks.join(", ") || "none"}.` };
  }
  return { target: { network, channel, room } };
}

const link: AdminCommand = {
  node: "link",
  name: "Link a channel to a room",
  async start(ctx) {
    return { kind: "form", notes: [], form: linkForm(ctx.actions.networks), state: {} };
  },
  async submit(ctx, form) {
    const read = readSubmission(form, TARGET_FIELDS);
    if ("malformed" in read) return { kind: "malformed", text: read.malformed };
    const again = (text: string): CommandStep => ({
      kind: "form",
      notes: [errorNote(text)],
      form: linkForm(ctx.actions.networks, read.values),
      state: {},
    });
    const t = targetOf(read.values, ctx.actions.networks);
    if ("problem" in t) return again(t.problem);
    const fields = { admin: ctx.admin, command: "link", ...t.target };
    try {
      await ctx.actions.link(t.target);
    } catch (e) {
      if (!(e instanceof AdminActionError)) throw e;
      ctx.log.info("admin command refused", { ...fields, reason: e.message });
      return again(e.message);
    }
    ctx.log.info("admin command", fields);
    return { kind: "completed", notes: [{ type: "info", text: `Linked ${describe(t.target)}.` }] };
  },
};

const unlink: AdminCommand = {
  node: "unlink",
  name: "Unlink a channel from a room",
  async start(ctx) {
    const links = await ctx.actions.listLinks();
    return { kind: "form", notes: [], form: unlinkForm(ctx.actions.networks, links), state: { links } };
  },
  async submit(ctx, form, state) {
    const read = readSubmission(form, ["link", ...TARGET_FIELDS]);
    if ("malformed" in read) return { kind: "malformed", text: read.malformed };
    const again = async (text: string): Promise<CommandStep> => {
      const links = await ctx.actions.listLinks();
      return {
        kind: "form",
        notes: [errorNote(text)],
        form: unlinkForm(ctx.actions.networks, links, read.values),
        state: { links },
      };
    };
    let target: AdminLinkTarget;
    const chosen = read.values.link ?? "";
    if (chosen !== "") {
      const known = state.links ?? [];
      const picked = /^[1-9][0-9]{0,5}$/.test(chosen) ? known[Number(chosen) - 1] : undefined;
      if (picked === undefined) return again(`"${chosen}" is not one of the links listed.`);
      target = { network: picked.network, channel: picked.channel, room: picked.room };
    } else {
      const t = targetOf(read.values, ctx.actions.networks);
      if ("problem" in t) return again(`Choose a link, or name one: ${t.problem}`);
      target = t.target;
    }
    const fields = { admin: ctx.admin, command: "unlink", ...target };
    let removed: boolean;
    try {
      removed = await ctx.actions.unlink(target);
    } catch (e) {
      if (!(e instanceof AdminActionError)) throw e;
      ctx.log.info("admin command refused", { ...fields, reason: e.message });
      return again(e.message);
    }
    ctx.log.info("admin command", { ...fields, removed });
    if (!removed) return again(`There is no link between ${describe(target)}.`);
    return { kind: "completed", notes: [{ type: "info", text: `Unlinked ${describe(target)}.` }] };
  },
};

/** The commands in the order clients list them. */
export const BRIDGE_COMMANDS: readonly AdminCommand[] = [status, listLinks, link, unlink];
