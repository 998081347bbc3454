import type { IncomingMessage } from 'node:http';

import type { MacVerifier } from './mac.ts';
import type { AccessToken, FakeStore, FakeUser } from './store.ts';
import type { Quirks, Reply } from './wire.ts';
import { envelopeErrorReply, envelopeReply } from './wire.ts';
import { refusedAs, XiaomiCode, XiaomiRefusal } from './xiaomi-codes.ts';

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

const answer = (
  store: FakeStore,
  macVerifier: MacVerifier,
  request: IncomingMessage,
  { pathname: path, searchParams: query }: URL,
): Record<string, unknown> => {
  const api = openApis[path.toLowerCase()]!;
  const clientId = query.get('clientId');
  const accessToken = query.get('token');
  if (!clientId || !accessToken) {
    throw new XiaomiRefusal(XiaomiCode.invalidRequest, 'clientId and token are required');
  }
  const app = store.findApp(clientId);
  const token = store.findAccessToken(accessToken, app.clientId);
  if (app.requireMac) {
    macVerifier.verify(request.headers.authorization, accessToken, token.macKey, {
      method: request.method ?? 'GET',
      host: request.headers.host ?? '',
      path,
      query,
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
  request: IncomingMessage,
  url: URL,
  quirks: Quirks,
): Reply =>
  refusedAs(
    () => envelopeReply(answer(store, macVerifier, request, url)),
    (code, description) => envelopeErrorReply(code, description, quirks),
  );
