export * from './config';
export * from './evaluator';
export * from './findings';
export * from './rules';
export * from './tables';
export * from './window';
