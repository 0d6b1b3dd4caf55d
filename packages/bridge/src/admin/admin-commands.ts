/**
 * XEP-0050 Ad-Hoc Commands on the bridge component, so operators administer
 * the bridge from any XMPP client: the command list (disco#items on the
 * commands node) and every command are for the configured admins only, whose
 * bare JIDs are compared normalized. Each multi-stage run gets a random
 * `sessionid` tied to the full JID that started it. Whatever a client sends,
 * it gets a stanza error or a command answer, never a crash; what the
 * commands do is in bridge-commands.ts.
 */
import { randomBytes } from "node:crypto";
import {
  bareJid,
  buildCommand,
  COMMAND_LIST_NODE,
  type Command,
  type DiscoInfo,
  type Element,
  element,
  type Iq,
  NS,
  normalizeDomain,
  parseCommand,
  parseJid,
} from "@parley/stanza";
import type { DiscoResponder } from "../component/disco-responder.ts";
import type { IqAnswer, IqRouter } from "../component/iq-router.ts";
import { type Logger, silentLogger } from "../ops/logger-types.ts";
import type { AdminActions } from "./admin-actions.ts";
import { type AdminCommand, BRIDGE_COMMANDS, type CommandContext, type CommandState } from "./bridge-commands.ts";
import { type CommandSession, CommandSessions } from "./command-sessions.ts";

export interface AdminCommandsOptions {
  /** The component's domain; commands are answered there and nowhere else. */
  readonly domain: string;
  /** Who may list and run the commands (bare JIDs; a resource, if given, is ignored). */
  readonly admins: readonly string[];
  /** Also an admin: whom this says is (the `admin` level of `permissions`, which may name a whole domain). */
  readonly isAdmin?: (bare: string) => boolean;
  readonly actions: AdminActions;
  readonly logger?: Logger;
  /** Idle time after which a multi-stage run expires; default 10 minutes. */
  readonly sessionTtlMs?: number;
  /** Open runs per admin bare JID; the oldest gives way to a new one. Default 5. */
  readonly maxSessionsPerAdmin?: number;
  /** The clock for session expiry, injectable for tests. */
  readonly now?: () => number;
}

/** A command's XEP-0050 error condition (§4.6), sent inside the stanza error. */
type CommandErrorCondition = "malformed-action" | "bad-action" | "bad-payload" | "bad-sessionid" | "session-expired";

const commandError = (name: CommandErrorCondition): Element => element(name, { xmlns: NS.commands });

function badRequest(text: string, condition: CommandErrorCondition): IqAnswer {
  return { error: { condition: "bad-request", text, application: commandError(condition) } };
}

export class AdminCommands {
  private readonly domain: string;
  private readonly admins: ReadonlySet<string>;
  private readonly actions: AdminActions;
  private readonly log: Logger;
  private readonly isAdmin: ((bare: string) => boolean) | undefined;
  private readonly sessions: CommandSessions<CommandState>;
  private readonly commands = new Map<string, AdminCommand>(BRIDGE_COMMANDS.map((c) => [c.node, c]));

  /** Throws a TypeError naming the culprit when the domain or an admin is not a valid JID (a config mistake). */
  constructor(options: AdminCommandsOptions) {
    const domain = normalizeDomain(options.domain);
    if (!domain.ok) throw new TypeError(`admin commands: domain "${options.domain}": ${domain.error.message}`);
    this.domain = domain.value;
    const admins = new Set<string>();
    for (const a of options.admins) {
      const bare = bareJid(a);
      if (bare === undefined) throw new TypeError(`admin commands: admin "${a}" is not a valid JID`);
      admins.add(bare);
    }
    this.admins = admins;
    this.isAdmin = options.isAdmin;
    this.actions = options.actions;
    this.log = (options.logger ?? silentLogger).child({ part: "admin" });
    this.sessions = new CommandSessions({
      ...(options.sessionTtlMs !== undefined && { ttlMs: options.sessionTtlMs }),
      ...(options.maxSessionsPerAdmin !== undefined && { maxPerRequester: options.maxSessionsPerAdmin }),
      ...(options.now !== undefined && { now: options.now }),
    });
    if (admins.size === 0) this.log.info("no admins configured: nobody can run admin commands");
  }

  /** Answers command executions through `router`, and the command list and command nodes through `disco`. */
  install(router: IqRouter, disco: DiscoResponder): void {
    router.handle("set", NS.commands, "command", (iq) => this.execute(iq));
    disco.setNode(COMMAND_LIST_NODE, {
      info: () => ({
        identities: [{ category: "automation", type: "command-list", name: "Bridge administration" }],
        features: [NS.commands],
        forms: [],
      }),
      // Others see an empty list rather than an error: nothing here is theirs.
      items: (from) =>
        this.adminOf(from) === undefined
          ? []
          : BRIDGE_COMMANDS.map((c) => ({ jid: this.domain, node: c.node, name: c.name })),
    });
    for (const c of BRIDGE_COMMANDS) {
      const info: DiscoInfo = {
        identities: [{ category: "automation", type: "command-node", name: c.name }],
        features: [NS.commands, NS.dataForms],
        forms: [],
      };
      disco.setNode(c.node, {
        info: (from) =>
          this.adminOf(from) === undefined ? { error: { condition: "forbidden", type: "cancel" } } : info,
      });
    }
  }

