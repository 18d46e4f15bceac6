// Preview rows stay in the data worker (a 300 MB file parsed twice would not fit); the table asks
// for pages of rows as it scrolls, and this cache keeps the pages it has seen.
import { dataWorker } from './workers.ts';
import { newRequestId } from './workerClient.ts';
import { studio } from './store.ts';

const PAGE = 200;
const MAX_PAGES = 60;

let generation = 0;
const pages = new Map<number, string[][]>();
const inFlight = new Set<number>();

/** Forgets every cached page, e.g. when another file is opened. */
export function resetPreviewRows(head: string[][] = []): void {
  generation += 1;
  pages.clear();
  inFlight.clear();
  if (head.length > 0) pages.set(0, head.slice(0, PAGE));
}

export function previewRow(index: number): string[] | undefined {
  return pages.get(Math.floor(index / PAGE))?.[index % PAGE];
}

async function fetchPage(page: number): Promise<void> {
  const asked = generation;
  inFlight.add(page);
  try {
    const answer = await dataWorker().request(
      { type: 'rows', requestId: newRequestId(), start: page * PAGE, count: PAGE },
      ['rows'],
    );
    if (asked !== generation) return;
    pages.set(page, answer.rows);
    if (pages.size > MAX_PAGES) {
      const oldest = pages.keys().next().value;
      if (oldest !== undefined && oldest !== page) pages.delete(oldest);
    }
    const { data, setData } = studio();
    setData({ rowsVersion: data.rowsVersion + 1 });
  } catch {
    // A failed page stays empty and is asked for again on the next scroll.
  } finally {
    if (asked === generation) inFlight.delete(page);
  }
}

/** Makes sure rows [start, end) are cached or on their way. */
export function requestPreviewRows(start: number, end: number): void {
  const first = Math.floor(Math.max(0, start) / PAGE);
  const last = Math.floor(Math.max(0, end - 1) / PAGE);
  for (let page = first; page <= last; page += 1) {
    const cached = pages.get(page);
    const rowCount = studio().data.opened?.parse.rowCount ?? 0;
    if (cached && (cached.length === PAGE || page * PAGE + cached.length >= rowCount)) continue;
    if (!inFlight.has(page)) void fetchPage(page);
  }
}
