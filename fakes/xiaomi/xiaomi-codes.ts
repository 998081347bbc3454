// The numeric error codes of Xiaomi's OAuth service and Open API (xiaomi-api.md, section 6).
export const XiaomiCode = {
  clientNotExists: 96001,
  invalidRequest: 96002,
  invalidClient: 96003,
  invalidGrant: 96004,
  unauthorizedClient: 96005,
  unsupportedGrantType: 96006,
  invalidScope: 96007,
  invalidToken: 96008,
  invalidRefreshToken: 96009,
  invalidRedirectUri: 96010,
  unsupportedResponseType: 96011,
  accessDenied: 96012,
  invalidCode: 96013,
} as const;

export type XiaomiCode = (typeof XiaomiCode)[keyof typeof XiaomiCode];

export const xiaomiCodeNames: Record<XiaomiCode, string> = {
  96001: 'OA_CLIENT_NOT_EXISTS',
  96002: 'OA_INVALID_REQUEST',
  96003: 'OA_INVALID_CLIENT',
  96004: 'OA_INVALID_GRANT',
  96005: 'OA_UNAUTHORIZED_CLIENT',
  96006: 'OA_UNSUPPORTED_GRANT_TYPE',
  96007: 'OA_INVALID_SCOPE',
  96008: 'OA_INVALID_TOKEN',
  96009: 'OA_INVALID_REFRESHTOKEN',
  96010: 'OA_INVALID_REDIRECT_URI',
  96011: 'OA_UNSUPPORTED_RESPONSE_TYPE',
  96012: 'OA_ACCESS_DENIED',
  96013: 'OA_INVALID_CODE',
};

/** A refusal decided by the fake's business logic, answered in the endpoint's own error format. */
export class XiaomiRefusal extends Error {
  constructor(
    readonly code: XiaomiCode,
    readonly description: string,
  ) {
    super(`${code} ${xiaomiCodeNames[code]}: ${description}`);
  }
}

/** What Xiaomi's logic answers, or its refusal in the endpoint's own error format. */
export const refusedAs = <T>(
  answer: () => T,
  refused: (code: XiaomiCode, description: string) => T,
): T => {
  try {
    return answer();
  } catch (error: unknown) {
    if (error instanceof XiaomiRefusal) {
      return refused(error.code, error.description);
    }
    throw error;
  }
};
