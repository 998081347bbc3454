import type { IncomingHttpHeaders } from 'node:http';

import type { MacVerifier } from './mac.ts';
import type { AccessToken, FakeStore, FakeUser } from './store.ts';
import type { Quirks, Reply } from './wire.ts';
import { envelopeErrorReply, envelopeReply } from './wire.ts';
import { XiaomiCode, XiaomiRefusal } from './xiaomi-codes.ts';

interface OpenApi {
  /** Any one of these scopes opens the API. */
  scopes: number[];
  data: (user: FakeUser, token: AccessToken, store: FakeStore) => Record<string, unknown>;
}

const avatarSizes = ['orig', '75', '90', '120', '320'] as const;

// Paths are matched case-insensitively: Xiaomi's docs spell openidV2 and openIdV2.
const openApis: Record<string, OpenApi> = {
  '/user/profile': {
    scopes: [1],
    data: (user) => ({
      unionId: user.unionId,
      miliaoNick: user.nickname,
      miliaoIcon: user.icon,
      ...Object.fromEntries(avatarSizes.map((size) => [`miliaoIcon_${size}`, user.icon])),
      userId: user.userId,
    }),
  },
  '/user/openidv2': {
    scopes: [3],
    data: (user, token, store) => ({ openid: store.openIdOf(user, token.clientId) }),
  },
  '/user/phoneandemail': {
    scopes: [4, 6],
    // A field whose scope was not granted is an empty string, like an absent one.
    data: (user, token) => ({
      phone: token.scopes.includes(4) ? user.phone : '',
      email: token.scopes.includes(6) ? user.email : '',
    }),
  },
  '/user/relation': { scopes: [2], data: () => ({ friends: [] }) },
};

export const isOpenApiPath = (path: string): boolean => path.toLowerCase() in openApis;

export interface OpenApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

const answer = (
  store: FakeStore,
  macVerifier: MacVerifier,
  request: OpenApiRequest,
): Record<string, unknown> => {
  const api = openApis[request.path.toLowerCase()]!;
  const clientId = request.query.get('clientId');
  const accessToken = request.query.get('token');
  if (!clientId || !accessToken) {
    throw new XiaomiRefusal(XiaomiCode.invalidRequest, 'clientId and token are required');
  }
  const app = store.findApp(clientId);
  const token = store.findAccessToken(accessToken, app.clientId);
  if (app.requireMac) {
    macVerifier.verify(request.headers.authorization, accessToken, token.macKey, {
      method: request.method,
      host: request.headers.host ?? '',
      path: request.path,
      query: request.query,
    });
  }
  if (!api.scopes.some((scope) => token.scopes.includes(scope))) {
    throw new XiaomiRefusal(XiaomiCode.invalidScope, 'scope not granted');
  }
  const user = store.users.get(token.userId);
  if (!user) {
    throw new XiaomiRefusal(XiaomiCode.invalidToken, 'account no longer exists');
  }
  return api.data(user, token, store);
};

export const handleOpenApi = (
  store: FakeStore,
  macVerifier: MacVerifier,
  request: OpenApiRequest,
  quirks: Quirks,
): Reply => {
  try {
    return envelopeReply(answer(store, macVerifier, request));
  } catch (error: unknown) {
    if (error instanceof XiaomiRefusal) {
      return envelopeErrorReply(error.code, error.description, quirks);
    }
    throw error;
  }
};
