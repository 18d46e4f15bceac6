// `npm run bench:gpu-package [-- --out DIR]`: the GPU benchmark as one archive for a Linux x86-64
// machine that has a GPU driver and nothing else (no Node, no checkout): this Node binary, the
// benchmark bundled into one file (tfjs included), Dawn (the `webgpu` package's native module for
// linux-x64) and the Vulkan loader, with their licences, xz-compressed, plus `run.sh`, which
// unpacks it to a temporary folder and runs it. The archive must travel beside a working tree in
// the 64 MiB a remote run carries, so its size is checked here.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { repoRoot } from '../node/paths.ts';

const ARCHIVE = 'finetune-gpu-bench.tar.xz';
/** What the archive may weigh: the carried total is 64 MiB, and the checkout travels with it. */
const MAX_ARCHIVE_BYTES = 52 * 1024 * 1024;

const RUN_SCRIPT = `#!/bin/sh
# Unpacks the GPU benchmark next to this script into a temporary folder and runs it; the flags go
# to the benchmark (--quick, --batches 8,32, --iterations N, --no-pytorch). Results: bench-gpu.json
# in $OUT when it is set, else beside this script.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v xz >/dev/null 2>&1 || { echo "run.sh: xz is needed to unpack ${ARCHIVE}" >&2; exit 2; }
dir=$(mktemp -d "\${TMPDIR:-/tmp}/finetune-gpu-bench.XXXXXX")
xz -dc "$here/${ARCHIVE}" | tar -x -C "$dir"
# The machine's Vulkan loader if it has one, else the carried one.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\\.so\\.1'; then
  export LD_LIBRARY_PATH="$dir/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# A driver mounted outside the loader's search path (containers) is named to it.
if [ -z "\${VK_DRIVER_FILES:-}\${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \\
    /usr/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
# PyTorch CUDA, the baseline, is whatever python3 the machine has.
if [ -z "\${FINETUNE_PYTHON:-}" ] && command -v python3 >/dev/null 2>&1; then
  export FINETUNE_PYTHON="$(command -v python3)"
fi
out="\${OUT:-$here}"
mkdir -p "$out"
echo "node $("$dir/bin/node" --version), Vulkan driver: \${VK_DRIVER_FILES:-\${VK_ICD_FILENAMES:-the loader's default}}" >&2
status=0
"$dir/bin/node" "$dir/app/bench-gpu.mjs" --out "$out/bench-gpu.json" "$@" || status=$?
rm -rf "$dir"
exit $status
`;

/** The file a shared library name resolves to on this machine (ldconfig's cache). */
function systemLibrary(name: string): string {
  const listing = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  const line = listing.split('\n').find((l) => l.trim().startsWith(`${name} `) && l.includes('x86-64'));
  const path = line?.split('=>')[1]?.trim();
  if (!path) throw new Error(`${name} is not installed here (on Debian: apt-get install libvulkan1)`);
  return realpathSync(path);
}

function copyIfPresent(from: string, to: string): boolean {
  if (!existsSync(from)) return false;
  copyFileSync(from, to);
  return true;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: resolve(repoRoot, 'bench-results', 'gpu-package') } },
  });
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the package holds this machine's Node and Dawn, so it must be made on linux x64 (this is ${process.platform} ${process.arch})`,
    );
  }
  const out = resolve(values.out);
  const stage = join(out, 'stage');
  rmSync(out, { recursive: true, force: true });
  for (const dir of ['bin', 'app/node_modules/webgpu/dist/linux-x64', 'lib', 'licenses']) {
    mkdirSync(join(stage, dir), { recursive: true });
  }

  // Everything but Dawn in one file; the CommonJS parts of tfjs get the require they expect.
  await build({
    entryPoints: [resolve(repoRoot, 'src/bench/gpu-main.ts')],
    outfile: join(stage, 'app/bench-gpu.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu'],
    logLevel: 'warning',
    // tfjs registers its backends and kernels by importing modules for their side effects.
    ignoreAnnotations: true,
    banner: {
      js: [
        "import { createRequire as __createRequire } from 'node:module';",
        "import { fileURLToPath as __fileURLToPath } from 'node:url';",
        "import { dirname as __pathDirname } from 'node:path';",
        'const require = __createRequire(import.meta.url);',
        'const __filename = __fileURLToPath(import.meta.url);',
        'const __dirname = __pathDirname(__filename);',
      ].join('\n'),
    },
  });

  const webgpu = resolve(repoRoot, 'node_modules/webgpu');
  for (const file of ['package.json', 'index.js', 'dist/linux-x64/dawn.node']) {
    copyFileSync(join(webgpu, file), join(stage, 'app/node_modules/webgpu', file));
  }
  copyFileSync(join(webgpu, 'LICENSE.md'), join(stage, 'licenses/webgpu-dawn.md'));
  copyFileSync(process.execPath, join(stage, 'bin/node'));
  copyFileSync(systemLibrary('libvulkan.so.1'), join(stage, 'lib/libvulkan.so.1'));
  const nodeLicence =
    copyIfPresent('/usr/share/doc/nodejs/LICENSE', join(stage, 'licenses/nodejs.txt')) ||
    copyIfPresent(
      resolve(process.execPath, '../../share/doc/node/LICENSE'),
      join(stage, 'licenses/nodejs.txt'),
    );
  const vulkanLicence = copyIfPresent(
    '/usr/share/doc/libvulkan1/copyright',
    join(stage, 'licenses/vulkan-loader.txt'),
  );
  writeFileSync(
    join(stage, 'licenses/README.txt'),
    [
      'What this archive holds and under which licence:',
      `- bin/node: Node.js ${process.version} (MIT and its bundled components' licences${nodeLicence ? ': nodejs.txt' : ''})`,
      '- app/node_modules/webgpu: Dawn for Node (BSD-3-Clause and others: webgpu-dawn.md)',
      `- lib/libvulkan.so.1: the Khronos Vulkan loader (Apache-2.0${vulkanLicence ? ': vulkan-loader.txt' : ''})`,
      '- app/bench-gpu.mjs: Finetune Studio (Apache-2.0) with TensorFlow.js (Apache-2.0, https://www.apache.org/licenses/LICENSE-2.0) bundled',
      '',
    ].join('\n'),
  );

  const archive = join(out, ARCHIVE);
  execFileSync('sh', ['-c', `tar -C "${stage}" -cf - . | xz -9e -T0 > "${archive}"`], { stdio: 'inherit' });
  writeFileSync(join(out, 'run.sh'), RUN_SCRIPT, { mode: 0o755 });
  rmSync(stage, { recursive: true, force: true });
  const bytes = statSync(archive).size;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes > MAX_ARCHIVE_BYTES) {
    throw new Error(
      `${archive} is ${mib(bytes)}, over the ${mib(MAX_ARCHIVE_BYTES)} that travel beside the checkout`,
    );
  }
  process.stdout.write(`${archive}: ${mib(bytes)}\nrun it with: sh ${join(out, 'run.sh')} [--quick]\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:gpu-package: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
