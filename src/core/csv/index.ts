// Reading a user's delimited file: byte sources, encoding, dialect sniffing, streaming parse, and
// cells made safe to write back out.
export { csvCell, defuseFormula } from './cells.ts';
export { encodeText, type TextEncodingName } from './encoding.ts';
export { CsvError, isAbortError, throwIfAborted } from './errors.ts';
export {
  parseCsv,
  readCsvTable,
  type CsvDialectOptions,
  type CsvSniff,
  type CsvTable,
  type MalformedRow,
  type ParseSummary,
  type RowBatch,
} from './parse.ts';
export { describeDelimiter, describeNewline } from './sniff.ts';
export { bytesFromArray, bytesFromReadableStream, bytesFromString, type ByteChunks } from './source.ts';
