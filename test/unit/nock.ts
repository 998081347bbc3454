import nock from 'nock';
import { afterEach, beforeAll } from 'vitest';

import { accessToken, clientId, envelope, profileData, tokenBody } from './fixtures.ts';

export const accountHost = 'https://account.xiaomi.com';
export const openApiHost = 'https://open.account.xiaomi.com';

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

export const mockToken = (body: string = tokenBody(), status = 200) =>
  nock(accountHost).post('/oauth2/token').reply(status, body);

export const mockProfile = (data: Record<string, unknown> = profileData) =>
  nock(openApiHost)
    .get('/user/profile')
    .query({ clientId, token: accessToken })
    .reply(200, envelope(data));
