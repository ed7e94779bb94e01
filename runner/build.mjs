// Bundles the runner app into hub/web/runner_dist/, which the hub serves.
// Output must be reproducible: same sources give the same bytes, so the
// committed bundle can be checked for freshness.
import { build } from 'esbuild';
//
//   node build.mjs           rebuild hub/web/runner_dist/
//   node build.mjs --check   build into a temporary folder and fail (exit 1) unless it is
//                            byte for byte the committed hub/web/runner_dist/ (make test)
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const committed = join(here, '..', 'hub', 'web', 'runner_dist');
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'runner-dist-')) : committed;
// The app page loads app.js as a module, split: what only some screens need (the QR reader
// for enrolling, the QR drawer for receipts) is in chunks loaded by import() when first
// used, so the app opens after fetching and parsing far less. Chunk names carry a hash of
// their content (reproducible). The service worker precaches every file of the bundle: the
// hub writes the list into sw.js as it serves it (hub/web/runner.py), so an offline phone
// has each chunk before it needs it.
// The service worker is an IIFE so it runs whether registered as a classic or a module
// worker.
const common = {
  absWorkingDir: here,
  bundle: true,
  platform: 'browser',
  target: ['es2020', 'chrome100'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

for (const source of ['src/app/main.js', 'src/app/sw.js', 'src/app/app.css']) {
  if (!existsSync(join(here, source))) throw new Error(`build: ${source} is missing`);
}
await build({
  ...common,
  entryPoints: { app: 'src/app/main.js' },
  outdir: out,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunk-[hash]',
});
await build({ ...common, entryPoints: ['src/app/sw.js'], outfile: join(out, 'sw.js'), format: 'iife' });
// The stylesheet: the pages' shared core from webbase/ (@import, inlined here) and the
// phone's own rules after it.
await build({ ...common, entryPoints: { app: 'src/app/app.css' }, outdir: out });

const statics = join(here, 'static');
if (existsSync(statics)) {
  for (const name of readdirSync(statics).sort()) {
    cpSync(join(statics, name), join(out, name), { recursive: true });
  }
}

/** Every file under `root`, relative and sorted. */
function files(root) {
  if (!existsSync(root)) return [];
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
}

if (check) {
  const built = files(out);
  const kept = files(committed);
  const differ = [...new Set([...built, ...kept])].filter(
    (name) => !built.includes(name) || !kept.includes(name) || !readFileSync(join(out, name)).equals(readFileSync(join(committed, name))),
  );
  rmSync(out, { recursive: true, force: true });
  if (differ.length) {
    console.error(`hub/web/runner_dist/ is not what runner/ builds (${differ.join(', ')}): run \`make runner-app\` and commit it`);
    process.exit(1);
  }
  console.log(`hub/web/runner_dist/ is current (${kept.length} files)`);
}
