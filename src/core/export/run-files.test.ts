import { describe, expect, it } from 'vitest';
import { buildExportZip } from './export-model.ts';
import { buildRunFolderFiles, buildRunFolderZipChunks } from './run-files.ts';
import { mapFolderReader, readExportInput } from './run-folder.ts';
import { multiLabelInput, seqclsInput } from './test-support/fixtures.ts';
import type { ExportInput } from './types.ts';
import { zipDifference } from './zip-compare.ts';
import { concatBytes, unzipFolder, zipFiles } from './zip.ts';

/** The CLI's route: the run folder zip opened again and exported. */
async function exportThroughRunFolder(
  input: ExportInput,
  change: (folder: Map<string, Uint8Array>) => void = () => {},
): Promise<Uint8Array> {
  const folder = unzipFolder(concatBytes(buildRunFolderZipChunks(input)));
  change(folder);
  return buildExportZip(await readExportInput(mapFolderReader(folder))).zip;
}

/** How the studio hands a run to the export: settings nested as toTrainingArguments writes them. */
async function studioLikeInput(): Promise<ExportInput> {
  const input = await seqclsInput();
  const { studioSettings, ...rest } = input;
  return {
    ...rest,
    baseModel: 'distilbert-tiny-seqcls',
    maxLength: 48,
    trainingArgs: { ...input.trainingArgs, finetune_studio: { ...studioSettings, max_length: 48 } },
    // Keys in the order the studio builds them, not sorted as the run folder's JSON stores them.
    dataSummary: {
      ...input.dataSummary!,
      unlabelledRows: 250,
      tokenLengths: { p50: 14, p95: 30, max: 43, max_length: 48, truncated: 0 },
    },
  };
}

describe('the run folder', () => {
  it('holds the model folder and the run metadata, never the export recipes', async () => {
    const files = buildRunFolderFiles(await multiLabelInput());
    expect(files.map((f) => f.path)).toEqual([
      'config.json',
      'data_summary.json',
      'metrics.json',
      'model.safetensors',
      'special_tokens_map.json',
      'thresholds.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'training_args.json',
      'vocab.txt',
    ]);
  });

  for (const [name, build] of [
    ['single-label', seqclsInput],
    ['multi-label', multiLabelInput],
    ['studio-shaped', studioLikeInput],
  ] as const) {
    it(`exports a ${name} run to the same zip bytes as the run itself`, async () => {
      const input = await build();
      const direct = buildExportZip(input).zip;
      expect(zipDifference(direct, await exportThroughRunFolder(input), ['studio', 'run folder'])).toBeNull();
    });
  }

  it('reads the unlabelled rows back from data_summary.json, and the model card states them', async () => {
    const input = await studioLikeInput();
    const folder = unzipFolder(concatBytes(buildRunFolderZipChunks(input)));
    const written = JSON.parse(new TextDecoder().decode(folder.get('data_summary.json'))) as {
      unlabelledRows: number;
    };
    expect(written.unlabelledRows).toBe(250);
    const read = await readExportInput(mapFolderReader(folder));
    expect(read.dataSummary).toEqual(input.dataSummary);
    const card = new TextDecoder().decode(unzipFolder(buildExportZip(read).zip).get('README.md'));
    expect(card).toContain('- Rows: 1,000\n- Unlabelled rows, not trained on: 250\n');
  });

  it('keeps a base model name that is not a Hub id for the model card', async () => {
    const input = await studioLikeInput();
    const folder = unzipFolder(concatBytes(buildRunFolderZipChunks(input)));
    expect((await readExportInput(mapFolderReader(folder))).baseModel).toBe('distilbert-tiny-seqcls');
  });

  it('makes the comparison fail, naming the file, when the folder loses what the export shows', async () => {
    const input = await seqclsInput();
    const direct = buildExportZip(input).zip;
    const withoutMetrics = await exportThroughRunFolder(input, (folder) => folder.delete('metrics.json'));
    expect(zipDifference(direct, withoutMetrics)).toMatch(/^README\.md differs at line \d+/);
    const otherWeights = await exportThroughRunFolder(input, (folder) => {
      const weights = folder.get('model.safetensors')!;
      weights[weights.length - 1]! ^= 1;
    });
    expect(zipDifference(direct, otherWeights)).toMatch(/^model\.safetensors differs from byte \d+/);
    const otherThresholds = await multiLabelInput();
    expect(
      zipDifference(
        buildExportZip(otherThresholds).zip,
        buildExportZip({ ...otherThresholds, thresholds: [0.5, 0.5, 0.5, 0.5] }).zip,
      ),
    ).toMatch(/^README\.md differs/);
  });

  it('names differing entry lists, orders and zip headers', () => {
    const a = { path: 'a.txt', bytes: new TextEncoder().encode('one\n') };
    const b = { path: 'b.txt', bytes: new TextEncoder().encode('two\n') };
    const zip = zipFiles([a, b]);
    expect(zipDifference(zip, zipFiles([a, b]))).toBeNull();
    expect(zipDifference(zip, zipFiles([a]))).toMatch(/only in first: \[b\.txt\]/);
    expect(zipDifference(zip, zipFiles([a, { ...b, bytes: new TextEncoder().encode('too\n') }]))).toMatch(
      /b\.txt differs at line 1/,
    );
    const stamped = zip.slice();
    // The first entry's modification time, as a zip writer using the clock would set it.
    stamped[10] = 0x21;
    expect(zipDifference(zip, stamped)).toMatch(/files are equal but the zip bytes differ from offset 10/);
  });
});

describe('split.json through the run folder', () => {
  const splitFile = {
    format: 'finetune-studio-split/1' as const,
    file_rows: 7,
    kept_rows: 5,
    rows_crc32: '0123abcd',
    train: [1, 2, 5],
    validation: [6],
    test: [7],
  };

  it('the CLI’s export of the run folder carries the same split.json as the studio’s export', async () => {
    const input = { ...(await studioLikeInput()), splitFile };
    const studio = buildExportZip(input).zip;
    const cli = await exportThroughRunFolder(input);
    expect(zipDifference(studio, cli, ['studio', 'CLI'])).toBeNull();
    const split = JSON.parse(new TextDecoder().decode(unzipFolder(cli).get('split.json'))) as unknown;
    expect(split).toEqual(splitFile);
  });

  it('a split.json of another format is refused in one line', async () => {
    const input = { ...(await studioLikeInput()), splitFile };
    await expect(
      exportThroughRunFolder(input, (folder) =>
        folder.set(
          'split.json',
          new TextEncoder().encode(JSON.stringify({ ...splitFile, format: 'other/9' })),
        ),
      ),
    ).rejects.toThrow('split.json: format "other/9", expected finetune-studio-split/1');
  });
});
