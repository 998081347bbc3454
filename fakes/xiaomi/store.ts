import { createHash, randomBytes } from 'node:crypto';

import { XiaomiCode, XiaomiRefusal } from './xiaomi-codes.ts';

/** A Xiaomi developer-platform app, as the fake's tests configure it. */
export interface FakeApp {
  clientId: string;
  clientSecret: string;
  /** Callback URLs registered on Xiaomi's side; matched exactly. */
  redirectUris: string[];
  /** Scopes Xiaomi's platform granted the app; others it asks for are silently left out. */
  permittedScopes: number[];
  /** Off models an app whose account service is not enabled: Xiaomi answers 96001. */
  accountServiceEnabled: boolean;
  /** On models an app whose Open API calls must carry a MAC signature (96012 otherwise). */
  requireMac: boolean;
}

/** A Xiaomi account that can sign in on the fake's consent page. */
export interface FakeUser {
  userId: string;
  unionId: string;
  nickname: string;
  icon: string;
  /** Empty when the account has no phone; Xiaomi then answers an empty string. */
  phone: string;
  email: string;
}

export const defaultApp: FakeApp = {
  clientId: '2882303761520000001',
  clientSecret: 'fake-xiaomi-secret-5Jx9',
  redirectUris: [],
  permittedScopes: [1, 3, 4, 6],
  accountServiceEnabled: true,
  requireMac: false,
};

export const defaultUser: FakeUser = {
  userId: '1234567890',
  unionId: 'uUnion_fake_4f1c2e',
  nickname: 'Lei Jun (fake)',
  icon: 'https://cdn.cnbj1.fds.api.mi-img.com/user-avatar/fake.jpg',
  phone: '+8613800138000',
  email: 'leijun@example.com',
};

const codeLifetimeMs = 5 * 60_000;
// Xiaomi's token-life-cycle page: access tokens about 90 days, refresh tokens 10 years.
export const accessTokenLifetimeSeconds = 90 * 24 * 3600;
const refreshTokenLifetimeMs = 10 * 365 * 24 * 3600 * 1000;
const pendingConsentLifetimeMs = 10 * 60_000;

export interface ConsentRequest {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  /** Requested and permitted for the app: what the consent page offers. */
  offeredScopes: number[];
  /** Requested but not permitted for the app: dropped without an error. */
  droppedScopes: number[];
  skipConfirm: boolean;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  userId: string;
  scopes: number[];
  issuedAt: number;
  used: boolean;
}

export interface AccessToken {
  clientId: string;
  userId: string;
  scopes: number[];
  macKey: string;
  expiresAt: number;
}

type RefreshToken = Omit<AccessToken, 'macKey'> & { used: boolean };

const opaque = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;

/** Everything Xiaomi remembers between requests; time comes from the injected clock. */
export class FakeStore {
  readonly apps = new Map<string, FakeApp>();
  readonly users = new Map<string, FakeUser>();
  private readonly consents = new Map<string, ConsentRequest & { createdAt: number }>();
  private readonly grants = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();

  constructor(readonly now: () => number) {}

  findApp(clientId: string | undefined): FakeApp {
    if (!clientId) {
      throw new XiaomiRefusal(XiaomiCode.invalidRequest, 'client_id is missing');
    }
    const app = this.apps.get(clientId);
    if (!app || !app.accountServiceEnabled) {
      throw new XiaomiRefusal(XiaomiCode.clientNotExists, 'client not exists');
    }
    return app;
  }

  /** Per-app id, stable for a user and an app, as Xiaomi's openId is. */
  openIdOf(user: FakeUser, clientId: string): string {
    return createHash('sha256')
      .update(`${clientId}:${user.userId}`)
      .digest('base64url')
      .slice(0, 24);
  }

  holdConsent(request: ConsentRequest): string {
    const id = opaque('txn_');
    this.consents.set(id, { ...request, createdAt: this.now() });
    return id;
  }

  takeConsent(id: string): ConsentRequest | undefined {
    const pending = this.consents.get(id);
    this.consents.delete(id);
    if (!pending || this.now() - pending.createdAt > pendingConsentLifetimeMs) {
      return undefined;
    }
    return pending;
  }

  issueCode(grant: Omit<Grant, 'issuedAt' | 'used'>): string {
    const code = opaque('C3_');
    this.grants.set(code, { ...grant, issuedAt: this.now(), used: false });
    return code;
  }

  /**
   * Codes for the same consent as an unused `code`, as if the user had consented again: for load
   * tests, where the consent page would cost more than the sign-ins it feeds.
   */
  issueCodesLike(code: string, count: number): string[] {
    const grant = this.grants.get(code);
    if (!grant || grant.used) {
      throw new Error('issueCodesLike needs an unused code');
    }
    return Array.from({ length: count }, () => this.issueCode(grant));
  }

  /** Single use: a code is spent by the first exchange that passes client authentication. */
  redeemCode(code: string, clientId: string, redirectUri: string) {
    const grant = this.grants.get(code);
    if (!grant || grant.used || this.now() - grant.issuedAt > codeLifetimeMs) {
      throw new XiaomiRefusal(XiaomiCode.invalidCode, 'code is invalid, expired or already used');
    }
    grant.used = true;
    if (grant.clientId !== clientId) {
      throw new XiaomiRefusal(XiaomiCode.invalidGrant, 'code was issued to another client');
    }
    if (grant.redirectUri !== redirectUri) {
      throw new XiaomiRefusal(
        XiaomiCode.invalidRedirectUri,
        'redirect_uri differs from the authorize request',
      );
    }
    return this.issueTokens(grant);
  }

  /** Single use: every refresh spends the refresh token and hands out a new one. */
  redeemRefreshToken(refreshToken: string, clientId: string) {
    const stored = this.refreshTokens.get(refreshToken);
    if (!stored || stored.used || stored.clientId !== clientId || this.now() > stored.expiresAt) {
      throw new XiaomiRefusal(
        XiaomiCode.invalidRefreshToken,
        'refresh token is invalid, expired or already used',
      );
    }
    stored.used = true;
    return this.issueTokens(stored);
  }

  findAccessToken(accessToken: string, clientId: string): AccessToken {
    const token = this.accessTokens.get(accessToken);
    if (!token || token.clientId !== clientId || this.now() > token.expiresAt) {
      throw new XiaomiRefusal(XiaomiCode.invalidToken, 'access token is invalid or expired');
    }
    return token;
  }

  private issueTokens({ clientId, userId, scopes }: Grant | RefreshToken) {
    const accessToken = opaque('V3_');
    const refreshToken = opaque('R3_');
    const token: AccessToken = {
      clientId,
      userId,
      scopes,
      macKey: randomBytes(12).toString('base64url'),
      expiresAt: this.now() + accessTokenLifetimeSeconds * 1000,
    };
    this.accessTokens.set(accessToken, token);
    const expiresAt = this.now() + refreshTokenLifetimeMs;
    this.refreshTokens.set(refreshToken, { clientId, userId, scopes, expiresAt, used: false });
    return { accessToken, refreshToken, token };
  }
}
