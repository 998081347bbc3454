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
// The checks use `instanceof` against the host's own zod classes, so a connector that bundles its
// own zod fails them all.

/**
 * @param {typeof import('zod')} zod the host's zod module
 * @param {unknown} configGuard the connector's config guard
 * @param {Array<Record<string, unknown>> | undefined} formItems the metadata's form items
 * @returns {string[]} one line per problem; empty when core would accept the connector
 */
export const formItemProblems = (zod, configGuard, formItems) => {
  if (!formItems) {
    return [];
  }
  let guard = configGuard;
  while (guard instanceof zod.ZodEffects && guard._def.effect.type === 'refinement') {
    guard = guard.innerType();
  }
  if (!(guard instanceof zod.ZodObject)) {
    return ['the config guard is not a z.object() of the host’s zod'];
  }
  return formItems.flatMap((item) =>
    problemsOf(zod, guard.shape[item.key], item).map((problem) => `${item.key}: ${problem}`),
  );
};

const problemsOf = (zod, schema, item) => {
  const expect = (condition, problem) => (condition ? [] : [problem]);
  const isOneOf = (...types) => types.includes(item.type);

  if (schema instanceof zod.ZodString) {
    return expect(isOneOf('Text', 'MultilineText'), `a string edited as ${item.type}`);
  }
  if (schema instanceof zod.ZodNumber) {
    return expect(isOneOf('Number'), `a number edited as ${item.type}`);
  }
  if (schema instanceof zod.ZodBoolean) {
    return expect(isOneOf('Switch'), `a boolean edited as ${item.type}`);
  }
  if (schema instanceof zod.ZodEnum || schema instanceof zod.ZodNativeEnum) {
    const values = Object.values(schema.enum);
    const offered = (item.selectItems ?? []).map(({ value }) => value);
    return expect(
      isOneOf('Select') && JSON.stringify(values) === JSON.stringify(offered),
      `an enum of ${JSON.stringify(values)} edited as ${item.type} offering ${JSON.stringify(offered)}`,
    );
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
  if (
    schema instanceof zod.ZodObject ||
    schema instanceof zod.ZodRecord ||
    schema instanceof zod.ZodArray
  ) {
    return expect(isOneOf('Json'), `structured data edited as ${item.type}`);
  }
  if (schema instanceof zod.ZodLiteral) {
    return expect(isOneOf('Text', 'MultilineText', 'Select'), `a literal edited as ${item.type}`);
  }
  if (schema instanceof zod.ZodEffects) {
    const { type } = schema._def.effect;
    if (type === 'transform') {
      return problemsOf(zod, schema.sourceType(), item);
    }
    return type === 'refinement' || type === 'preprocess'
      ? problemsOf(zod, schema.innerType(), item)
      : [`an effect of unknown type ${type}`];
  }
  if (schema instanceof zod.ZodUnion || schema instanceof zod.ZodDiscriminatedUnion) {
    return schema.options.some((option) => problemsOf(zod, option, item).length > 0)
      ? ['a union with a member the form item does not suit']
      : [];
  }
  if (schema instanceof zod.ZodDefault) {
    const inner = schema._def.innerType;
    return [
      ...expect(item.defaultValue !== undefined, 'a default in the guard but not in the form'),
      ...problemsOf(zod, inner instanceof zod.ZodOptional ? inner.unwrap() : inner, item),
    ];
  }
  if (schema instanceof zod.ZodOptional || schema instanceof zod.ZodNullable) {
    return [
      ...expect(
        schema instanceof zod.ZodOptional &&
          (!item.required || (item.showConditions?.length ?? 0) > 0),
        'optional in the guard but required in the form (or nullable)',
      ),
      ...problemsOf(zod, schema.unwrap(), item),
    ];
  }
  return [];
};
