/** The small answers both HTTP endpoints give, written once. */
import type { IncomingMessage, ServerResponse } from "node:http";

const ALLOW = "GET, HEAD";

/** The path of an origin-form request target, undecoded; undefined for any other form. */
export function requestPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith("/")) return undefined;
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

/** Answers 405 unless the request is a GET or a HEAD; true when it was answered. */
export function refusedMethod(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "GET" || req.method === "HEAD") return false;
  res.setHeader("Allow", ALLOW);
  plain(res, 405, "method not allowed");
  return true;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

export function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
  res.end(`${text}\n`);
}

export function notFound(res: ServerResponse): void {
  plain(res, 404, "not found");
}
