export * from './actions';
export * from './guardrails';
export * from './ip-set';
export * from './network-acl';
export * from './special-ranges';
