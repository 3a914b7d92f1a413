#!/usr/bin/env node
'use strict';
// `npm start`: the local demo. Makes sample flow logs with planted incidents, then runs the whole
// incident response on them through the same state machines `cdk deploy` ships. Approval links are
// printed; open them in a browser and decide. Unanswered approvals time out after 5 minutes and are
// recorded as TIMED_OUT. Unattended: `npm start -- --decide approve`.
const { spawnSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'bin', 'flowir.js');
const demo = path.join(root, '.flowir', 'demo');
const extra = process.argv.slice(2);

function flowir(args, okStatuses = [0]) {
  process.stdout.write(`\n$ flowir ${args.map((a) => (path.isAbsolute(a) ? path.relative(process.cwd(), a) || '.' : a)).join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (!okStatuses.includes(r.status)) process.exit(r.status === null ? 1 : r.status);
  return r.status;
}

// A fresh state each time: the suppression store would otherwise (rightly) hold back repeats.
rmSync(demo, { recursive: true, force: true });
flowir(['sample', path.join(demo, 'sample')]);
flowir(['scan', path.join(demo, 'sample', 's3')]);
const status = flowir(['run', path.join(demo, 'sample', 's3'), '--state-dir', path.join(demo, 'state'), '--approval-timeout', '5m', ...extra], [0, 2]);
process.stdout.write(`\nEverything the run did is under ${path.relative(process.cwd(), path.join(demo, 'state'))}: evidence, outbox (notifications), tickets, WAF IP sets, execution histories.\n`);
process.exit(status);
