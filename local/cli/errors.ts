/** A mistake in how flowir was called: reported on stderr with exit status 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_USAGE = 1;
export const EXIT_WORKFLOW_FAILED = 2;
