import { ConnectorConfigFormItemType, type ConnectorConfigFormItem } from '@logto/connector-kit';
import { z } from 'zod';

/**
 * Xiaomi scopes are numeric ids. `1` (user/profile) carries the unionId, the only identity this
 * connector (and Logto's own Xiaomi connector) uses, so it is always requested.
 */
const profileScope = '1';
export const openIdScope = '3';
export const phoneScope = '4';
export const emailScope = '6';

const scopeListPattern = /^\s*\d+(?:\s+\d+)*\s*$/;

const isScopeList = (value: string): boolean => value.trim() === '' || scopeListPattern.test(value);

/** Splits a space-separated scope list, drops duplicates and puts scope 1 first. */
export const requestedScopes = (scope: string | undefined): string[] => {
  const ids = (scope ?? '').split(/\s+/).filter((id) => /^\d+$/.test(id));
  return [...new Set([profileScope, ...ids])];
};

/**
 * What Xiaomi granted: the token response's `scope` when it sends one (the user or Xiaomi may
 * narrow the request), otherwise what was asked for.
 */
export const grantedScopes = (
  granted: string | undefined,
  requested: string | undefined,
): Set<string> => {
  const ids = granted?.split(/[\s,]+/).filter((id) => /^\d+$/.test(id)) ?? [];
  return new Set(ids.length > 0 ? ids : requestedScopes(requested));
};

type FormItem = Omit<ConnectorConfigFormItem, 'key' | 'required'>;
type Field = { schema: z.ZodTypeAny; form: FormItem };

/**
 * The config, declared once: each field's zod schema (what Logto validates on save) beside the form
 * item the console renders. `configGuard` and `formItems` are both derived from this table, so they
 * cannot drift apart. The keys are those of Logto's own Xiaomi connector, so a config saved for it
 * validates here unchanged.
 */
const fields = {
  clientId: {
    schema: z
      .string({
        required_error: 'Client ID is required: paste the AppID of your Xiaomi app.',
        // An AppID pasted unquoted into the JSON editor becomes a number, and loses digits.
        invalid_type_error: 'Client ID must be text: put the AppID in quotes.',
      })
      .regex(
        /^\d+$/,
        'Client ID must be the numeric AppID from Xiaomi’s open platform (digits only, no spaces), e.g. 2882303761520000001.',
      ),
    form: {
      type: ConnectorConfigFormItemType.Text,
      label: 'Client ID (AppID)',
      placeholder: '2882303761520000001',
      description: 'The AppID of your app on Xiaomi’s open platform (dev.mi.com).',
      tooltip: 'Xiaomi open platform > your app > App information: AppID.',
    },
  },
  clientSecret: {
    schema: z
      .string({
        required_error: 'Client Secret is required: paste the AppSecret of your Xiaomi app.',
        invalid_type_error: 'Client Secret must be text: the AppSecret of your Xiaomi app.',
      })
      .regex(
        /^\S+$/,
        'Client Secret must be the AppSecret from Xiaomi’s open platform, not empty and without spaces.',
      ),
    form: {
      type: ConnectorConfigFormItemType.Text,
      label: 'Client Secret (AppSecret)',
      placeholder: '<AppSecret>',
      isConfidential: true,
      description: 'The AppSecret of the same Xiaomi app. Stored encrypted; never logged.',
      tooltip: 'Xiaomi open platform > your app > App information: AppSecret.',
    },
  },
  scope: {
    schema: z
      .string({
        invalid_type_error: 'Scope must be text: scope ids separated by spaces, e.g. "1 3".',
      })
      .refine(
        isScopeList,
        'Scope must be Xiaomi’s numeric scope ids separated by spaces, e.g. "1 3 6" (not names like "profile email").',
      )
      .optional(),
    form: {
      type: ConnectorConfigFormItemType.Text,
      label: 'Scope',
      placeholder: '1 3',
      defaultValue: '1',
      description:
        'Xiaomi scope ids separated by spaces. 1 (profile) is always requested; 3 adds the openId, 4 the phone number, 6 the email address.',
      tooltip:
        'Other ids (Mi Cloud, Mi Home, …) are requested for your app to use with token storage.',
    },
  },
  skipConfirm: {
    schema: z
      .boolean({ invalid_type_error: 'Skip Xiaomi’s confirmation page must be on or off.' })
      .optional(),
    form: {
      type: ConnectorConfigFormItemType.Switch,
      label: 'Skip Xiaomi’s confirmation page',
      defaultValue: false,
      description:
        'Skip Xiaomi’s account confirmation page when the user is already signed in to Xiaomi.',
    },
  },
  macSignature: {
    schema: z.boolean({ invalid_type_error: 'Sign Open API calls must be on or off.' }).optional(),
    form: {
      type: ConnectorConfigFormItemType.Switch,
      label: 'Sign Open API calls (MAC)',
      defaultValue: false,
      description:
        'Sign every Open API call with the token’s mac_key (HMAC-SHA1). Turn on only if Xiaomi requires MAC signatures for your app.',
    },
  },
  redirectUri: {
    schema: z
      .string({ invalid_type_error: 'Redirect URI must be text: your Logto callback URL.' })
      .url(
        'Redirect URI must be your Logto callback URL, e.g. https://auth.example.com/callback/<connector id>.',
      )
      .optional(),
    form: {
      type: ConnectorConfigFormItemType.Text,
      label: 'Redirect URI (for token refresh)',
      placeholder: 'https://auth.example.com/callback/<connector id>',
      description:
        'Leave empty unless token storage is on: Xiaomi requires the callback URL again when refreshing tokens.',
    },
  },
} satisfies Record<string, Field>;

type Fields = typeof fields;

export const configGuard = z.object(
  Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, field.schema])) as {
    [Key in keyof Fields]: Fields[Key]['schema'];
  },
);

export const formItems: ConnectorConfigFormItem[] = Object.entries(fields).map(
  ([key, field]: [string, Field]) =>
    ({
      key,
      required: !(field.schema instanceof z.ZodOptional),
      ...field.form,
    }) as ConnectorConfigFormItem,
);

/** The validated config. */
export type ConnectorConfig = z.infer<typeof configGuard>;

/** Describes every problem by its field, so an admin reading Logto's error knows what to fix. */
export const describeConfigIssues = (error: z.ZodError): string =>
  error.issues.map((issue) => issue.message).join(' ');

/**
 * The config Logto holds for this connector, validated and with its scopes normalised; or, for an
 * `invalid-config` failure, what the admin must fix.
 */
export const parseConfig = (
  config: unknown,
):
  | { ok: true; config: ConnectorConfig }
  | { ok: false; description: string; issues: { path: string; message: string }[] } => {
  const result = configGuard.safeParse(config);
  return result.success
    ? { ok: true, config: result.data }
    : {
        ok: false,
        description: describeConfigIssues(result.error),
        issues: result.error.issues.map(({ path, message }) => ({ path: path.join('.'), message })),
      };
};
