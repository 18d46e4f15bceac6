// One tab writes the project at a time. The writer holds an exclusive Web Lock for as long as it
// lives; a tab that finds the lock held opens the project read-only (state/persist.ts writes
// nothing) and says so. It can take the project over: it steals the lock, the first tab learns it
// through its lock's abort, stops its runs and writing, and answers on a BroadcastChannel; the
// new writer then reloads to read the project as the first tab left it. A read-only tab watches
// the lock without queueing for it (a queued request would be granted while the writer merely
// reloads), and offers to continue there once the writer has closed.
import type { TabRole } from './slices.ts';
import { studio } from './store.ts';

import { FIRST_PROJECT_ID, setStorageWritable } from './persist.ts';

/** The Web Lock a project's writing tab holds, and the channel its tabs talk on. */
export function projectLockNames(projectId: string): { lock: string; channel: string } {
  const suffix = projectId === FIRST_PROJECT_ID ? '' : `/${projectId}`;
  return {
    lock: `finetune-studio/project-writer${suffix}`,
    channel: `finetune-studio/project-tabs${suffix}`,
  };
}

let writerLock = projectLockNames(FIRST_PROJECT_ID).lock;
let channelName = projectLockNames(FIRST_PROJECT_ID).channel;
/** How long a tab taking over waits for the first tab to say it stopped writing. */
const HANDOVER_WAIT_MS = 3000;
/** How often a read-only tab looks whether the writer is still there. */
const WATCH_INTERVAL_MS = 1000;

type TabMessage = { type: 'stopped-writing' };

interface LockManagerLike {
  request(
    name: string,
    options: { ifAvailable?: boolean; steal?: boolean },
    callback: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

function lockManager(): LockManagerLike | null {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  return locks ?? null;
}

const holdForever = () => new Promise<never>(() => undefined);

function setRole(tab: TabRole): void {
  studio().setStorage({ tab });
}

let stopLiveRuns: () => void = () => undefined;

/**
 * Claims the project for this tab. Resolves `true` when this tab writes it (or the browser has no
 * Web Locks, where every tab writes as before), `false` when another tab does: this tab is then
 * read-only until it reloads. `onReplaced` stops this tab's live runs if another tab takes over.
 */
export function claimProject(projectId: string, onReplaced: () => void): Promise<boolean> {
  ({ lock: writerLock, channel: channelName } = projectLockNames(projectId));
  stopLiveRuns = onReplaced;
  const locks = lockManager();
  if (!locks) return Promise.resolve(true);
  return new Promise((resolve) => {
    locks
      .request(writerLock, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return holdForever();
      })
      .catch((error: unknown) => {
        // Stolen by a tab that took over: stop writing at once, then tell it.
        if ((error as { name?: string }).name === 'AbortError') replaced();
      });
  }).then((writer) => {
    if (!writer) {
      setStorageWritable(false);
      setRole('reader');
      waitForWriterToClose(locks);
    }
    return writer as boolean;
  });
}

function replaced(): void {
  setStorageWritable(false);
  setRole('replaced');
  stopLiveRuns();
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(channelName);
  channel?.postMessage({ type: 'stopped-writing' } satisfies TabMessage);
  channel?.close();
}

/**
 * A read-only tab looks at the lock every second; when it has been free twice in a row (a
 * reloading writer takes it back within that), the writer has closed.
 */
function waitForWriterToClose(locks: LockManagerLike): void {
  let freeBefore = false;
  const timer = setInterval(() => {
    void locks
      .query()
      .then(({ held }) => {
        const free = !(held ?? []).some((lock) => lock.name === writerLock);
        if (free && freeBefore && studio().ui.storage.tab === 'reader') {
          clearInterval(timer);
          setRole('released');
        }
        freeBefore = free;
      })
      .catch(() => clearInterval(timer));
  }, WATCH_INTERVAL_MS);
}

/**
 * Takes the project over from the tab writing it: that tab stops its runs and its writing, and
 * this tab reloads to open the project as that tab left it, now as its writer.
 */
export async function takeOverProject(): Promise<void> {
  const locks = lockManager();
  if (!locks) return;
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(channelName);
  const stopped = new Promise<void>((resolve) => {
    if (!channel) return resolve();
    channel.onmessage = (event: MessageEvent<TabMessage>) => {
      if (event.data?.type === 'stopped-writing') resolve();
    };
    setTimeout(resolve, HANDOVER_WAIT_MS);
  });
  await new Promise<void>((resolve) => {
    void locks
      .request(writerLock, { steal: true }, () => {
        resolve();
        return holdForever();
      })
      .catch(() => undefined);
  });
  await stopped;
  channel?.close();
  reloadTab();
}

/** Whether some tab (this one included) has the project open as its writer. */
export async function isProjectOpen(projectId: string): Promise<boolean> {
  const locks = lockManager();
  if (!locks) return false;
  const { held } = await locks.query();
  return (held ?? []).some((lock) => lock.name === projectLockNames(projectId).lock);
}

/** Reloads the page: a reloaded tab claims the project anew. */
export function reloadTab(): void {
  location.reload();
}
