// The console's form for a config (`formItems`) must suit the config guard: each form item's type
// must suit the zod type of the config key it edits. These rules are those of an earlier Logto
// core, which skipped such a connector at start (`validateFormItemsAndConfigGuardConsistency`,
// called from packages/core/src/utils/connectors/factories.ts, with IGNORE_CONNECTOR_FORM_VIEW_
// CONFIG_GUARD_CHECK to turn it off). Logto 1.37.1 to 1.43.0 no longer run it: core's
// `loadConnectorFactories` (packages/core/src/utils/connectors/index.ts) calls the CLI's loader
// (packages/cli/src/connector/factories.ts) and then only checks for duplicate factory ids, and
// none of those releases' published @logto/cli holds the check. It is kept here as a stricter bar,
// with one rule added for what those releases do accept and Logto's own connectors ship: a list
// of an enum edited as MultiSelect offering exactly the enum's values (connector-kit's
// `oidcPromptsGuard`, `z.nativeEnum(OidcPrompt).array()`, behind Google's "Prompts" MultiSelect).
// Only the rules for the zod types this connector's config uses are here; any other type is
// reported, so that its rule is ported from that core the day the config first uses one.
// The checks use `instanceof` against the host's own zod classes, so a connector that bundles its
// own zod fails them all.

/**
 * @param {typeof import('zod')} zod the host's zod module
 * @param {unknown} configGuard the connector's config guard
 * @param {Array<Record<string, unknown>>} formItems the metadata's form items
 * @returns {string[]} one line per problem; empty when core would accept the connector
 */
export const formItemProblems = (zod, configGuard, formItems) => {
  if (!(configGuard instanceof zod.ZodObject)) {
    return ['the config guard is not a z.object() of the host’s zod'];
  }
  return formItems.flatMap((item) =>
    problemsOf(zod, configGuard.shape[item.key], item).map((problem) => `${item.key}: ${problem}`),
  );
};

const problemsOf = (zod, schema, item) => {
  const expect = (condition, problem) => (condition ? [] : [problem]);

  if (schema instanceof zod.ZodString) {
    return expect(['Text', 'MultilineText'].includes(item.type), `a string edited as ${item.type}`);
  }
  if (schema instanceof zod.ZodBoolean) {
    return expect(item.type === 'Switch', `a boolean edited as ${item.type}`);
  }
  if (schema instanceof zod.ZodArray && item.type === 'MultiSelect') {
    const { element } = schema;
    const values =
      element instanceof zod.ZodEnum || element instanceof zod.ZodNativeEnum
        ? Object.values(element.enum)
        : undefined;
    const offered = (item.selectItems ?? []).map(({ value }) => value);
    return expect(
      values !== undefined && JSON.stringify(values) === JSON.stringify(offered),
      `a list of ${JSON.stringify(values ?? 'non-enum values')} edited as MultiSelect offering ${JSON.stringify(offered)}`,
    );
  }
  if (schema instanceof zod.ZodEffects && schema._def.effect.type === 'refinement') {
    return problemsOf(zod, schema.innerType(), item);
  }
  if (schema instanceof zod.ZodOptional) {
    return [
      ...expect(
        !item.required || (item.showConditions?.length ?? 0) > 0,
        'optional in the guard but required in the form',
      ),
      ...problemsOf(zod, schema.unwrap(), item),
    ];
  }
  return [`a ${schema?.constructor.name ?? 'missing'} schema, which this check has no rule for`];
};
