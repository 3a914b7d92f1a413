export * from './address';
export * from './fields';
export * from './format';
export * from './record';
