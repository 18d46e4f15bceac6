// A whole project as one file (backup and move): its records and blobs in a zip, read back with
// every check made before anything is written.
export {
  isProjectBlobKey,
  projectFileChunks,
  projectFileEntries,
  PROJECT_FILE_FORMAT,
  PROJECT_FILE_VERSION,
  ProjectFileError,
  readProjectFile,
  recordsFromJson,
  recordsToJson,
  type ProjectFileManifest,
  type ProjectSnapshot,
} from './project-file.ts';
