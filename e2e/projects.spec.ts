// Several projects: a new project leaves the first in the list; projects are renamed, duplicated,
// opened and deleted from the list, with their dataset, runs and size shown; a project open in
// another tab cannot be deleted from this one.
import { expect, test, type Page } from '@playwright/test';
import { resolve } from 'node:path';
import { openData } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const NLU = resolve(import.meta.dirname, 'fixtures/nlu_banking_600.csv');

const projects = (page: Page) => page.getByRole('table', { name: 'Projects' });
const row = (page: Page, name: string | RegExp) => projects(page).getByRole('row', { name });

async function openProjects(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Projects', exact: true }).click();
  await expect(projects(page)).toBeVisible();
}

test('projects are listed, created, renamed, duplicated, opened and deleted', async ({ page, context }) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=wasm');
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await page.waitForTimeout(1500); // saving follows changes after a short pause

  await page.getByRole('button', { name: 'New project' }).click();
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/[?&]project=p[0-9a-z]+/);
  const second = new URL(page.url()).searchParams.get('project')!;
  await openData(page, NLU, 'nlu_banking_600.csv', 'wasm');
  await page.waitForTimeout(1500);

  await openProjects(page);
  await expect(projects(page).getByRole('row')).toHaveCount(3); // the header and two projects
  await expect(row(page, /Untitled project \(this tab\)/)).toContainText('nlu_banking_600.csv');
  await expect(row(page, /Project 1/)).toContainText('yelp.csv');
  await expect(row(page, /Project 1/)).toContainText('0 runs');
  await expect(row(page, /Project 1/)).not.toContainText(/\b0 B\b/);
  await expect(page.getByRole('dialog', { name: 'Projects' })).toContainText(
    /This site uses .+ of the .+ the browser allows it/,
  );

  await row(page, /Untitled project/)
    .getByRole('button', { name: /^Rename/ })
    .click();
  await page.getByLabel('New name for Untitled project').fill('Banking intents');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(row(page, /Banking intents \(this tab\)/)).toBeVisible();

  await row(page, /Project 1/)
    .getByRole('button', { name: /^Duplicate/ })
    .click();
  await expect(row(page, /Project 1 \(copy\)/)).toContainText('yelp.csv');
  await row(page, /Project 1 \(copy\)/)
    .getByRole('button', { name: /^Delete/ })
    .click();
  await page.getByRole('button', { name: 'Delete Project 1 (copy) and its runs for good' }).click();
  await expect(row(page, /Project 1 \(copy\)/)).toHaveCount(0);

  await row(page, /Project 1/)
    .getByRole('button', { name: /^Open/ })
    .click();
  await expect(page).not.toHaveURL(new RegExp(`project=${second}`));
  await expect(page.getByRole('region', { name: 'Dataset summary' })).toContainText('yelp.csv');

  // Open in another tab: this tab may not delete it.
  const other = await context.newPage();
  await other.goto(`/?backend=wasm&project=${second}`);
  await expect(other.getByRole('region', { name: 'Dataset summary' })).toContainText('nlu_banking_600.csv');
  await openProjects(page);
  await expect(row(page, /Banking intents \(open in another tab\)/)).toBeVisible();
  await row(page, /Banking intents/)
    .getByRole('button', { name: /^Delete/ })
    .click();
  await page.getByRole('button', { name: 'Delete Banking intents and its runs for good' }).click();
  await expect(page.getByRole('alert')).toHaveText(/open in a tab/);
  await other.close();
  await row(page, /Banking intents/)
    .getByRole('button', { name: /^Delete/ })
    .click();
  await page.getByRole('button', { name: 'Delete Banking intents and its runs for good' }).click();
  await expect(row(page, /Banking intents/)).toHaveCount(0);
});
