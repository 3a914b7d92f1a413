export * from './layout';
export * from './manifest';
export * from './recount';
export * from './verify';
