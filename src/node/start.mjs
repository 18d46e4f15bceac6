#!/usr/bin/env node
// `npm start`: Vite's dev server with the studio opened in the browser, stopped by whatever stops
// npm. npm runs a script through a shell that does not pass SIGTERM on, so a bare `vite` outlived
// `kill <npm>`; this parent passes signals on and stops Vite when the shell above it goes away.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const viteBin = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
const vite = spawn(process.execPath, [viteBin, '--open', ...process.argv.slice(2)], { stdio: 'inherit' });

const stop = (signal) => {
  if (vite.exitCode === null && vite.signalCode === null) vite.kill(signal);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));

// Orphaned: npm and its shell are gone, so nobody is left to stop Vite but us.
const parent = process.ppid;
const watchParent = setInterval(() => {
  if (process.ppid !== parent) stop('SIGTERM');
}, 500);

vite.on('exit', (code, signal) => {
  clearInterval(watchParent);
  process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 143);
});
