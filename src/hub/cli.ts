// npm run hub -- --dir ../shared/fixtures/models [--port 8787]
import { parseArgs } from 'node:util';
import { startHub } from './server.ts';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, port: { type: 'string', default: '8787' }, quiet: { type: 'boolean' } },
});
if (!values.dir) {
  process.stderr.write('usage: npm run hub -- --dir FOLDER_OF_MODELS [--port 8787]\n');
  process.exit(2);
}
const hub = await startHub({
  dir: values.dir,
  port: Number(values.port),
  onRequest: values.quiet
    ? undefined
    : (method, url, status) => process.stdout.write(`${status} ${method} ${url}\n`),
});
process.stdout.write(`Model hub serving ${values.dir} at ${hub.url}\n`);
process.stdout.write(`Example: ${hub.url}/distilbert-tiny-seqcls/resolve/main/config.json\n`);
