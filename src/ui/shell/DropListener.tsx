import { useEffect, useState } from 'react';
import { openFile, openPastedText } from '../../state/data.ts';
import { loadModelFromFiles } from '../../state/model.ts';
import { studio } from '../../state/store.ts';

interface Dropped {
  files: File[];
  folder: string | null;
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function collect(entry: FileSystemEntry, out: File[], depth = 0): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    out.push(file);
  } else if (entry.isDirectory && depth < 4) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await readEntries(reader);
      if (batch.length === 0) break;
      for (const child of batch) await collect(child, out, depth + 1);
    }
  }
}

/** The files of a drop, with the contents of a dropped folder (a model folder) flattened. */
async function droppedFiles(transfer: DataTransfer): Promise<Dropped> {
  const entries = [...transfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.())
    .filter((entry): entry is FileSystemEntry => Boolean(entry));
  const folder = entries.find((entry) => entry.isDirectory);
  if (folder) {
    const files: File[] = [];
    await collect(folder, files);
    return { files, folder: folder.name };
  }
  return { files: [...transfer.files], folder: null };
}

function hasFiles(event: DragEvent): boolean {
  return Boolean(event.dataTransfer && [...event.dataTransfer.types].includes('Files'));
}

/**
 * Listens on the whole document, so a file dropped on any element lands: on the Model step it is
 * a model folder, everywhere else a dataset. Pasting text (outside a text field) imports it too.
 */
export function DropListener() {
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const onDragEnter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      setDragging(true);
    };
    const onDragOver = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const onDragLeave = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onDrop = (event: DragEvent) => {
      depth = 0;
      setDragging(false);
      if (!event.dataTransfer || event.dataTransfer.files.length === 0) return;
      event.preventDefault();
      const transfer = event.dataTransfer;
      const step = studio().ui.step;
      void droppedFiles(transfer).then(({ files, folder }) => {
        if (step === 'model') {
          void loadModelFromFiles(files, folder ?? undefined);
          return;
        }
        const file = files[0];
        if (folder || !file) {
          studio().setData({
            error: {
              message: 'That was a folder; the Data step takes one file.',
              hint: 'Drop a CSV, TSV or text file. To load a model folder, open the Model step first.',
            },
          });
          return;
        }
        if (step !== 'data') studio().setUi({ step: 'data' });
        void openFile(file);
      });
    };
    const onPaste = (event: ClipboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, [contenteditable="true"]')) return;
      if (studio().ui.step !== 'data') return;
      const text = event.clipboardData?.getData('text/plain') ?? '';
      if (!text) return;
      event.preventDefault();
      void openPastedText(text);
    };
    document.addEventListener('dragenter', onDragEnter);
    document.addEventListener('dragover', onDragOver);
    document.addEventListener('dragleave', onDragLeave);
    document.addEventListener('drop', onDrop);
    document.addEventListener('paste', onPaste);
    return () => {
      document.removeEventListener('dragenter', onDragEnter);
      document.removeEventListener('dragover', onDragOver);
      document.removeEventListener('dragleave', onDragLeave);
      document.removeEventListener('drop', onDrop);
      document.removeEventListener('paste', onPaste);
    };
  }, []);
  if (!dragging) return null;
  return (
    <div className="fs-drop-overlay" aria-hidden="true">
      <div className="fs-drop-overlay-card">Drop to import</div>
    </div>
  );
}
