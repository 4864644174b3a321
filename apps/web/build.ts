/**
 * Builds the web page: one self-contained `dist/index.html` (esbuild bundles
 * src/main.ts and the three libraries for the browser; the script and the style are
 * inlined, and the Content-Security-Policy names their SHA-256 hashes), so that the
 * page works opened from a file, from any static host, or from `arctalk-server --web`.
 *
 * Run: `pnpm --filter @arctalk/web build` (or `node --import tsx build.ts [OUT_DIR]`).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** `'sha256-…'` of a CSP hash source. */
const hashSource = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page's Content-Security-Policy: nothing but its own inline script and style
 * (by hash) and WebSocket connections; no other origin, no eval, no plugins, no
 * forms posted anywhere, no base URL.
 */
export function contentSecurityPolicy(script: string, style: string): string {
  return [
    "default-src 'none'",
    `script-src ${hashSource(script)}`,
    `style-src ${hashSource(style)}`,
    'connect-src ws: wss:',
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * Builds the page.
 *
 * @param outDir - where `index.html` goes; default `dist/`
 * @returns the page's path and text
 */
export async function buildPage(outDir = here('./dist/')): Promise<{ path: string; html: string }> {
  const result = await build({
    entryPoints: [here('./src/main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    conditions: ['@arctalk/source'],
    logLevel: 'warning',
  });
  // `</script` cannot appear inside an inline script; in JS it can only be in a string or regex.
  const script = result.outputFiles[0]!.text.replaceAll('</script', '<\\/script').trimEnd();
  const style = readFileSync(here('./src/style.css'), 'utf8').trimEnd();
  const template = readFileSync(here('./src/index.html'), 'utf8');
  const html = template
    .replace('__CSP__', () => contentSecurityPolicy(script, style))
    .replace('/*STYLE*/', () => style)
    .replace('/*SCRIPT*/', () => script);
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, 'index.html');
  writeFileSync(path, html);
  return { path, html };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { path, html } = await buildPage(process.argv[2]);
  process.stdout.write(`wrote ${path} (${Math.round(html.length / 1024)} KiB)\n`);
}
