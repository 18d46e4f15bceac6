import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef } from 'react';
import { previewRow, requestPreviewRows } from '../../state/previewRows.ts';
import { useStudio } from '../../state/store.ts';
import { formatCount } from '../format.ts';

const ROW_HEIGHT = 30;

/** Every row of the file, virtualized: only the visible rows exist in the page. */
export const PreviewTable = memo(function PreviewTable() {
  const opened = useStudio((state) => state.data.opened);
  const mapping = useStudio((state) => state.data.mapping);
  useStudio((state) => state.data.rowsVersion);
  const scroller = useRef<HTMLDivElement>(null);
  const rowCount = opened?.parse.rowCount ?? 0;
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (rowCount > 0) requestPreviewRows(first, last + 1);
  }, [first, last, rowCount]);
  if (!opened) return null;
  const { columns } = opened.parse;
  const role = (index: number): string => {
    if (!mapping) return '';
    if (mapping.textColumns.includes(index)) return 'text';
    if (mapping.labelColumn === index) return 'label';
    if (mapping.splitColumn === index) return 'split';
    if (mapping.idColumn === index) return 'id';
    return '';
  };
  const template = `4.5rem ${columns.map((_, i) => (role(i) === 'text' ? 'minmax(16rem, 3fr)' : 'minmax(7rem, 1fr)')).join(' ')}`;
  return (
    <section className="fs-card fs-preview" aria-labelledby="fs-preview-title">
      <h3 id="fs-preview-title">
        Preview <span className="fs-muted">· {formatCount(rowCount)} rows</span>
      </h3>
      <div
        ref={scroller}
        className="fs-preview-scroll"
        role="table"
        aria-label="Rows of the file"
        aria-rowcount={rowCount + 1}
        tabIndex={0}
      >
        <div
          className="fs-preview-row fs-preview-header"
          role="row"
          style={{ gridTemplateColumns: template }}
        >
          <span role="columnheader">Row</span>
          {columns.map((name, index) => (
            <span
              role="columnheader"
              key={index}
              className={role(index) ? `fs-col-${role(index)}` : undefined}
            >
              {name}
              {role(index) ? <span className="fs-col-role"> {role(index)}</span> : null}
            </span>
          ))}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = previewRow(item.index);
            return (
              <div
                key={item.key}
                role="row"
                aria-rowindex={item.index + 2}
                className="fs-preview-row"
                style={{
                  gridTemplateColumns: template,
                  transform: `translateY(${item.start}px)`,
                  height: ROW_HEIGHT,
                }}
              >
                <span role="cell" className="fs-muted fs-num">
                  {item.index + 1}
                </span>
                {columns.map((_, index) => {
                  const value = row?.[index];
                  return (
                    <span
                      role="cell"
                      key={index}
                      title={value && value.length > 40 ? value.slice(0, 600) : undefined}
                    >
                      {row ? (value ?? '') : <span className="fs-skeleton" />}
                    </span>
                  );
                })}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
});
