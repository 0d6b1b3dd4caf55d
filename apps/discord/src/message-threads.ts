/**
 * The Discord thread a post goes in, from the root the engine names
 * (`OutgoingMessage.thread`): a thread of the channel already, or a message
 * of the channel that a thread is started on now (POST
 * /channels/{channel}/messages/{message}/threads). A thread started from a
 * message has the message's id, so the root's id is the thread's either way:
 * that is how an XMPP user's thread, whose first message the engine posted
 * flat, continues as a Discord thread.
 */
import { type Logger, type RichText, toPlainText } from "@parley/bridge";
import type { REST } from "discord.js";
import { type APIMessage, Routes } from "discord-api-types/v10";
import type { GuildDirectory } from "./guild-directory.ts";
import { type ApiCall, ApiFailures } from "./permissions.ts";

/** Discord's bounds on a thread's name. */
const MAX_NAME_CHARS = 100;
/** 160004: "A thread has already been created for this message" (someone was quicker). */
const THREAD_EXISTS = 160004;
/** 10008: Unknown Message (the root is gone). */
const UNKNOWN_MESSAGE = 10008;

export interface MessageThreadsOptions {
  readonly rest: REST;
  readonly directory: GuildDirectory;
  readonly failures: ApiFailures;
  readonly logger: Logger;
}

export class MessageThreads {
  private readonly o: MessageThreadsOptions;

  constructor(o: MessageThreadsOptions) {
    this.o = o;
  }

  /**
   * The thread of `channel` whose root is `root`, started on that message
   * when it has none yet (named after the root's text, else `text`);
   * undefined when the root is no message of the channel any more (the post
   * then goes in the channel).
   */
  async of(channel: string, root: string, text: RichText): Promise<string | undefined> {
    const known = await this.o.directory.fetchChannel(root);
    if (known) return this.o.directory.isThreadType(known.type) && known.parentId === channel ? known.id : undefined;
    let starter: APIMessage;
    const read: ApiCall = {
      action: "reading the first message of a thread",
      channel,
      permission: "Read Message History",
    };
    try {
      starter = (await this.o.failures.run(read, () =>
        this.o.rest.get(Routes.channelMessage(channel, root)),
      )) as APIMessage;
    } catch (e) {
      if (ApiFailures.codeOf(e) !== UNKNOWN_MESSAGE) throw e;
      this.o.logger.debug("the root of a thread is gone; posting in the channel", { channel, root });
      return undefined;
    }
    const name = threadName(starter.content) ?? threadName(toPlainText(text)) ?? "Thread";
    const start: ApiCall = { action: "starting a thread", channel, permission: "Create Public Threads" };
    try {
      await this.o.failures.run(start, () => this.o.rest.post(Routes.threads(channel, root), { body: { name } }));
    } catch (e) {
      if (ApiFailures.codeOf(e) !== THREAD_EXISTS) throw e;
    }
    return root;
  }
}

/** A thread name from a message's text: its first line, at most MAX_NAME_CHARS; undefined for none. */
function threadName(text: string): string | undefined {
  // A reply quote's lines (`> `) are the answered message's, not this one's.
  const line = text
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "" && !l.startsWith(">"));
  if (line === undefined) return undefined;
  const chars = Array.from(line);
  return chars.length <= MAX_NAME_CHARS ? line : `${chars.slice(0, MAX_NAME_CHARS - 1).join("")}…`;
}
