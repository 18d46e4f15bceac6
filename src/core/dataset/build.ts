// Rows → dataset. Rows are only ever dropped for two reasons (malformed, empty text) or because the
// user asked to drop exact duplicates; every drop is listed with its row.
//
// Multi-label files: an empty label cell is a valid row meaning "none of these labels applies"
// (NLU++ has 88 such banking utterances, e.g. small talk outside every intent). Dropping them
// would teach the sigmoid head that some label always applies and raise false positives on
// out-of-scope text, so they are kept, counted and reported as information. In single-label
// files there is no "none" class, so an empty label cell means nobody has labelled the row yet:
// it is kept aside as unlabelled (not trained on, not dropped), the pool a finished run ranks for
// labelling next. Unlabelled rows take no part in the duplicate checks, which compare labels, and
// are never dropped as duplicates: identical texts have identical features, which the
// suggestions' diversity radius already keeps out of one batch.

import type { MalformedRow, RowBatch } from '../csv/index.ts';
import { splitValueIndex } from './columns.ts';
import { caseVariants, normalizeLabel, sortLabels, splitLabelCell } from './labels.ts';
import type { ColumnMapping, Dataset, DatasetCheck, DroppedRow, LabelCount } from './types.ts';

/** Classes with fewer examples than this are reported. */
export const RARE_CLASS_EXAMPLES = 5;

/** What the builder needs from the parse summary (a `ParseSummary` fits). */
export interface ParseFacts {
  rows: number;
  strayQuoteRows?: number[];
  notices?: string[];
}

function validateMapping(columns: readonly string[], mapping: ColumnMapping): void {
  const inRange = (i: number | null | undefined): boolean =>
    i === null || i === undefined || (Number.isInteger(i) && i >= 0 && i < columns.length);
  if (mapping.textColumns.length === 0) throw new Error('choose at least one text column');
  for (const c of [...mapping.textColumns, mapping.labelColumn, mapping.splitColumn, mapping.idColumn]) {
    if (!inRange(c)) throw new Error(`column ${String(c)} does not exist (the file has ${columns.length})`);
  }
  if (mapping.textColumns.includes(mapping.labelColumn)) {
    throw new Error(`"${columns[mapping.labelColumn]}" cannot be both a text column and the label column`);
  }
  if (
    mapping.splitColumn != null &&
    [...mapping.textColumns, mapping.labelColumn].includes(mapping.splitColumn)
  ) {
    throw new Error(`the split column "${columns[mapping.splitColumn]}" is also used as text or label`);
  }
}

/**
 * Accumulates rows batch by batch (straight from `parseCsv`'s `onRows`, or from a kept table),
 * keeping only what training needs: the text, the labels, the row number and the given split.
 */
export class DatasetBuilder {
  private readonly mapping: Dataset['mapping'];
  private texts: string[] = [];
  private rows: number[] = [];
  private provisional: number[] = [];
  private multiOffsets: number[] = [0];
  private multiIds: number[] = [];
  private given: number[] = [];
  private labelIds = new Map<string, number>();
  private labelNames: string[] = [];
  private dropped: DroppedRow[] = [];
  private noLabelRows: number[] = [];
  private unlabelledRows: number[] = [];
  private unlabelledTexts: string[] = [];
  private unknownSplitRows: number[] = [];

  constructor(
    private readonly columns: readonly string[],
    mapping: ColumnMapping,
  ) {
    validateMapping(columns, mapping);
    const separator = mapping.labelSeparator ?? (mapping.multiLabel ? '|' : null);
    this.mapping = {
      textColumns: [...mapping.textColumns],
      labelColumn: mapping.labelColumn,
      splitColumn: mapping.splitColumn ?? null,
      idColumn: mapping.idColumn ?? null,
      multiLabel: mapping.multiLabel,
      labelSeparator: mapping.multiLabel ? separator : null,
      caseFold: mapping.caseFold ?? false,
      labelOrder: mapping.labelOrder ? [...mapping.labelOrder] : null,
      dropDuplicates: mapping.dropDuplicates ?? false,
      textJoiner: mapping.textJoiner ?? '\n',
    };
  }

  add(batch: RowBatch): void {
    this.addMalformed(batch.malformed);
    this.addRows(batch.rows, batch.rowNumbers);
  }

  addMalformed(malformed: readonly MalformedRow[]): void {
    for (const m of malformed) {
      this.dropped.push({
        row: m.row,
        reason: 'malformed',
        detail: `line ${m.line}: ${m.reason}`,
        fields: m.fields,
      });
    }
  }

