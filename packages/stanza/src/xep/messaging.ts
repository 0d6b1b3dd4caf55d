export * from "./xep0308-correction.ts";