  /** How many multi-stage runs are open (for metrics and tests). */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** The requester's normalized bare JID when it is an admin. */
  private adminOf(from: string | undefined): string | undefined {
    const bare = from === undefined ? undefined : bareJid(from);
    return bare !== undefined && (this.admins.has(bare) || this.isAdmin?.(bare) === true) ? bare : undefined;
  }

  /** Whether `to` is the component itself (with or without a resource), not a puppet. */
  private isForMe(to: string | undefined): boolean {
    const j = to === undefined ? undefined : parseJid(to);
    return j?.ok === true && j.value.local === undefined && j.value.domain === this.domain;
  }

  private async execute(iq: Iq & { readonly payload: Element }): Promise<IqAnswer> {
    if (!this.isForMe(iq.to)) return { error: { condition: "feature-not-implemented" } };
    const admin = this.adminOf(iq.from);
    if (admin === undefined || iq.from === undefined) {
      return { error: { condition: "forbidden", type: "cancel", text: "only the bridge's admins run its commands" } };
    }
    const parsed = parseCommand(iq.payload);
    if (!parsed.ok) {
      return badRequest(
        parsed.error.message,
        parsed.error.path === "command@action" ? "malformed-action" : "bad-payload",
      );
    }
    const cmd = parsed.value;
    const command = this.commands.get(cmd.node);
    if (command === undefined) return { error: { condition: "item-not-found", text: `no command "${cmd.node}"` } };
    const action = cmd.action ?? "execute";
    const ctx: CommandContext = { admin, actions: this.actions, log: this.log };

    if (cmd.sessionid === undefined) {
      if (action === "cancel" || action === "prev") {
        return badRequest(`"${action}" needs the sessionid of a running command`, "bad-action");
      }
      return this.run(command, ctx, iq.from, undefined, () => command.start(ctx));
    }

    const found = this.sessions.find(cmd.sessionid, cmd.node, iq.from);
    if ("refused" in found) {
      return found.refused === "expired"
        ? {
            error: {
              condition: "not-allowed",
              text: "this command session has ended or expired; start the command again",
              application: commandError("session-expired"),
            },
          }
        : badRequest("this sessionid belongs to another command or requester", "bad-sessionid");
    }
    const session = found.session;
    if (action === "cancel") {
      this.sessions.close(session.id);
      this.log.debug("admin command canceled", { admin, command: command.node });
      return { payload: buildCommand({ node: command.node, sessionid: session.id, status: "canceled" }) };
    }
    if (action === "prev" || action === "next" || command.submit === undefined) {
      return badRequest(`this stage allows only "complete" or "cancel", not "${action}"`, "bad-action");
    }
    const submit = command.submit;
    const form = cmd.form;
    if (form === undefined) return badRequest("submit the form to go on, or cancel", "bad-payload");
    // XEP-0050 §3.5.1: a form of type cancel counts as a submission.
    if (form.type !== "submit" && form.type !== "cancel") {
      return badRequest(`a form of type "${form.type}" is not a submission`, "bad-payload");
    }
    return this.run(command, ctx, iq.from, session, () => submit(ctx, form, session.state));
  }

  /** Runs one stage and turns its outcome into the command answer, opening or closing the run. */
  private async run(
    command: AdminCommand,
    ctx: CommandContext,
    requester: string,
    session: CommandSession<CommandState> | undefined,
    stage: () => ReturnType<AdminCommand["start"]>,
  ): Promise<IqAnswer> {
    let step: Awaited<ReturnType<AdminCommand["start"]>>;
    try {
      step = await stage();
    } catch (e) {
      // Not an AdminActionError: a bug or an outage. The admin is told only that it failed.
      if (session !== undefined) this.sessions.close(session.id);
      this.log.error("admin command failed", {
        admin: ctx.admin,
        command: command.node,
        error: e instanceof Error ? e.message : String(e),
      });
      return { error: { condition: "internal-server-error" } };
    }
    if (step.kind === "malformed") return badRequest(step.text, "bad-payload");
    const base: Pick<Command, "node" | "notes"> = { node: command.node, notes: step.notes };
    if (step.kind === "completed") {
      if (session !== undefined) this.sessions.close(session.id);
      const sessionid = session?.id ?? randomBytes(12).toString("base64url");
      return {
        payload: buildCommand({
          ...base,
          sessionid,
          status: "completed",
          ...(step.form !== undefined && { form: step.form }),
        }),
      };
    }
    let open = session;
    if (open === undefined) open = this.sessions.open(command.node, requester, step.state);
    else open.state = step.state;
    return {
      payload: buildCommand({
        ...base,
        sessionid: open.id,
        status: "executing",
        actions: { allowed: ["complete"], execute: "complete" },
        form: step.form,
      }),
    };
  }
}
