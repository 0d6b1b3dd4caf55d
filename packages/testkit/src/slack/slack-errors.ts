/**
 * Slack's Web API answers every failure with HTTP 200 and `{ ok: false,
 * error: "<code>" }` (plus fields some codes carry: `needed`/`provided` for
 * missing_scope, `response_metadata.messages` for invalid_arguments); only a
 * rate limit changes the status (429 with Retry-After). Route handlers throw
 * a SlackApiError and the server turns it into that answer.
 */
export class SlackApiError extends Error {
  readonly code: string;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: string,
    extra: Record<string, unknown> = {},
    o: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(`Slack API error: ${code}`);
    this.code = code;
    this.extra = extra;
    this.status = o.status ?? 200;
    this.headers = o.headers ?? {};
  }

  body(): Record<string, unknown> {
    return { ok: false, error: this.code, ...this.extra };
  }
}

/** A scenario call that makes no sense (unknown user, channel...): a bug in the test, not a Slack error. */
export class SlackScenarioError extends Error {
  constructor(message: string) {
    super(`fake Slack scenario: ${message}`);
  }
}

export const slackError = (code: string, extra?: Record<string, unknown>): SlackApiError =>
  new SlackApiError(code, extra);

/** `invalid_arguments` with Slack's `[ERROR] ...` lines, which @slack/web-api logs. */
export function invalidArguments(messages: readonly string[]): SlackApiError {
  return new SlackApiError("invalid_arguments", {
    response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) },
  });
}
