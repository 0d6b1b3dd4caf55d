/**
 * Discord's own outages, on demand: the next matching REST requests answered
 * with a 5xx as the real API gives them. A 500 is the API's JSON
 * `{ message: "500: Internal Server Error", code: 0 }`; a 502 is the edge's
 * HTML "502 Bad Gateway" page (Discord sits behind Cloudflare), with no
 * rate-limit headers. `afterProcessing` answers the 5xx only once the request
 * has done its work (the message is created, yet the client sees a failure),
 * which is what a timeout between the edge and the API looks like: a client
 * that simply posts again makes a duplicate. `neverAnswer` sends nothing
 * back at all.
 */

export interface ServerErrorRule {
  /** 500 (the API's JSON error) or 502 (the edge's HTML page); 500 by default. */
  readonly status?: 500 | 502;
  readonly method?: string;
  readonly pathIncludes?: string;
  /** How many matching requests fail; 1 by default. */
  readonly count?: number;
  /** Run the request, then answer the 5xx anyway; false by default (nothing happens). */
  readonly afterProcessing?: boolean;
  /**
   * No answer at all: the connection is held open, unanswered, until the
   * fake stops. With `afterProcessing`, what a client killed or cut off
   * mid-request leaves behind: the work done, its answer never read.
   */
  readonly neverAnswer?: boolean;
}

export interface ServerErrorAnswer {
  readonly status: 500 | 502;
  readonly contentType: string;
  readonly body: string;
  readonly afterProcessing: boolean;
  /** Send nothing back (the request is recorded with status 0). */
  readonly neverAnswer: boolean;
}

const BAD_GATEWAY_PAGE =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

export class ServerErrors {
  private readonly rules: Array<ServerErrorRule & { left: number }> = [];

  /** The next `count` requests matching the rule get a 5xx. */
  failNext(rule: ServerErrorRule): void {
    const count = rule.count ?? 1;
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`failNext: count must be a positive integer, got ${count}`);
    this.rules.push({ ...rule, left: count });
  }

  /** How many injected failures are still to come. */
  get pending(): number {
    return this.rules.reduce((n, r) => n + r.left, 0);
  }

  /** The failure this request gets, counted off its rule; undefined when it goes through. */
  take(method: string, path: string): ServerErrorAnswer | undefined {
    const rule = this.rules.find(
      (r) =>
        r.left > 0 &&
        (!r.method || r.method.toUpperCase() === method) &&
        (!r.pathIncludes || path.includes(r.pathIncludes)),
    );
    if (!rule) return undefined;
    rule.left--;
    if (rule.left === 0) this.rules.splice(this.rules.indexOf(rule), 1);
    const status = rule.status ?? 500;
    const afterProcessing = rule.afterProcessing ?? false;
    const neverAnswer = rule.neverAnswer ?? false;
    return status === 502
      ? { status, contentType: "text/html", body: BAD_GATEWAY_PAGE, afterProcessing, neverAnswer }
      : {
          status,
          contentType: "application/json",
          body: JSON.stringify({ message: "500: Internal Server Error", code: 0 }),
          afterProcessing,
          neverAnswer,
        };
  }
}
