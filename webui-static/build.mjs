// Bundles the console into <out>/index.html + <out>/console.js: one
// classic-script IIFE with the styles inside (mosquitto serves http_dir
// files without a Content-Type). Usage:
//   node build.mjs --out <dir> [--node-modules <dir>]
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : fallback;
};
const out = arg('--out', path.join(here, 'dist'));
const nodeModules = arg('--node-modules', path.join(here, 'node_modules'));
const esbuild = createRequire(path.join(nodeModules, 'noop.js'))('esbuild');

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [path.join(here, 'src', 'main.js')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  charset: 'ascii',
  loader: { '.css': 'text' },
  nodePaths: [nodeModules],
  outfile: path.join(out, 'console.js'),
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));
console.log(`console built into ${out}`);
