// Hub ids with a revision, and the revision that holds safetensors when a repository has only
// pickled weights.
import { describe, expect, it } from 'vitest';
import { loadModel } from './load.ts';
import { formatHubModelId, hubModelSource, parseHubModelId } from './source.ts';

describe('parseHubModelId', () => {
  it.each([
    ['distilbert/distilbert-base-uncased', 'distilbert/distilbert-base-uncased', 'main'],
    ['  bert-base-uncased  ', 'bert-base-uncased', 'main'],
    ['microsoft/deberta-v3-small@refs/pr/7', 'microsoft/deberta-v3-small', 'refs/pr/7'],
    ['owner/name@v1.0', 'owner/name', 'v1.0'],
    ['owner/name@0123abcd', 'owner/name', '0123abcd'],
    ['https://huggingface.co/owner/name', 'owner/name', 'main'],
    ['https://huggingface.co/owner/name/tree/dev/', 'owner/name', 'dev'],
  ])('reads %j', (typed, repo, revision) => {
    const id = parseHubModelId(typed);
    expect(id).toEqual({ repo, revision });
    expect(parseHubModelId(formatHubModelId(id))).toEqual(id);
  });

  it.each([
    ['owner/name@', /"" is not a revision of owner\/name/],
    ['owner/name@../x', /is not a revision of owner\/name/],
    ['owner/name@a b', /is not a revision of owner\/name/],
    ['@main', /is not a Hugging Face repo id \(expected owner\/name or owner\/name@revision\)/],
    ['a/b/c', /is not a Hugging Face repo id/],
  ])('refuses %j in one line', (typed, message) => {
    expect(() => parseHubModelId(typed)).toThrow(message);
  });
});

/** A hub that holds only pytorch_model.bin for a/b, answering the discussions API with `discussions`. */
function pickleOnlyHub(discussions: unknown, seen: string[]) {
  return async (url: string): Promise<Response> => {
    seen.push(url);
    if (url.includes('/api/models/a/b/discussions')) {
      return discussions === null
        ? new Response('not here', { status: 404 })
        : Response.json({ discussions, count: 3 });
    }
    if (url.endsWith('/config.json')) {
      return Response.json({
        model_type: 'bert',
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 8,
        vocab_size: 10,
      });
    }
    if (url.endsWith('/pytorch_model.bin')) return new Response(new Uint8Array(16));
    return new Response('', { status: 404 });
  };
}

describe('a Hub repository with only pytorch_model.bin', () => {
  it('is refused with the open pull request that adds safetensors, as a revision to load', async () => {
    const seen: string[] = [];
    const fetch = pickleOnlyHub(
      [
        { num: 2, title: 'Add safetensors', isPullRequest: true, status: 'closed' },
        { num: 5, title: 'Fix the README', isPullRequest: true, status: 'open' },
        { num: 7, title: 'Adding `safetensors` variant of this model', isPullRequest: true, status: 'open' },
      ],
      seen,
    );
    await expect(loadModel(hubModelSource('a/b', { hubUrl: 'http://hub.test', fetch }))).rejects.toThrow(
      /a\/b on http:\/\/hub\.test has no model\.safetensors \(only pytorch_model\.bin\); the studio reads safetensors weights only: load a\/b@refs\/pr\/7, the open pull request that adds model\.safetensors$/,
    );
    expect(seen).toContain('http://hub.test/api/models/a/b/discussions?type=pull_request&status=open');
  });

  it('says how to name a revision when the hub knows none', async () => {
    for (const discussions of [
      null,
      [],
      [{ num: 5, title: 'Fix the README', isPullRequest: true, status: 'open' }],
    ]) {
      await expect(
        loadModel(
          hubModelSource('a/b', { hubUrl: 'http://hub.test', fetch: pickleOnlyHub(discussions, []) }),
        ),
      ).rejects.toThrow(/load a revision that has model\.safetensors as owner\/name@revision/);
    }
  });

  it('fetches files of the revision asked for, and names it', async () => {
    const seen: string[] = [];
    const source = hubModelSource('a/b', {
      hubUrl: 'http://hub.test/',
      revision: 'refs/pr/7',
      fetch: pickleOnlyHub(null, seen),
    });
    expect(source.describe()).toBe('a/b@refs/pr/7 on http://hub.test');
    await source.fetchFile('config.json');
    expect(seen).toEqual(['http://hub.test/a/b/resolve/refs%2Fpr%2F7/config.json']);
  });
});
