#!/usr/bin/env node
'use strict';
// The compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
const { main } = require('../dist/local/cli/main.js');
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (status) => {
    process.exitCode = status;
  },
  (e) => {
    process.stderr.write(`flowir: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
