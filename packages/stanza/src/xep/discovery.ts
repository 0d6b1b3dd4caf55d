/** Public exports of the discovery group of XEP modules. */
export {};
