import { parentPort, workerData } from 'node:worker_threads';
import { keyBuffers, stateBuffers } from './fast-window';
import { collectedBuffers } from './line-collector';
import type { ScanSettings } from './unit-runner';
import { GzipFallback, UnitRunner } from './unit-runner';
import type { WorkerReply, WorkerRequest } from './thread-pool';

/** Worker-thread side of the thread pool: runs the units it is sent, then hands over its window. */
if (parentPort !== null) {
  const port = parentPort;
  const runner = new UnitRunner(workerData as ScanSettings);
  const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  port.on('message', (message: WorkerRequest) => {
    if (message.type === 'unit') {
      runner.run(message.unit).then(
        (result) => reply({ type: 'result', result }, collectedBuffers(result.collected)),
        (e: unknown) =>
          e instanceof GzipFallback
            ? reply({ type: 'gzip-fallback', id: message.unit.id, message: e.message })
            : reply({ type: 'failed', id: message.unit.id, message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
    } else if (message.type === 'heavy') {
      const keys = runner.heavy(message.parts);
      reply({ type: 'heavy', keys }, keyBuffers(keys));
    } else {
      const state = runner.state(message.keys);
      reply({ type: 'state', state }, stateBuffers(state));
    }
  });
}