  addRows(rows: readonly string[][], rowNumbers: ArrayLike<number>): void {
    const { textColumns, labelColumn, splitColumn, multiLabel, labelSeparator, caseFold, textJoiner } =
      this.mapping;
    for (let i = 0; i < rows.length; i++) {
      const fields = rows[i] as string[];
      const row = rowNumbers[i] as number;
      let text: string;
      if (textColumns.length === 1) {
        text = fields[textColumns[0] as number] ?? '';
      } else {
        const parts: string[] = [];
        for (const c of textColumns) {
          const part = fields[c] ?? '';
          if (part.trim() !== '') parts.push(part);
        }
        text = parts.join(textJoiner);
      }
      if (text.trim() === '') {
        this.dropped.push({
          row,
          reason: 'empty-text',
          detail:
            textColumns.length === 1
              ? `the text column "${this.columns[textColumns[0] as number]}" is empty`
              : 'all text columns are empty',
          fields,
        });
        continue;
      }
      const cell = fields[labelColumn] ?? '';
      if (multiLabel) {
        const names = splitLabelCell(cell, labelSeparator as string, caseFold);
        for (const name of names) this.multiIds.push(this.labelId(name));
        this.multiOffsets.push(this.multiIds.length);
        if (names.length === 0) this.noLabelRows.push(row);
      } else {
        const name = normalizeLabel(cell, caseFold);
        if (name === '') {
          this.unlabelledRows.push(row);
          this.unlabelledTexts.push(text);
          continue;
        }
        this.provisional.push(this.labelId(name));
      }
      if (splitColumn !== null) {
        const split = splitValueIndex(fields[splitColumn] ?? '');
        if (split === -1) this.unknownSplitRows.push(row);
        this.given.push(split);
      }
      this.texts.push(text);
      this.rows.push(row);
    }
  }

  private labelId(name: string): number {
    let id = this.labelIds.get(name);
    if (id === undefined) {
      id = this.labelNames.length;
      this.labelIds.set(name, id);
      this.labelNames.push(name);
    }
    return id;
  }

