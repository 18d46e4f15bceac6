// The confusion matrix from 2 to 150 labels at the tests' 1280 × 800 window, rendered by the
// studio's own component and styles: a few labels fit without scrolling; many scroll inside the
// card with visible scrollbars, never past the window; long names are cut with the whole name as a
// tooltip. (The journey shows two labels after a real run.)
import { expect, test, type Page } from '@playwright/test';
import { buildHarness, callHarness, openHarness, startHarness, type RunningHarness } from './harness/host.ts';

test.describe.configure({ mode: 'serial' });

let harness: RunningHarness;
let page: Page;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(240_000);
  await buildHarness('e2e');
  harness = await startHarness('e2e');
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await openHarness(page, harness);
});

test.afterAll(async () => {
  await page?.close();
  await harness?.close();
});

for (const labels of [2, 6]) {
  test(`${labels} labels of 24 characters fit the card without scrolling`, async () => {
    const report = await callHarness(page, 'confusionMatrix', { labels, nameLength: 24 });
    expect(report.cells).toBe(labels * labels);
    expect(report.overflowX).toBeLessThanOrEqual(0);
    expect(report.overflowY).toBeLessThanOrEqual(0);
    expect(report.box.right).toBeLessThanOrEqual(report.window.width);
    expect(report.lastColumnReachable).toBe(true);
  });
}

for (const labels of [12, 40, 77, 150]) {
  test(`${labels} labels scroll visibly inside the window, long names cut with a tooltip`, async () => {
    const name = 40;
    const report = await callHarness(page, 'confusionMatrix', { labels, nameLength: name });
    expect(report.cells).toBe(labels * labels);
    expect(report.overflowX).toBeGreaterThan(0);
    if (labels > 12) expect(report.overflowY).toBeGreaterThan(0);
    expect(report.overflowStyle).toEqual(['auto', 'auto']);
    expect(report.scrollbar.x).toBeGreaterThan(0);
    if (labels > 12) expect(report.scrollbar.y).toBeGreaterThan(0);
    // The box, with both scrollbars, stays inside the window.
    expect(report.box.left).toBeGreaterThanOrEqual(0);
    expect(report.box.right).toBeLessThanOrEqual(report.window.width);
    expect(report.box.bottom - report.box.top).toBeLessThanOrEqual(report.window.height);
    expect(report.lastColumnReachable).toBe(true);
    expect(report.lastTitle).toHaveLength(name);
    expect(report.lastTitle.startsWith(`label_${String(labels - 1).padStart(3, '0')}_`)).toBe(true);
    expect(report.lastNameTruncated).toBe(true);
  });
}
