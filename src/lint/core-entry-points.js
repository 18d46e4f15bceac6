// ESLint rule: a module outside src/core/<folder> imports that folder only through its index.ts,
// so each folder's public surface is one file and its inside can move freely. Specifiers are
// resolved against the importing file, so '../model/bert.ts' from src/core/train is caught as
// surely as '../../core/model/bert.ts' from src/cli.
import { dirname, relative, resolve, sep } from 'node:path';

function coreFolder(path) {
  const parts = path.split(sep);
  const at = parts.lastIndexOf('core');
  if (at < 1 || parts[at - 1] !== 'src' || at + 2 >= parts.length) return null;
  return { root: parts.slice(0, at + 2).join(sep), name: parts[at + 1] };
}

export const coreEntryPoints = {
  meta: {
    type: 'problem',
    docs: { description: 'Enter each src/core folder through its index.ts.' },
    schema: [],
    messages: {
      deep: "Import src/core/{{folder}} through its entry point '{{entry}}' (export the name there if it is missing), not '{{source}}'.",
    },
  },
  create(context) {
    const file = context.filename;
    const fromFolder = coreFolder(file);
    function check(node) {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = resolve(dirname(file), source);
      const folder = coreFolder(target);
      if (!folder || folder.root === fromFolder?.root) return;
      const index = resolve(folder.root, 'index.ts');
      if (target === index) return;
      let entry = relative(dirname(file), index).split(sep).join('/');
      if (!entry.startsWith('.')) entry = `./${entry}`;
      context.report({ node: node.source, messageId: 'deep', data: { folder: folder.name, entry, source } });
    }
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};
