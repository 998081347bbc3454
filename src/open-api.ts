import { ConnectorFailure, type Step } from './errors.ts';
import { macAuthorization } from './mac-signature.ts';
import { callXiaomi } from './retry.ts';
import { emailScope, openIdScope, phoneScope } from './scopes.ts';
import { timeLimit, type Budget } from './time-limit.ts';
import { decodeOpenApiResponse } from './xiaomi-response.ts';

type JsonObject = Record<string, unknown>;

export type OpenApiContext = {
  openApiOrigin: string;
  clientId: string;
  accessToken: string;
  /** Set when the admin turned on MAC signing: the token's `mac_key`. */
  macKey?: string;
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
  budget: Budget,
): Promise<JsonObject> => {
  const searchParams = new URLSearchParams();
  searchParams.set('clientId', context.clientId);
  searchParams.set('token', context.accessToken);
  const { macKey } = context;
  const signed = { method: 'GET', path: paths[step], query: searchParams } as const;
  const decoded = await callXiaomi(
    step,
    {
      method: 'GET',
      url: `${context.openApiOrigin}${paths[step]}?${searchParams}`,
      ...(macKey !== undefined && {
        headers: () => ({
          authorization: macAuthorization(context.accessToken, macKey, {
            ...signed,
            host: new URL(context.openApiOrigin).host,
          }),
        }),
      }),
    },
    decodeOpenApiResponse,
    budget,
  );
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
 * Once the profile has answered, the optional calls have this share of the sign-in's time left to
 * finish (0.5 s of the 10 s); then they are dropped, and the sign-in goes on without their data.
 */
const graceShare = 0.05;

/**
 * Step 4: the Open API calls the granted scopes allow, all at once, so a full profile costs one
 * round trip after the token, not three.
 */
export const fetchXiaomiUser = async (
  context: OpenApiContext,
  granted: ReadonlySet<string>,
  budget: Budget,
): Promise<XiaomiUser> => {
  const wantsOpenId = granted.has(openIdScope);
  const wantsPhoneAndEmail = granted.has(phoneScope) || granted.has(emailScope);
  if (!wantsOpenId && !wantsPhoneAndEmail) {
    return { profile: await callOpenApi('profile', context, budget) };
  }
  const optionalCalls = timeLimit(budget.ms, budget.signal);
  const optionalBudget = { signal: optionalCalls.signal, ms: budget.ms };
  const openId = wantsOpenId ? optional(callOpenApi('openId', context, optionalBudget)) : undefined;
  const phoneAndEmail = wantsPhoneAndEmail
    ? optional(callOpenApi('phoneAndEmail', context, optionalBudget))
    : undefined;
  let profile: JsonObject;
  try {
    profile = await callOpenApi('profile', context, budget);
  } catch (error: unknown) {
    optionalCalls.abort();
    throw error;
  }
  optionalCalls.restart(budget.ms * graceShare);
  try {
    return { profile, openId: await openId, phoneAndEmail: await phoneAndEmail };
  } finally {
    optionalCalls.clear();
  }
};
