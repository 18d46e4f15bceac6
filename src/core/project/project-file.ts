// A whole project as one file, to back it up or move it to another browser or machine: the saved
// records (the project record, the active run) and run records, and the blobs (the dataset file as
// dropped, the runs' kept checkpoints) in a zip. Records are JSON; typed arrays inside them (a
// run's packed step series) are written as base64 with their type, so they come back as they were.
import { unzipFolder, zipChunks, type ExportFile } from '../export/index.ts';

export const PROJECT_FILE_FORMAT = 'finetune-studio-project';
export const PROJECT_FILE_VERSION = 1;
const MANIFEST = 'finetune-project.json';
const RECORDS = 'records.json';
const RUNS = 'runs.json';
const BLOB_DIR = 'blobs/';

/** What a project file carries: storage's records, run records and blobs, by their keys. */
export interface ProjectSnapshot {
  records: Record<string, unknown>;
  runs: { id: string }[];
  blobs: Map<string, Uint8Array>;
}

export interface ProjectFileManifest {
  format: typeof PROJECT_FILE_FORMAT;
  version: number;
  /** The saved records' schema version (state/schema.ts). */
  schemaVersion: number;
  name: string;
  exportedAt: string;
  runs: number;
  blobs: string[];
}

export class ProjectFileError extends Error {
  constructor(reason: string) {
    super(`This is not a project file the studio can open: ${reason}.`);
    this.name = 'ProjectFileError';
  }
}

// Blob keys the studio writes: the dataset file (`dataset`, `dataset-<time>`) and per-run files.
const BLOB_KEY = /^(dataset(-[0-9a-z]+)?|run\/[\w-]+\/[\w.-]+)$/;
export const isProjectBlobKey = (key: string): boolean => BLOB_KEY.test(key);

const TYPED_ARRAYS = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** JSON with typed arrays kept as `{ $typed, base64 }`. */
export function recordsToJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name;
      if (!(name in TYPED_ARRAYS)) throw new Error(`cannot save a ${name} in a project file`);
      return { $typed: name, base64: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    }
    return v;
  });
}

export function recordsFromJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text, (_key, v: unknown) => {
      if (v && typeof v === 'object' && '$typed' in v && 'base64' in v) {
        const { $typed: name, base64 } = v as { $typed: unknown; base64: unknown };
        if (typeof name !== 'string' || !(name in TYPED_ARRAYS) || typeof base64 !== 'string') {
          throw new ProjectFileError(`${what} holds an unknown array type`);
        }
        const Kind = TYPED_ARRAYS[name as TypedArrayName];
        const bytes = fromBase64(base64);
        if (bytes.byteLength % Kind.BYTES_PER_ELEMENT !== 0) {
          throw new ProjectFileError(`${what} holds a ${name} of ${bytes.byteLength} bytes`);
        }
        return new Kind(bytes.buffer, 0, bytes.byteLength / Kind.BYTES_PER_ELEMENT);
      }
      return v;
    });
  } catch (error) {
    if (error instanceof ProjectFileError) throw error;
    throw new ProjectFileError(`${what} is not valid JSON`);
  }
}

/** The project file's entries, for zipChunks (blobs are stored, the JSON deflated). */
export function projectFileEntries(
  snapshot: ProjectSnapshot,
  about: { name: string; schemaVersion: number; exportedAt: Date },
): ExportFile[] {
  const encoder = new TextEncoder();
  const keys = [...snapshot.blobs.keys()].sort();
  for (const key of keys)
    if (!isProjectBlobKey(key)) throw new Error(`cannot save blob "${key}" in a project file`);
  const manifest: ProjectFileManifest = {
    format: PROJECT_FILE_FORMAT,
    version: PROJECT_FILE_VERSION,
    schemaVersion: about.schemaVersion,
    name: about.name,
    exportedAt: about.exportedAt.toISOString(),
    runs: snapshot.runs.length,
    blobs: keys,
  };
  return [
    { path: MANIFEST, bytes: encoder.encode(`${JSON.stringify(manifest, null, 2)}\n`) },
    { path: RECORDS, bytes: encoder.encode(recordsToJson(snapshot.records)) },
    { path: RUNS, bytes: encoder.encode(recordsToJson(snapshot.runs)) },
    ...keys.map((key) => ({ path: `${BLOB_DIR}${key}`, bytes: snapshot.blobs.get(key)! })),
  ];
}

