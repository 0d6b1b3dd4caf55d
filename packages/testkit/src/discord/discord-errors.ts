/**
 * Discord's JSON error bodies, as @discordjs/rest parses them into
 * DiscordAPIError: `{ code, message, errors? }` with the HTTP status Discord
 * uses for each code.
 */

/** One field's failure inside an "Invalid Form Body" answer. */
export interface FieldError {
  readonly code: string;
  readonly message: string;
}

/** Nested like the request body: `{ content: { _errors: [...] }, embeds: { "0": { title: { _errors } } } }`. */
export interface FormErrors {
  [key: string]: FormErrors | FieldError[];
}

export class DiscordError extends Error {
  readonly status: number;
  readonly code: number;
  readonly errors: FormErrors | undefined;
  /** True when the real API would reject the request as malformed (a client bug, recorded as a violation). */
  readonly violation: boolean;

  constructor(status: number, code: number, message: string, o: { errors?: FormErrors; violation?: boolean } = {}) {
    super(message);
    this.name = "DiscordError";
    this.status = status;
    this.code = code;
    this.errors = o.errors;
    this.violation = o.violation ?? false;
  }

  /** The JSON Discord answers with. */
  body(): { code: number; message: string; errors?: FormErrors } {
    return this.errors
      ? { code: this.code, message: this.message, errors: this.errors }
      : { code: this.code, message: this.message };
  }
}

export const notFound = () => new DiscordError(404, 0, "404: Not Found");
export const methodNotAllowed = () => new DiscordError(405, 0, "405: Method Not Allowed");
export const unauthorized = () => new DiscordError(401, 0, "401: Unauthorized");
export const unknownChannel = () => new DiscordError(404, 10003, "Unknown Channel");
export const unknownGuild = () => new DiscordError(404, 10004, "Unknown Guild");
export const unknownMember = () => new DiscordError(404, 10007, "Unknown Member");
export const unknownMessage = () => new DiscordError(404, 10008, "Unknown Message");
export const unknownUser = () => new DiscordError(404, 10013, "Unknown User");
export const unknownEmoji = () => new DiscordError(400, 10014, "Unknown Emoji");
export const unknownWebhook = () => new DiscordError(404, 10015, "Unknown Webhook");
export const missingAccess = () => new DiscordError(403, 50001, "Missing Access");
export const cannotEditOthers = () => new DiscordError(403, 50005, "Cannot edit a message authored by another user");
export const cannotMessageUser = () => new DiscordError(403, 50007, "Cannot send messages to this user");
export const missingPermissions = () => new DiscordError(403, 50013, "Missing Permissions");
export const invalidWebhookToken = () => new DiscordError(401, 50027, "Invalid Webhook Token");
export const maxWebhooks = () => new DiscordError(400, 30007, "Maximum number of webhooks reached (15)");
export const emptyMessage = () => new DiscordError(400, 50006, "Cannot send an empty message", { violation: true });
export const entityTooLarge = () => new DiscordError(413, 40005, "Request entity too large", { violation: true });

/** 50035 with the field errors; `violation` false for answers that depend on state, not on the request's shape. */
export function invalidFormBody(errors: FormErrors, violation = true): DiscordError {
  return new DiscordError(400, 50035, "Invalid Form Body", { errors, violation });
}

/** `{ a: { b: { _errors: [e] } } }` for the path ["a", "b"]. */
export function fieldError(path: readonly string[], error: FieldError): FormErrors {
  let node: FormErrors = { _errors: [error] };
  for (const key of [...path].reverse()) node = { [key]: node };
  return node;
}

/** Merges field errors the way Discord groups them: one tree, several `_errors` lists. */
export function mergeFormErrors(into: FormErrors, from: FormErrors): FormErrors {
  for (const [key, value] of Object.entries(from)) {
    const existing = into[key];
    if (Array.isArray(value)) {
      into[key] = Array.isArray(existing) ? [...existing, ...value] : value;
    } else if (existing && !Array.isArray(existing)) {
      mergeFormErrors(existing, value);
    } else {
      into[key] = value;
    }
  }
  return into;
}
