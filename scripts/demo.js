#!/usr/bin/env node
'use strict';
// `npm start`: the local demo. Makes sample flow logs with planted incidents, then runs the whole
// incident response on them through the same state machines `cdk deploy` ships. Each approval link
// is printed once, then a countdown; open the links in a browser and decide. Unanswered approvals
// time out after 5 minutes and are recorded as TIMED_OUT; Ctrl-C stops the run, recording what was
// still running as ABORTED. Unattended: `npm start -- --decide approve`.
const { spawn, spawnSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'bin', 'flowir.js');
const demo = path.join(root, '.flowir', 'demo');
const extra = process.argv.slice(2);

function show(args) {
  process.stdout.write(`\n$ flowir ${args.map((a) => (path.isAbsolute(a) ? path.relative(process.cwd(), a) || '.' : a)).join(' ')}\n`);
}

function flowir(args) {
  show(args);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status === null ? 1 : r.status);
}

/**
 * `flowir run`, waited for without blocking this process, so that a signal reaches it as it should:
 * Ctrl-C goes from the terminal to both processes, so this one only waits for flowir run to record
 * its executions and end; a SIGTERM sent to this one alone is passed on.
 */
function flowirRun(args) {
  show(args);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit' });
    const onInt = () => undefined;
    const onTerm = () => child.kill('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code === null ? 128 + (signal === 'SIGTERM' ? 15 : 2) : code);
    });
  });
}

async function main() {
  // A fresh state each time: the suppression store would otherwise (rightly) hold back repeats.
  rmSync(demo, { recursive: true, force: true });
  flowir(['sample', path.join(demo, 'sample')]);
  flowir(['scan', path.join(demo, 'sample', 's3')]);
  const state = path.join(demo, 'state');
  const status = await flowirRun(['run', path.join(demo, 'sample', 's3'), '--state-dir', state, '--approval-timeout', '5m', ...extra]);
  // 0: every execution finished; 2: one failed (its outcome says how); 130/143: interrupted.
  if (![0, 2, 130, 143].includes(status)) process.exit(status);
  const shown = path.relative(process.cwd(), state);
  process.stdout.write(
    `\nEverything the run did is under ${shown}: evidence, outbox (notifications), tickets, WAF IP sets, execution histories.\n` +
      `Read the record of every incident with: npx flowir audit --state-dir ${shown} (add --html report.html for a page to file).\n`,
  );
  process.exit(status);
}

void main();
