// The admin reads only the README (in the console) and docs/errors.md: their tables must say what
// the code does. These tests fail when a Xiaomi code, a scope or a form field changes in src/
// without the docs.
import { readFileSync } from 'node:fs';
import { ConnectorError } from '@logto/connector-kit';
import { describe, expect, it } from 'vitest';

import { formItems } from '../src/config.ts';
import { toConnectorError, xiaomiErrorTable } from '../src/errors.ts';

const readmes = ['README.md', 'README.zh-CN.md', 'README.ja.md'];

/** Every scope id in Xiaomi's public scope list. */
const xiaomiScopes = [
  1, 2, 3, 4, 6, 1000, 1001, 2000, 2001, 2002, 6000, 6002, 6003, 6004, 7000, 11000, 12001, 12005,
  13002, 16000, 20000, 40000,
];

/** The cells of every markdown table row in a file, without backticks. */
const tableRows = (file: string): string[][] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /^\|.*\|\s*$/.test(line) && !/^\|\s*-/.test(line))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim().replaceAll('`', '')),
    );

const xiaomiCodes = Object.keys(xiaomiErrorTable).map(Number);

describe('docs/errors.md', () => {
  const rows = tableRows('docs/errors.md').filter(([first]) => /^9\d{4}$/.test(first!));

  it('lists every Xiaomi code of src/errors.ts once, and no other', () => {
    expect(rows.map(([code]) => Number(code))).toEqual(xiaomiCodes);
  });

  it.each(xiaomiCodes)('gives %i its Xiaomi name and Logto codes as the code does', (code) => {
    const [, name, logtoCode, onCallback] = rows.find(([first]) => Number(first) === code)!;
    const entry = xiaomiErrorTable[code]!;
    expect(name).toBe(entry.name);
    const afterToken = toConnectorError({ kind: 'xiaomi', step: 'token', xiaomiCode: code });
    const afterCallback = toConnectorError({ kind: 'xiaomi', step: 'callback', xiaomiCode: code });
    expect(afterToken).toBeInstanceOf(ConnectorError);
    expect(logtoCode).toBe(afterToken.code);
    expect(onCallback).toBe(afterCallback.code);
  });
});

describe.each(readmes)('%s', (file) => {
  const rows = tableRows(file);

  it('lists every Xiaomi error code with its Xiaomi name', () => {
    const codeRows = rows.filter(([first]) => /^9\d{4}$/.test(first!));
    expect(codeRows.map(([code, name]) => [Number(code), name])).toEqual(
      xiaomiCodes.map((code) => [code, xiaomiErrorTable[code]!.name]),
    );
  });

  it('lists every Xiaomi scope id in its scope table', () => {
    const scopeRows = rows.filter(([first]) => /^\d{1,5}$/.test(first!) && Number(first) < 90000);
    expect(scopeRows.map(([scope]) => Number(scope))).toEqual(xiaomiScopes);
  });

  it('explains every field of the connector form', () => {
    const firstCells = new Set(rows.map(([first]) => first));
    for (const { label } of formItems) {
      expect(firstCells.has(label), label).toBe(true);
    }
  });

  it('gives the callback URL Logto uses', () => {
    expect(readFileSync(file, 'utf8')).toContain('${your_logto_origin}/callback/${connector_id}');
  });
});
