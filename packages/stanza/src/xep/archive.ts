/** Public exports of the archive group of XEP modules. */
export {};
