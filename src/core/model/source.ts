// Where model files come from. The loader only needs "give me file X of this model", so the Hub
// (with an optional browser cache), a folder on disk and files the user dropped all fit one interface.

export interface ModelFileSource {
  /** Names the model for messages, e.g. "distilbert/distilbert-base-uncased on https://huggingface.co". */
  describe(): string;
  /** The file's bytes as a Response, or null when the model has no such file. */
  fetchFile(name: string): Promise<Response | null>;
  /**
   * For a Hub repository that stores only pickled weights: its open pull request that adds
   * safetensors (as the Hub's conversion bot opens), as `owner/name@refs/pr/N`; null when none
   * is found or the hub cannot say.
   */
  safetensorsRevision?(): Promise<string | null>;
}

/** The part of the browser Cache API the Hub source uses. */
export interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

export interface HubSourceOptions {
  /** Hub base URL, e.g. https://huggingface.co or a local mirror. */
  hubUrl: string;
  revision?: string;
  /** Defaults to the global fetch. */
  fetch?: (url: string) => Promise<Response>;
  /** Keeps downloaded files so a later visit loads offline. */
  cache?: CacheLike;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

export function isHubRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.includes('..');
}

export interface HubModelId {
  repo: string;
  /** A branch, tag, commit or pull-request ref such as refs/pr/3 (default main). */
  revision: string;
}

const REVISION = /^[\w.-]+(\/[\w.-]+)*$/;

/**
 * `owner/name` or `owner/name@revision`, as the user types it (a pasted Hub URL loses its host,
 * and a `/tree/REVISION` URL names the revision). The message of a bad id says what is expected.
 */
export function parseHubModelId(value: string): HubModelId {
  let text = value
    .trim()
    .replace(/^https?:\/\/[^/]+\//, '')
    .replace(/\/+$/, '');
  const tree = /^([^/]+\/[^/]+)\/tree\/(.+)$/.exec(text);
  if (tree) text = `${tree[1]}@${tree[2]}`;
  const at = text.indexOf('@');
  const repo = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? 'main' : text.slice(at + 1);
  if (!isHubRepoId(repo)) {
    throw new Error(
      `"${value.trim()}" is not a Hugging Face repo id (expected owner/name or owner/name@revision)`,
    );
  }
  if (!REVISION.test(revision) || revision.split('/').includes('..')) {
    throw new Error(`"${revision}" is not a revision of ${repo} (a branch, tag, commit or refs/pr/N)`);
  }
  return { repo, revision };
}

/** `owner/name`, or `owner/name@revision` for another revision than main. */
export function formatHubModelId({ repo, revision }: HubModelId): string {
  return revision === 'main' ? repo : `${repo}@${revision}`;
}

/** Files of a Hub repository at `${hubUrl}/${repo}/resolve/${revision}/${file}`. */
export function hubModelSource(repo: string, options: HubSourceOptions): ModelFileSource {
  if (!isHubRepoId(repo)) throw new Error(`"${repo}" is not a Hugging Face repo id (expected owner/name)`);
  const hubUrl = options.hubUrl.replace(/\/+$/, '');
  const revision = options.revision ?? 'main';
  const doFetch = options.fetch ?? ((url: string) => fetch(url));
  const describe = () => `${formatHubModelId({ repo, revision })} on ${hubUrl}`;
  return {
    describe,
    async fetchFile(name) {
      const url = `${hubUrl}/${repo}/resolve/${encodeURIComponent(revision)}/${name.split('/').map(encodeURIComponent).join('/')}`;
      const cached = await options.cache?.match(url).catch(() => undefined);
      if (cached) return cached.status === 404 ? null : cached;
      let response: Response;
      try {
        response = await doFetch(url);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`could not reach ${hubUrl} for ${repo}/${name}: ${reason}`, { cause: error });
      }
      if (response.headers.get('x-error-code') === 'RepoNotFound') {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(
          response.status === 401 || response.status === 403
            ? `repository ${repo} was not found on ${hubUrl}, or it is private or gated: check the id`
            : `repository ${repo} was not found on ${hubUrl}: check the id`,
        );
      }
      if (response.status === 404) {
        await response.body?.cancel().catch(() => undefined);
        // Remembering the absence lets a later visit look for optional files offline too.
        await options.cache?.put(url, new Response(null, { status: 404 })).catch(() => undefined);
        return null;
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(
          `${repo} was not found on ${hubUrl}, or it is private or gated (HTTP ${response.status})`,
        );
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`${describe()}: downloading ${name} failed with HTTP ${response.status}`);
      }
      if (!options.cache || !response.body) return response;
      // Both branches are consumed as the bytes arrive (the decoder and the cache writer are faster
      // than the network), so the tee holds little; a failed cache write leaves the load untouched.
      const [forCaller, forCache] = response.body.tee();
      const headers = new Headers(response.headers);
      void options.cache
        .put(url, new Response(forCache, { status: 200, headers }))
        .catch(() => forCache.cancel().catch(() => undefined));
      return new Response(forCaller, { status: 200, headers });
    },
    async safetensorsRevision() {
      // The Hub's discussions API (what huggingface_hub's get_repo_discussions reads).
      const url = `${hubUrl}/api/models/${repo}/discussions?type=pull_request&status=open`;
      try {
        const response = await doFetch(url);
        if (!response.ok) {
          await response.body?.cancel().catch(() => undefined);
          return null;
        }
        const body = (await response.json()) as { discussions?: unknown };
        const found = (Array.isArray(body.discussions) ? body.discussions : []).find(
          (d: { num?: unknown; title?: unknown; isPullRequest?: unknown; status?: unknown }) =>
            d.isPullRequest === true &&
            d.status === 'open' &&
            Number.isInteger(d.num) &&
            typeof d.title === 'string' &&
            /safetensors/i.test(d.title),
        ) as { num: number } | undefined;
        return found ? formatHubModelId({ repo, revision: `refs/pr/${found.num}` }) : null;
      } catch {
        return null;
      }
    },
  };
}

/** Files the user dropped or picked (a File is a Blob), keyed by their name inside the model folder. */
export function blobModelSource(
  files: Iterable<readonly [string, Blob]>,
  description = 'the dropped files',
): ModelFileSource {
  const byName = new Map<string, Blob>();
  for (const [path, blob] of files) {
    // A dropped folder arrives as "folder/config.json": the model files are addressed by base name.
    const name = path.split('/').pop() ?? path;
    byName.set(name, blob);
  }
  return {
    describe: () => description,
    async fetchFile(name) {
      const blob = byName.get(name);
      if (!blob) return null;
      return new Response(blob, { headers: { 'content-length': String(blob.size) } });
    },
  };
}
