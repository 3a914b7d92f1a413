export * from './execution-name';
export * from './finding-data';
export * from './outcome';
export * from './suppression';