/** The project file as zip chunks (hand them to a Blob). */
export function projectFileChunks(
  snapshot: ProjectSnapshot,
  about: { name: string; schemaVersion: number; exportedAt: Date },
): Uint8Array[] {
  return zipChunks(projectFileEntries(snapshot, about));
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a project file, checking everything before anything is written: its format and version,
 * a schema this studio can migrate (at most `maxSchemaVersion`), well-formed records, run records
 * with ids, and exactly the blobs its manifest lists, under keys the studio writes.
 */
export function readProjectFile(
  bytes: Uint8Array,
  maxSchemaVersion: number,
): { manifest: ProjectFileManifest; snapshot: ProjectSnapshot } {
  let files: Map<string, Uint8Array>;
  try {
    files = unzipFolder(bytes);
  } catch (error) {
    throw new ProjectFileError(error instanceof Error ? error.message : String(error));
  }
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const text = (path: string): string => {
    const file = files.get(path);
    if (!file) throw new ProjectFileError(`it has no ${path}`);
    return decoder.decode(file);
  };
  const manifest = recordsFromJson(text(MANIFEST), MANIFEST);
  if (!isRecord(manifest) || manifest.format !== PROJECT_FILE_FORMAT) {
    throw new ProjectFileError(`${MANIFEST} does not name the ${PROJECT_FILE_FORMAT} format`);
  }
  const { version, schemaVersion, name, blobs } = manifest;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ProjectFileError(`${MANIFEST} has no valid version`);
  }
  if (version > PROJECT_FILE_VERSION) {
    throw new ProjectFileError(
      `it was written by a newer studio (format ${version}); update the studio to open it`,
    );
  }
  if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 0) {
    throw new ProjectFileError(`${MANIFEST} has no valid schema version`);
  }
  if (schemaVersion > maxSchemaVersion) {
    throw new ProjectFileError(
      `its records use schema ${schemaVersion}, newer than this studio's ${maxSchemaVersion}; update the studio to open it`,
    );
  }
  if (!Array.isArray(blobs) || !blobs.every((key) => typeof key === 'string' && isProjectBlobKey(key))) {
    throw new ProjectFileError(`${MANIFEST} lists blobs under names the studio never writes`);
  }
  const records = recordsFromJson(text(RECORDS), RECORDS);
  if (!isRecord(records)) throw new ProjectFileError(`${RECORDS} is not an object of records`);
  const runs = recordsFromJson(text(RUNS), RUNS);
  if (
    !Array.isArray(runs) ||
    !runs.every((run) => isRecord(run) && typeof run.id === 'string' && /^[\w-]+$/.test(run.id))
  ) {
    throw new ProjectFileError(`${RUNS} is not a list of run records with ids`);
  }
  const listed = new Set(blobs as string[]);
  const blobFiles = new Map<string, Uint8Array>();
  for (const [path, data] of files) {
    if (path === MANIFEST || path === RECORDS || path === RUNS) continue;
    const key = path.startsWith(BLOB_DIR) ? path.slice(BLOB_DIR.length) : null;
    if (key === null || !listed.has(key))
      throw new ProjectFileError(`it holds ${path}, which its manifest does not list`);
    blobFiles.set(key, data);
  }
  const missing = [...listed].filter((key) => !blobFiles.has(key));
  if (missing.length > 0)
    throw new ProjectFileError(`it lacks ${missing.length} listed file(s), first ${BLOB_DIR}${missing[0]}`);
  return {
    manifest: {
      format: PROJECT_FILE_FORMAT,
      version,
      schemaVersion,
      name: typeof name === 'string' ? name : 'project',
      exportedAt: typeof manifest.exportedAt === 'string' ? manifest.exportedAt : '',
      runs: runs.length,
      blobs: [...listed],
    },
    snapshot: { records, runs: runs as { id: string }[], blobs: blobFiles },
  };
}
