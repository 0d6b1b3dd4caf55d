/** Public exports of the media and presence-decoration XEP modules. */
export * from "./xep0054-vcard-temp.ts";
export * from "./xep0084-user-avatar.ts";
export * from "./xep0085-chat-states.ts";
export * from "./xep0153-vcard-avatar.ts";
export * from "./xep0172-nick.ts";
export * from "./xep0184-receipts.ts";
export * from "./xep0333-markers.ts";
export * from "./xep0363-http-upload.ts";
export * from "./xep0393-styling.ts";
