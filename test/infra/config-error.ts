import { InfraConfigError } from '../../infra/config';

/** The InfraConfigError `fn` throws; fails the test when it throws nothing or something else. */
export function errorOf(fn: () => unknown): InfraConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InfraConfigError) return e;
    throw e;
  }
  throw new Error('expected an InfraConfigError');
}
