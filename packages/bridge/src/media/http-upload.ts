/**
 * XEP-0363 HTTP File Upload, as a client of the XMPP server's upload service:
 * the bridge puts a remote file where XMPP users' clients expect files to be,
 * rather than linking to a URL that expires or needs a login.
 *
 * One upload = ask the service for a slot (an iq), PUT the bytes to the slot's
 * URL with exactly the headers the slot allows, hand out the slot's GET URL.
 */
import {
  buildUploadRequest,
  type Element,
  type Iq,
  localNameOf,
  NS,
  nsOf,
  parseUploadSlot,
  type StanzaError,
  uploadErrorDetail,
} from "@parley/stanza";
import { type Logger, silentLogger } from "../ops/logger-types.ts";
import { MediaTooLargeError, UploadError } from "./media-errors.ts";
import { extensionFor, sanitizeContentType, sanitizeFilename } from "./media-names.ts";

export interface HttpUploaderOptions {
  /** The upload service's JID (found through disco, e.g. `upload.example.org`). */
  readonly service: string;
  /** The JID the request comes from (the component, or a puppet). */
  readonly from: string;
  /** Sends an iq and resolves with the answer: `IqRouter.request`. */
  readonly request: (o: { type: "get" | "set"; to: string; from: string; payload: Element }) => Promise<Iq>;
  readonly fetch?: typeof fetch;
  /** For the PUT (default 60,000). */
  readonly timeoutMs?: number;
  /**
   * XEP-0363 requires HTTPS slot URLs. Plain http is accepted only for a
   * loopback host (an upload service on the same machine, a test server)
   * unless this is set.
   */
  readonly allowInsecureHttp?: boolean;
  readonly logger?: Logger;
}

function isFileTooLarge(e: StanzaError): boolean {
  return (
    e.application !== undefined &&
    localNameOf(e.application) === "file-too-large" &&
    nsOf(e.application) === NS.httpUpload
  );
}

/** localhost, 127.0.0.0/8 or ::1: traffic that never leaves the machine. */
function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export class HttpUploader {
  private readonly o: HttpUploaderOptions;
  private readonly logger: Logger;

  constructor(o: HttpUploaderOptions) {
    this.o = o;
    this.logger = (o.logger ?? silentLogger).child({ part: "http-upload" });
  }

  /**
   * Uploads `bytes` and resolves with the URL to share. Rejects with
   * MediaTooLargeError when the service says the file is over its maximum
   * size (with that size as `limit`), UploadError otherwise.
   */
  async upload(bytes: Uint8Array, meta: { filename: string; contentType: string }): Promise<string> {
    const contentType = sanitizeContentType(meta.contentType);
    const filename = sanitizeFilename(meta.filename) ?? `file.${extensionFor(contentType)}`;
    const answer = await this.o.request({
      type: "get",
      to: this.o.service,
      from: this.o.from,
      payload: buildUploadRequest({ filename, size: bytes.byteLength, contentType }),
    });
    if (answer.type === "error" || answer.error !== undefined) {
      const e = answer.error;
      if (e === undefined) throw new UploadError("undefined-condition", `${this.o.service} refused the upload slot`);
      const detail = uploadErrorDetail(e);
      if (detail.maxFileSize !== undefined) throw new MediaTooLargeError(bytes.byteLength, detail.maxFileSize);
      const condition = isFileTooLarge(e) ? "file-too-large" : e.condition;
      throw new UploadError(
        condition,
        `${this.o.service} refused the upload slot: ${condition}${e.text ? ` (${e.text.slice(0, 200)})` : ""}`,
        detail.retryAt !== undefined ? { retryAt: detail.retryAt } : {},
      );
    }
    if (answer.payload === undefined) throw new UploadError("bad-slot", `${this.o.service} answered without a slot`);
    const parsed = parseUploadSlot(answer.payload);
    if (!parsed.ok)
      throw new UploadError("bad-slot", `${this.o.service} answered an unusable slot: ${parsed.error.message}`);
    const slot = parsed.value;
    this.checkUrl(slot.putUrl, "put");
    this.checkUrl(slot.getUrl, "get");

    const headers: Record<string, string> = { "Content-Type": contentType };
    for (const h of slot.putHeaders) headers[h.name] = h.value;
    const doFetch = this.o.fetch ?? globalThis.fetch;
    const done = new AbortController();
    let res: Response;
    try {
      res = await doFetch(slot.putUrl, {
        method: "PUT",
        headers,
        body: bytes,
        redirect: "error",
        signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs ?? 60_000), done.signal]),
      });
    } catch (e) {
      throw new UploadError("put-failed", `the upload PUT failed: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
    // The answer's body is of no use; aborting drops the connection rather than pooling one with unread bytes.
    done.abort();
    if (res.status < 200 || res.status > 299) {
      throw new UploadError("put-failed", `the upload PUT was answered ${res.status}`, { status: res.status });
    }
    this.logger.debug("uploaded", { service: this.o.service, size: bytes.byteLength, contentType });
    return slot.getUrl;
  }

  private checkUrl(raw: string, which: "put" | "get"): void {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UploadError("bad-slot", `the slot's ${which} URL is not a URL`);
    }
    const ok =
      url.protocol === "https:" ||
      (url.protocol === "http:" && (this.o.allowInsecureHttp === true || isLoopbackHost(url.hostname)));
    if (!ok) throw new UploadError("bad-slot", `the slot's ${which} URL must be https, got ${url.protocol}`);
  }
}
