// Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions 3 uses (see shared/TOOLING.md).
import '../local/runtime/polyfills';

// The AWS SDK warns once per client module that it will need Node 22 from 2027; in tests it only buries real output.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning.message;
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === 'NodeVersionSupportWarning' || text.includes('will require node >=22')) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
