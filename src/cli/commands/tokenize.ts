// finetune-studio tokenize: the Data step's tokenization, written as JSON lines, one per kept row
// in file order, with the split each row lands in.
import type { Command } from 'commander';
import { createWriteStream, type WriteStream } from 'node:fs';
import { encodeTexts, tokenLengthStats, tooLongCheck } from '../../core/tokenize/index.ts';
import { SPLIT_NAMES } from '../../core/dataset/index.ts';
import { emit, globalOptions } from '../context.ts';
import { addDataOptions, loadData, parseMaxLength, tokenizerFor, type DataFlags } from './inspect.ts';

const DEFAULT_MAX_LENGTH = 128;

interface TokenizeFlags extends DataFlags {
  model: string;
  maxLength: string;
  out: string;
}

function write(out: WriteStream | NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.write(text)) resolve();
    else {
      out.once('drain', resolve);
      out.once('error', reject);
    }
  });
}

export function registerTokenize(program: Command): void {
  addDataOptions(
    program
      .command('tokenize')
      .description(
        "tokenize the kept rows of a labelled file with a model's tokenizer and write them as JSON lines",
      )
      .argument('<file>', 'CSV, TSV or label<TAB>text file'),
  )
    .requiredOption('--model <dirOrHubId>', 'model folder or Hub repo id whose tokenizer to use')
    .option(
      '--max-length <n>',
      'truncate to this many tokens, special tokens included',
      String(DEFAULT_MAX_LENGTH),
    )
    .requiredOption('--out <path>', 'output .jsonl file ("-" for stdout)')
    .action(async (file: string, flags: TokenizeFlags, command: Command) => {
      const options = globalOptions(command);
      const tokenizer = await tokenizerFor(flags.model, options.hubUrl);
      const maxLength = parseMaxLength(flags.maxLength, tokenizer);
      const data = await loadData(file, flags);
      const { dataset, split } = data;
      const encoded = await encodeTexts(tokenizer, dataset.texts, { maxLength });

      const toStdout = flags.out === '-';
      const out = toStdout ? process.stdout : createWriteStream(flags.out);
      const labelOf = (i: number): string | string[] =>
        dataset.multiLabel
          ? Array.from(
              dataset.labelIds.subarray(dataset.labelOffsets[i], dataset.labelOffsets[i + 1]),
              (id) => dataset.labels[id] as string,
            )
          : (dataset.labels[dataset.labelIndex[i] as number] as string);
      // Rows come out in file order: the main file's, then a separate test file's.
      let buffer = '';
      for (let i = 0; i < dataset.texts.length; i++) {
        const ids = Array.from(encoded.ids.subarray(encoded.offsets[i], encoded.offsets[i + 1]));
        buffer +=
          JSON.stringify({
            row: dataset.rows[i],
            ...(dataset.rowSource ? { file: dataset.rowSource[i] === 1 ? 'test' : 'main' } : {}),
            split: SPLIT_NAMES[split.assignment[i] as 0 | 1 | 2],
            text: dataset.texts[i],
            input_ids: ids,
            attention_mask: ids.map(() => 1),
            label: labelOf(i),
          }) + '\n';
        if (buffer.length > 1 << 20) {
          await write(out, buffer);
          buffer = '';
        }
      }
      await write(out, buffer);
      if (!toStdout)
        await new Promise<void>((resolve, reject) => (out as WriteStream).end(resolve).once('error', reject));

      const stats = tokenLengthStats(encoded.fullLengths, tokenizer.modelMaxLength);
      const tooLong = tooLongCheck(encoded.fullLengths, dataset.rows, maxLength);
      const lines = [
        `wrote ${dataset.texts.length.toLocaleString('en')} rows to ${toStdout ? 'stdout' : flags.out} ` +
          `(${SPLIT_NAMES.map((n, s) => `${n} ${split.sizes[s as 0 | 1 | 2]}`).join(', ')}); ` +
          (dataset.unlabelled.rows.length > 0
            ? `left out ${dataset.unlabelled.rows.length.toLocaleString('en')} unlabelled; `
            : '') +
          `dropped ${dataset.dropped.length} (see finetune-studio inspect)`,
        `tokens per text: median ${stats.p50}, 95th percentile ${stats.p95}, longest ${stats.max}; suggested --max-length ${stats.suggestedMaxLength}`,
        tooLong ? tooLong.message : `no text is longer than ${maxLength} tokens`,
        ...tokenizer.notes.map((n) => `note: ${n}`),
      ];
      const json = {
        out: flags.out,
        rows: dataset.texts.length,
        unlabelled: dataset.unlabelled.rows.length,
        dropped: dataset.dropped.length,
        split: { train: split.sizes[0], validation: split.sizes[1], test: split.sizes[2] },
        maxLength,
        lengths: stats,
        truncatedRows: tooLong?.count ?? 0,
      };
      if (toStdout) process.stderr.write(lines.join('\n') + '\n');
      else emit(options, lines, json);
    });
}
