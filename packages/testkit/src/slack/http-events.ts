/**
 * The Events API over HTTP (docs.slack.dev/apis/events-api): Slack POSTs each
 * event callback as JSON to the app's Request URL, signed with the app's
 * signing secret (docs.slack.dev/authentication/verifying-requests-from-slack):
 * `X-Slack-Request-Timestamp: <unix seconds>` and
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">`.
 * An answer other than 2xx within 3 seconds is a failure, retried with
 * `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` (http_timeout, http_error,
 * connection_failed) up to 3 times; Slack waits about a minute and then five
 * between tries, the fake `retryDelayMs` (1 s by default).
 * The url_verification handshake sends `{ token, challenge, type }` and
 * expects the challenge back.
 */
import { createHmac, randomBytes } from "node:crypto";

export interface HttpDelivery {
  readonly body: string;
  readonly attempts: Array<{ status?: number; error?: string; retryNum: number; retryReason?: string }>;
  delivered: boolean;
  failed: boolean;
}

export interface HttpEventsOptions {
  readonly url: string;
  readonly signingSecret: string;
  readonly timeoutMs?: number;
  readonly retryDelayMs?: number;
  readonly maxRetries?: number;
}

/** The v0 signature of a request body, as Slack computes it. */
export function slackSignature(signingSecret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export class HttpEvents {
  readonly deliveries: HttpDelivery[] = [];
  private readonly o: HttpEventsOptions;
  private readonly changed: () => void;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(o: HttpEventsOptions, changed: () => void) {
    this.o = o;
    this.changed = changed;
  }

  /** POSTs the payload, in order after the deliveries before it, retrying as Slack does. */
  deliver(payload: Record<string, unknown>, o: { signingSecret?: string; tamper?: boolean } = {}): HttpDelivery {
    const d: HttpDelivery = { body: JSON.stringify(payload), attempts: [], delivered: false, failed: false };
    this.deliveries.push(d);
    this.chain = this.chain.then(() => this.run(d, o));
    return d;
  }

  /** The url_verification handshake: true when the app answers with the challenge. */
  async verifyUrl(token: string): Promise<boolean> {
    const challenge = randomBytes(24).toString("base64url");
    const r = await this.post(JSON.stringify({ token, challenge, type: "url_verification" }), 0, undefined, {});
    if (r.response?.status !== 200) return false;
    const text = await r.response.text();
    if (text === challenge) return true;
    try {
      return (JSON.parse(text) as { challenge?: unknown }).challenge === challenge;
    } catch {
      return false;
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(d: HttpDelivery, o: { signingSecret?: string; tamper?: boolean }): Promise<void> {
    const maxRetries = this.o.maxRetries ?? 3;
    let reason: string | undefined;
    for (let attempt = 0; attempt <= maxRetries && !this.stopped; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.o.retryDelayMs ?? 1000));
      const r = await this.post(d.body, attempt, reason, o);
      const status = r.response?.status;
      await r.response?.arrayBuffer().catch(() => undefined);
      d.attempts.push({
        ...(status !== undefined ? { status } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        retryNum: attempt,
        ...(reason !== undefined ? { retryReason: reason } : {}),
      });
      if (status !== undefined && status >= 200 && status < 300) {
        d.delivered = true;
        this.changed();
        return;
      }
      reason = r.error === "timeout" ? "http_timeout" : status !== undefined ? "http_error" : "connection_failed";
      this.changed();
    }
    d.failed = true;
    this.changed();
  }

  private async post(
    body: string,
    retryNum: number,
    retryReason: string | undefined,
    o: { signingSecret?: string; tamper?: boolean },
  ): Promise<{ response?: Response; error?: string }> {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = slackSignature(o.signingSecret ?? this.o.signingSecret, timestamp, body);
    const sent = o.tamper ? body.replace(/}$/, ',"tampered":true}') : body;
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      "X-Slack-Request-Timestamp": String(timestamp),
      "X-Slack-Signature": signature,
    };
    if (retryNum > 0) {
      headers["X-Slack-Retry-Num"] = String(retryNum);
      headers["X-Slack-Retry-Reason"] = retryReason ?? "http_error";
    }
    try {
      const response = await fetch(this.o.url, {
        method: "POST",
        headers,
        body: sent,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 3000),
      });
      return { response };
    } catch (e) {
      const name = e instanceof Error ? e.name : "";
      return { error: name === "TimeoutError" ? "timeout" : e instanceof Error ? e.message : String(e) };
    }
  }
}
