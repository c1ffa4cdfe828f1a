// Resolve hook for a source checkout: workspace packages resolve to their TypeScript sources
// (the "source" export condition), as `node --conditions=source` would.
export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes('source')
    ? context.conditions
    : [...context.conditions, 'source'];
  return next(specifier, { ...context, conditions });
}
