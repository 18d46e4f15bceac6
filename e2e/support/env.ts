// Ports and addresses shared by playwright.config.ts and the specs. E2E_PREVIEW_PORT and E2E_HUB_PORT
// let two checkouts run their browser tests side by side (the build reads VITE_HUB_URL, set to match).
export const PREVIEW_PORT = Number(process.env.E2E_PREVIEW_PORT ?? 4173);
export const HUB_PORT = Number(process.env.E2E_HUB_PORT ?? 8787);
export const APP_URL = `http://127.0.0.1:${PREVIEW_PORT}`;
export const HUB_URL = `http://127.0.0.1:${HUB_PORT}`;
export const ARTIFACTS_DIR = 'test-artifacts';
