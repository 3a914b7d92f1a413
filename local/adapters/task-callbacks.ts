import { TaskTokenInvalidError, type TaskCallbackPort } from '../../handlers/ports';

/** The error a task fails with when `fail(token, error, cause)` answers it: `name` is the error, as the workflow's Catch matches it. */
export class TaskCallbackFailure extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/** Registering a token twice is a runtime bug, not a callback from outside. */
export class DuplicateTaskTokenError extends Error {
  override readonly name = 'DuplicateTaskTokenError';
}

/** Error name of a token that expired before an answer, as Step Functions names a task timeout. */
export const TASK_TIMEOUT_ERROR = 'States.Timeout';

type Settled = 'answered' | 'expired' | 'closed';

/** Where a token stands: still waiting, settled one of three ways, or never issued by this run. */
export type TokenState = 'waiting' | Settled | 'unknown';

interface Waiter {
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/**
 * Local task tokens (`.waitForTaskToken`): the runtime registers a token and awaits the promise;
 * `succeed` / `fail` settle it, once. As Step Functions does, an answer to a token already answered,
 * expired, or never issued is refused with TaskTokenInvalidError, and nothing else happens.
 */
export class LocalTaskCallbacks implements TaskCallbackPort {
  private readonly waiting = new Map<string, Waiter>();
  private readonly settled = new Map<string, Settled>();
  private closed = false;

  /**
   * Wait for the answer to `token`. With `timeoutMs`, the token expires then: the promise rejects
   * with an error named `States.Timeout` and later answers are refused. Timers are cleared on
   * settle and on `close`, so a finished run does not keep the process alive.
   */
  register(token: string, options: { readonly timeoutMs?: number } = {}): Promise<unknown> {
    if (token.length === 0) throw new DuplicateTaskTokenError('a task token must not be empty');
    if (this.waiting.has(token) || this.settled.has(token)) throw new DuplicateTaskTokenError(`task token ${token} was already registered`);
    if (this.closed) {
      // A task that began as the run stopped: nobody could answer it, so it must not wait.
      this.settled.set(token, 'closed');
      const refused = Promise.reject(new TaskCallbackFailure('States.Runtime', 'the local runtime closed before the task token was registered'));
      refused.catch(() => undefined);
      return refused;
    }
    const promise = new Promise<unknown>((resolve, reject) => {
      const expire = (): void => {
        if (this.waiting.has(token)) this.settle(token, 'expired', (w) => w.reject(new TaskCallbackFailure(TASK_TIMEOUT_ERROR, `no answer to the task token within ${options.timeoutMs} ms`)));
      };
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(expire, options.timeoutMs);
      this.waiting.set(token, { resolve, reject, timer });
    });
    // The state machine may stop listening (its own timeout, an abort); an answer after that must not crash the process.
    promise.catch(() => undefined);
    return promise;
  }

  async succeed(taskToken: string, output: unknown): Promise<void> {
    this.settle(taskToken, 'answered', (w) => w.resolve(output));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    this.settle(taskToken, 'answered', (w) => w.reject(new TaskCallbackFailure(error, cause)));
  }

  /** Expire a token now (its task timed out): later answers are refused. */
  expire(taskToken: string): void {
    this.settle(taskToken, 'expired', (w) => w.reject(new TaskCallbackFailure(TASK_TIMEOUT_ERROR, 'the task token expired')));
  }

  state(taskToken: string): TokenState {
    return this.waiting.has(taskToken) ? 'waiting' : (this.settled.get(taskToken) ?? 'unknown');
  }

  isPending(taskToken: string): boolean {
    return this.waiting.has(taskToken);
  }

  /** Tokens still waiting for an answer. */
  pending(): string[] {
    return [...this.waiting.keys()];
  }

  /** End every wait (the run is over or stops): pending promises reject, their timers are cleared; later registrations are refused. */
  close(): void {
    this.closed = true;
    for (const token of [...this.waiting.keys()]) {
      this.settle(token, 'closed', (w) => w.reject(new TaskCallbackFailure('States.Runtime', 'the local runtime closed before the task token was answered')));
    }
  }

  private settle(token: string, how: Settled, act: (w: Waiter) => void): void {
    const waiter = this.waiting.get(token);
    if (waiter === undefined) throw new TaskTokenInvalidError(invalidReason(token, this.settled.get(token)));
    this.waiting.delete(token);
    this.settled.set(token, how);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    act(waiter);
  }
}

function invalidReason(token: string, how: Settled | undefined): string {
  const shown = token.length > 24 ? `${token.slice(0, 24)}…` : token;
  switch (how) {
    case 'answered':
      return `task token ${shown} was already answered`;
    case 'expired':
      return `task token ${shown} has expired (its task timed out)`;
    case 'closed':
      return `task token ${shown} belongs to a run that has ended`;
    case undefined:
      return `task token ${shown} is not known`;
  }
}
