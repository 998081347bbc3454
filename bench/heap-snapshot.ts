// What a heap snapshot holds, by kind: JavaScript data (objects, arrays, strings, closures...),
// compiled code (V8's bytecode, machine code and their metadata, which grows while V8 keeps
// optimising and stops when it is done), and V8's own bookkeeping. A sign-in that leaves anything
// behind grows the data; JIT warm-up grows the code.
import { readFile } from 'node:fs/promises';

export type HeapKinds = { data: number; code: number; internal: number };

type Snapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
};

const codeTypes = new Set(['code']);
const internalTypes = new Set(['hidden', 'synthetic', 'object shape']);

/** Bytes by kind, and the data bytes by constructor or string kind, largest first. */
export const readHeapSnapshot = async (file: string) => {
  const snapshot = JSON.parse(await readFile(file, 'utf8')) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const [types] = snapshot.snapshot.meta.node_types;
  const typeField = fields.indexOf('type');
  const nameField = fields.indexOf('name');
  const sizeField = fields.indexOf('self_size');
  const kinds: HeapKinds = { data: 0, code: 0, internal: 0 };
  const dataByName = new Map<string, number>();
  for (let index = 0; index < snapshot.nodes.length; index += fields.length) {
    const type = types[snapshot.nodes[index + typeField]!]!;
    const size = snapshot.nodes[index + sizeField]!;
    if (codeTypes.has(type)) {
      kinds.code += size;
    } else if (internalTypes.has(type)) {
      kinds.internal += size;
    } else {
      kinds.data += size;
      const name = type === 'object' ? snapshot.strings[snapshot.nodes[index + nameField]!]! : type;
      dataByName.set(name, (dataByName.get(name) ?? 0) + size);
    }
  }
  return { kinds, dataByName };
};

/** What the heap gained between two snapshots, by kind, and the data that grew most. */
export const heapGrowth = async (before: string, after: string) => {
  const [start, end] = [await readHeapSnapshot(before), await readHeapSnapshot(after)];
  const grown = [...end.dataByName]
    .map(([name, bytes]) => [name, bytes - (start.dataByName.get(name) ?? 0)] as const)
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5);
  return {
    data: end.kinds.data - start.kinds.data,
    code: end.kinds.code - start.kinds.code,
    internal: end.kinds.internal - start.kinds.internal,
    topData: grown.map(([name, bytes]) => `${name} +${bytes} B`),
  };
};
