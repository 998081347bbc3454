// The admin reads the console guide (docs/console-guide*.md: Logto's console shows the English
// one) and docs/errors.md: their tables must say what the code does. These tests fail when a
// Xiaomi code, a scope, a form field, a callback message or a supported Logto release changes
// without the docs, and when a guide grows a link the console cannot follow.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

import { supportedReleases } from '../../scripts/logto-releases.mjs';
import { formItems } from '../../src/config.ts';
import { toConnectorError, userMessages, type Failure } from '../../src/errors.ts';
import { meaningOf, xiaomiErrorTable } from '../../src/xiaomi-answers.ts';
import { Secrets } from '../../src/operation.ts';
import { toSocialUserInfo } from '../../src/user-info.ts';
import { headingAnchors, isAbsolute, markdownLinks } from './markdown.ts';

const guides = ['docs/console-guide.md', 'docs/console-guide.zh-CN.md', 'docs/console-guide.ja.md'];
const readmes = ['README.md', 'README.zh-CN.md', 'README.ja.md'];

const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
  repository: { url: string };
  dependencies: Record<string, string>;
};
/** The project's repository, as package.json names it; docs link to files there by this prefix. */
const repository = packageJson.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
const repositoryFiles = `${repository}/blob/main/`;

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
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replaceAll('`', '')),
    );

const xiaomiCodes = Object.keys(xiaomiErrorTable).map(Number);

describe('docs/errors.md', () => {
  const rows = tableRows('docs/errors.md');
  const codeRows = rows.filter(([first]) => /^9\d{4}$/.test(first!));

  it('lists every Xiaomi code of src/errors.ts once, and no other', () => {
    expect(codeRows.map(([code]) => Number(code))).toEqual(xiaomiCodes);
  });

  it.each(xiaomiCodes)(
    'gives %i its Xiaomi name, its Logto code on each call and its hints as the code does',
    (code) => {
      const [, name, onCallback, onToken, onOpenApi, hint] = codeRows.find(
        ([first]) => Number(first) === code,
      )!;
      const entry = xiaomiErrorTable[code]!;
      expect(name).toBe(entry.name);
      expect([onCallback, onToken, onOpenApi]).toEqual([
        meaningOf('callback', code).code,
        meaningOf('token', code).code,
        meaningOf('profile', code).code,
      ]);
      expect(meaningOf('refresh', code)).toEqual(meaningOf('token', code));
      for (const text of [entry.hint, ...Object.values(entry.on ?? {}).map((on) => on.hint)]) {
        expect(hint).toContain(text);
      }
    },
  );

  it('gives unknown codes the Logto codes and the hint the code does', () => {
    const [, , ...cells] = rows.find(([first]) => first === 'other')!;
    expect(cells).toEqual([
      meaningOf('callback', undefined).code,
      meaningOf('token', undefined).code,
      meaningOf('profile', undefined).code,
      meaningOf('token', undefined).hint,
    ]);
  });

  it('lists every text an end user can read, and no other', () => {
    const texts = new Set<string>(Object.values(userMessages));
    expect(rows.filter(([first]) => texts.has(first!)).map(([first]) => first)).toEqual(
      Object.values(userMessages),
    );
  });

  /** One failure of each kind the connector raises, as the flow makes them. */
  const failures: Failure[] = [
    { kind: 'bad-callback', reason: 'it carries no usable authorization code' },
    { kind: 'unexpected', step: 'token', status: 502, reason: 'an HTML page instead of JSON' },
    { kind: 'network', step: 'token', reason: 'timed out' },
    { kind: 'rate-limited', step: 'profile', status: 429 },
    { kind: 'no-refresh-redirect-uri' },
    { kind: 'unusable-refresh-token' },
    { kind: 'internal', operation: 'getUserInfo', cause: new Error('bug') },
  ];

  it.each(failures)(
    'has a row for a $kind failure with its Logto code and user text',
    (failure) => {
      const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      const error = toConnectorError(failure);
      log.mockRestore();
      const { errorDescription } = error.data as { errorDescription: string };
      expect(
        rows.some(([, code, text]) => code === error.code && text === errorDescription),
        `${error.code}: ${errorDescription}`,
      ).toBe(true);
    },
  );

  it('has a row for an invalid saved config with its Logto code', () => {
    const error = toConnectorError({ kind: 'invalid-config', description: 'x', issues: [] });
    expect(
      rows.some(([when, code]) => when!.startsWith('The saved config') && code === error.code),
    ).toBe(true);
  });

  const text = readFileSync('docs/errors.md', 'utf8');
  const source = readFileSync('src/authorization.ts', 'utf8');
  const reasons = [...source.matchAll(/kind: 'bad-callback',\s*reason:\s*'([^']+)'/g)].map(
    ([, reason]) => reason!,
  );

  it.each(reasons)('gives the admin’s hint for the bad callback “%s” word for word', (reason) => {
    const { data } = toConnectorError({ kind: 'bad-callback', reason });
    expect(text).toContain(`"${(data as { hint: string }).hint}"`);
  });

  it('finds every bad callback of src/authorization.ts', () => {
    expect(reasons).toHaveLength(source.match(/kind: 'bad-callback'/g)?.length ?? 0);
    expect(reasons.length).toBeGreaterThan(0);
  });
});

