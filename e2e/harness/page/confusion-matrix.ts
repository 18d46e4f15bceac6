// Renders the studio's confusion matrix with the studio's styles in the Evaluate step's layout and
// measures it: whether it fits, scrolls visibly, and truncates long label names with a tooltip.
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { flushSync } from 'react-dom';
import '../../../src/ui/styles.css';
import '../../../src/ui/train/train.css';
import { ConfusionMatrix } from '../../../src/ui/evaluate/ConfusionMatrix.tsx';
import type { ConfusionMatrixReport, ConfusionMatrixRequest } from '../types.ts';

export function runConfusionMatrixCheck({
  labels: n,
  nameLength,
}: ConfusionMatrixRequest): ConfusionMatrixReport {
  const labels = Array.from({ length: n }, (_, i) =>
    `label_${String(i).padStart(3, '0')}_`.padEnd(nameLength, String.fromCharCode(97 + (i % 26))),
  );
  const matrix = labels.map((_, t) => labels.map((__, p) => (t === p ? 20 : (t + p) % 3)));
  document.getElementById('status')?.remove();
  const host = document.createElement('div');
  host.className = 'fs-app';
  document.body.replaceChildren(host);
  const root = createRoot(host);
  flushSync(() =>
    root.render(
      createElement(
        'main',
        { className: 'fs-main' },
        createElement(
          'section',
          { className: 'fs-card' },
          createElement(ConfusionMatrix, { labels, matrix, selected: null, onSelect: () => undefined }),
        ),
      ),
    ),
  );
  const box = document.querySelector<HTMLElement>('.fs-confusion-scroll')!;
  const rect = box.getBoundingClientRect();
  const style = getComputedStyle(box);
  const columns = [...document.querySelectorAll<HTMLElement>('.fs-confusion-col')];
  const last = columns[columns.length - 1]!;
  const lastName = last.querySelector<HTMLElement>('.fs-confusion-name')!;
  const report: ConfusionMatrixReport = {
    window: { width: innerWidth, height: innerHeight },
    box: { left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom },
    overflowX: box.scrollWidth - box.clientWidth,
    overflowY: box.scrollHeight - box.clientHeight,
    overflowStyle: [style.overflowX, style.overflowY],
    // Scrollbars take room from the box when it scrolls: visible, not overlay-only.
    scrollbar: { x: box.offsetHeight - box.clientHeight, y: box.offsetWidth - box.clientWidth },
    cells: document.querySelectorAll('.fs-cell').length,
    lastTitle: last.title,
    // Column names may run upwards: cut along either side.
    lastNameTruncated:
      lastName.scrollWidth > lastName.clientWidth || lastName.scrollHeight > lastName.clientHeight,
    lastColumnReachable: false,
  };
  box.scrollLeft = box.scrollWidth;
  box.scrollTop = box.scrollHeight;
  const cell = document.querySelectorAll<HTMLElement>('.fs-cell');
  const lastCell = cell[cell.length - 1]!.getBoundingClientRect();
  const after = box.getBoundingClientRect();
  report.lastColumnReachable =
    lastCell.right <= after.right + 0.5 &&
    lastCell.bottom <= after.bottom + 0.5 &&
    lastCell.left >= after.left;
  root.unmount();
  return report;
}
