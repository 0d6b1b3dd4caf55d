/** Public exports of the media group of XEP modules. */
export {};
