import { TaskTokenInvalidError } from '../../../handlers/ports';
import { DuplicateTaskTokenError, LocalTaskCallbacks } from '../../../local/adapters/task-callbacks';

describe('LocalTaskCallbacks', () => {
  it('resolves the waiting task with the output sent by succeed', async () => {
    const callbacks = new LocalTaskCallbacks();
    const waiting = callbacks.register('token-1');
    await callbacks.succeed('token-1', { decision: 'approve', approver: 'alice' });
    await expect(waiting).resolves.toEqual({ decision: 'approve', approver: 'alice' });
    expect(callbacks.pending()).toEqual([]);
  });

  it('fails the waiting task with an error named as given, so a Catch can match it', async () => {
    const callbacks = new LocalTaskCallbacks();
    const waiting = callbacks.register('token-1');
    await callbacks.fail('token-1', 'ApprovalRejected', 'rejected by bob');
    await expect(waiting).rejects.toMatchObject({ name: 'ApprovalRejected', message: 'rejected by bob' });
  });

  it('refuses a second answer on the same token, as Step Functions does, and keeps the first', async () => {
    const callbacks = new LocalTaskCallbacks();
    const waiting = callbacks.register('token-1');
    await callbacks.succeed('token-1', { decision: 'approve' });
    await expect(callbacks.succeed('token-1', { decision: 'reject' })).rejects.toBeInstanceOf(TaskTokenInvalidError);
    await expect(callbacks.fail('token-1', 'X', 'y')).rejects.toThrow(/already answered/);
    await expect(waiting).resolves.toEqual({ decision: 'approve' });
  });

  it('refuses answers to unknown tokens', async () => {
    await expect(new LocalTaskCallbacks().succeed('forged', {})).rejects.toThrow(TaskTokenInvalidError);
    await expect(new LocalTaskCallbacks().succeed('forged', {})).rejects.toThrow(/not known/);
  });

  it('expires a token after its timeout: the task fails with States.Timeout and later answers are refused', async () => {
    jest.useFakeTimers();
    try {
      const callbacks = new LocalTaskCallbacks();
      const waiting = callbacks.register('token-1', { timeoutMs: 3_600_000 });
      jest.advanceTimersByTime(3_599_999);
      expect(callbacks.isPending('token-1')).toBe(true);
      jest.advanceTimersByTime(1);
      await expect(waiting).rejects.toMatchObject({ name: 'States.Timeout' });
      await expect(callbacks.succeed('token-1', {})).rejects.toThrow(/expired/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('clears the expiry timer once answered', async () => {
    jest.useFakeTimers();
    try {
      const callbacks = new LocalTaskCallbacks();
      const waiting = callbacks.register('token-1', { timeoutMs: 1000 });
      await callbacks.succeed('token-1', 'ok');
      expect(jest.getTimerCount()).toBe(0);
      await expect(waiting).resolves.toBe('ok');
    } finally {
      jest.useRealTimers();
    }
  });

  it('expires tokens on demand and on close', async () => {
    const callbacks = new LocalTaskCallbacks();
    const a = callbacks.register('a');
    const b = callbacks.register('b');
    callbacks.expire('a');
    callbacks.close();
    await expect(a).rejects.toMatchObject({ name: 'States.Timeout' });
    await expect(b).rejects.toMatchObject({ name: 'States.Runtime' });
    await expect(callbacks.succeed('b', {})).rejects.toThrow(/run that has ended/);
  });

  it('refuses to register a token twice', () => {
    const callbacks = new LocalTaskCallbacks();
    void callbacks.register('a');
    expect(() => callbacks.register('a')).toThrow(DuplicateTaskTokenError);
  });
});
