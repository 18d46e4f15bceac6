// npm run hub -- --dir src/fixtures/generated/models [--port 8787]
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startHub, type RunningHub } from './server.ts';

const USAGE = 'usage: npm run hub -- --dir FOLDER_OF_MODELS [--port 8787]';

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let values: { dir?: string; port: string; quiet?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      dir: { type: 'string' },
      port: { type: 'string', default: '8787' },
      quiet: { type: 'boolean' },
    },
  }));
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`, 2);
}
if (!values.dir) fail(USAGE, 2);
const dir = values.dir;
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port must be a port number, not "${values.port}".`, 2);
const isFolder = (() => {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
})();
if (!isFolder) fail(`No folder at ${dir}: --dir names a folder that holds one folder per model.`, 2);

let hub: RunningHub;
try {
  hub = await startHub({
    dir,
    port,
    onRequest: values.quiet
      ? undefined
      : (method, url, status) => process.stdout.write(`${status} ${method} ${url}\n`),
  });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  fail(
    code === 'EADDRINUSE'
      ? `Port ${port} is in use: choose another with --port.`
      : `The hub could not start: ${(error as Error).message}`,
    1,
  );
}
process.stdout.write(`Model hub serving ${dir} at ${hub.url}\n`);
process.stdout.write(`Example: ${hub.url}/distilbert-tiny-seqcls/resolve/main/config.json\n`);
