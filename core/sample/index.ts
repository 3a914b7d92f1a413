export * from './generate';
export * from './planted';
export { Random } from './random';