  finish(facts: ParseFacts): Dataset {
    const { multiLabel, labelOrder, caseFold, dropDuplicates } = this.mapping;
    const checks: DatasetCheck[] = [];
    const notices = [...(facts.notices ?? [])];

    // Stable class order: the label file's, then any others sorted; or all sorted.
    const listed = labelOrder ? labelOrder.map((l) => normalizeLabel(l, caseFold)) : null;
    const listedSet = new Set(listed ?? []);
    const unlisted = this.labelNames.filter((l) => !listedSet.has(l));
    const labels = listed ? [...new Set([...listed, ...sortLabels(unlisted)])] : sortLabels(this.labelNames);
    const finalId = new Map(labels.map((l, i) => [l, i]));
    const remap = Int32Array.from(this.labelNames, (l) => finalId.get(l) as number);

    let texts = this.texts;
    let rows = Int32Array.from(this.rows);
    let labelIndex = multiLabel
      ? new Int32Array(0)
      : Int32Array.from(this.provisional, (p) => remap[p] as number);
    let labelOffsets = multiLabel ? Int32Array.from(this.multiOffsets) : new Int32Array(0);
    let labelIds = multiLabel ? Int32Array.from(this.multiIds, (p) => remap[p] as number) : new Int32Array(0);
    let given = this.mapping.splitColumn !== null ? Int8Array.from(this.given) : null;

    const signature = (i: number): string => {
      if (!multiLabel) return String(labelIndex[i]);
      const ids = Array.from(labelIds.subarray(labelOffsets[i], labelOffsets[i + 1])).sort((a, b) => a - b);
      return ids.join(',');
    };
    const labelText = (i: number): string =>
      multiLabel
        ? Array.from(labelIds.subarray(labelOffsets[i], labelOffsets[i + 1]), (id) => labels[id]).join(
            ' | ',
          ) || '(no labels)'
        : (labels[labelIndex[i] as number] as string);

    // Duplicates: same text. Exact when the labels agree too, conflicting when they differ.
    const firstByText = new Map<string, number>();
    const exactRows: number[] = [];
    const exactDetails: string[] = [];
    const exactIndices: number[] = [];
    const conflictGroups = new Map<number, number[]>();
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i] as string;
      const first = firstByText.get(text);
      if (first === undefined) {
        firstByText.set(text, i);
        continue;
      }
      const group = conflictGroups.get(first) ?? [first];
      group.push(i);
      conflictGroups.set(first, group);
    }
    const conflictRows: number[] = [];
    const conflictDetails: string[] = [];
    for (const [first, members] of conflictGroups) {
      const seen = new Map<string, number>();
      for (const i of members) {
        const sig = signature(i);
        const earlier = seen.get(sig);
        if (earlier === undefined) seen.set(sig, i);
        else {
          exactRows.push(rows[i] as number);
          exactIndices.push(i);
          exactDetails.push(`same text and labels as row ${rows[earlier]}`);
        }
      }
      if (seen.size > 1) {
        for (const i of members) {
          conflictRows.push(rows[i] as number);
          conflictDetails.push(
            i === first
              ? `labelled ${labelText(i)}; the same text has other labels elsewhere`
              : `same text as row ${rows[first]}: labelled ${labelText(i)} here, ${labelText(first)} there`,
          );
        }
      }
    }
    const byRow = (a: [number, string], b: [number, string]): number => a[0] - b[0];
    const exactPairs = exactRows
      .map((r, k) => [r, exactDetails[k] as string] as [number, string])
      .sort(byRow);
    const conflictPairs = conflictRows
      .map((r, k) => [r, conflictDetails[k] as string] as [number, string])
      .sort(byRow);

    if (dropDuplicates && exactIndices.length > 0) {
      const drop = new Uint8Array(texts.length);
      const detailOf = new Map(exactIndices.map((i, k) => [i, exactDetails[k] as string]));
      for (const i of exactIndices) drop[i] = 1;
      for (const i of [...exactIndices].sort((a, b) => a - b)) {
        this.dropped.push({
          row: rows[i] as number,
          reason: 'duplicate',
          detail: `${detailOf.get(i) ?? 'exact duplicate'} (dropped by choice)`,
          fields: [texts[i] as string, labelText(i)],
        });
      }
      const keep = (i: number): boolean => drop[i] === 0;
      const keptIdx = [...texts.keys()].filter(keep);
      texts = keptIdx.map((i) => texts[i] as string);
      rows = Int32Array.from(keptIdx, (i) => rows[i] as number);
      if (given) {
        const g = given;
        given = Int8Array.from(keptIdx, (i) => g[i] as number);
      }
      if (multiLabel) {
        const offsets = [0];
        const ids: number[] = [];
        for (const i of keptIdx) {
          for (let k = labelOffsets[i] as number; k < (labelOffsets[i + 1] as number); k++)
            ids.push(labelIds[k] as number);
          offsets.push(ids.length);
        }
        labelOffsets = Int32Array.from(offsets);
        labelIds = Int32Array.from(ids);
      } else {
        const li = labelIndex;
        labelIndex = Int32Array.from(keptIdx, (i) => li[i] as number);
      }
    }

    const counts = new Array<number>(labels.length).fill(0);
    if (multiLabel) for (const id of labelIds) counts[id] = (counts[id] ?? 0) + 1;
    else for (const id of labelIndex) counts[id] = (counts[id] ?? 0) + 1;
    const labelCounts: LabelCount[] = labels.map((label, i) => ({ label, count: counts[i] ?? 0 }));

    const dropped = this.dropped.sort((a, b) => a.row - b.row);
    const droppedOf = (reason: DroppedRow['reason']): DroppedRow[] =>
      dropped.filter((d) => d.reason === reason);
    const malformed = droppedOf('malformed');
    if (malformed.length > 0) {
      checks.push({
        id: 'malformed-row',
        severity: 'dropped',
        title: 'Malformed rows',
        message: `${malformed.length} row${s(malformed.length)} could not be read (wrong number of fields or an unclosed quote) and ${malformed.length === 1 ? 'is' : 'are'} left out`,
        count: malformed.length,
        rows: malformed.map((d) => d.row),
        details: malformed.map((d) => d.detail),
      });
    }
    const emptyText = droppedOf('empty-text');
    if (emptyText.length > 0) {
      checks.push({
        id: 'empty-text',
        severity: 'dropped',
        title: 'Empty text',
        message: `${emptyText.length} row${s(emptyText.length)} with no text ${emptyText.length === 1 ? 'is' : 'are'} left out`,
        count: emptyText.length,
        rows: emptyText.map((d) => d.row),
        details: emptyText.map((d) => d.detail),
      });
    }
    const unlabelledCount = this.unlabelledRows.length;
    if (unlabelledCount > 0) {
      checks.push({
        id: 'missing-label',
        severity: 'info',
        title: 'Unlabelled rows',
        message: `${unlabelledCount} row${s(unlabelledCount)} ${unlabelledCount === 1 ? 'has' : 'have'} no label: kept as unlabelled, not trained on; after a run the studio ranks which to label next`,
        count: unlabelledCount,
        rows: [...this.unlabelledRows],
      });
    }
    if (multiLabel && this.noLabelRows.length > 0) {
      const keptSet = dropDuplicates ? new Set(rows) : null;
      const noLabel = keptSet ? this.noLabelRows.filter((r) => keptSet.has(r)) : this.noLabelRows;
      checks.push({
        id: 'no-labels',
        severity: 'info',
        title: 'Rows with no label',
        message: `${noLabel.length} row${s(noLabel.length)} ${noLabel.length === 1 ? 'has' : 'have'} an empty label cell: kept as examples where none of the labels applies`,
        count: noLabel.length,
        rows: noLabel,
      });
    }
    if (exactPairs.length > 0) {
      checks.push({
        id: 'exact-duplicate',
        severity: dropDuplicates ? 'dropped' : 'warning',
        title: 'Exact duplicates',
        message: dropDuplicates
          ? `${exactPairs.length} row${s(exactPairs.length)} repeat${exactPairs.length === 1 ? 's' : ''} an earlier row's text and labels and ${exactPairs.length === 1 ? 'was' : 'were'} dropped as you chose`
          : `${exactPairs.length} row${s(exactPairs.length)} repeat${exactPairs.length === 1 ? 's' : ''} an earlier row's text and labels; kept, and kept in the same split as the original`,
        count: exactPairs.length,
        rows: exactPairs.map((p) => p[0]),
        details: exactPairs.map((p) => p[1]),
      });
    }
    if (conflictPairs.length > 0) {
      checks.push({
        id: 'conflicting-duplicate',
        severity: 'warning',
        title: 'Conflicting duplicates',
        message: `${conflictGroupsCount(conflictPairs)} text${s(conflictGroupsCount(conflictPairs))} appear${conflictGroupsCount(conflictPairs) === 1 ? 's' : ''} with different labels (${conflictPairs.length} rows); kept together in one split`,
        count: conflictPairs.length,
        rows: conflictPairs.map((p) => p[0]),
        details: conflictPairs.map((p) => p[1]),
      });
    }

    const kept = texts.length;
    if (kept === 0) {
      checks.push({
        id: 'no-rows',
        severity: 'fatal',
        title: 'No usable rows',
        message:
          unlabelledCount > 0
            ? `no row has a label: all ${unlabelledCount} row${s(unlabelledCount)} with text ${unlabelledCount === 1 ? 'has' : 'have'} an empty label cell; label some to train`
            : 'no row has both a text and a label',
        count: 0,
        rows: [],
      });
    }
    const present = labelCounts.filter((c) => c.count > 0);
    const idLike = kept > 0 && present.length > Math.max(20, 0.5 * kept);
    if (idLike) {
      checks.push({
        id: 'id-like-labels',
        severity: 'fatal',
        title: 'Label column looks like an id',
        message: `the label column has ${present.length} distinct values in ${kept} rows (nearly all unique): it looks like an id or free text, not classes`,
        count: present.length,
        rows: [],
      });
    }
    if (kept > 0 && present.length <= 1) {
      const single = present[0]?.label;
      checks.push({
        id: 'single-class',
        severity: multiLabel && present.length === 1 ? 'warning' : 'fatal',
        title: present.length === 0 ? 'No labels' : 'A single class',
        message:
          present.length === 0
            ? 'no row has a label'
            : multiLabel
              ? `every labelled row has the one label "${single}": the model only learns whether it applies`
              : `every row has the label "${single}": a classifier needs at least two classes`,
        count: present.length,
        rows: [],
      });
    }
    const rare = labelCounts.filter((c) => c.count > 0 && c.count < RARE_CLASS_EXAMPLES);
    if (rare.length > 0 && !idLike) {
      const rareIds = new Set(rare.map((c) => labels.indexOf(c.label)));
      const rareRows: number[] = [];
      const rareDetails: string[] = [];
      for (let i = 0; i < kept; i++) {
        const ids = multiLabel
          ? Array.from(labelIds.subarray(labelOffsets[i], labelOffsets[i + 1]))
          : [labelIndex[i] as number];
        const hit = ids.filter((id) => rareIds.has(id));
        if (hit.length > 0) {
          rareRows.push(rows[i] as number);
          rareDetails.push(
            hit
              .map((id) => `class "${labels[id]}" has ${counts[id]} example${s(counts[id] ?? 0)}`)
              .join('; '),
          );
        }
      }
      checks.push({
        id: 'rare-class',
        severity: 'warning',
        title: `Classes with fewer than ${RARE_CLASS_EXAMPLES} examples`,
        message: `${rare.length} class${rare.length === 1 ? '' : 'es'} ha${rare.length === 1 ? 's' : 've'} fewer than ${RARE_CLASS_EXAMPLES} examples: ${rare
          .slice(0, 10)
          .map((c) => `${c.label} (${c.count})`)
          .join(', ')}${rare.length > 10 ? ', ...' : ''}`,
        count: rare.length,
        rows: rareRows,
        details: rareDetails,
      });
    }
    if (!caseFold) {
      const variants = caseVariants(present.map((c) => c.label));
      if (variants.length > 0) {
        checks.push({
          id: 'case-variant-labels',
          severity: 'warning',
          title: 'Labels that differ only in case',
          message: `${variants.map((g) => g.join(' / ')).join('; ')}: turn on case folding to merge them`,
          count: variants.length,
          rows: [],
        });
      }
    }
    if (listed) {
      if (unlisted.length > 0) {
        checks.push({
          id: 'unlisted-labels',
          severity: 'warning',
          title: 'Labels missing from the label file',
          message: `${unlisted.length} label${s(unlisted.length)} in the data ${unlisted.length === 1 ? 'is' : 'are'} not in the label file and ${unlisted.length === 1 ? 'was' : 'were'} added after its labels: ${sortLabels(unlisted).slice(0, 10).join(', ')}`,
          count: unlisted.length,
          rows: [],
        });
      }
      const unused = labelCounts.filter((c) => c.count === 0);
      if (unused.length > 0) {
        checks.push({
          id: 'unused-labels',
          severity: 'info',
          title: 'Labels without examples',
          message: `${unused.length} label${s(unused.length)} from the label file ${unused.length === 1 ? 'has' : 'have'} no example: ${unused
            .slice(0, 10)
            .map((c) => c.label)
            .join(', ')}`,
          count: unused.length,
          rows: [],
        });
      }
    }
    const stray = facts.strayQuoteRows ?? [];
    if (stray.length > 0) {
      checks.push({
        id: 'stray-quote',
        severity: 'warning',
        title: 'Stray quotes',
        message: `${stray.length} row${s(stray.length)} ha${stray.length === 1 ? 's' : 've'} a quote inside a quoted field that is not doubled; read as written`,
        count: stray.length,
        rows: stray,
      });
    }
    if (this.unknownSplitRows.length > 0) {
      checks.push({
        id: 'split-values',
        severity: 'warning',
        title: 'Rows without a usable split value',
        message: `${this.unknownSplitRows.length} row${s(this.unknownSplitRows.length)} ha${this.unknownSplitRows.length === 1 ? 's' : 've'} an empty or unknown value in the split column (expected train, validation or test); they are split at random, stratified`,
        count: this.unknownSplitRows.length,
        rows: this.unknownSplitRows,
      });
    }

    return {
      columns: [...this.columns],
      mapping: this.mapping,
      multiLabel,
      labels,
      texts,
      rows,
      labelIndex,
      labelOffsets,
      labelIds,
      givenSplit: given,
      labelCounts,
      noLabelRows: multiLabel ? (checks.find((c) => c.id === 'no-labels')?.count ?? 0) : 0,
      unlabelled: { rows: Int32Array.from(this.unlabelledRows), texts: this.unlabelledTexts },
      dropped,
      checks,
      totalRows: facts.rows,
      notices,
    };
  }
}

function s(n: number): string {
  return n === 1 ? '' : 's';
}

function conflictGroupsCount(pairs: [number, string][]): number {
  return pairs.filter((p) => !p[1].startsWith('same text as row')).length;
}

/** Builds a dataset from rows already in memory (a `CsvTable`). */
export function buildDataset(
  table: {
    columns: readonly string[];
    rows: readonly string[][];
    rowNumbers: ArrayLike<number>;
    summary: ParseFacts & { malformed?: MalformedRow[] };
  },
  mapping: ColumnMapping,
): Dataset {
  const builder = new DatasetBuilder(table.columns, mapping);
  builder.addMalformed(table.summary.malformed ?? []);
  builder.addRows(table.rows, table.rowNumbers);
  return builder.finish(table.summary);
}

/** The first reason the dataset cannot be trained on, or null. */
export function fatalReason(dataset: Pick<Dataset, 'checks'>): string | null {
  return dataset.checks.find((c) => c.severity === 'fatal')?.message ?? null;
}
