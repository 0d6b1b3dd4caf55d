/** The media layer: a content-addressed store, defensive downloads (streamed, or whole with a cap), re-hosting, XEP-0363 uploads, notices. */
export * from "./address-policy.ts";
export * from "./download-media.ts";
export * from "./fetch-media.ts";
export * from "./http-upload.ts";
export * from "./media-errors.ts";
export * from "./media-names.ts";
export * from "./media-store.ts";
export * from "./read-stream.ts";
export * from "./rehost.ts";
export * from "./too-large-notice.ts";