describe('docs/security.md', () => {
  it('names every field rawData can hold', () => {
    const profile = Object.fromEntries(
      ['', '_orig', '_320', '_120', '_90', '_75'].map((size) => [
        `miliaoIcon${size}`,
        'https://cdn.example.com/a.jpg',
      ]),
    );
    const { rawData } = toSocialUserInfo(
      {
        profile: { ...profile, unionId: 'u', miliaoNick: 'n', userId: '1' },
        openId: { openid: 'o' },
        phoneAndEmail: { phone: '13800138000' },
      },
      new Set(['1', '3', '4']),
      new Secrets(),
    );
    const security = readFileSync('docs/security.md', 'utf8');
    for (const key of Object.keys(rawData as object)) {
      const name = key.startsWith('miliaoIcon_') ? key.slice('miliaoIcon'.length) : key;
      expect(security, key).toContain(`\`${name}\``);
    }
  });
});

describe('what an end user reads', () => {
  it.each(Object.values(userMessages))(
    '“%s” is a short plain sentence in sentence case, without codes, steps or fixes',
    (text) => {
      expect(text).toMatch(/^[A-Z][^0-9_()/]*\.$/);
      expect(text.length).toBeLessThanOrEqual(90);
      expect(text).not.toMatch(/oauth2|error|config|Logto|admin/i);
    },
  );
});

describe.each(guides)('%s', (file) => {
  const rows = tableRows(file);
  const text = readFileSync(file, 'utf8');

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

  // The console shows the first "# " as "README: <title>" (splitMarkdownByTitle in
  // packages/console/src/pages/Connectors/utils.ts); install.test.ts: Logto loads this file.
  it('starts with the heading the console shows as "README: <title>"', () => {
    expect(text.split('\n')[0]).toMatch(/^# \S/);
  });

  it('gives both callback URLs Logto uses: sign-in and account center', () => {
    expect(text).toContain('${your_logto_origin}/callback/${connector_id}');
    expect(text).toContain('${your_logto_origin}/account/callback/social/${connector_id}');
  });

  it('tells this connector apart by its factory id when Logto’s built-in one is installed too', () => {
    expect(text).toContain('/guide/xiaomi-universal-plus');
  });

  // Logto's console opens a link that does not start with `http` as one of its own pages.
  it('links only to https:// addresses', () => {
    const links = markdownLinks(text);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter(({ target }) => !target.startsWith('https://'))).toEqual([]);
  });

  it('names no developer command (the admin is not in this repository)', () => {
    expect(text).not.toMatch(/\bnpm (ci|test|install|run|pack)\b|\bnpx\b/);
  });
});

describe.each(readmes)('%s', (file) => {
  const text = readFileSync(file, 'utf8');

  it('starts the reader with `npm ci` and `npm run demo`', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    const [first, second] = firstBlock.split('\n').map((line) => line.split(/\s+#/)[0]!.trim());
    expect([first, second]).toEqual(['npm ci', 'npm run demo']);
  });

  it.each(supportedReleases.map(({ logto }) => logto))('names Logto %s as supported', (logto) => {
    expect(text).toContain(logto);
  });

  it('says that Logto runs on Node.js 22', () => {
    expect(text).toMatch(/Logto[^.\n]*Node\.js 22/);
  });

  it('links to the console guide in its language', () => {
    const guide = file.replace('README', 'docs/console-guide');
    expect(markdownLinks(text).map(({ target }) => target)).toContain(guide);
  });
});

describe('docs/install.md', () => {
  const text = readFileSync('docs/install.md', 'utf8');
  const versionRows = tableRows('docs/install.md').filter(([first]) =>
    /^1\.\d+\.\d+$/.test(first!),
  );

  it('states every supported Logto release, with its connector-kit, as tested', () => {
    const tested = supportedReleases.map(({ logto, connectorKit }) => [logto, connectorKit, true]);
    expect(
      versionRows.map(([logto, kit, loads]) => [logto, kit, loads!.startsWith('yes: tested')]),
    ).toEqual(tested.reverse());
  });

  it('gives the connector-kit range package.json asks for', () => {
    expect(text).toContain(`\`${packageJson.dependencies['@logto/connector-kit']}\``);
  });
});

describe('links into the project’s repository', () => {
  const markdownFiles = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter((file) => file && existsSync(file));
  const links = markdownFiles.flatMap((file) =>
    markdownLinks(readFileSync(file, 'utf8'))
      .filter(({ target }) => isAbsolute(target) && target.startsWith(repository))
      .map((link) => ({ file, ...link })),
  );

  it('use the repository package.json names, and name files (and headings) that exist', () => {
    expect(links.length, 'links found').toBeGreaterThan(10);
    const broken = links.flatMap(({ file, line, target }) => {
      if (target === repository || target === `${repository}/issues`) {
        return [];
      }
      if (!target.startsWith(repositoryFiles)) {
        return [`${file}:${line}: ${target} (not under ${repositoryFiles})`];
      }
      const [linked = '', anchor] = target.slice(repositoryFiles.length).split('#');
      if (!existsSync(linked)) {
        return [`${file}:${line}: ${target} (no ${linked})`];
      }
      if (anchor && !headingAnchors(readFileSync(path.resolve(linked), 'utf8')).has(anchor)) {
        return [`${file}:${line}: ${target} (no heading #${anchor})`];
      }
      return [];
    });
    expect(broken).toEqual([]);
  });
});
