import { defineConfig } from 'vitest/config';
import { loadEnv, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * A Content-Security-Policy for the built page: it may only talk to itself, the Hugging Face Hub
 * (and *.hf.co, where the Hub redirects large files) and the Hub mirror set at build time.
 * Workers need blob:, tfjs' WASM backend needs 'wasm-unsafe-eval'.
 */
function contentSecurityPolicy(hubUrl: string | undefined): Plugin {
  const connect = ["'self'", 'https://huggingface.co', 'https://*.hf.co'];
  if (hubUrl) connect.push(new URL(hubUrl).origin);
  const policy = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    `connect-src ${connect.join(' ')}`,
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join('; ');
  return {
    name: 'finetune-studio-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: policy },
        injectTo: 'head-prepend',
      },
    ],
  };
}

/**
 * Cross-origin isolation, so WASM can compute on several threads (SharedArrayBuffer). With
 * `credentialless`, cross-origin requests (the Hub, a mirror) need no CORP header, only the CORS
 * they already send. Static hosts get the same headers from public/_headers (Netlify, Cloudflare
 * Pages), vercel.json, or the README's nginx lines; public/coi-serviceworker.js is the fallback
 * where no header can be set.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'credentialless',
};

// The studio is served as static files; workers are ES modules so they can import core code.
export default defineConfig(({ mode }) => ({
  plugins: [react(), contentSecurityPolicy(loadEnv(mode, process.cwd(), 'VITE_').VITE_HUB_URL)],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: { exclude: ['@huggingface/transformers'] },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
}));
