// Links and headings of the markdown files this package ships, read the way GitHub and Logto's
// console (react-markdown with remark-gfm) read them: code blocks and code spans hold no links.

/** The lines of a markdown file with fenced code blocks blanked out, so line numbers stay right. */
const unfencedLines = (markdown: string): string[] => {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && opening) {
      fence = opening[0]!.repeat(opening.length);
      return '';
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) {
        fence = undefined;
      }
      return '';
    }
    return line;
  });
};

/** Inline links and images `[text](target)`, autolinks `<scheme:...>`, reference definitions. */
export const markdownLinks = (markdown: string) =>
  unfencedLines(markdown).flatMap((text, index) => {
    const line = text.replace(/`+[^`]*`+/g, '');
    const found = [
      ...[...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!),
      ...[...line.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)].map((match) => match[1]!),
      ...[...line.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((match) => match[1]!),
    ];
    return found.map((target) => ({ target, line: index + 1 }));
  });

/** Whether a link leaves the page for the web (or mail): anything else is resolved by the reader. */
export const isAbsolute = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** GitHub's anchors for a file's headings (github-slugger's rules, duplicates numbered). */
export const headingAnchors = (markdown: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of unfencedLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) {
      continue;
    }
    const slug = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
};
