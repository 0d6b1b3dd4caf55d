/** Whether a version string such as "v22.18.0" can run Parley (node:sqlite, TypeScript stripping). */
export declare function canRunParley(version: string): boolean;
/** Imports the built entry at `entry` once Node and the build are known to be fine; `name` is the command. */
export declare function launch(name: string, entry: URL): Promise<void>;
