import { ConnectorFailure, type Step } from './errors.ts';
import { httpRequest, type Deadline } from './http.ts';
import { macAuthorization } from './mac-signature.ts';
import { emailScope, openIdScope, phoneScope } from './scopes.ts';
import { decodeOpenApiResponse } from './xiaomi-response.ts';

type JsonObject = Record<string, unknown>;

export type OpenApiContext = {
  openApiOrigin: string;
  clientId: string;
  accessToken: string;
  /** Set when the admin turned on MAC signing: the token's `mac_key`. */
  macKey?: string;
  deadline: Deadline;
};

/** The user data Xiaomi's Open API returned; `undefined` where a call was not made or failed. */
export type XiaomiUser = {
  profile: JsonObject;
  openId?: JsonObject;
  phoneAndEmail?: JsonObject;
};

const paths: Record<Exclude<Step, 'callback' | 'token' | 'refresh'>, string> = {
  profile: '/user/profile',
  openId: '/user/openIdV2',
  phoneAndEmail: '/user/phoneAndEmail',
};

/** Open API calls take camelCase `clientId` and `token`, unlike the OAuth endpoints. */
const callOpenApi = async (
  step: keyof typeof paths,
  context: OpenApiContext,
): Promise<JsonObject> => {
  const searchParams = new URLSearchParams();
  searchParams.set('clientId', context.clientId);
  searchParams.set('token', context.accessToken);
  const { macKey } = context;
  const signed = { method: 'GET', path: paths[step], query: searchParams } as const;
  const response = await httpRequest({
    step,
    deadline: context.deadline,
    method: 'GET',
    url: context.openApiOrigin + paths[step],
    searchParams,
    retryOnce: true,
    ...(macKey !== undefined && {
      headers: () => ({
        authorization: macAuthorization(context.accessToken, macKey, {
          ...signed,
          host: new URL(context.openApiOrigin).host,
        }),
      }),
    }),
  });
  const decoded = decodeOpenApiResponse(step, response);
  if (!decoded.ok) {
    throw new ConnectorFailure(decoded.failure);
  }
  return decoded.value;
};

/** Many apps are never granted phone and email, so these calls must not fail a sign-in. */
const optional = async (call: Promise<JsonObject>): Promise<JsonObject | undefined> => {
  try {
    return await call;
  } catch {
    return undefined;
  }
};

/**
 * Step 4: the Open API calls the granted scopes allow, all at once, so a full profile costs one
 * round trip after the token, not three.
 */
export const fetchXiaomiUser = async (
  context: OpenApiContext,
  granted: ReadonlySet<string>,
): Promise<XiaomiUser> => {
  const openId = granted.has(openIdScope) ? optional(callOpenApi('openId', context)) : undefined;
  const phoneAndEmail =
    granted.has(phoneScope) || granted.has(emailScope)
      ? optional(callOpenApi('phoneAndEmail', context))
      : undefined;
  const [profile, openIdData, phoneAndEmailData] = await Promise.all([
    callOpenApi('profile', context),
    openId,
    phoneAndEmail,
  ]);
  return { profile, openId: openIdData, phoneAndEmail: phoneAndEmailData };
};
