/** Where the connector talks to Xiaomi. Only tests, the demo and benchmarks point it elsewhere. */
export type XiaomiEndpoints = {
  /** Browser redirect target (section 1 of Xiaomi's OAuth docs). */
  authorize: string;
  /** Code and refresh-token exchange. */
  token: string;
  /** Origin of the Open API; `/user/...` paths are appended. */
  openApi: string;
};

export const xiaomiEndpoints: XiaomiEndpoints = {
  authorize: 'https://account.xiaomi.com/oauth2/authorize',
  token: 'https://account.xiaomi.com/oauth2/token',
  openApi: 'https://open.account.xiaomi.com',
};

/** The Open API calls a sign-in makes, by the step each one is. */
export const openApiPaths = {
  profile: '/user/profile',
  openId: '/user/openIdV2',
  phoneAndEmail: '/user/phoneAndEmail',
} as const;

/** A stalled Xiaomi must fail a sign-in within this bound, retries included. */
export const defaultTimeoutMs = 10_000;
