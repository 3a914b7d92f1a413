export * from './containment-policy';
export * from './incident-config';
