// Ports and addresses shared by playwright.config.ts and the specs.
export const PREVIEW_PORT = 4173;
export const HUB_PORT = 8787;
export const APP_URL = `http://127.0.0.1:${PREVIEW_PORT}`;
export const HUB_URL = `http://127.0.0.1:${HUB_PORT}`;
export const ARTIFACTS_DIR = 'test-artifacts';
