#!/usr/bin/env node
'use strict';
// `npm start`: make sample flow logs with planted incidents, then scan them with the local engine.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'bin', 'flowir.js');
const sampleDir = path.join(root, '.flowir', 'sample');
const extra = process.argv.slice(2);

function flowir(args) {
  process.stdout.write(`\n$ flowir ${args.map((a) => path.relative(root, a) || a).join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status === null ? 1 : r.status);
}

flowir(['sample', sampleDir]);
flowir(['scan', path.join(sampleDir, 's3'), ...extra]);
