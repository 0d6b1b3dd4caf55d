/** Public exports of the muc group of XEP modules. */
export {};
