/**
 * The few REST v10 reads `parley doctor` makes, with plain fetch: a handful
 * of GETs needs no client, and each answer is kept as Discord gave it (status
 * and error code), which is what a check is judged on. A 429 is waited out
 * (briefly) and asked again. The token goes only into the Authorization
 * header, never into a message.
 */

export type RestAnswer<T> =
  | { readonly ok: true; readonly value: T }
  /**
   * Discord answered with an error (`code` is Discord's JSON error code, e.g.
   * 50001 Missing Access), or did not answer at all (`status` 0).
   */
  | { readonly ok: false; readonly status: number; readonly code?: number; readonly message: string };

export const DISCORD_API = "https://discord.com/api";

export class DoctorRest {
  private readonly base: string;
  private readonly token: string;

  constructor(apiUrl: string | undefined, token: string) {
    this.base = `${(apiUrl ?? DISCORD_API).replace(/\/+$/, "")}/v10`;
    this.token = token;
  }

  async get<T>(path: string): Promise<RestAnswer<T>> {
    for (let attempt = 0; ; attempt++) {
      let answer: Response;
      try {
        answer = await fetch(`${this.base}${path}`, {
          headers: { Authorization: `Bot ${this.token}`, "User-Agent": "DiscordBot (parley doctor, 1)" },
          signal: AbortSignal.timeout(10_000),
        });
      } catch (e) {
        const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
        return { ok: false, status: 0, message: `${e instanceof Error ? e.message : String(e)}${cause}` };
      }
      // Not JSON: the status alone answers.
      const body = (await answer.json().catch(() => undefined)) as Record<string, unknown> | undefined;
      if (answer.ok) return { ok: true, value: body as T };
      if (answer.status === 429 && attempt < 2) {
        const wait = typeof body?.retry_after === "number" ? body.retry_after : 1;
        await new Promise((r) => setTimeout(r, Math.min(5, wait) * 1000));
        continue;
      }
      return {
        ok: false,
        status: answer.status,
        ...(typeof body?.code === "number" && { code: body.code }),
        message: typeof body?.message === "string" ? body.message : answer.statusText,
      };
    }
  }

  /** Where the answers come from, for messages: the API's base, never a token. */
  get where(): string {
    return this.base;
  }
}
