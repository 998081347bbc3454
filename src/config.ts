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

/**
 * The scopes the console's picker offers (Xiaomi's scope-list page: the ids a sign-in uses):
 * each box's value is its id and Xiaomi's name for it, and is what the config stores.
 */
const pickerScopes = [
  [profileScope, 'profile'],
  [openIdScope, 'openId'],
  [phoneScope, 'phone'],
  [emailScope, 'email'],
] as const;

const pickerValues = pickerScopes.map(([id, name]) => `${id} ${name}`) as [string, ...string[]];

// Distributes over the union, so a MultiSelect item keeps its `selectItems`.
type FormItem = ConnectorConfigFormItem extends infer Item
  ? Item extends ConnectorConfigFormItem
    ? Omit<Item, 'key' | 'required'>
    : never
  : never;
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
  scopes: {
    // A MultiSelect under a new key, not on `scope`: the console seeds a MultiSelect from the
    // stored value only when it is an array of strings (`Array.isArray(value)` in
    // packages/console/src/components/ConnectorForm/ConfigForm/ConfigFormFields/index.tsx;
    // `initFormData` in packages/console/src/utils/connector-form.ts passes `config[key]` as is),
    // so an old `scope: "1 3"` would show no box checked, and the first click would replace it.
    schema: z
      .array(
        z.enum(pickerValues, {
          errorMap: () => ({
            message: `Scopes must be picked from ${pickerValues.map((value) => `"${value}"`).join(', ')}; put any other scope id in Scope (other ids).`,
          }),
        }),
        {
          invalid_type_error:
            'Scopes must be a list of picked scopes, e.g. ["1 profile", "3 openId"].',
        },
      )
      .optional(),
    form: {
      type: ConnectorConfigFormItemType.MultiSelect,
      label: 'Scopes',
      // MultiSelect items carry only a value in connector-kit 4.7 to 5.1 (`selectItems:
      // z.array(z.object({ value: z.string() }))`, types/config-form.ts), core's response guard
      // strips anything else (koaGuard in packages/core/src/middleware/koa-guard.ts), and the
      // console labels a box with its value: so the value is the name the admin reads.
      selectItems: pickerValues.map((value) => ({ value })),
      defaultValue: [pickerValues[0]],
      description:
        '1 profile is always requested, checked or not: it carries the unionId users are known by. 3 adds the openId, 4 the phone number, 6 the email address (4 and 6 only once Xiaomi has granted them to your app).',
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
      // Kept as a form item: the console saves only the keys of `formItems` (`parseFormConfig` in
      // packages/console/src/utils/connector-form.ts drops the others), so an old "1 3" survives
      // a save, and shows, only while it has a field.
      label: 'Scope (other ids)',
      placeholder: '1000 16000',
      description:
        'More Xiaomi scope ids separated by spaces, requested together with the boxes above, e.g. for services your app calls with token storage. A Scope saved before the picker, such as "1 3", stays here and keeps working.',
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
 * The picker's boxes and the Scope field as one space-separated `scope`, scope 1 first, so the
 * rest of the connector reads `config.scope` alone, whichever of the two a config was saved with.
 */
const withScopesMerged = (config: ConnectorConfig): ConnectorConfig => {
  const picked = (config.scopes ?? []).map((value) => value.split(' ')[0] ?? '');
  return { ...config, scope: requestedScopes([...picked, config.scope ?? ''].join(' ')).join(' ') };
};

type ParsedConfig =
  | { ok: true; config: ConnectorConfig }
  | { ok: false; description: string; issues: { path: string; message: string }[] };

const validate = (config: unknown): ParsedConfig => {
  const result = configGuard.safeParse(config);
  return result.success
    ? { ok: true, config: Object.freeze(withScopesMerged(result.data)) }
    : {
        ok: false,
        description: describeConfigIssues(result.error),
        issues: result.error.issues.map(({ path, message }) => ({ path: path.join('.'), message })),
      };
};

/**
 * The last valid config, by its JSON text. Logto hands the connector its config afresh on each
 * call, twice a sign-in and nearly always the same, and zod took 3 to 5% of a sign-in's CPU
 * checking it again; its JSON text costs a tenth of that (docs/benchmarks.md). Keyed by content,
 * not by object, so a config saved in the console counts from the next call; what is handed on is
 * the data zod checked, never the object that only serialises like it. The JSON text is the whole
 * of a config Logto hands over: core keeps it in a `jsonb` column
 * (packages/schemas/tables/connectors.sql), so it holds nothing JSON would drop.
 */
let lastValid: { text: string; parsed: ParsedConfig } | undefined;

/** Beyond this a config is not one an admin typed: it is checked, never kept. */
const maxKeptLength = 16 * 1024;

/**
 * The config Logto holds for this connector, validated and with its scopes normalised (frozen: it
 * may serve the next call too); or, for an `invalid-config` failure, what the admin must fix.
 */
export const parseConfig = (config: unknown): ParsedConfig => {
  let text: string | undefined;
  try {
    text = JSON.stringify(config);
  } catch {
    // A BigInt or a cycle has no JSON text; zod says what is wrong with it.
  }
  if (text !== undefined && text === lastValid?.text) {
    return lastValid.parsed;
  }
  const parsed = validate(config);
  if (parsed.ok && text !== undefined && text.length <= maxKeptLength) {
    lastValid = { text, parsed };
  }
  return parsed;
};
