#!/usr/bin/env node
/** bin.ts: the process entry point; everything else is importable and testable. */
import { main } from './main.js';
import { processIo } from './runtime.js';

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    // main() never throws by design; if it does, say nothing that could carry a secret.
    process.stderr.write('federate: internal error\n');
    process.exitCode = 1;
  },
);
