export * from './consume';
export * from './decision';
export * from './html';
export * from './keys';
export * from './link';
