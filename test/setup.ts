// Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions 3 uses (see shared/TOOLING.md).
import '../local/runtime/polyfills';
