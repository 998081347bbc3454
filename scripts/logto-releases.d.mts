export type SupportedRelease = { logto: string; connectorKit: string };
/** A Logto release as the install test runs it: its own CLI, connector-kit and zod. */
export type LogtoRelease = SupportedRelease & {
  /** The node_modules holding that CLI, connector-kit and zod. */
  nodeModules: string;
  /** The directory of that @logto/cli package. */
  cli: string;
};
/** Every Logto release whose CLI the npm registry serves, oldest first. */
export declare const supportedReleases: SupportedRelease[];
/** zod as every supported release pins it. */
export declare const hostZod: string;
/** The release's CLI, connector-kit and zod, fetched into .cache/ on first use. */
export declare const logtoRelease: (release: SupportedRelease) => Promise<LogtoRelease>;
/** All supported releases, or those listed in LOGTO_RELEASES. */
export declare const releasesToTest: () => SupportedRelease[];
